import * as path from 'path';
import type { Archive } from './archive';
import { readFileIfExists, writeFileAtomic } from './atomicFile';
import { ARCHIVE_DIR } from './fileNames';
import { Store } from './store';
import type { EngineContext } from './engineContext';
import { errorText as errText } from './errorText';
import { fullyIndexed, HISTORY_TABLE, INDEXED_KINDS, indexedTo, indexStep, matchIds, optimizeIndex, rowCandidate, SEGMENTS_INDEXED, unindexedUpTo, waiting, backlog, type IndexDb } from './searchIndex';
import { matchesAll, matchQuery, queryTerms, type IndexedKind, type SearchCandidate } from './searchText';
import type { WritePath } from './writePath';

/** Matches kept per kind (newest first) before ranking: search ranks among the newest this many. */
export const SEARCH_CANDIDATES = 10_000;

/**
 * Rows indexed per step (one transaction, between writes). Indexing a row costs about three
 * batched writes of it (reading it back, cutting its terms, the full-text insert), so while writes
 * come in the steps are short (a few milliseconds: an ack waits for at most one) and take at most
 * BUSY_SHARE of the thread; once writes pause, long steps back to back.
 */
const BUSY_STEP_ROWS = 150;
const IDLE_STEP_ROWS = 1000;
/** Share of the thread the catch-up takes while writes come in; more once many rows wait, to bound what a search reads. */
const BUSY_SHARE = 0.1;
const BACKLOG_SHARE = 0.4;
const BACKLOG_ROWS = 100_000;

/** The catch-up starts this long after the last write... */
const CATCH_UP_QUIET_MS = 250;
/** ...or this long after the first write it has not indexed, under a steady stream of writes. */
const CATCH_UP_MAX_WAIT_MS = 1000;

/**
 * For this long after the store opened the catch-up runs paced, as under writes: the first reads
 * (an editor's views loading the recovered store) come before it.
 */
const OPEN_PACED_MS = 2000;

/** Rows of a segment indexed per step (in memory, off the write path). */
const SEGMENT_STEP_ROWS = 500;

const nextTurn = () => new Promise(resolve => setImmediate(resolve));

/** Rows read per page where the index does not reach yet (a folder or segment from before it). */
const SCAN_PAGE_ROWS = 2000;

// Decisions, messages and spans over the whole history, live and archived: the index finds the
// records that may match, the substring check keeps those that do. Rows not indexed yet (written
// since the last catch-up, not reached by the backfill, or a segment written before the index)
// are read and checked one by one, so a search never misses a match, it is only slower meanwhile.
// Writes never wait for the index: it catches up after them, in steps between them.

export class HistorySearch {
  private backfilling: Promise<void> = Promise.resolve();
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private firstWaiting = 0;
  private lastWrite = 0;
  private readonly openedAt = performance.now();
  /** Ends the pause between paced steps (closing does not wait it out). */
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: EngineContext, private readonly archive: Archive, private readonly writes: WritePath,
    /** The maintenance queue: checkpoints, archive moves and cleanup run one at a time in it. */
    private readonly serial: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  /** Records of the indexed kinds holding every word of `q`, newest first per kind, at most `cap` per kind. */
  async find(q: string, cap = SEARCH_CANDIDATES): Promise<SearchCandidate[]> {
    const terms = queryTerms(q);
    if (terms.length === 0) return [];
    const query = matchQuery(terms);
    // Words without a letter or digit ("_") have nothing to look up: the newest live rows are read.
    if (query === undefined) return INDEXED_KINDS.flatMap(kind => this.ctx.store.all(`SELECT * FROM ${HISTORY_TABLE[kind]} ORDER BY id DESC LIMIT ?`, [cap])
      .map(r => rowCandidate(kind, r)).filter(c => matchesAll(c, terms)));
    const found = new Map(INDEXED_KINDS.map(kind => [kind, findIn(this.ctx.store, kind, terms, query, cap)]));
    // Newest segments first; each is opened once for every kind still short of `cap`.
    for (const seg of this.ctx.store.listSegments()) {
      const kinds = INDEXED_KINDS.filter(k => found.get(k)!.length < cap && (seg.max_ids === undefined || seg.max_ids[k] > 0));
      if (kinds.length === 0) continue;
      await this.archive.withSegment(seg.name, s => {
        for (const k of kinds) found.get(k)!.push(...findIn(s, k, terms, query, cap - found.get(k)!.length));
      });
    }
    return [...found.values()].flat();
  }

