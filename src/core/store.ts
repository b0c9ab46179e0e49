import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import { addChangeIds } from './changeIds';
import type { ArchiveOp, BatchItemOp, CleanupOp, JournalOp, ResumeClearOp, ResumePointOp, SegmentIds, SegmentInfo } from './ops';
import { ADDED_COLUMNS, CHAIN_INDEX, HISTORY_SCHEMA, LIVE_SCHEMA, SCHEMA_VERSION } from './schema';
import { applyLangGraph, deleteLangGraphOlderThan } from './langgraph/apply';
import { setOwn } from './ownKeys';
import { dropForeignObjects, type ForeignObject } from './schemaGuard';
import { openIndex, resetIndex, SEGMENTS_INDEXED } from './searchIndex';
import { parseEpochs, type Epoch } from './history';
import { listWhere, parseJson as parse, toAgent, toAlert, toCheckpoint, toDecision, toMessage, toSpan, toTask, type Row } from './rows';

import { iso } from './time';
import type {
  Agent, AgentUpdate, Alert, CheckpointInfo, Decision, JsonObject, ListQuery, Message, Span, SpanInput, SpanQuery, Task, TaskEvent,
  TaskStatus, TaskUpdate, TokenUsage,
} from './types';

type Params = SqlValue[] | Record<string, SqlValue>;


export interface IdCounters {
  span: number;
  decision: number;
  message: number;
  task_event: number;
  snapshot: number;
  checkpoint: number;
}

export interface ApplyResult {
  kind: 'task' | 'agent' | 'decision' | 'message' | 'context' | 'checkpoint' | 'cleanup' | 'batch' | 'alert' | 'langgraph';
  ids: string[];
  /** For batches: entries skipped as already ingested. */
  duplicates?: number;
  /** For batches: the kinds touched, so listeners hear of each. */
  touched?: Map<string, Set<string>>;
}

/**
 * A sql.js database: the live one (all tables) or an archive segment (history tables only).
 * `applyOp` is the single place where a journal op changes state, used both live and in replay.
 */
export class Store {
  private readonly stmts = new Map<string, Statement>();
  counters: IdCounters = { span: 0, decision: 0, message: 0, task_event: 0, snapshot: 0, checkpoint: 0 };

  /** The schema version the file had when opened, when it was older than this one. */
  migratedFrom: number | undefined;

  /** Triggers, views and objects not of our schema that the file held, dropped at open. */
  foreignObjectsDropped: ForeignObject[] = [];

  private constructor(readonly db: Database, readonly live: boolean) {}

