import type { SqlValue } from 'sql.js';
import { toDecision, toMessage, toSpan, type Row } from './rows';
import { SEARCH_SCHEMA } from './schema';
import { decisionCandidate, indexTerms, messageCandidate, spanCandidate, type IndexedKind, type SearchCandidate } from './searchText';

// The search index inside one database (live or segment): written with the records, in the same
// transaction (Store.applyOp), so a replay rebuilds it as it re-applies them; removed with them
// (archive moves, cleanup); built for older rows by backfill steps.

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
export function openIndex(db: IndexDb): void {
  const had = db.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'search_progress'") > 0;
  db.exec(SEARCH_SCHEMA);
  if (had) return;
  for (const kind of INDEXED_KINDS) {
    db.run('INSERT OR REPLACE INTO search_progress (kind, unindexed) VALUES (?, ?)',
      [kind, db.scalar(`SELECT COALESCE(MAX(id), 0) FROM ${HISTORY_TABLE[kind]}`)]);
  }
}

/** Ids at or below this are not indexed yet. */
export function unindexedUpTo(db: IndexDb, kind: IndexedKind): number {
  return db.scalar('SELECT unindexed FROM search_progress WHERE kind = ?', [kind]);
}

export function indexRecord(db: IndexDb, kind: IndexedKind, id: number, text: string): void {
  db.run(`INSERT INTO ${FTS[kind]} (docid, terms) VALUES (?, ?)`, [id, indexTerms(text)]);
}

/** Removes the index terms of the rows `where` selects (call before deleting them). */
export function unindexRows(db: IndexDb, kind: IndexedKind, where: string, params: SqlValue[]): void {
  const below = unindexedUpTo(db, kind);
  const rows = db.all(`SELECT * FROM ${HISTORY_TABLE[kind]} WHERE (${where}) AND id > ?`, [...params, below]);
  if (rows.length === 0) return;
  for (const r of rows) db.run('INSERT OR REPLACE INTO search_scratch (docid, terms) VALUES (?, ?)', [Number(r.id), indexTerms(rowCandidate(kind, r).text)]);
  db.run(`DELETE FROM ${FTS[kind]} WHERE docid IN (SELECT docid FROM search_scratch)`);
  db.run('DELETE FROM search_scratch');
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
 * Indexes up to `rows` of the newest rows not indexed yet, in one transaction of the caller's;
 * returns whether any are left.
 */
export function backfillStep(db: IndexDb, rows: number): boolean {
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

/** Whether every row of this database is in its index. */
export function fullyIndexed(db: IndexDb): boolean {
  return db.scalar('SELECT COUNT(*) FROM search_progress WHERE unindexed > 0') === 0;
}