  /**
   * No indexing from now on (EngineOptions.searchIndex false, or closing): search reads the rows
   * the index does not cover; a later open catches up.
   */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
  }

  /** Records were written: the catch-up runs once writes pause, or within a second under a steady stream. */
  written(isClosed: () => boolean): void {
    if (this.stopped) return;
    this.lastWrite = performance.now();
    if (this.timer) return;
    this.firstWaiting = this.lastWrite;
    const fire = () => {
      const now = performance.now();
      const wait = Math.min(this.lastWrite + CATCH_UP_QUIET_MS, this.firstWaiting + CATCH_UP_MAX_WAIT_MS) - now;
      if (wait > 1) {
        this.timer = setTimeout(fire, wait);
        this.timer.unref();
        return;
      }
      this.timer = undefined;
      this.startBackfill(isClosed);
    };
    this.timer = setTimeout(fire, CATCH_UP_QUIET_MS);
    this.timer.unref();
  }

  /**
   * Builds the index where it is missing, a step at a time between writes: live rows written since
   * the last step, then those written before it existed or left after an archive move, then
   * segments written before it.
   */
  startBackfill(isClosed: () => boolean): void {
    const store = this.ctx.store;
    if (this.stopped || this.running || (fullyIndexed(store) && store.getMeta(SEGMENTS_INDEXED) !== undefined)) return;
    this.running = true;
    const t0 = performance.now();
    this.backfilling = (async () => {
      try {
        // Checked before every step: an archive move or cleanup while this runs asks for more.
        while (!isClosed() && !this.stopped) {
          if (!fullyIndexed(store)) {
            const now = performance.now();
            const busy = now - this.lastWrite < CATCH_UP_QUIET_MS || now - this.openedAt < OPEN_PACED_MS;
            const took = await this.writes.io(async () => {
              if (isClosed()) return 0;
              const s0 = performance.now();
              store.exec('BEGIN');
              try {
                indexStep(store, busy ? BUSY_STEP_ROWS : IDLE_STEP_ROWS);
                store.exec('COMMIT');
              } catch (e) {
                store.exec('ROLLBACK');
                throw e;
              }
              return performance.now() - s0;
            });
            // stop() may have come while the step ran, when there was no sleep to wake: a sleep
            // begun now, on an unref'd timer, would let a process with nothing else to do exit
            // in the middle of close() (the full bench ended silently in its otel section).
            if (isClosed() || this.stopped) break;
            if (busy) {
              const share = backlog(store) > BACKLOG_ROWS ? BACKLOG_SHARE : BUSY_SHARE;
              await new Promise<void>(resolve => {
                const t = setTimeout(resolve, took * (1 / share - 1));
                t.unref();
                this.wake = () => { clearTimeout(t); resolve(); };
              });
              this.wake = undefined;
            } else {
              await nextTurn();
            }
          } else if (store.getMeta(SEGMENTS_INDEXED) === undefined) {
            await this.indexOldSegments(isClosed);
          } else {
            const ms = performance.now() - t0;
            if (ms > 1000) this.ctx.log.info(`[engine] search index complete (${ms.toFixed(0)} ms of building)`);
            break;
          }
        }
      } catch (e) {
        this.ctx.log.error(`[engine] building the search index stopped: ${errText(e)}; search reads the rows it does not cover`);
      }
      // Set in the same turn as the last check, so a request arriving after it starts a new run.
      this.running = false;
    })();
  }

  /**
   * Segments written before the index get it: indexed in memory in steps, then written over the
   * same name (the same rows, so a crash leaves either file, both whole), in the maintenance
   * queue so no cleanup rewrites or drops it meanwhile.
   */
  private async indexOldSegments(isClosed: () => boolean): Promise<void> {
    const { store, fs, folder, SQL, log } = this.ctx;
    for (const seg of store.listSegments()) {
      if (isClosed()) return;
      const file = path.join(folder, ARCHIVE_DIR, seg.name);
      const bytes = await readFileIfExists(fs, file);
      if (!bytes) continue;
      const s = Store.open(SQL, bytes, false);
      try {
        if (fullyIndexed(s)) continue;
        while (indexStep(s, SEGMENT_STEP_ROWS)) {
          await nextTurn();
          if (isClosed()) return;
        }
        optimizeIndex(s);
        const out = s.db.export();
        await this.serial(async () => {
          if (isClosed() || !store.listSegments().some(x => x.name === seg.name)) return;
          await this.writes.io(async () => {
            await writeFileAtomic(fs, file, out);
            store.run('UPDATE archive_segments SET bytes = ? WHERE name = ?', [out.length, seg.name]);
          });
          log.info(`[engine] search index added to archive segment ${seg.name}`);
        });
      } finally {
        s.close();
      }
    }
    if (!isClosed()) await this.writes.io(async () => store.setMeta(SEGMENTS_INDEXED, 1));
  }

  /** Resolves when the step running (if any) has finished or stopped. */
  backfillDone(): Promise<void> {
    return this.backfilling;
  }

  /** Resolves once the index covers every row written so far (after the catch-up delay), or indexing stopped. */
  async caughtUp(): Promise<void> {
    // The catch-up's timers are unref'd (they must not hold a process open); one who waits for it
    // does, or Node would exit in the middle of the wait.
    const waiting = setInterval(() => undefined, 60_000);
    try {
      for (;;) {
        if (this.running) await this.backfilling;
        else if (this.timer) await new Promise(resolve => setTimeout(resolve, 20));
        else return;
      }
    } finally {
      clearInterval(waiting);
    }
  }

  /** Live rows written and not indexed yet, per kind (the bench's measure of how far the index trails). */
  trailing(): Record<IndexedKind, number> {
    return Object.fromEntries(INDEXED_KINDS.map(k => [k, waiting(this.ctx.store, k)])) as Record<IndexedKind, number>;
  }
}

