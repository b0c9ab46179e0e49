import type { SqlValue } from 'sql.js';
import { toDecision, toMessage, toSpan, type Row } from './rows';
import { SEARCH_FTS, SEARCH_SCHEMA } from './schema';
import { decisionCandidate, indexTerms, messageCandidate, spanCandidate, type IndexedKind, type SearchCandidate } from './searchText';

// The search index inside one database (live or segment). Writes never touch it: the rows above
// its high-water mark (search_progress.indexed_to) are indexed after them, many per transaction
// (HistorySearch's catch-up), and read one by one by search until then; a replay needs nothing
// either, its rows are above the mark. Made again when rows leave (archive moves, cleanup: a
// contentless index cannot remove one record, and a table whose content is elsewhere fails
// integrity_check); built for older rows by backfill steps. A record replaced in place (a span
// sent again, under a new id) leaves its old id behind, which no longer reads: harmless.

/** What the index needs of a store (kept apart from store.ts, which calls in here). */
export interface IndexDb {
  all(sql: string, params?: SqlValue[]): Row[];
  run(sql: string, params?: SqlValue[]): void;
  exec(sql: string): void;
  scalar(sql: string, params?: SqlValue[]): number;
}

export const INDEXED_KINDS: readonly IndexedKind[] = ['decision', 'message', 'span'];

export const HISTORY_TABLE: Record<IndexedKind, string> = { decision: 'decision_log', message: 'agent_coordination', span: 'spans' };
const FTS: Record<IndexedKind, string> = { decision: 'search_decision', message: 'search_message', span: 'search_span' };

/** A stored row as search reads it. */
export function rowCandidate(kind: IndexedKind, r: Row): SearchCandidate {
  switch (kind) {
    case 'decision': return decisionCandidate(toDecision(r));
    case 'message': return messageCandidate(toMessage(r));
    case 'span': return spanCandidate(toSpan(r));
  }
}

/**
 * Creates the index tables. A database that had none (written before the index existed) has all of
 * its rows to backfill; a new one has none.
 */
export function openIndex(db: IndexDb): boolean {
  const had = db.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'search_progress'") > 0;
  db.exec(SEARCH_SCHEMA);
  if (had) {
    // A folder from a build that indexed in the write transaction: every row it holds is indexed.
    if (db.scalar("SELECT COUNT(*) FROM pragma_table_info('search_progress') WHERE name = 'indexed_to'") === 0) {
      db.exec('ALTER TABLE search_progress ADD COLUMN indexed_to INTEGER NOT NULL DEFAULT 0');
      for (const kind of INDEXED_KINDS) db.run('UPDATE search_progress SET indexed_to = ? WHERE kind = ?', [maxId(db, kind), kind]);
    }
    return false;
  }
  for (const kind of INDEXED_KINDS) {
    mergeAsYouGo(db, kind);
    const max = maxId(db, kind);
    db.run('INSERT OR REPLACE INTO search_progress (kind, unindexed, indexed_to) VALUES (?, ?, ?)', [kind, max, max]);
  }
  return true;
}

const maxId = (db: IndexDb, kind: IndexedKind) => db.scalar(`SELECT COALESCE(MAX(id), 0) FROM ${HISTORY_TABLE[kind]}`);

/**
 * Each commit adds a small b-tree to a full-text table; merged a little at every commit, a query
 * has few to read and no commit pays for a large merge (the write cost, measured, is the same).
 */
function mergeAsYouGo(db: IndexDb, kind: IndexedKind): void {
  db.run(`INSERT INTO ${FTS[kind]} (${FTS[kind]}) VALUES ('automerge=8')`);
}

/** Ids at or below this are not indexed yet (rows from before the index, or left after a move). */
export function unindexedUpTo(db: IndexDb, kind: IndexedKind): number {
  return db.scalar('SELECT unindexed FROM search_progress WHERE kind = ?', [kind]);
}

/** Ids above this are not indexed yet (written since the last catch-up). */
export function indexedTo(db: IndexDb, kind: IndexedKind): number {
  return db.scalar('SELECT indexed_to FROM search_progress WHERE kind = ?', [kind]);
}

/** About how many rows wait for the index (ids may have gaps): cheap, for pacing the catch-up. */
export function backlog(db: IndexDb): number {
  return INDEXED_KINDS.reduce((n, kind) => n + Math.max(0, maxId(db, kind) - indexedTo(db, kind)) + Math.max(0, unindexedUpTo(db, kind)), 0);
}

