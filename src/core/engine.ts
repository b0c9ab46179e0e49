import { randomUUID } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { Archive } from './archive';
import { addChangeIds } from './changeIds';
import { Checkpointer, RECENT_DECISIONS_IN_CONTEXT } from './checkpointer';
import { cleanup } from './cleanup';
import { Compactor } from './compaction';
import { resolveAlertSettings, type AlertSettings } from './alertSettings';
import { resolveOptions, type EngineOptions } from './config';
import { defaultIsProcessAlive, markerOnceReleased, removeMarker, removeOwnMarkerSync, writeMarker, type MarkerInfo, type MarkerRead } from './crashMarker';
import { writeEmergency } from './emergency';
import type { EngineContext } from './engineContext';
import type { ContextEngineApi, Disposable } from './engineApi';
import { EngineClosedError, PersistenceError, SecondWriterError, ValidationError } from './errors';
import { errorText as errText } from './errorText';
import { ARCHIVE_DIR, CHECKPOINT_DIR, DB_FILE, JOURNAL_FILE } from './fileNames';
import { PersistenceHealth } from './health';
import { Journal, JOURNAL_EXTENT_BYTES } from './journal';
import { HistorySearch } from './historySearch';
import { LangGraphCheckpoints } from './langgraph';
import { newEpochId, type Epoch } from './history';
import { buildMetrics } from './metrics';
import { nodeFileSystem } from './nodeFs';
import type { BatchItemOp } from './ops';
import { silentLogger, systemClock } from './ports';
import { loadState, type LoadOutcome } from './recoveryChain';
import { buildReport, changesSince, latestRecoveryReport, listRecoveryReports, writeReport } from './recoveryReport';
import { renderRecoveryReport } from './reportMarkdown';
import { ResumePoints, type ResumeCloser } from './resumePoint';
import { type ApplyResult, changesOf } from './store';
import { IntakeLog, type SpoolResult } from './intake';
import type { SearchCandidate } from './searchText';
import { iso } from './time';
import type {
  Agent, AgentUpdate, Alert, BatchEvent, BatchResult, ChangeEvent, ChangeKind, CheckpointInfo, CheckpointResult, CleanupResult,
  ContextView, Decision, DecisionInput, EngineMetrics, EngineStatus, Json, JsonObject, ListQuery, Message, MessageInput,
  ChangesSince, RecoveryReport, ResumePoint, ResumePointInfo, SnapshotKind, Span, SpanInput, SpanQuery, SpanWriteResult, Task, TaskEvent, TaskStatus, TaskUpdate, TokenUsage,
} from './types';
import {
  checkAgentUpdate, checkBatch, checkCleanupDays, checkContext, checkDecision, checkId, checkLabel, checkLimit, checkMessage,
  checkSpans, checkTaskUpdate,
} from './validate';
import { Watchdogs } from './watchdogs';
import { WritePath } from './writePath';

export { ARCHIVE_DIR, CHECKPOINT_DIR, DB_FILE, JOURNAL_FILE } from './fileNames';

// The engine's front: it opens a folder, wires the parts and answers the API. The parts, one job
// each: writePath (group commit), checkpointer (snapshots, recovery points), compaction (database
// file and images), archive (segments), cleanup, recoveryChain (what a start loads), recoveryReport,
// emergency (the readable copy when the disk fails), health (whether writes can be made durable).

/** Folders open in this process: a second open of the same folder is a second writer. */
const openFolders = new Set<string>();

/** Engines whose marker goes when the process exits cleanly without their close() (releaseOnCleanExit). */
const releasedOnExit = new Set<ContextEngine>();
let exitHooked = false;
function releaseOnCleanExit(engine: ContextEngine): void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', code => {
      if (code === 0) for (const e of releasedOnExit) e.releaseNow();
    });
  }
  releasedOnExit.add(engine);
}

export class ContextEngine implements ContextEngineApi {
  readonly folder: string;
  recoveryReport: RecoveryReport | undefined;
  readonly langgraph: LangGraphCheckpoints;