/** Matches in one database: through its index, then by reading the rows the index does not cover yet. */
function findIn(db: IndexDb, kind: IndexedKind, terms: string[], query: string, room: number): SearchCandidate[] {
  const table = HISTORY_TABLE[kind];
  const found: SearchCandidate[] = [];
  const keep = (rows: ReturnType<IndexDb['all']>) => {
    for (const r of rows) {
      const c = rowCandidate(kind, r);
      if (matchesAll(c, terms)) found.push(c);
    }
  };
  // Newest first: the rows written since the last catch-up, then the index, then rows from before it.
  for (let above = Number.MAX_SAFE_INTEGER, to = indexedTo(db, kind); found.length < room;) {
    const rows = db.all(`SELECT * FROM ${table} WHERE id > ? AND id < ? ORDER BY id DESC LIMIT ?`, [to, above, SCAN_PAGE_ROWS]);
    keep(rows);
    if (rows.length < SCAN_PAGE_ROWS) break;
    above = Number(rows[rows.length - 1].id);
  }
  const ids = found.length < room ? matchIds(db, kind, query, room - found.length) : [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    keep(db.all(`SELECT * FROM ${table} WHERE id IN (${chunk.map(() => '?').join(',')}) ORDER BY id DESC`, chunk));
  }
  for (let below = unindexedUpTo(db, kind); below > 0 && found.length < room;) {
    const rows = db.all(`SELECT * FROM ${table} WHERE id <= ? ORDER BY id DESC LIMIT ?`, [below, SCAN_PAGE_ROWS]);
    keep(rows);
    below = rows.length < SCAN_PAGE_ROWS ? 0 : Number(rows[rows.length - 1].id) - 1;
  }
  return found.slice(0, room);
}
