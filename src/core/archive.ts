import * as path from 'path';
import { listDir, readFileIfExists, unlinkDurable, writeFileAtomic } from './atomicFile';
import type { Compactor } from './compaction';
import type { EngineContext } from './engineContext';
import { errorText as errText } from './errorText';
import { ARCHIVE_DIR, segmentFile } from './fileNames';
import type { ArchiveOp, SegmentIds, SegmentInfo } from './ops';
import { describeForeign } from './schemaGuard';
import { indexStep, optimizeIndex } from './searchIndex';
import { readSnapshot } from './snapshotStore';
import { Store } from './store';
import { iso } from './time';
import type { Decision, JsonObject, ListQuery } from './types';
import { checkLimit, checkSince } from './validate';
import type { WritePath } from './writePath';

/** Pages given back per step after an archive move: about 256 KB, a few milliseconds of blocking. */
const VACUUM_STEP_PAGES = 64;

// Above its cap the live database moves its oldest history into read-only segments under
// archive/, which are opened only when a read reaches back that far.

export class Archive {
  /** Bytes of the segments the database names. */
  bytes = 0;

  constructor(private readonly ctx: EngineContext, private readonly writes: WritePath, private readonly compactor: Compactor) {}

  recount(): void {
    this.bytes = this.ctx.store.listSegments().reduce((n, s) => n + s.bytes, 0);
  }

  /** Moves the oldest half of the history into a read-only archive segment on disk. */
  async archiveOldest(): Promise<void> {
    const { store: s, fs, folder, clock, log } = this.ctx;
    const half = (table: string) => {
      const n = s.scalar(`SELECT COUNT(*) FROM ${table}`);
      return n < 2 ? 0 : s.scalar(`SELECT id FROM ${table} ORDER BY id LIMIT 1 OFFSET ?`, [Math.floor(n / 2) - 1]);
    };
    const max = { decisions: half('decision_log'), messages: half('agent_coordination'), task_events: half('task_events'), spans: half('spans') };
    const movedSnapshots = this.oldestSnapshotChains();
    if (!max.decisions && !max.messages && !max.task_events && !max.spans && movedSnapshots.length === 0) return;
    const op = await this.writes.io(async (): Promise<ArchiveOp> => {
      const seg = Store.open(this.ctx.SQL, undefined, false);
      try {
        const copy = (table: string, cols: string, where: string, params: (number)[]) => {
          const rows = s.all(`SELECT ${cols} FROM ${table} WHERE ${where}`, params);
          const marks = cols.split(',').map(() => '?').join(',');
          for (const r of rows) seg.run(`INSERT INTO ${table} (${cols}) VALUES (${marks})`, Object.values(r));
          return rows.length;
        };
        seg.exec('BEGIN');
        const decisions = copy('decision_log', 'id,ts,decision_type,context,decision,reasoning,outcome,agent_id,task_id', 'id <= ?', [max.decisions]);
        const messages = copy('agent_coordination', 'id,ts,from_agent,to_agent,message_type,content', 'id <= ?', [max.messages]);
        const taskEvents = copy('task_events', 'id,ts,task_id,changes', 'id <= ?', [max.task_events]);
        const spanCount = copy('spans', 'id,ts,trace_id,span_id,parent_span_id,name,kind,start_time,end_time,status,status_message,' +
          'operation,agent_id,agent_name,conversation_id,task_id,tool_name,model,input_tokens,output_tokens,attributes,resource,scope',
          'id <= ?', [max.spans]);
        let snapshots = 0;
        for (const id of movedSnapshots) {
          snapshots += copy('context_snapshots', 'id,created_at,kind,label,content_hash,size,body,base_id,chain_start,encoding', 'id = ?', [id]);
        }
        // The segment carries the index of every row it holds, whole (the live one may trail).
        indexStep(seg, Number.MAX_SAFE_INTEGER);
        seg.exec('COMMIT');
        optimizeIndex(seg);
        const range = seg.get(`SELECT MIN(ts) AS lo, MAX(ts) AS hi FROM (SELECT ts FROM decision_log UNION ALL SELECT ts FROM agent_coordination
          UNION ALL SELECT ts FROM task_events UNION ALL SELECT created_at AS ts FROM context_snapshots UNION ALL SELECT ts FROM spans)`);
        const bytes = seg.db.export();
        const t = clock.now();
        const name = segmentFile(t, this.writes.seq);
        await writeFileAtomic(fs, path.join(folder, ARCHIVE_DIR, name), bytes);
        const info: SegmentInfo = {
          name, created_at: iso(t), min_ts: String(range?.lo ?? iso(t)), max_ts: String(range?.hi ?? iso(t)),
          decisions, messages, task_events: taskEvents, snapshots, spans: spanCount, bytes: bytes.length, max_ids: seg.maxIds(),
        };
        return { o: 'archive', t, segment: info, max, snapshot_ids: movedSnapshots };
      } finally {
        seg.close();
      }
    });
    await this.writes.submit(op, true);
    this.bytes += op.segment.bytes;
    log.info(`[engine] archived ${op.segment.decisions} decisions, ${op.segment.messages} messages, ` +
      `${op.segment.task_events} task events, ${op.segment.snapshots} snapshots to ${op.segment.name}`);
    // Give the freed pages back, a little at a time between writes, so the file shrinks too.
    for (let free = Infinity, left = 0; free > 0; free = left) {
      left = await this.writes.io(async () => s.vacuumStep(VACUUM_STEP_PAGES));
      if (left >= free) break; // nothing given back: not an incremental-vacuum file
    }
    // The rows are gone from the live image; fold that in now so replay never sees them again.
    await this.compactor.compact();
  }