  private readonly ctx: EngineContext;
  private readonly health: PersistenceHealth;
  private readonly writes: WritePath;
  private readonly compactor: Compactor;
  private readonly archive: Archive;
  private readonly checkpoints: Checkpointer;
  private readonly watchdogs: Watchdogs;
  private readonly resumePoints: ResumePoints;
  private readonly history: HistorySearch;
  private epochList: readonly Epoch[] = [];
  private readonly listeners = new Set<(e: ChangeEvent) => void>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private lastRecoveryMs: number | null = null;
  private readonly intake: IntakeLog;

  private constructor(SQL: SqlJsStatic, outcome: LoadOutcome, options: EngineOptions, private readonly marker: MarkerInfo) {
    this.folder = options.folder;
    const ctx: EngineContext = {
      folder: options.folder,
      fs: options.fs ?? nodeFileSystem,
      clock: options.clock ?? systemClock,
      log: options.logger ?? silentLogger,
      SQL,
      store: outcome.store,
      settings: resolveOptions(options),
      emit: (kind, ids) => this.emit(kind, ids),
      ...(options.journalTap ? { tap: options.journalTap } : {}),
    };
    this.ctx = ctx;
    this.intake = new IntakeLog(ctx.clock, marker.started_at);
    this.health = new PersistenceHealth(ctx.log, () => this.emit('persistence', []));
    const emergency = (reason: string) => writeEmergency(ctx, this.writes.seq, reason);
    this.writes = new WritePath(ctx, new Journal(ctx.fs, path.join(ctx.folder, JOURNAL_FILE), journalExtent(ctx.settings.journalCompactBytes)), this.health, {
      isClosed: () => this.closed,
      committed: (results, ops) => {
        this.checkpoints.tracker.noteApplied(results);
        this.watchdogs.observe(ops);
        // Rows left the live database: its index is made again for those that stay.
        if (ops.some(o => o.o === 'archive' || o.o === 'cleanup')) this.history.startBackfill(() => this.closed);
        // Off the write path: the index catches up after the writes, in steps between them.
        else this.history.written(() => this.closed);
        this.emitApplied(results);
      },
      writeEmergency: emergency,
    });
    this.compactor = new Compactor(ctx, this.writes, this.health, emergency);
    this.archive = new Archive(ctx, this.writes, this.compactor);
    this.checkpoints = new Checkpointer(ctx, this.writes, this.compactor, this.archive, this.health);
    this.watchdogs = new Watchdogs(ctx, op => this.writes.submit(op, true));
    this.history = new HistorySearch(ctx, this.archive, this.writes, fn => this.checkpoints.maintain(fn));
    if (options.searchIndex === false) this.history.stop();
    this.langgraph = new LangGraphCheckpoints(ctx, op => this.writes.submit(op));
    this.resumePoints = new ResumePoints({
      ctx, writes: this.writes, archive: this.archive, serial: fn => this.checkpoints.maintain(fn), capHistory: s => this.capHistory(s),
    });
  }

  /**
   * Opens the store in `options.folder`: takes the folder (CRASH_DETECTED marker), loads the
   * database, replays the journal and, when the last run crashed, writes a recovery report.
   */
  static async open(options: EngineOptions): Promise<ContextEngine> {
    const folder = path.resolve(options.folder);
    const fs = options.fs ?? nodeFileSystem;
    const clock = options.clock ?? systemClock;
    const log = options.logger ?? silentLogger;
    const t0 = performance.now();
    const pid = options.pid ?? process.pid;
    const host = options.hostname ?? os.hostname();
    if (openFolders.has(folder)) throw new SecondWriterError(folder, { pid, host, started_at: 'earlier in this process' });
    await fs.mkdir(folder);
    await fs.mkdir(path.join(folder, CHECKPOINT_DIR));
    await fs.mkdir(path.join(folder, ARCHIVE_DIR));
    // A new folder's own name must survive a power cut, like every file created in it.
    await fs.syncDir(path.dirname(folder));

    const isAlive = options.isProcessAlive ?? defaultIsProcessAlive;
    const heldHere = (m: MarkerRead) => m.kind === 'present' && m.info.host === host && m.info.pid !== pid && isAlive(m.info.pid);
    const found = await markerOnceReleased(fs, folder, heldHere, options.ownerWaitMs ?? 0);
    let previousRun: RecoveryReport['previous_run'] = null;
    if (found.kind === 'present') {
      const other = found.info;
      // Another host's pid cannot be checked; a shared folder across hosts is not supported, so
      // a foreign marker is taken as a dead run (containers get new host names on restart).
      if (heldHere(found)) throw new SecondWriterError(folder, other);
      previousRun = { pid: other.pid, host: other.host, started_at: other.started_at };
    }
    const crashed = found.kind !== 'none';
    if (crashed) options.onRecovering?.();
    openFolders.add(folder);
    try {
      const marker: MarkerInfo = { pid, host, started_at: iso(clock.now()), session_id: randomUUID() };
      await writeMarker(fs, folder, marker);
      const SQL = await initSqlJs({ wasmBinary: options.wasmBinary as unknown as ArrayBuffer });
      const outcome = await loadState(SQL, fs, folder, log, crashed, await options.journalTap?.highestSeq?.() ?? 0);
      const engine = new ContextEngine(SQL, outcome, { ...options, folder }, marker);
      await engine.start(outcome, crashed, previousRun, t0);
      if (options.releaseOnCleanExit && !options.fs) releaseOnCleanExit(engine);
      return engine;
    } catch (e) {
      openFolders.delete(folder);
      throw e;
    }
  }