  static open(SQL: SqlJsStatic, bytes: Uint8Array | undefined, live = true): Store {
    const db = new SQL.Database(bytes);
    try {
      const store = new Store(db, live);
      if (bytes) store.foreignObjectsDropped = dropForeignObjects(SQL, db, live, l => Store.open(SQL, undefined, l));
      // Pages that archiving frees are given back (incremental_vacuum), so the file stays under its
      // cap; this must be set before the first table exists.
      if (live && !bytes) db.exec('PRAGMA auto_vacuum = INCREMENTAL');
      // A corrupt file often opens fine and fails at its first read: read the schema now.
      db.exec(live ? LIVE_SCHEMA : HISTORY_SCHEMA);
      // The database lives in memory and durability comes from our journal: SQLite's own rollback
      // journal and syncs would only copy pages around inside the WebAssembly heap. One connection
      // ever opens the file: an exclusive lock spares every transaction the check for another
      // writer's journal (path lookups in the in-memory file system, half the CPU of a small write).
      db.exec('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA locking_mode = EXCLUSIVE');
      store.migrate();
      if (openIndex(store) && live) {
        // Segments written before the index get theirs by backfill (HistorySearch).
        if (store.scalar('SELECT COUNT(*) FROM archive_segments') === 0) store.setMeta(SEGMENTS_INDEXED, 1);
        else store.run('DELETE FROM meta WHERE k = ?', [SEGMENTS_INDEXED]);
      }
      // A file made before: converted once (a whole VACUUM), at open, before any write.
      if (live && store.scalar('PRAGMA auto_vacuum') !== 2) db.exec('PRAGMA auto_vacuum = INCREMENTAL; VACUUM');
      if (live) store.initCounters();
      return store;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /**
   * Brings a file of an older schema up to this one, in memory; the next compaction writes it out.
   * Archive segments are migrated each time they are opened (they are read-only).
   */
  private migrate(): void {
    for (const [table, cols] of Object.entries(ADDED_COLUMNS)) {
      if (!this.live && table === 'checkpoints') continue;
      const have = new Set(this.all(`PRAGMA table_info(${table})`).map(r => String(r.name)));
      for (const [name, type] of cols) {
        if (!have.has(name)) this.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
      }
    }
    // Snapshots stored whole are chains of one.
    this.exec('UPDATE context_snapshots SET chain_start = id WHERE chain_start IS NULL');
    this.exec(CHAIN_INDEX);
    if (!this.live) return;
    const version = Number(this.getMeta('schema_version') ?? SCHEMA_VERSION);
    if (version < SCHEMA_VERSION) {
      this.migratedFrom = version;
      this.exec(`UPDATE checkpoints SET content_hash = (SELECT s.content_hash FROM context_snapshots s WHERE s.id = checkpoints.snapshot_id),
        size = (SELECT s.size FROM context_snapshots s WHERE s.id = checkpoints.snapshot_id) WHERE content_hash IS NULL`);
      this.setMeta('schema_version', SCHEMA_VERSION);
    }
  }

  close(): void {
    for (const s of this.stmts.values()) s.free();
    this.stmts.clear();
    this.columnNames.clear();
    this.db.close();
  }

  private stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  all(sql: string, params?: Params): Row[] {
    const s = this.stmt(sql);
    try {
      if (params) s.bind(params);
      const rows: Row[] = [];
      let cols: string[] | undefined;
      while (s.step()) {
        // getAsObject asks the WebAssembly side for every column name on every row: ask once.
        cols ??= this.columns(sql, s);
        const values = s.get();
        const row: Row = {};
        for (let i = 0; i < cols.length; i++) row[cols[i]] = values[i];
        rows.push(row);
      }
      return rows;
    } finally {
      s.reset();
    }
  }

  private readonly columnNames = new Map<string, string[]>();

  private columns(sql: string, s: Statement): string[] {
    let cols = this.columnNames.get(sql);
    if (!cols) this.columnNames.set(sql, (cols = s.getColumnNames()));
    return cols;
  }

  get(sql: string, params?: Params): Row | undefined {
    return this.all(sql, params)[0];
  }

  run(sql: string, params?: Params): void {
    this.stmt(sql).run(params);
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  scalar(sql: string, params?: Params): number {
    const r = this.get(sql, params);
    return r ? Number(Object.values(r)[0] ?? 0) : 0;
  }

  getMeta(k: string): string | undefined {
    const r = this.get('SELECT v FROM meta WHERE k = ?', [k]);
    return r ? String(r.v) : undefined;
  }

  setMeta(k: string, v: string | number): void {
    this.run('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)', [k, String(v)]);
  }

  /** Bytes the database occupies, less free pages (what an archive move can win back). */
  usedBytes(): number {
    return (this.scalar('PRAGMA page_count') - this.scalar('PRAGMA freelist_count')) * this.scalar('PRAGMA page_size');
  }

  /** Gives back up to `pages` free pages; returns how many are left. */
  vacuumStep(pages: number): number {
    this.exec(`PRAGMA incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
    return this.scalar('PRAGMA freelist_count');
  }

  totalBytes(): number {
    return this.scalar('PRAGMA page_count') * this.scalar('PRAGMA page_size');
  }

  /** Keeps the id high-water marks in the image, so ids are never reused after the newest rows are deleted. */
  saveCounters(): void {
    for (const [k, v] of Object.entries(this.counters)) {
      if (k !== 'checkpoint') this.setMeta(`hw_${k}`, Math.max(Number(this.getMeta(`hw_${k}`) ?? 0), v));
    }
  }

  /** The histories of this store, oldest first (history.ts). */
  epochs(): Epoch[] {
    return parseEpochs(this.getMeta('epochs'));
  }

  maxIds(): SegmentIds {
    return {
      decision: this.scalar('SELECT COALESCE(MAX(id), 0) FROM decision_log'),
      message: this.scalar('SELECT COALESCE(MAX(id), 0) FROM agent_coordination'),
      task_event: this.scalar('SELECT COALESCE(MAX(id), 0) FROM task_events'),
      span: this.scalar('SELECT COALESCE(MAX(id), 0) FROM spans'),
    };
  }

  private initCounters(): void {
    const hw = (k: string) => Number(this.getMeta(`hw_${k}`) ?? 0);
    this.counters = {
      span: Math.max(this.scalar('SELECT MAX(id) FROM spans'), hw('span')),
      decision: Math.max(this.scalar('SELECT MAX(id) FROM decision_log'), hw('decision')),
      message: Math.max(this.scalar('SELECT MAX(id) FROM agent_coordination'), hw('message')),
      task_event: Math.max(this.scalar('SELECT MAX(id) FROM task_events'), hw('task_event')),
      snapshot: Math.max(this.scalar('SELECT MAX(id) FROM context_snapshots'), hw('snapshot')),
      checkpoint: Math.max(this.scalar('SELECT MAX(id) FROM checkpoints'), hw('checkpoint')),
    };
  }

  // ---- applying journal ops -------------------------------------------------------------------

  applyOp(op: JournalOp): ApplyResult {
    switch (op.o) {
      case 'task': return this.applyTask(op.t, op.id, op.u);
      case 'agent': return this.applyAgent(op.t, op.id, op.u);
      case 'decision':
        this.run(
          'INSERT INTO decision_log (id, ts, decision_type, context, decision, reasoning, outcome, agent_id, task_id) VALUES (?,?,?,?,?,?,?,?,?)',
          [op.id, iso(op.t), op.d.decision_type, JSON.stringify(op.d.context), op.d.decision, op.d.reasoning,
            op.d.outcome === undefined ? null : JSON.stringify(op.d.outcome), op.d.agent_id ?? null, op.d.task_id ?? null],
        );
        this.counters.decision = Math.max(this.counters.decision, op.id);
        return this.seen(op.t, [op.d.agent_id], { kind: 'decision', ids: [String(op.id)] });
      case 'message':
        this.run(
          'INSERT INTO agent_coordination (id, ts, from_agent, to_agent, message_type, content) VALUES (?,?,?,?,?,?)',
          [op.id, iso(op.t), op.d.from_agent, op.d.to_agent, op.d.message_type, JSON.stringify(op.d.content)],
        );
        this.counters.message = Math.max(this.counters.message, op.id);
        return this.seen(op.t, [op.d.from_agent], { kind: 'message', ids: [String(op.id)] });
      case 'context':
        this.run('INSERT OR REPLACE INTO orchestrator_state (id, body, updated_at) VALUES (1, ?, ?)', [JSON.stringify(op.d), iso(op.t)]);
        return { kind: 'context', ids: [] };
      case 'snapshot': {
        // Schema 1 journals carry the whole body; schema 2 a delta in a chain.
        const body = op.delta ? JSON.stringify(op.delta) : op.body ?? '{}';
        this.run(
          `INSERT INTO context_snapshots (id, created_at, kind, label, content_hash, size, body, base_id, chain_start, encoding)
           VALUES (?,?,?,?,?,?,?,?,?,?)`,
          [op.id, iso(op.t), op.kind, op.label, op.hash, op.size ?? Buffer.byteLength(body), body, op.delta?.base ?? null,
            op.delta ? op.chain_start ?? op.id : op.id, op.delta ? 'delta' : 'full'],
        );
        this.counters.snapshot = Math.max(this.counters.snapshot, op.id);
        return { kind: 'checkpoint', ids: [] };
      }
      case 'checkpoint':
        if (op.snapshot) this.applyOp(op.snapshot);
        this.run(`INSERT INTO checkpoints (id, created_at, label, kind, snapshot_id, file, content_hash, size, parent_id)
          SELECT ?,?,?,?,?,?, s.content_hash, s.size, ? FROM (SELECT 1) LEFT JOIN context_snapshots s ON s.id = ?`,
          [op.id, iso(op.t), op.label, op.kind, op.snapshot_id, op.file ?? null, op.parent_id ?? null, op.snapshot_id]);
        this.counters.checkpoint = Math.max(this.counters.checkpoint, op.id);
        return { kind: 'checkpoint', ids: [String(op.id)] };
      case 'langgraph': return { kind: 'langgraph', ids: applyLangGraph(this, op.t, op.x) };
      case 'resume_point': return this.applyResumePoint(op);
      case 'resume_clear': return this.applyResumeClear(op);
      case 'base': return { kind: 'context', ids: [] };
      case 'epoch': {
        const epochs = this.epochs();
        epochs.push({ id: op.id, after: op.after, at: iso(op.t), reason: op.reason });
        this.setMeta('epochs', JSON.stringify(epochs));
        return { kind: 'context', ids: [] };
      }
      case 'archive': return this.applyArchive(op);
      case 'cleanup': return this.applyCleanup(op);
      case 'batch': return this.applyBatch(op.t, op.items);
      case 'alert': {
        const a = op.a;
        this.run(`INSERT OR REPLACE INTO alerts (id, kind, subject_type, subject_id, message, first_seen, last_seen, count, active,
          cleared_at, cleared_by, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
        [a.id, a.kind, a.subject.type, a.subject.id, a.message, a.first_seen, a.last_seen, a.count, a.active ? 1 : 0,
          a.cleared_at, a.cleared_by, JSON.stringify(a.detail)]);
        return { kind: 'alert', ids: [String(a.id)] };
      }
      case 'spans': {
        for (const s of op.spans) this.insertSpan(op.t, s);
        const r = this.applyBatch(op.t, op.items);
        r.touched!.set('span', new Set(op.spans.map(s => s.trace_id)));
        return this.seen(op.t, op.spans.map(s => s.agent_id), r);
      }
    }
  }

  private applyTask(t: number, taskId: string, u: TaskUpdate): ApplyResult {
    const now = iso(t);
    const prev = this.getTask(taskId);
    const task: Task = {
      task_id: taskId, description: u.description ?? prev?.description ?? '', status: u.status ?? prev?.status ?? 'pending',
      // A task reported completed without a percentage is at 100 %; otherwise keep what was sent.
      percentage: u.percentage ?? (u.status === 'completed' ? 100 : prev?.percentage ?? 0),
      completed_subtasks: u.completed_subtasks ?? prev?.completed_subtasks ?? [], blockers: u.blockers ?? prev?.blockers ?? [],
      agent_id: u.agent_id !== undefined ? u.agent_id : prev?.agent_id ?? null,
      metadata: u.metadata ? { ...(prev?.metadata ?? {}), ...u.metadata } : prev?.metadata ?? {},
      created_at: prev?.created_at ?? now, updated_at: now,
    };
    this.run(
      `INSERT OR REPLACE INTO task_progress (task_id, description, status, percentage, completed_subtasks, blockers,
        agent_id, metadata, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
      [task.task_id, task.description, task.status, task.percentage, JSON.stringify(task.completed_subtasks),
        JSON.stringify(task.blockers), task.agent_id, JSON.stringify(task.metadata), task.created_at, task.updated_at],
    );
    const id = ++this.counters.task_event;
    this.run('INSERT INTO task_events (id, ts, task_id, changes) VALUES (?,?,?,?)', [id, now, taskId, JSON.stringify(u)]);
    this.cacheTask(task);
    return this.seen(t, [u.agent_id], { kind: 'task', ids: [taskId] });
  }

  /**
   * Every record an agent sends is a sign of life: its last_seen moves, inside the record being
   * applied (no journal record of its own, so a replay moves it the same way). Only agents that
   * exist; a late spooled record never moves it back; within a second it stays, so a chatty agent
   * does not repaint the Agents view on every message.
   */
  private seen(t: number, agentIds: Iterable<string | null | undefined>, r: ApplyResult): ApplyResult {
    let touched: Map<string, Set<string>> | undefined;
    for (const id of new Set(agentIds)) {
      if (!id) continue;
      // What the UPDATE below would find, known without a statement: a batch of 1,000 messages from
      // one agent would otherwise run 1,000 of them (a sixth of the batch's time).
      const known = this.lastSeen.get(id);
      if (known === null || (known !== undefined && known > t - SEEN_RESOLUTION_MS)) continue;
      this.run('UPDATE agent_states SET last_seen = ?, last_seen_ms = ? WHERE agent_id = ? AND last_seen_ms <= ?', [iso(t), t, id, t - SEEN_RESOLUTION_MS]);
      if (this.db.getRowsModified() === 0) {
        const row = this.get('SELECT last_seen_ms FROM agent_states WHERE agent_id = ?', [id]);
        this.noteLastSeen(id, row ? Number(row.last_seen_ms) : null);
        continue;
      }
      this.noteLastSeen(id, t);
      touched ??= new Map([...changesOf(r)].map(([k, ids]) => [k, new Set(ids)]));
      addChangeIds(touched, 'agent', [id]);
    }
    return touched ? { ...r, touched } : r;
  }

  /**
   * Each agent's last_seen_ms as the database holds it, or null for no such agent: follows every
   * write of it, dropped on a rollback (dropCaches). An agent deleted keeps its entry: the UPDATE
   * it spares would have found no row either.
   */
  private readonly lastSeen = new Map<string, number | null>();

  private noteLastSeen(id: string, ms: number | null): void {
    if (this.lastSeen.size >= 5000) this.lastSeen.clear();
    this.lastSeen.set(id, ms);
  }

  private applyAgent(t: number, agentId: string, u: AgentUpdate): ApplyResult {
    const now = iso(t);
    const prev = this.get('SELECT * FROM agent_states WHERE agent_id = ?', [agentId]);
    const prevMeta = prev ? parse<JsonObject>(prev.metadata, {}) : {};
    this.noteLastSeen(agentId, Math.max(t, prev ? Number(prev.last_seen_ms) : 0));
    this.run(
      `INSERT OR REPLACE INTO agent_states (agent_id, status, current_task, capabilities, metadata, first_seen, last_seen,
        last_seen_ms) VALUES (?,?,?,?,?,?,?,?)`,
      [agentId, u.status ?? (prev ? String(prev.status) : 'active'),
        u.current_task !== undefined ? u.current_task : ((prev?.current_task as string | null) ?? null),
        u.capabilities ? JSON.stringify(u.capabilities) : ((prev?.capabilities as string) ?? '[]'),
        JSON.stringify(u.metadata ? { ...prevMeta, ...u.metadata } : prevMeta),
        prev ? String(prev.first_seen) : now,
        // A spooled heartbeat that arrives late must not move last_seen back.
        prev && Number(prev.last_seen_ms) > t ? String(prev.last_seen) : now, Math.max(t, prev ? Number(prev.last_seen_ms) : 0)],
    );
    return { kind: 'agent', ids: [agentId] };
  }

  private applyBatch(t: number, items: BatchItemOp[]): ApplyResult {
    const touched = new Map<string, Set<string>>();
    let duplicates = 0;
    for (const item of items) {
      if (item.event_id !== undefined) {
        if (this.get('SELECT 1 AS x FROM ingested_events WHERE event_id = ?', [item.event_id])) {
          duplicates++;
          continue;
        }
        this.run('INSERT INTO ingested_events (event_id, ts) VALUES (?, ?)', [item.event_id, iso(t)]);
      }
      for (const [kind, ids] of changesOf(this.applyOp(item))) addChangeIds(touched, kind, ids);
    }
    return { kind: 'batch', ids: [], duplicates, touched };
  }

  private insertSpan(t: number, s: SpanInput & { id: number }): void {
    this.run(
      `INSERT OR REPLACE INTO spans (id, ts, trace_id, span_id, parent_span_id, name, kind, start_time, end_time, status,
        status_message, operation, agent_id, agent_name, conversation_id, task_id, tool_name, model, input_tokens,
        output_tokens, attributes, resource, scope) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      [s.id, iso(t), s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.start_time, s.end_time, s.status,
        s.status_message, s.operation, s.agent_id, s.agent_name, s.conversation_id, s.task_id, s.tool_name, s.model,
        s.input_tokens, s.output_tokens, JSON.stringify(s.attributes), JSON.stringify(s.resource), s.scope],
    );
    this.counters.span = Math.max(this.counters.span, s.id);
  }

  /** A resume point with its fork and decision; one pending at a time: a newer one replaces it. */
  private applyResumePoint(op: ResumePointOp): ApplyResult {
    const at = iso(op.t);
    this.run("UPDATE resume_points SET cleared_at = ?, cleared_by = 'replaced' WHERE cleared_at IS NULL", [at]);
    this.applyOp(op.checkpoint);
    this.applyOp(op.decision);
    this.run('INSERT INTO resume_points (id, created_at, checkpoint_id, parent_id, edited, cleared_at, cleared_by) VALUES (?,?,?,?,?,NULL,NULL)',
      [op.id, at, op.checkpoint.id, op.checkpoint.parent_id ?? null, op.edited ? 1 : 0]);
    return resumeTouched(op.checkpoint.id, op.decision.id, op.id);
  }

  private applyResumeClear(op: ResumeClearOp): ApplyResult {
    this.run('UPDATE resume_points SET cleared_at = ?, cleared_by = ? WHERE id = ? AND cleared_at IS NULL', [iso(op.t), op.by, op.id]);
    this.applyOp(op.decision);
    return resumeTouched(undefined, op.decision.id, op.id);
  }

  private applyArchive(op: ArchiveOp): ApplyResult {
    this.run('DELETE FROM decision_log WHERE id <= ?', [op.max.decisions]);
    this.run('DELETE FROM agent_coordination WHERE id <= ?', [op.max.messages]);
    this.run('DELETE FROM task_events WHERE id <= ?', [op.max.task_events]);
    if (op.max.spans) this.run('DELETE FROM spans WHERE id <= ?', [op.max.spans]);
    for (const id of op.snapshot_ids) this.run('DELETE FROM context_snapshots WHERE id = ?', [id]);
    this.insertSegment(op.segment);
    // The segment carries the moved rows' index terms (archive.ts); the live index is made again
    // for the rows that stay, by backfill steps.
    resetIndex(this);
    for (const [k, v] of [['decision', op.max.decisions], ['message', op.max.messages], ['task_event', op.max.task_events],
      ['snapshot', Math.max(0, ...op.snapshot_ids)], ['span', op.max.spans ?? 0]] as const) {
      this.setMeta(`hw_${k}`, Math.max(Number(this.getMeta(`hw_${k}`) ?? 0), v));
    }
    return { kind: 'cleanup', ids: [] };
  }

  private insertSegment(s: SegmentInfo): void {
    this.run(
      `INSERT OR REPLACE INTO archive_segments (name, created_at, min_ts, max_ts, decisions, messages, task_events, snapshots,
        spans, bytes, max_ids) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
      [s.name, s.created_at, s.min_ts, s.max_ts, s.decisions, s.messages, s.task_events, s.snapshots, s.spans ?? 0, s.bytes,
        JSON.stringify(s.max_ids ?? null)],
    );
  }

  private applyCleanup(op: CleanupOp): ApplyResult {
    // Cleanup may delete the newest rows of a table; the ids they had must stay used.
    this.saveCounters();
    this.setMeta('hw_checkpoint', Math.max(Number(this.getMeta('hw_checkpoint') ?? 0), this.counters.checkpoint));
    this.deleteOlderThan(op.cutoff);
    this.run("DELETE FROM checkpoints WHERE created_at < ? AND kind IN ('auto', 'shutdown')", [op.cutoff]);
    this.run('DELETE FROM ingested_events WHERE ts < ?', [op.cutoff]);
    this.run('DELETE FROM alerts WHERE active = 0 AND last_seen < ?', [op.cutoff]);
    for (const name of op.drop_segments) this.run('DELETE FROM archive_segments WHERE name = ?', [name]);
    for (const s of op.replace_segments) this.insertSegment(s);
    deleteLangGraphOlderThan(this, op.cutoff);
    return { kind: 'cleanup', ids: [] };
  }

  /**
   * History older than `cutoff`. Snapshots are kept while a kept one needs them: a snapshot is the
   * delta of those before it in its chain. Works on segments too, given the live database's kept ids.
   */
  deleteOlderThan(cutoff: string, keptSnapshots = this.keptSnapshots(cutoff)): void {
    const indexedGo = this.scalar(`SELECT EXISTS (SELECT 1 FROM decision_log WHERE ts < ?) OR EXISTS (SELECT 1 FROM agent_coordination WHERE ts < ?)
      OR EXISTS (SELECT 1 FROM spans WHERE ts < ?)`, [cutoff, cutoff, cutoff]) > 0;
    this.run('DELETE FROM decision_log WHERE ts < ?', [cutoff]);
    this.run('DELETE FROM agent_coordination WHERE ts < ?', [cutoff]);
    this.run('DELETE FROM task_events WHERE ts < ?', [cutoff]);
    this.run('DELETE FROM spans WHERE ts < ?', [cutoff]);
    for (const id of this.snapshotsToPrune(cutoff, keptSnapshots)) this.run('DELETE FROM context_snapshots WHERE id = ?', [id]);
    // Live: indexed again in steps; a segment being rewritten: at once, so it is written whole.
    if (indexedGo) resetIndex(this, !this.live);
  }

  countOlderThan(cutoff: string, keptSnapshots = this.keptSnapshots(cutoff)): { decisions: number; messages: number; task_events: number; snapshots: number; spans: number } {
    return {
      spans: this.scalar('SELECT COUNT(*) FROM spans WHERE ts < ?', [cutoff]),
      decisions: this.scalar('SELECT COUNT(*) FROM decision_log WHERE ts < ?', [cutoff]),
      messages: this.scalar('SELECT COUNT(*) FROM agent_coordination WHERE ts < ?', [cutoff]),
      task_events: this.scalar('SELECT COUNT(*) FROM task_events WHERE ts < ?', [cutoff]),
      snapshots: this.snapshotsToPrune(cutoff, keptSnapshots).length,
    };
  }

  /** Snapshots that checkpoints surviving a cleanup at `cutoff` point to, and the newest one (the next delta's base). */
  keptSnapshots(cutoff: string): Set<number> {
    const ids = this.all("SELECT snapshot_id AS id FROM checkpoints WHERE kind IN ('manual', 'recovery', 'fork') OR created_at >= ?", [cutoff]);
    const kept = new Set(ids.map(r => Number(r.id)));
    // A fork's snapshot stands apart (a keyframe of its own): the next delta's base is the newest other one.
    const newest = this.get("SELECT MAX(id) AS id FROM context_snapshots WHERE kind != 'fork'");
    if (newest?.id !== null && newest?.id !== undefined) kept.add(Number(newest.id));
    return kept;
  }

  private snapshotsToPrune(cutoff: string, kept: Set<number>): number[] {
    const rows = this.all('SELECT id, chain_start, created_at FROM context_snapshots ORDER BY id');
    // Per chain, everything up to its newest needed snapshot stays.
    const needUpTo = new Map<number, number>();
    for (const r of rows) {
      if (kept.has(Number(r.id)) || String(r.created_at) >= cutoff) needUpTo.set(Number(r.chain_start), Number(r.id));
    }
    return rows.filter(r => String(r.created_at) < cutoff && Number(r.id) > (needUpTo.get(Number(r.chain_start)) ?? -1)).map(r => Number(r.id));
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** Shared with the cache: callers outside the store get a copy (see `copyTask`). */
  getTask(taskId: string): Task | undefined {
    const hit = this.taskCache.get(taskId);
    if (hit) return hit;
    const r = this.get('SELECT * FROM task_progress WHERE task_id = ?', [taskId]);
    const t = r && toTask(r);
    if (t) this.cacheTask(t);
    return t;
  }

  // Every task update reads the task it merges into; reading it back from SQLite costs more than
  // the update itself. The cache follows each write and is dropped on any rollback.
  private readonly taskCache = new Map<string, Task>();

  private cacheTask(t: Task): void {
    if (this.taskCache.size >= 5000) this.taskCache.clear();
    this.taskCache.set(t.task_id, t);
  }

  /** After a rollback the database is the truth again. */
  dropCaches(): void {
    this.taskCache.clear();
    this.lastSeen.clear();
  }

  getTasks(status?: TaskStatus): Task[] {
    const rows = status
      ? this.all('SELECT * FROM task_progress WHERE status = ? ORDER BY updated_at DESC, task_id', [status])
      : this.all('SELECT * FROM task_progress ORDER BY updated_at DESC, task_id');
    return rows.map(toTask);
  }

  getTaskEvents(taskId: string, limit: number): TaskEvent[] {
    return this.all('SELECT * FROM task_events WHERE task_id = ? ORDER BY id DESC LIMIT ?', [taskId, limit]).map(r => ({
      id: Number(r.id), ts: String(r.ts), task_id: String(r.task_id), changes: parse(r.changes, {}),
    }));
  }

  getAgents(nowMs: number, staleAfterMs: number): Agent[] {
    return this.all(`SELECT ${AGENT_COLUMNS} FROM agent_states a ORDER BY a.agent_id`).map(r => toAgent(r, nowMs, staleAfterMs));
  }

  getAgent(agentId: string, nowMs: number, staleAfterMs: number): Agent | undefined {
    const r = this.get(`SELECT ${AGENT_COLUMNS} FROM agent_states a WHERE a.agent_id = ?`, [agentId]);
    return r && toAgent(r, nowMs, staleAfterMs);
  }

  /** Newest first, below `beforeId` when paging on from the live database into segments. */
  getDecisions(q: ListQuery & { limit: number; beforeId?: number }): Decision[] {
    const { where, params } = listWhere(q, [['agent_id', q.agent_id], ['task_id', q.task_id]]);
    return this.all(`SELECT * FROM decision_log ${where} ORDER BY id DESC LIMIT ?`, [...params, q.limit]).map(toDecision);
  }

  getMessages(q: ListQuery & { limit: number; beforeId?: number }): Message[] {
    const { where, params } = listWhere(q, [['agent', q.agent_id]]);
    return this.all(`SELECT * FROM agent_coordination ${where} ORDER BY id DESC LIMIT ?`, [...params, q.limit]).map(toMessage);
  }

  getSpans(q: SpanQuery & { limit: number; beforeId?: number; operation?: string }): Span[] {
    const { where, params } = listWhere(q, (['trace_id', 'conversation_id', 'agent_id', 'task_id', 'operation'] as const).map(k => [k, q[k]]));
    return this.all(`SELECT * FROM spans ${where} ORDER BY id DESC LIMIT ?`, [...params, q.limit]).map(toSpan);
  }

  tokenUsage(by: 'agent_id' | 'task_id'): Record<string, TokenUsage> {
    const out: Record<string, TokenUsage> = {};
    for (const r of this.all(`SELECT ${by} AS k, SUM(COALESCE(input_tokens, 0)) AS i, SUM(COALESCE(output_tokens, 0)) AS o
      FROM spans WHERE ${by} IS NOT NULL GROUP BY ${by}`)) {
      setOwn(out, String(r.k), { input_tokens: Number(r.i), output_tokens: Number(r.o) });
    }
    return out;
  }

  /** Newest first; only the active ones when asked. */
  getAlerts(activeOnly: boolean, limit: number): Alert[] {
    return (activeOnly
      ? this.all('SELECT * FROM alerts WHERE active = 1 ORDER BY id DESC LIMIT ?', [limit])
      : this.all('SELECT * FROM alerts ORDER BY id DESC LIMIT ?', [limit])).map(toAlert);
  }

  getAlert(id: number): Alert | undefined {
    const r = this.get('SELECT * FROM alerts WHERE id = ?', [id]);
    return r && toAlert(r);
  }

  getState(): { state: JsonObject; updated_at: string | null } {
    const r = this.get('SELECT body, updated_at FROM orchestrator_state WHERE id = 1');
    return r ? { state: parse<JsonObject>(r.body, {}), updated_at: String(r.updated_at) } : { state: {}, updated_at: null };
  }

  listCheckpoints(limit: number): CheckpointInfo[] {
    return this.all(
      `SELECT c.*, COALESCE(c.content_hash, s.content_hash) AS content_hash, COALESCE(c.size, s.size) AS size
       FROM checkpoints c LEFT JOIN context_snapshots s ON s.id = c.snapshot_id ORDER BY c.id DESC LIMIT ?`, [limit],
    ).map(toCheckpoint);
  }

  getCheckpoint(id: number): CheckpointInfo | undefined {
    const r = this.get(
      `SELECT c.*, COALESCE(c.content_hash, s.content_hash) AS content_hash, COALESCE(c.size, s.size) AS size
       FROM checkpoints c LEFT JOIN context_snapshots s ON s.id = c.snapshot_id WHERE c.id = ?`, [id]);
    return r && toCheckpoint(r);
  }

  listSegments(): SegmentInfo[] {
    return this.all('SELECT * FROM archive_segments ORDER BY max_ts DESC, name DESC').map(r => ({
      name: String(r.name), created_at: String(r.created_at), min_ts: String(r.min_ts), max_ts: String(r.max_ts),
      decisions: Number(r.decisions), messages: Number(r.messages), task_events: Number(r.task_events),
      snapshots: Number(r.snapshots), spans: Number(r.spans ?? 0), bytes: Number(r.bytes),
      max_ids: parse<SegmentIds | undefined>(r.max_ids, undefined) ?? undefined,
    }));
  }

  counts(): { agents: number; tasks: number; decisions: number; messages: number; snapshots: number } {
    return {
      agents: this.scalar('SELECT COUNT(*) FROM agent_states'),
      tasks: this.scalar('SELECT COUNT(*) FROM task_progress'),
      decisions: this.scalar('SELECT COUNT(*) FROM decision_log'),
      messages: this.scalar('SELECT COUNT(*) FROM agent_coordination'),
      snapshots: this.scalar('SELECT COUNT(*) FROM context_snapshots'),
    };
  }
}

/** How far an agent's last_seen must move before a record other than its own state moves it. */
const SEEN_RESOLUTION_MS = 1000;

/** An agent's row and whether it has work in progress (its assigned or current task), for toAgent. */
const AGENT_COLUMNS = `a.*, (a.agent_id IN (SELECT agent_id FROM task_progress WHERE status = 'in_progress' AND agent_id IS NOT NULL)
  OR a.current_task IN (SELECT task_id FROM task_progress WHERE status = 'in_progress')) AS working`;

/** Every kind a result changed, with its ids: a record's own, or what a batch (or a record with side effects) touched. */
export function changesOf(r: ApplyResult): Iterable<[string, Iterable<string>]> {
  return r.touched ?? [[r.kind, r.ids]];
}

function resumeTouched(checkpointId: number | undefined, decisionId: number, resumeId: number): ApplyResult {
  const m = new Map<string, Set<string>>([['decision', new Set([String(decisionId)])], ['resume', new Set([String(resumeId)])]]);
  if (checkpointId !== undefined) m.set('checkpoint', new Set([String(checkpointId)]));
  return { kind: 'batch', ids: [], touched: m };
}