  /**
   * About the oldest half of the snapshots, in whole chains (a delta needs those before it), never
   * the newest chain: the next snapshot is a delta of its newest.
   */
  private oldestSnapshotChains(): number[] {
    const store = this.ctx.store;
    // Forks' keyframes (see resumePoint.ts) are not the live chain: the newest chain is the newest other one.
    const chains = store.all("SELECT chain_start AS c, COUNT(*) AS n FROM context_snapshots WHERE kind != 'fork' GROUP BY chain_start ORDER BY chain_start");
    const older = chains.slice(0, -1);
    const total = older.reduce((n, c) => n + Number(c.n), 0);
    let moved = 0;
    let upTo = -1;
    for (const c of older) {
      if (moved >= total / 2) break;
      moved += Number(c.n);
      upTo = Number(c.c);
    }
    if (upTo < 0) return [];
    return store.all('SELECT id FROM context_snapshots WHERE chain_start <= ? ORDER BY id', [upTo]).map(r => Number(r.id));
  }

  /** Segments written but never recorded: the crash came before their move was journaled. */
  async removeOrphanSegments(): Promise<void> {
    const { fs, folder, log, store } = this.ctx;
    const known = new Set(store.listSegments().map(s => s.name));
    for (const f of await listDir(fs, path.join(folder, ARCHIVE_DIR))) {
      if (known.has(f)) continue;
      log.warn(`[engine] removing unrecorded archive file ${f}`);
      await this.removeSegmentFile(f);
    }
  }

  /** A segment no longer named by the database; a failure leaves garbage, said in the log. */
  async removeSegmentFile(name: string): Promise<void> {
    await unlinkDurable(this.ctx.fs, path.join(this.ctx.folder, ARCHIVE_DIR, name))
      .catch(e => this.ctx.log.warn(`[engine] could not remove archive file ${name}: ${errText(e)}`));
  }

  private readonly foreignWarned = new Set<string>();

  /** Runs `fn` on a segment opened from disk; undefined when it cannot be read (logged). */
  async withSegment<T>(name: string, fn: (s: Store) => T): Promise<T | undefined> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readFileIfExists(this.ctx.fs, path.join(this.ctx.folder, ARCHIVE_DIR, name));
    } catch (e) {
      this.ctx.log.error(`[engine] archive segment ${name} unreadable: ${errText(e)}`);
    }
    if (!bytes) return undefined;
    const seg = Store.open(this.ctx.SQL, bytes, false);
    if (seg.foreignObjectsDropped.length && !this.foreignWarned.has(name)) {
      // Dropped in memory at every open (segments are read-only); said once a run.
      this.foreignWarned.add(name);
      this.ctx.log.warn(`[engine] archive segment ${name} held objects not of our schema, ignored: ${describeForeign(seg.foreignObjectsDropped)}`);
    }
    try {
      return fn(seg);
    } finally {
      seg.close();
    }
  }

  /** Newest first from the live database, then from archive segments while the limit is not reached. */
  async readHistory<T>(
    query: ListQuery, table: keyof SegmentIds, read: (s: Store, q: ListQuery & { limit: number; beforeId?: number }) => T[],
    idOf: (t: T) => number,
  ): Promise<T[]> {
    const limit = checkLimit(query.limit);
    const since = checkSince(query.since);
    const q = { ...query, limit, since };
    const out = read(this.ctx.store, q);
    if (out.length >= limit || query.live_only) return out;
    // Each segment holds a contiguous id range per table, older than the live rows: page by id.
    const segments = this.ctx.store.listSegments().filter(s => (s.max_ids?.[table] ?? 0) > 0)
      .sort((a, b) => b.max_ids![table] - a.max_ids![table]);
    for (const seg of segments) {
      if (since && seg.max_ts < since) continue;
      const beforeId = out.length ? idOf(out[out.length - 1]) : query.beforeId;
      const more = await this.withSegment(seg.name, s => read(s, { ...q, limit: limit - out.length, beforeId }));
      if (more) out.push(...more);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** A snapshot's full content, from the live database or the segment that holds its chain. */
  async readSnapshot(id: number): Promise<JsonObject | undefined> {
    const live = readSnapshot(this.ctx.store, id);
    if (live !== undefined) return live;
    for (const seg of this.ctx.store.listSegments()) {
      const body = await this.withSegment(seg.name, s => readSnapshot(s, id));
      if (body !== undefined) return body;
    }
    return undefined;
  }

  async findDecision(id: number): Promise<Decision | undefined> {
    const q = { limit: 1, beforeId: id + 1 };
    const hit = (ds: Decision[]) => ds.find(d => d.id === id);
    const live = hit(this.ctx.store.getDecisions(q));
    if (live) return live;
    for (const seg of this.ctx.store.listSegments()) {
      if (seg.max_ids && seg.max_ids.decision < id) continue;
      const found = await this.withSegment(seg.name, s => hit(s.getDecisions(q)));
      if (found) return found;
    }
    return undefined;
  }
}