  private async start(outcome: LoadOutcome, crashed: boolean, previousRun: RecoveryReport['previous_run'], t0: number): Promise<void> {
    const { store, fs, folder, log } = this.ctx;
    // Sequence numbers are never reused within a folder, even when the loaded state is older.
    this.writes.seq = Math.max(outcome.lastSeq, outcome.highestSeen);
    this.epochList = store.epochs();
    this.checkpoints.resetTracker(outcome.steps);
    const migratedFrom = store.migratedFrom;
    if (migratedFrom !== undefined) {
      // Recovery points of schema 1 each named a whole database copy; those copies are now just images.
      store.run('UPDATE checkpoints SET file = NULL WHERE file IS NOT NULL');
      outcome.steps.push({ step: `migrate schema ${migratedFrom} to 2`, ok: true, detail: 'snapshots become chains of deltas; database copies under checkpoints/ become rotated images' });
    }
    this.writes.eventsTotal = Number(store.getMeta('events_total') ?? 0) + outcome.replayed;
    this.archive.recount();
    if (outcome.loadedFrom === 'database') await this.archive.removeOrphanSegments();
    await this.writes.journal.open(outcome.journalEnd);
    // journal.jsonl may have just been created (and checkpoints/, archive/): make the names durable.
    await fs.syncDir(folder);
    // A whole journal replayed stays as it is, new records follow it (a second crash replays it
    // again, to the same state) and the next compaction folds it: writing the database now would
    // double the time to recover. A torn tail, a corrupt line or a record that failed is cut by a
    // fold before anything is appended; so is a state loaded from elsewhere, migrated or cleaned, and
    // a journal with no database file yet.
    const loadedElsewhere = outcome.loadedFrom !== 'database' && outcome.loadedFrom !== 'empty';
    // A database that held objects not ours is written out without them, and reported.
    const tampered = outcome.foreignObjectsDropped.length > 0;
    const noDatabaseYet = outcome.loadedFrom === 'empty' && outcome.journalHadContent;
    if (outcome.journalNeedsFold || noDatabaseYet || migratedFrom !== undefined || loadedElsewhere || tampered || outcome.fork !== undefined) {
      const ok = await this.compactor.compactNow();
      outcome.steps.push({ step: 'fold journal into database', ok, detail: ok ? `database written (${this.compactor.dbBytes} bytes), journal emptied` : `could not write the database: ${this.health.reason}` });
    } else {
      if (outcome.journalHadContent) outcome.steps.push({ step: 'keep journal', ok: true, detail: `the ${outcome.replayed} records replayed stay in the journal until the next compaction folds them; new records follow them` });
      this.compactor.dbBytes = await this.fileSize(path.join(folder, DB_FILE));
    }
    // Images beyond the retention (a migrated folder may hold hundreds of whole copies) go soon,
    // after any image the fold queued: the store is usable meanwhile.
    await this.compactor.measureImages();
    void this.compactor.inImageQueue(async () => {
      await this.compactor.pruneImagesNow();
      await this.compactor.measureImages();
    });
    // A new history is recorded before anything is written in it.
    if (outcome.fork !== undefined) {
      const e = await this.forkHistory(this.writes.seq, outcome.fork);
      outcome.steps.push({ step: 'start a new history', ok: true, detail: `${outcome.fork}: records after ${e.after} belong to history ${e.id}` });
    }
    if (crashed || outcome.lost.length > 0 || loadedElsewhere || tampered || outcome.fork !== undefined) {
      const report = buildReport(this.ctx, 'crash', outcome, previousRun, performance.now() - t0);
      // Kept in memory (and served) even when the disk refused it; the log says so.
      await writeReport(this.ctx, report);
      this.recoveryReport = report;
      this.lastRecoveryMs = report.duration_ms;
      log.warn(`[engine] recovered from a crash in ${report.duration_ms.toFixed(1)} ms; report ${report.file}`);
    }
    if (!this.closed) {
      this.checkpoints.startTimer();
      this.watchdogs.start();
      this.history.startBackfill(() => this.closed);
    }
  }