/** Rows written and not indexed yet, per kind. */
export function waiting(db: IndexDb, kind: IndexedKind): number {
  return db.scalar(`SELECT COUNT(*) FROM ${HISTORY_TABLE[kind]} WHERE id > ?`, [indexedTo(db, kind)]);
}

export function indexRecord(db: IndexDb, kind: IndexedKind, id: number, text: string): void {
  db.run(`INSERT INTO ${FTS[kind]} (docid, terms) VALUES (?, ?)`, [id, indexTerms(text)]);
}

/**
 * After rows left: an empty index, every row that stays to be indexed again (by backfill steps in
 * the live database; at once with `rebuild`, for a segment being rewritten).
 */
export function resetIndex(db: IndexDb, rebuild = false): void {
  for (const kind of INDEXED_KINDS) {
    db.exec(`DROP TABLE IF EXISTS ${FTS[kind]}; ${SEARCH_FTS(FTS[kind])}`);
    mergeAsYouGo(db, kind);
    const max = maxId(db, kind);
    db.run('UPDATE search_progress SET unindexed = ?, indexed_to = ? WHERE kind = ?', [max, max, kind]);
  }
  if (rebuild) {
    while (indexStep(db, 10_000));
    optimizeIndex(db);
  }
}

/** Ids of the records that may match, newest first, below `beforeId` when given. */
export function matchIds(db: IndexDb, kind: IndexedKind, query: string, limit: number, beforeId?: number): number[] {
  const rows = beforeId === undefined
    ? db.all(`SELECT docid FROM ${FTS[kind]} WHERE terms MATCH ? ORDER BY docid DESC LIMIT ?`, [query, limit])
    : db.all(`SELECT docid FROM ${FTS[kind]} WHERE terms MATCH ? AND docid < ? ORDER BY docid DESC LIMIT ?`, [query, beforeId, limit]);
  return rows.map(r => Number(r.docid));
}

/** Merges the index into one b-tree per kind: after many removals, or before a segment is written. */
export function optimizeIndex(db: IndexDb): void {
  for (const kind of INDEXED_KINDS) db.run(`INSERT INTO ${FTS[kind]} (${FTS[kind]}) VALUES ('optimize')`);
}

/**
 * Indexes up to `rows` rows not indexed yet, in one transaction of the caller's: first those
 * written since the last step (oldest first, raising the high-water mark), then the newest of
 * those from before the index. Returns whether any are left.
 */
export function indexStep(db: IndexDb, rows: number): boolean {
  let budget = rows;
  for (const kind of INDEXED_KINDS) {
    if (budget <= 0) return true;
    const from = indexedTo(db, kind);
    const batch = db.all(`SELECT * FROM ${HISTORY_TABLE[kind]} WHERE id > ? ORDER BY id LIMIT ?`, [from, budget]);
    if (batch.length === 0) continue;
    for (const r of batch) indexRecord(db, kind, Number(r.id), rowCandidate(kind, r).text);
    budget -= batch.length;
    db.run('UPDATE search_progress SET indexed_to = ? WHERE kind = ?', [Number(batch[batch.length - 1].id), kind]);
  }
  if (budget <= 0) return true;
  return backfillStep(db, budget);
}

/** Indexes up to `rows` of the newest rows from before the index; returns whether any are left. */
function backfillStep(db: IndexDb, rows: number): boolean {
  let left = false;
  let budget = rows;
  for (const kind of INDEXED_KINDS) {
    const upTo = unindexedUpTo(db, kind);
    if (upTo <= 0) continue;
    if (budget <= 0) return true;
    const want = budget;
    const batch = db.all(`SELECT * FROM ${HISTORY_TABLE[kind]} WHERE id <= ? ORDER BY id DESC LIMIT ?`, [upTo, want]);
    for (const r of batch) indexRecord(db, kind, Number(r.id), rowCandidate(kind, r).text);
    budget -= batch.length;
    const rest = batch.length < want ? 0 : Number(batch[batch.length - 1].id) - 1;
    db.run('UPDATE search_progress SET unindexed = ? WHERE kind = ?', [rest, kind]);
    if (rest > 0) left = true;
  }
  return left;
}

/** Live meta key: every archive segment named by the database carries its index (see HistorySearch). */
export const SEGMENTS_INDEXED = 'search_segments_indexed';

/** Whether every row of this database is in its index. */
export function fullyIndexed(db: IndexDb): boolean {
  return db.scalar('SELECT COUNT(*) FROM search_progress WHERE unindexed > 0') === 0
    && INDEXED_KINDS.every(kind => maxId(db, kind) <= indexedTo(db, kind));
}