  // ---- writes -----------------------------------------------------------------------------------

  async updateTaskProgress(taskId: string, update: TaskUpdate): Promise<Task> {
    const id = checkId('task_id', taskId);
    const u = checkTaskUpdate(update);
    await this.writes.submit({ o: 'task', t: this.ctx.clock.now(), id, u });
    return copyTask(this.ctx.store.getTask(id)!);
  }

  async logDecision(input: DecisionInput): Promise<Decision> {
    const d = checkDecision(input);
    const id = ++this.ctx.store.counters.decision;
    const t = this.ctx.clock.now();
    await this.writes.submit({ o: 'decision', t, id, d });
    return { id, ts: iso(t), decision_type: d.decision_type, context: d.context, decision: d.decision, reasoning: d.reasoning,
      outcome: d.outcome ?? null, agent_id: d.agent_id ?? null, task_id: d.task_id ?? null };
  }

  async updateAgentState(agentId: string, update: AgentUpdate): Promise<Agent> {
    const id = checkId('agent_id', agentId);
    const u = checkAgentUpdate(update);
    await this.writes.submit({ o: 'agent', t: this.ctx.clock.now(), id, u });
    return this.getAgent(id)!;
  }

  async logAgentMessage(input: MessageInput): Promise<Message> {
    const d = checkMessage(input);
    const id = ++this.ctx.store.counters.message;
    const t = this.ctx.clock.now();
    await this.writes.submit({ o: 'message', t, id, d });
    return { id, ts: iso(t), ...d };
  }

  async updateContext(state: JsonObject): Promise<JsonObject> {
    const d = this.capHistory(checkContext(state));
    await this.writes.submit({ o: 'context', t: this.ctx.clock.now(), d });
    return d;
  }

  async writeBatch(events: BatchEvent[]): Promise<BatchResult> {
    const t = this.ctx.clock.now();
    const items = this.batchItems(checkBatch(events), t);
    const r = await this.writes.submit({ o: 'batch', t, items });
    return { accepted: items.length - (r.duplicates ?? 0), duplicates: r.duplicates ?? 0 };
  }

  async writeSpans(spans: SpanInput[], derived: BatchEvent[]): Promise<SpanWriteResult> {
    const checked = checkSpans(spans);
    const t = this.ctx.clock.now();
    const items = this.batchItems(checkBatch(derived), t);
    const counters = this.ctx.store.counters;
    const r = await this.writes.submit({ o: 'spans', t, spans: checked.map(s => ({ ...s, id: ++counters.span })), items });
    return { spans: checked.length, events: items.length - (r.duplicates ?? 0) };
  }

  private batchItems(checked: BatchEvent[], t: number): BatchItemOp[] {
    const counters = this.ctx.store.counters;
    return checked.map((ev): BatchItemOp => {
      const { event_id, ts, ...e } = ev;
      const base = event_id === undefined ? {} : { event_id };
      // An event that happened earlier (a spooled one) keeps its own time.
      const at = ts === undefined ? t : Date.parse(ts);
      switch (e.type) {
        case 'task': { const { type: _, task_id, ...u } = e; return { ...base, o: 'task', t: at, id: task_id, u }; }
        case 'agent': { const { type: _, agent_id, ...u } = e; return { ...base, o: 'agent', t: at, id: agent_id, u }; }
        case 'decision': { const { type: _, ...d } = e; return { ...base, o: 'decision', t: at, id: ++counters.decision, d }; }
        case 'message': { const { type: _, ...d } = e; return { ...base, o: 'message', t: at, id: ++counters.message, d }; }
        case 'context': return { ...base, o: 'context', t: at, d: this.capHistory(e.context) };
      }
    });
  }

  private capHistory(state: JsonObject): JsonObject {
    const h = state.conversation_history;
    const max = this.ctx.settings.historySize;
    if (Array.isArray(h) && h.length > max) return { ...state, conversation_history: h.slice(-max) };
    return state;
  }

  // ---- checkpoints and maintenance --------------------------------------------------------------

  autoCheckpoint(kind: SnapshotKind = 'auto'): Promise<CheckpointResult | undefined> {
    return this.checkpoints.autoCheckpoint(kind);
  }

  /** Folds the journal into the database file now; false when the database could not be written. */
  compact(): Promise<boolean> {
    if (this.closed) return Promise.reject(new EngineClosedError());
    return this.compactor.compact();
  }

  async checkpoint(label?: string): Promise<CheckpointResult> {
    checkLabel('label', label);
    return this.recoveryPoint('manual', label ?? null);
  }

  async markRecoveryPoint(label: string): Promise<CheckpointResult> {
    checkId('label', label);
    return this.recoveryPoint('recovery', label);
  }

  private recoveryPoint(kind: SnapshotKind, label: string | null): Promise<CheckpointResult> {
    if (this.closed) return Promise.reject(new EngineClosedError());
    return this.checkpoints.recoveryPoint(kind, label);
  }

  // ---- resume and fork (resumePoint.ts) ---------------------------------------------------------

  /** `{ checkpoint_id, state? }`: records a fork of that checkpoint (state replaced when given) and makes it the pending resume point. */
  setResumePoint(input: { checkpoint_id: number; state?: JsonObject }): Promise<ResumePointInfo> {
    if (this.closed) return Promise.reject(new EngineClosedError());
    return this.resumePoints.set(input);
  }

  /** A resume point at the newest recovery point (a recovery point or a manual checkpoint). */
  resumeFromLastRecoveryPoint(): Promise<ResumePointInfo> {
    if (this.closed) return Promise.reject(new EngineClosedError());
    return this.resumePoints.fromLastRecoveryPoint();
  }

  /** Ends the pending resume point: restored by the orchestrator, or cancelled by the user. */
  clearResumePoint(by: ResumeCloser, resumePointId?: number): Promise<ResumePointInfo> {
    if (this.closed) return Promise.reject(new EngineClosedError());
    return this.resumePoints.clear(by, resumePointId);
  }

  /** The pending resume point without its context; undefined when none. */
  getPendingResumePoint(): ResumePointInfo | undefined {
    return this.resumePoints.pending();
  }

  /** The pending resume point with the context it restores; undefined when none. */
  getResumePoint(): Promise<ResumePoint | undefined> {
    return this.resumePoints.get();
  }

  /** What a starting orchestrator restores (GET /context): the pending resume point's context, else the live one. */
  getRestoreContext(): Promise<ContextView> {
    return this.resumePoints.restoreView(() => this.getContext());
  }

  /** The checkpoint "Resume from the Last Recovery Point" would use; undefined when there is none. */
  getLastRecoveryPointId(): number | undefined {
    return this.resumePoints.lastRecoveryPointId();
  }

  async cleanup(options: { olderThanDays: number; dryRun?: boolean }): Promise<CleanupResult> {
    const days = checkCleanupDays('older_than_days', options?.olderThanDays);
    if (this.closed) throw new EngineClosedError();
    return this.checkpoints.maintain(() => cleanup(this.ctx, { writes: this.writes, archive: this.archive, compactor: this.compactor }, days, options.dryRun === true));
  }

  /** Changes the automatic checkpoint period (0 stops it); the settings UI calls this. */
  setCheckpointInterval(ms: number): void {
    this.ctx.settings.checkpointIntervalMs = ms;
    if (!this.closed) {
      this.checkpoints.startTimer();
      this.watchdogs.start();
    }
  }

  /** Settings that change while running (the extension's configuration). */
  setStaleAfterMs(ms: number): void {
    if (!(ms > 0)) throw new ValidationError('staleAfterMs', 'must be a positive number');
    this.ctx.settings.staleAfterMs = ms;
  }

  setHistorySize(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new ValidationError('historySize', 'must be a positive integer');
    this.ctx.settings.historySize = n;
  }

  setImageRetention(retention: { count: number; bytes: number }): void {
    if (!Number.isInteger(retention.count) || retention.count < 1) throw new ValidationError('imageCount', 'must be an integer of at least 1');
    if (!(retention.bytes > 0)) throw new ValidationError('imageBytes', 'must be a positive number');
    if (!this.closed) this.compactor.setRetention(retention);
  }

  /** New watchdog thresholds (unset fields keep their defaults); ValidationError names a bad one. */
  async setAlertSettings(settings: Partial<AlertSettings>): Promise<void> {
    const next = resolveAlertSettings(settings);
    if (!this.closed) await this.watchdogs.configure(next);
  }

  // ---- alerts -----------------------------------------------------------------------------------

  /** Newest first; `active` alone when asked (GET /alerts?active=true). */
  getAlerts(query: { active?: boolean; limit?: number } = {}): Alert[] {
    return this.watchdogs.list(query.active === true, checkLimit(query.limit ?? 100));
  }

  /** Dismisses an alert (durable when it resolves); undefined for an unknown id. */
  dismissAlert(id: number): Promise<Alert | undefined> {
    if (this.closed) return Promise.reject(new EngineClosedError());
    return this.watchdogs.dismiss(id);
  }

  /** Runs the time-based watchdogs now (their timer does every few seconds). */
  checkAlerts(): void {
    this.watchdogs.check();
  }

  // ---- reads ------------------------------------------------------------------------------------

  /** The store's histories, oldest first (history.ts); records after an epoch's `after` are its own. */
  get epochs(): readonly Epoch[] {
    return this.epochList;
  }

  /**
   * Starts a new history after record `after`: later records get a new identity. Team mode calls
   * it when PostgreSQL holds other content under this history's keys (a restored or copied folder).
   */
  async forkHistory(after: number, reason: string): Promise<Epoch> {
    const id = newEpochId();
    const t = this.ctx.clock.now();
    await this.writes.submit({ o: 'epoch', t, id, after, reason });
    const e: Epoch = { id, after, at: iso(t), reason };
    this.epochList = [...this.epochList, e];
    this.ctx.log.warn(`[engine] a new history starts after record ${after}: ${reason}`);
    return e;
  }

  /** Team mode's replication stalled or set records aside: an alert while it lasts (`message` undefined ends it). */
  teamCondition(id: 'stalled' | 'set_aside', message: string | undefined, detail: JsonObject = {}): void {
    this.watchdogs.external('replication', { type: 'team', id }, message, detail);
  }

  /** Sequence of the last journal record written (team mode's replication target). */
  get journalSeq(): number {
    return this.writes.seq;
  }

  get journalFile(): string {
    return this.writes.journal.file;
  }

  /** The staleness threshold now (team mode judges other origins lost by it). */
  get staleAfterMs(): number {
    return this.ctx.settings.staleAfterMs;
  }

  getStatus(): EngineStatus {
    return {
      session_id: this.marker.session_id,
      started_at: this.marker.started_at,
      last_checkpoint_at: this.checkpoints.lastAt,
      checkpoint_count: this.checkpoints.count,
      recovered_from_crash: this.recoveryReport !== undefined,
      storage_path: this.folder,
      persistence: this.health.degraded ? 'degraded' : 'ok',
      persistence_error: this.health.reason,
      counts: this.ctx.store.counts(),
      since_start: this.intake.summary(),
    };
  }

  getMetrics(): EngineMetrics {
    return buildMetrics(this.ctx, {
      checkpointDurations: this.checkpoints.durations,
      checkpointCount: this.checkpoints.count,
      compaction: this.compactor.stats,
      storage: { database: this.compactor.dbBytes, journal: this.writes.journal.fileBytes, images: this.compactor.imageBytes, archive: this.archive.bytes },
      journalRecords: this.writes.journal.size,
      eventsTotal: this.writes.eventsTotal,
      dedupHits: this.checkpoints.dedupHits,
      lastRecoveryMs: this.lastRecoveryMs,
    });
  }

  getTasks(filter?: { status?: TaskStatus }): Task[] {
    return this.ctx.store.getTasks(filter?.status);
  }

  getTask(taskId: string): Task | undefined {
    const t = this.ctx.store.getTask(taskId);
    return t && copyTask(t);
  }

  getTaskEvents(taskId: string, limit = 100): TaskEvent[] {
    return this.ctx.store.getTaskEvents(taskId, checkLimit(limit));
  }

  getAgents(): Agent[] {
    return this.ctx.store.getAgents(this.ctx.clock.now(), this.ctx.settings.staleAfterMs);
  }

  getAgent(agentId: string): Agent | undefined {
    return this.ctx.store.getAgent(agentId, this.ctx.clock.now(), this.ctx.settings.staleAfterMs);
  }

  getDecisions(query: ListQuery = {}): Promise<Decision[]> {
    return this.archive.readHistory(query, 'decision', (s, q) => s.getDecisions(q), d => d.id);
  }

  getDecision(id: number): Promise<Decision | undefined> {
    return this.archive.findDecision(id);
  }

  getMessages(query: ListQuery = {}): Promise<Message[]> {
    return this.archive.readHistory(query, 'message', (s, q) => s.getMessages(q), m => m.id);
  }

  getSpans(query: SpanQuery = {}): Promise<Span[]> {
    return this.archive.readHistory(query, 'span', (s, q) => s.getSpans(q), x => x.id);
  }

  /** Decisions, messages and spans holding every word of `q`, live and archived, newest first per kind. */
  searchHistory(q: string, cap?: number): Promise<SearchCandidate[]> {
    return this.history.find(q, cap);
  }

  /** Resolves once the search index covers every row written so far, after its catch-up delay (or its build stopped). */
  searchIndexBuilt(): Promise<void> {
    return this.history.caughtUp();
  }

  /** Live rows not in the search index yet, per kind (written since its last catch-up). */
  searchIndexTrailing(): Record<string, number> {
    return this.history.trailing();
  }

  getTokenUsage(): { agents: Record<string, TokenUsage>; tasks: Record<string, TokenUsage> } {
    return { agents: this.ctx.store.tokenUsage('agent_id'), tasks: this.ctx.store.tokenUsage('task_id') };
  }

  getContext(): ContextView {
    const store = this.ctx.store;
    const { state, updated_at } = store.getState();
    return {
      state,
      tasks: store.getTasks(),
      agents: this.getAgents(),
      recent_decisions: store.getDecisions({ limit: RECENT_DECISIONS_IN_CONTEXT }),
      updated_at,
    };
  }

  getConversationHistory(limit = 50): Json[] {
    const n = checkLimit(limit);
    const h = this.ctx.store.getState().state.conversation_history;
    return Array.isArray(h) ? h.slice(-n) : [];
  }

  listCheckpoints(limit = 100): CheckpointInfo[] {
    return this.ctx.store.listCheckpoints(checkLimit(limit));
  }

  /** The full state at a checkpoint, rebuilt from its snapshot's chain in the live database or a segment. */
  async getCheckpointSnapshot(checkpointId: number): Promise<JsonObject | undefined> {
    const cp = this.ctx.store.getCheckpoint(checkpointId);
    return cp && this.archive.readSnapshot(cp.snapshot_id);
  }

  /** The newest report of a crash; an analysis asked for later never hides it. Else the newest analysis. */
  getLatestRecoveryReport(): Promise<RecoveryReport | undefined> {
    return latestRecoveryReport(this.ctx);
  }

  listRecoveryReports(limit = 10): Promise<RecoveryReport[]> {
    return listRecoveryReports(this.ctx, checkLimit(limit, 'limit', 10, 1000));
  }

  renderRecoveryReport(report: RecoveryReport): string {
    return renderRecoveryReport(report);
  }

  /** Runs the recovery analysis on the live state and writes it; refuses when the report could not be written. */
  async analyzeRecovery(): Promise<RecoveryReport> {
    const t0 = performance.now();
    const input = { loadedFrom: 'live' as const, steps: [{ step: 'analyse the live state', ok: true, detail: 'no load needed; the engine is running' }], lost: [], replayed: 0 };
    const report = buildReport(this.ctx, 'manual', input, null, performance.now() - t0);
    if (!(await writeReport(this.ctx, report))) throw new PersistenceError(`the recovery report ${report.file} could not be written (see the log)`);
    this.emit('recovery', [report.file]);
    return report;
  }

  changesSince(report: RecoveryReport): ChangesSince | undefined {
    return changesSince(this.ctx, report);
  }

  async noteSpoolIntake(result: SpoolResult): Promise<void> {
    this.intake.spoolAtStart(result);
    const report = this.recoveryReport;
    if (!report) return;
    // The crash report was written before the server took the spool in: add what came of it.
    report.spool_intake = { ...result };
    if (await writeReport(this.ctx, report)) this.emit('recovery', [report.file]);
  }

  noteClientWrite(client: string | undefined, spooled?: BatchResult): void {
    this.intake.write(client, spooled);
  }

  async exportAll(): Promise<JsonObject> {
    return {
      exported_at: iso(this.ctx.clock.now()),
      status: this.getStatus() as unknown as Json,
      context: this.getContext() as unknown as Json,
      decisions: (await this.getDecisions({ limit: 10_000 })) as unknown as Json,
      messages: (await this.getMessages({ limit: 10_000 })) as unknown as Json,
      checkpoints: this.listCheckpoints(10_000) as unknown as Json,
      // What arrived over OTLP, newest first.
      spans: (await this.getSpans({ limit: 10_000 })) as unknown as Json,
    };
  }

  // ---- events and lifecycle ---------------------------------------------------------------------

  onDidChange(listener: (event: ChangeEvent) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private emitApplied(results: ApplyResult[]): void {
    if (this.listeners.size === 0) return;
    const byKind = new Map<ChangeKind, Set<string>>();
    for (const r of results) for (const [k, ids] of changesOf(r)) addChangeIds(byKind, k as ChangeKind, ids);
    byKind.forEach((ids, kind) => this.emit(kind, [...ids]));
  }

  private emit(kind: ChangeKind, ids: string[]): void {
    const event: ChangeEvent = { kind, ids, at: iso(this.ctx.clock.now()) };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        this.ctx.log.error(`[engine] change listener failed: ${(e as Error).stack ?? e}`);
      }
    }
  }

  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  /**
   * The last resort of a process exiting cleanly before close() finished: the marker goes, when it
   * is still this run's and the store is healthy. Every acknowledged write is in the journal
   * (flushed before it was acknowledged), so the next open replays it all and reports no crash.
   */
  releaseNow(): boolean {
    releasedOnExit.delete(this);
    if (this.health.degraded) return false;
    return removeOwnMarkerSync(this.folder, this.marker.session_id);
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    this.checkpoints.stopTimer();
    const { fs, folder, log, store } = this.ctx;
    try {
      this.history.stop();
      await this.history.backfillDone();
      await this.watchdogs.stop();
      await this.checkpoints.autoCheckpoint('shutdown');
      const ok = await this.compactor.compact();
      await this.checkpoints.idle();
      await this.writes.idle();
      await this.compactor.idle();
      await this.writes.journal.close();
      // Without a durable database the marker stays, so the next open replays and reports.
      if (ok) await removeMarker(fs, folder);
    } catch (e) {
      log.error(`[engine] clean shutdown failed: ${errText(e)}; the next start will recover from the journal`);
    } finally {
      store.close();
      openFolders.delete(this.folder);
      releasedOnExit.delete(this);
      this.listeners.clear();
    }
  }

  private async fileSize(file: string): Promise<number> {
    try {
      return (await this.ctx.fs.stat(file)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.ctx.log.warn(`[engine] could not read the size of ${file}: ${errText(e)}`);
      return 0;
    }
  }
}

/** Callers may change what they get; the store's cached task must stay as stored. */
function copyTask(t: Task): Task {
  return structuredClone(t);
}

/** Zeros written ahead of the journal's records: less where the journal is folded sooner (tests). */
function journalExtent(compactBytes: number): number {
  return Math.max(4096, Math.min(JOURNAL_EXTENT_BYTES, compactBytes));
}
