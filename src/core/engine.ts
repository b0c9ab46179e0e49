import * as os from 'os';
import * as path from 'path';
import { randomUUID } from 'crypto';
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { listDir, readFileIfExists, unlinkDurable, writeFileAtomic } from './atomicFile';
import { addChangeIds } from './changeIds';
import { DEFAULTS, type EngineOptions } from './config';
import {
  ARCHIVE_DIR, CHECKPOINT_DIR, DB_FILE, emergencyFile, isEmergencyFile, isReportFile, JOURNAL_FILE, reportFile, reportMarkdownFile,
  segmentFile,
} from './fileNames';
import { listImages, pruneImages, readImage, writeImage, type ImageRetention } from './images';
import { agentPart, SnapshotTracker, type PreparedSnapshot } from './snapshots';
import { defaultIsProcessAlive, readMarker, removeMarker, writeMarker, type MarkerInfo } from './crashMarker';
import type { ContextEngineApi, Disposable } from './engineApi';
import { EngineClosedError, PersistenceError, SecondWriterError, ValidationError } from './errors';
import { errorText as errText } from './errorText';
import { decodeJournal, encodeRecord, Journal } from './journal';
import { nodeFileSystem } from './nodeFs';
import type { ArchiveOp, BatchItemOp, CheckpointOp, CleanupOp, JournalOp, SegmentIds, SegmentInfo, SnapshotOp } from './ops';
import { silentLogger, systemClock, type Clock, type FileSystemPort, type Logger } from './ports';
import { renderRecoveryReport } from './reportMarkdown';
import { SerialQueue } from './serialQueue';
import { Store, type ApplyResult } from './store';
import { iso } from './time';
import type {
  Agent, AgentUpdate, BatchEvent, BatchResult, ChangeEvent, ChangeKind, CheckpointInfo, CheckpointResult, CleanupResult,
  ContextView, Decision, DecisionInput, EngineMetrics, EngineStatus, Json, JsonObject, ListQuery, Message, MessageInput,
  CrashFrontier, RecoveryReport, RecoveryStep, SnapshotKind, Span, SpanInput, SpanQuery, SpanWriteResult, Task, TaskEvent, TaskStatus,
  TaskUpdate, TokenUsage,
} from './types';
import {
  checkAgentUpdate, checkBatch, checkCleanupDays, checkContext, checkDecision, checkId, checkLabel, checkLimit, checkMessage,
  checkSince, checkSpans, checkTaskUpdate,
} from './validate';

export { ARCHIVE_DIR, CHECKPOINT_DIR, DB_FILE, JOURNAL_FILE } from './fileNames';
const RECENT_DECISIONS_IN_CONTEXT = 20;

/** Folders open in this process: a second open of the same folder is a second writer. */
const openFolders = new Set<string>();

interface Pending {
  op: JournalOp;
  resolve: (r: ApplyResult) => void;
  reject: (e: unknown) => void;
}

interface LoadOutcome {
  store: Store;
  loadedFrom: RecoveryReport['loaded_from'];
  steps: RecoveryStep[];
  lost: string[];
  replayed: number;
  /** The highest journal sequence applied or seen; new records continue after it. */
  lastSeq: number;
  journalHadContent: boolean;
}


export class ContextEngine implements ContextEngineApi {
  readonly folder: string;
  recoveryReport: RecoveryReport | undefined;

  private readonly fs: FileSystemPort;
  private readonly clock: Clock;
  private readonly log: Logger;
  private historySize: number;
  private staleAfterMs: number;
  private readonly liveDbLimitBytes: number;
  private readonly journalCompactBytes: number;
  private readonly journal: Journal;
  private readonly listeners = new Set<(e: ChangeEvent) => void>();

  private seq = 0;
  private eventsTotal = 0;
  private pending: Pending[] = [];
  private flushQueued = false;
  /** Serializes everything that touches the journal or exports the database. */
  private readonly ioQueue = new SerialQueue();
  /** Serializes checkpoints, archive moves and cleanup with each other. */
  private readonly maintenance = new SerialQueue();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private journalBroken = false;
  private persistenceError: string | null = null;
  private readonly startedAt: string;
  private readonly sessionId = randomUUID();
  private lastCheckpointAt: string | null = null;
  private checkpointDurations: number[] = [];
  private checkpointCount = 0;
  private compactions = { count: 0, last_ms: 0 };
  private dedupHits = 0;
  private dbBytes = 0;
  private archiveBytes = 0;
  private lastRecoveryMs: number | null = null;
  /** Size of the journal's header record: a journal this size holds nothing to fold. */
  private journalHeaderBytes = 0;
  private checkpointIntervalMs: number;
  /** Whether the current persistence failure is the journal's, which a good flush ends. */
  private journalFailing = false;
  private readonly snapshots = new SnapshotTracker();
  private imageRetention: ImageRetention;
  private imageBytes = 0;
  /** The newest compaction's bytes waiting to be imaged; only the newest is written. */
  private imagePending: { bytes: Uint8Array; seq: number } | undefined;
  /** Serializes image writes and pruning, off the io queue. */
  private readonly imageQueue = new SerialQueue();

  private constructor(
    private readonly SQL: SqlJsStatic,
    private store: Store,
    options: EngineOptions,
    private readonly marker: MarkerInfo,
  ) {
    this.folder = options.folder;
    this.fs = options.fs ?? nodeFileSystem;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.historySize = options.historySize ?? DEFAULTS.historySize;
    this.staleAfterMs = options.staleAfterMs ?? DEFAULTS.staleAfterMs;
    this.liveDbLimitBytes = options.liveDbLimitBytes ?? DEFAULTS.liveDbLimitBytes;
    this.journalCompactBytes = options.journalCompactBytes ?? DEFAULTS.journalCompactBytes;
    this.journal = new Journal(this.fs, path.join(this.folder, JOURNAL_FILE));
    this.startedAt = marker.started_at;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? DEFAULTS.checkpointIntervalMs;
    this.imageRetention = { count: options.imageCount ?? DEFAULTS.imageCount, bytes: options.imageBytes ?? DEFAULTS.imageBytes };
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
    if (openFolders.has(folder)) {
      throw new SecondWriterError(folder, { pid: options.pid ?? process.pid, host: options.hostname ?? os.hostname(), started_at: 'earlier in this process' });
    }
    await fs.mkdir(folder);
    await fs.mkdir(path.join(folder, CHECKPOINT_DIR));
    await fs.mkdir(path.join(folder, ARCHIVE_DIR));
    // A new folder's own name must survive a power cut, like every file created in it.
    await fs.syncDir(path.dirname(folder));

    const pid = options.pid ?? process.pid;
    const host = options.hostname ?? os.hostname();
    const isAlive = options.isProcessAlive ?? defaultIsProcessAlive;
    const found = await readMarker(fs, folder);
    let previousRun: RecoveryReport['previous_run'] = null;
    if (found.kind === 'present') {
      const other = found.info;
      // Another host's pid cannot be checked; a shared folder across hosts is not supported, so
      // a foreign marker is taken as a dead run (containers get new host names on restart).
      if (other.host === host && other.pid !== pid && isAlive(other.pid)) throw new SecondWriterError(folder, other);
      previousRun = { pid: other.pid, host: other.host, started_at: other.started_at };
    }
    const crashed = found.kind !== 'none';
    openFolders.add(folder);
    try {
      const marker: MarkerInfo = { pid, host, started_at: iso(clock.now()), session_id: randomUUID() };
      await writeMarker(fs, folder, marker);
      const SQL = await initSqlJs({ wasmBinary: options.wasmBinary as unknown as ArrayBuffer });
      const engine = await ContextEngine.load(SQL, { ...options, folder }, marker, crashed, previousRun, t0);
      return engine;
    } catch (e) {
      openFolders.delete(folder);
      throw e;
    }
  }

  private static async load(
    SQL: SqlJsStatic, options: EngineOptions, marker: MarkerInfo, crashed: boolean,
    previousRun: RecoveryReport['previous_run'], t0: number,
  ): Promise<ContextEngine> {
    const fs = options.fs ?? nodeFileSystem;
    const log = options.logger ?? silentLogger;
    const outcome = await loadState(SQL, fs, options.folder, log, crashed);
    const engine = new ContextEngine(SQL, outcome.store, options, marker);
    await engine.start(outcome, crashed, previousRun, t0);
    return engine;
  }

  private async start(outcome: LoadOutcome, crashed: boolean, previousRun: RecoveryReport['previous_run'], t0: number): Promise<void> {
    this.seq = outcome.lastSeq;
    this.resetSnapshotTracker(outcome.steps);
    const migratedFrom = this.store.migratedFrom;
    if (migratedFrom !== undefined) {
      // Recovery points of schema 1 each named a whole database copy; those copies are now just images.
      this.store.run('UPDATE checkpoints SET file = NULL WHERE file IS NOT NULL');
      outcome.steps.push({ step: `migrate schema ${migratedFrom} to 2`, ok: true, detail: 'snapshots become chains of deltas; database copies under checkpoints/ become rotated images' });
    }
    this.eventsTotal = Number(this.store.getMeta('events_total') ?? 0) + outcome.replayed;
    this.archiveBytes = this.store.listSegments().reduce((n, s) => n + s.bytes, 0);
    if (outcome.loadedFrom === 'database') await this.removeOrphanSegments();
    await this.journal.open();
    // journal.jsonl may have just been created (and checkpoints/, archive/): make the names durable.
    await this.fs.syncDir(this.folder);
    // Fold what was replayed (and cut any torn tail) before appending anything new: recovery ends
    // with a whole database file, so a second crash never replays the first one's journal.
    if (outcome.journalHadContent || migratedFrom !== undefined || (outcome.loadedFrom !== 'database' && outcome.loadedFrom !== 'empty')) {
      const ok = await this.compactNow();
      outcome.steps.push({ step: 'fold journal into database', ok, detail: ok ? `database written (${this.dbBytes} bytes), journal emptied` : `could not write the database: ${this.persistenceError}` });
    } else {
      this.dbBytes = await this.fileSize(path.join(this.folder, DB_FILE));
    }
    // Images beyond the retention (a migrated folder may hold hundreds of whole copies) go now.
    await this.pruneImagesNow();
    this.imageBytes = (await listImages(this.fs, this.folder)).reduce((n, i) => n + i.bytes, 0);
    const needsReport = crashed || outcome.lost.length > 0 || (outcome.loadedFrom !== 'database' && outcome.loadedFrom !== 'empty');
    if (needsReport) {
      const report = this.buildReport('crash', outcome, previousRun, performance.now() - t0);
      await this.writeReport(report);
      this.recoveryReport = report;
      this.lastRecoveryMs = report.duration_ms;
      this.log.warn(`[engine] recovered from a crash in ${report.duration_ms.toFixed(1)} ms; report ${report.file}`);
    }
    this.startTimer();
  }

  // ---- writes -----------------------------------------------------------------------------------

  async updateTaskProgress(taskId: string, update: TaskUpdate): Promise<Task> {
    const id = checkId('task_id', taskId);
    const u = checkTaskUpdate(update);
    await this.submit({ o: 'task', t: this.clock.now(), id, u });
    return copyTask(this.store.getTask(id)!);
  }

  async logDecision(input: DecisionInput): Promise<Decision> {
    const d = checkDecision(input);
    const id = ++this.store.counters.decision;
    const t = this.clock.now();
    await this.submit({ o: 'decision', t, id, d });
    return { id, ts: iso(t), decision_type: d.decision_type, context: d.context, decision: d.decision, reasoning: d.reasoning,
      outcome: d.outcome ?? null, agent_id: d.agent_id ?? null, task_id: d.task_id ?? null };
  }

  async updateAgentState(agentId: string, update: AgentUpdate): Promise<Agent> {
    const id = checkId('agent_id', agentId);
    const u = checkAgentUpdate(update);
    await this.submit({ o: 'agent', t: this.clock.now(), id, u });
    return this.getAgent(id)!;
  }

  async logAgentMessage(input: MessageInput): Promise<Message> {
    const d = checkMessage(input);
    const id = ++this.store.counters.message;
    const t = this.clock.now();
    await this.submit({ o: 'message', t, id, d });
    return { id, ts: iso(t), ...d };
  }

  async updateContext(state: JsonObject): Promise<JsonObject> {
    const d = this.capHistory(checkContext(state));
    await this.submit({ o: 'context', t: this.clock.now(), d });
    return d;
  }

  async writeBatch(events: BatchEvent[]): Promise<BatchResult> {
    const t = this.clock.now();
    const items = this.batchItems(checkBatch(events), t);
    const r = await this.submit({ o: 'batch', t, items });
    return { accepted: items.length - (r.duplicates ?? 0), duplicates: r.duplicates ?? 0 };
  }

  async writeSpans(spans: SpanInput[], derived: BatchEvent[]): Promise<SpanWriteResult> {
    const checked = checkSpans(spans);
    const t = this.clock.now();
    const items = this.batchItems(checkBatch(derived), t);
    const r = await this.submit({ o: 'spans', t, spans: checked.map(s => ({ ...s, id: ++this.store.counters.span })), items });
    return { spans: checked.length, events: items.length - (r.duplicates ?? 0) };
  }

  private batchItems(checked: BatchEvent[], t: number): BatchItemOp[] {
    return checked.map((ev): BatchItemOp => {
      const { event_id, ts, ...e } = ev;
      const base = event_id === undefined ? {} : { event_id };
      // An event that happened earlier (a spooled one) keeps its own time.
      const at = ts === undefined ? t : Date.parse(ts);
      switch (e.type) {
        case 'task': { const { type: _, task_id, ...u } = e; return { ...base, o: 'task', t: at, id: task_id, u }; }
        case 'agent': { const { type: _, agent_id, ...u } = e; return { ...base, o: 'agent', t: at, id: agent_id, u }; }
        case 'decision': { const { type: _, ...d } = e; return { ...base, o: 'decision', t: at, id: ++this.store.counters.decision, d }; }
        case 'message': { const { type: _, ...d } = e; return { ...base, o: 'message', t: at, id: ++this.store.counters.message, d }; }
        case 'context': return { ...base, o: 'context', t: at, d: this.capHistory(e.context) };
      }
    });
  }

  private capHistory(state: JsonObject): JsonObject {
    const h = state.conversation_history;
    if (Array.isArray(h) && h.length > this.historySize) return { ...state, conversation_history: h.slice(-this.historySize) };
    return state;
  }

  /** Queues an op for the next group commit; resolves once it is applied and durable. */
  private submit(op: JournalOp, internal = false): Promise<ApplyResult> {
    if (this.closed && !internal) return Promise.reject(new EngineClosedError());
    return new Promise<ApplyResult>((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        // setImmediate lets every caller of this turn join the same flush.
        setImmediate(() => void this.io(() => this.flush()));
      }
    });
  }

  private io<T>(fn: () => Promise<T>): Promise<T> {
    return this.ioQueue.run(fn);
  }

  /**
   * Group commit: apply every queued op inside one transaction, append their records, fdatasync,
   * then commit and acknowledge. If the flush fails, roll back: nothing unacknowledged stays visible.
   */
  private async flush(): Promise<void> {
    this.flushQueued = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (this.journalBroken && !(await this.repairJournal())) {
      const err = new PersistenceError(`cannot write the journal: ${this.persistenceError}`);
      batch.forEach(p => p.reject(err));
      return;
    }
    const seqBefore = this.seq;
    const taskEventsBefore = this.store.counters.task_event;
    const done: { p: Pending; r: ApplyResult }[] = [];
    let text = '';
    this.store.exec('BEGIN');
    for (const p of batch) {
      try {
        this.store.run('SAVEPOINT op');
        const r = this.store.applyOp(p.op);
        this.store.run('RELEASE op');
        text += encodeRecord(++this.seq, p.op);
        done.push({ p, r });
      } catch (e) {
        this.store.exec('ROLLBACK TO op; RELEASE op');
        this.store.dropCaches();
        this.log.error(`[engine] could not apply a ${p.op.o} write: ${(e as Error).message}`);
        p.reject(e instanceof ValidationError ? e : new PersistenceError(`could not apply the write: ${(e as Error).message}`, e));
      }
    }
    try {
      if (text) await this.journal.append(text);
    } catch (e) {
      this.store.exec('ROLLBACK');
      this.store.dropCaches();
      // Ids handed out at submit time stay used (later queued ops hold higher ones); gaps are harmless.
      this.seq = seqBefore;
      this.store.counters.task_event = taskEventsBefore;
      // Answer only once the failed bytes are cut off, so a refused write cannot come back later.
      const cut = await this.onJournalFailure(e);
      const err = new PersistenceError(cut
        ? `the write could not be made durable (${errText(e)}); it was not stored`
        : `the write could not be made durable (${errText(e)}) and the journal could not be cut back: it was not acknowledged, but may reappear after a restart`, e);
      done.forEach(d => d.p.reject(err));
      return;
    }
    this.store.exec('COMMIT');
    this.eventsTotal += done.length;
    if (this.journalFailing && text) {
      this.journalFailing = false;
      this.clearDegraded();
    }
    const results = done.map(d => d.r);
    this.snapshots.noteApplied(results);
    for (const { p, r } of done) p.resolve(r);
    this.emitApplied(results);
  }

  private emitApplied(results: ApplyResult[]): void {
    if (this.listeners.size === 0) return;
    const byKind = new Map<ChangeKind, Set<string>>();
    for (const r of results) {
      if (r.kind === 'batch') r.touched?.forEach((ids, k) => addChangeIds(byKind, k as ChangeKind, ids));
      else addChangeIds(byKind, r.kind, r.ids);
    }
    byKind.forEach((ids, kind) => this.emit(kind, [...ids]));
  }

  private emit(kind: ChangeKind, ids: string[]): void {
    const event: ChangeEvent = { kind, ids, at: iso(this.clock.now()) };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        this.log.error(`[engine] change listener failed: ${(e as Error).stack ?? e}`);
      }
    }
  }

  /** Returns whether the failed bytes were cut off durably. */
  private async onJournalFailure(e: unknown): Promise<boolean> {
    this.setDegraded(`journal write failed: ${errText(e)}`);
    this.journalFailing = true;
    let cut = true;
    try {
      // The failed bytes may or may not be on disk: cut them off so they can never be replayed.
      await this.journal.discardUnsynced();
    } catch (e2) {
      cut = false;
      this.log.error(`[engine] could not cut the journal back after a failed write: ${errText(e2)}`);
      this.journalBroken = true;
      await this.journal.close().catch(() => undefined);
    }
    await this.writeEmergency(`journal write failed: ${errText(e)}`);
    return cut;
  }

  /** After the journal itself failed: write the database whole, then start a fresh journal. */
  private async repairJournal(): Promise<boolean> {
    try {
      const bytes = this.exportImage();
      await writeFileAtomic(this.fs, path.join(this.folder, DB_FILE), bytes);
      await this.journal.open();
      await this.journal.reset(encodeRecord(this.seq, { o: 'base', t: this.clock.now() }));
      this.journalBroken = false;
      this.clearDegraded();
      this.log.info('[engine] journal repaired: database rewritten and a new journal started');
      return true;
    } catch (e) {
      this.setDegraded(`journal cannot be reopened: ${errText(e)}`);
      return false;
    }
  }

  private setDegraded(reason: string): void {
    const was = this.persistenceError;
    this.persistenceError = reason;
    this.log.error(`[engine] PERSISTENCE FAILING: ${reason}`);
    if (was === null) this.emit('persistence', []);
  }

  private clearDegraded(): void {
    if (this.persistenceError === null) return;
    this.persistenceError = null;
    this.log.info('[engine] persistence restored');
    this.emit('persistence', []);
  }

  // ---- checkpoints, compaction, archive ---------------------------------------------------------

  private startTimer(intervalMs?: number): void {
    const ms = intervalMs ?? this.checkpointIntervalMs;
    if (ms > 0) {
      this.timer = setInterval(() => {
        this.autoCheckpoint().catch(e => this.log.error(`[engine] automatic checkpoint failed: ${errText(e)}`));
      }, ms);
      this.timer.unref();
    }
  }


  /** Changes the automatic checkpoint period (0 stops it); the settings UI calls this. */
  setCheckpointInterval(ms: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.checkpointIntervalMs = ms;
    if (!this.closed) this.startTimer(ms);
  }

  /** Settings that change while running (the extension's configuration). */
  setStaleAfterMs(ms: number): void {
    if (!(ms > 0)) throw new ValidationError('staleAfterMs', 'must be a positive number');
    this.staleAfterMs = ms;
  }

  setHistorySize(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new ValidationError('historySize', 'must be a positive integer');
    this.historySize = n;
  }

  private maintain<T>(fn: () => Promise<T>): Promise<T> {
    return this.maintenance.run(fn);
  }

  /** The periodic checkpoint: a snapshot when the context changed, then compaction and archiving when due. */
  autoCheckpoint(kind: SnapshotKind = 'auto'): Promise<CheckpointResult | undefined> {
    return this.maintain(async () => {
      const t0 = performance.now();
      const snap = this.snapshots.prepare(this.snapshotSource());
      let result: CheckpointResult | undefined;
      if (snap) {
        const op = await this.storeCheckpoint(kind, null, snap);
        result = this.checkpointResult(op, false, t0);
      } else {
        this.dedupHits++;
      }
      if (this.journal.size > this.journalCompactBytes || this.persistenceError !== null) await this.io(() => this.compactNow());
      if (this.store.usedBytes() > this.liveDbLimitBytes) await this.archiveOldest();
      this.recordCheckpoint(t0);
      return result;
    });
  }

  /** Folds the journal into the database file now; false when the database could not be written. */
  compact(): Promise<boolean> {
    if (this.closed) return Promise.reject(new EngineClosedError());
    return this.io(() => this.compactNow());
  }

  async checkpoint(label?: string): Promise<CheckpointResult> {
    checkLabel('label', label);
    return this.recoveryPoint('manual', label ?? null);
  }

  markRecoveryPoint(label: string): Promise<CheckpointResult> {
    try {
      checkId('label', label);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.recoveryPoint('recovery', label);
  }

  /** A recovery point is one journal record: the snapshot's delta (when the state changed) and the checkpoint. */
  private recoveryPoint(kind: SnapshotKind, label: string | null): Promise<CheckpointResult> {
    if (this.closed) return Promise.reject(new EngineClosedError());
    return this.maintain(async () => {
      const t0 = performance.now();
      const snap = this.snapshots.prepare(this.snapshotSource());
      if (!snap) this.dedupHits++;
      const op = await this.storeCheckpoint(kind, label, snap);
      this.recordCheckpoint(t0);
      return this.checkpointResult(op, !snap, t0);
    });
  }

  /** Writes a checkpoint and, when given, the snapshot it points to, by one record and one fdatasync. */
  private async storeCheckpoint(kind: SnapshotKind, label: string | null, snap: PreparedSnapshot | undefined): Promise<CheckpointOp> {
    let snapshot: SnapshotOp | undefined;
    let snapshotId = this.snapshots.latestId;
    if (snap) {
      snapshotId = ++this.store.counters.snapshot;
      snapshot = {
        o: 'snapshot', t: this.clock.now(), id: snapshotId, kind, label, hash: snap.hash, delta: snap.delta,
        chain_start: snap.chainStart ?? snapshotId, size: snap.size,
      };
    }
    // The tracker always has a newest snapshot or prepares a first one.
    if (snapshotId === undefined) throw new Error('no snapshot to point the checkpoint to');
    const op: CheckpointOp = { o: 'checkpoint', t: this.clock.now(), id: ++this.store.counters.checkpoint, kind, label, snapshot_id: snapshotId, snapshot };
    try {
      await this.submit(op, true);
    } catch (e) {
      snap?.abandon();
      throw e;
    }
    snap?.apply(snapshotId);
    this.emit('checkpoint', [String(op.id)]);
    return op;
  }

  private checkpointResult(op: CheckpointOp, deduplicated: boolean, t0: number): CheckpointResult {
    return { checkpoint_id: op.id, created_at: iso(op.t), duration_ms: performance.now() - t0, deduplicated, kind: op.kind, file: null };
  }

  private recordCheckpoint(t0: number): void {
    this.checkpointDurations.push(performance.now() - t0);
    if (this.checkpointDurations.length > 500) this.checkpointDurations.shift();
    this.checkpointCount++;
    this.lastCheckpointAt = iso(this.clock.now());
  }

  /** What a snapshot is made of, read from the live store. */
  private snapshotSource() {
    const now = this.clock.now();
    return {
      task: (id: string) => this.store.getTask(id),
      agent: (id: string) => this.store.getAgent(id, now, this.staleAfterMs),
      tasks: () => this.store.getTasks(),
      agents: () => this.store.getAgents(now, this.staleAfterMs),
      recentDecisions: () => this.store.getDecisions({ limit: RECENT_DECISIONS_IN_CONTEXT }),
      state: () => this.store.getState().state,
    };
  }

  /** Rebuilds the newest snapshot's content from its chain, so the next snapshot is its delta. */
  private resetSnapshotTracker(steps?: RecoveryStep[]): void {
    const head = this.store.newestChain();
    try {
      this.snapshots.reset(head && this.store.snapshotParts(head.id), head);
    } catch (e) {
      // The next snapshot starts a new chain; older checkpoints stay as they are.
      this.log.error(`[engine] newest snapshot unreadable, the next one is stored whole: ${errText(e)}`);
      steps?.push({ step: 'read the newest snapshot', ok: false, detail: `${errText(e)}; the next snapshot starts a new chain` });
      this.snapshots.reset(undefined, undefined);
    }
  }

  /** Database image with the journal position recorded in it; call only from the io queue. */
  private exportImage(): Uint8Array {
    this.store.setMeta('last_seq', this.seq);
    this.store.saveCounters();
    this.store.setMeta('events_total', this.eventsTotal);
    return this.store.db.export();
  }

  /** Folds the journal into the database file. Runs in the io queue. */
  private async compactNow(): Promise<boolean> {
    const t0 = performance.now();
    let bytes: Uint8Array;
    try {
      bytes = this.exportImage();
      await writeFileAtomic(this.fs, path.join(this.folder, DB_FILE), bytes);
    } catch (e) {
      this.setDegraded(`database could not be written: ${errText(e)}`);
      await this.writeEmergency(`database could not be written: ${errText(e)}`);
      return false;
    }
    try {
      if (this.journal.isOpen) await this.journal.reset(encodeRecord(this.seq, { o: 'base', t: this.clock.now() }));
      this.journalHeaderBytes = this.journal.size;
    } catch (e) {
      // The database holds every record already; a journal that cannot be emptied is replaced later.
      this.journalBroken = true;
      await this.journal.close().catch(() => undefined);
      this.setDegraded(`journal could not be emptied: ${errText(e)}`);
      return false;
    }
    this.dbBytes = bytes.length;
    this.compactions = { count: this.compactions.count + 1, last_ms: performance.now() - t0 };
    if (!this.journalBroken) this.clearDegraded();
    this.queueImage(bytes, this.seq);
    return true;
  }

  /** The image of what was just compacted, written off the io queue; only the newest pending one is written. */
  private queueImage(bytes: Uint8Array, seq: number): void {
    const idle = this.imagePending === undefined;
    this.imagePending = { bytes, seq };
    if (idle) void this.inImageQueue(() => this.writePendingImage());
  }

  private async writePendingImage(): Promise<void> {
    const job = this.imagePending;
    this.imagePending = undefined;
    if (!job) return;
    try {
      const img = await writeImage(this.fs, this.folder, job.bytes, this.clock.now(), job.seq);
      this.log.debug(`[engine] database image ${img.name} written (${img.bytes} bytes)`);
      await this.pruneImagesNow();
    } catch (e) {
      // The database file itself is durable; only the guard against its corruption is older.
      this.log.error(`[engine] could not write a database image: ${errText(e)}`);
    }
    this.imageBytes = (await listImages(this.fs, this.folder).catch(() => [])).reduce((n, i) => n + i.bytes, 0);
  }

  private inImageQueue<T>(fn: () => Promise<T>): Promise<T> {
    return this.imageQueue.run(fn);
  }

  private async pruneImagesNow(dryRun = false): Promise<string[]> {
    try {
      const gone = await pruneImages(this.fs, this.folder, this.imageRetention, this.log, dryRun);
      if (gone.length && !dryRun) this.log.info(`[engine] removed ${gone.length} old database images`);
      return gone;
    } catch (e) {
      this.log.warn(`[engine] could not prune database images: ${errText(e)}`);
      return [];
    }
  }

  /** How many database images are kept, and how many bytes they may take (settings). */
  setImageRetention(retention: ImageRetention): void {
    if (!Number.isInteger(retention.count) || retention.count < 1) throw new ValidationError('imageCount', 'must be an integer of at least 1');
    if (!(retention.bytes > 0)) throw new ValidationError('imageBytes', 'must be a positive number');
    this.imageRetention = { ...retention };
    if (!this.closed) void this.inImageQueue(() => this.pruneImagesNow());
  }

  /** Moves the oldest half of the history into a read-only archive segment on disk. */
  private async archiveOldest(): Promise<void> {
    const s = this.store;
    const half = (table: string) => {
      const n = s.scalar(`SELECT COUNT(*) FROM ${table}`);
      return n < 2 ? 0 : s.scalar(`SELECT id FROM ${table} ORDER BY id LIMIT 1 OFFSET ?`, [Math.floor(n / 2) - 1]);
    };
    const max = { decisions: half('decision_log'), messages: half('agent_coordination'), task_events: half('task_events'), spans: half('spans') };
    const movedSnapshots = this.oldestSnapshotChains();
    if (!max.decisions && !max.messages && !max.task_events && !max.spans && movedSnapshots.length === 0) return;
    const op = await this.io(async (): Promise<ArchiveOp> => {
      const seg = Store.open(this.SQL, undefined, false);
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
        seg.exec('COMMIT');
        const range = seg.get(`SELECT MIN(ts) AS lo, MAX(ts) AS hi FROM (SELECT ts FROM decision_log UNION ALL SELECT ts FROM agent_coordination
          UNION ALL SELECT ts FROM task_events UNION ALL SELECT created_at AS ts FROM context_snapshots UNION ALL SELECT ts FROM spans)`);
        const bytes = seg.db.export();
        const t = this.clock.now();
        const name = segmentFile(t, this.seq);
        await writeFileAtomic(this.fs, path.join(this.folder, ARCHIVE_DIR, name), bytes);
        const info: SegmentInfo = {
          name, created_at: iso(t), min_ts: String(range?.lo ?? iso(t)), max_ts: String(range?.hi ?? iso(t)),
          decisions, messages, task_events: taskEvents, snapshots, spans: spanCount, bytes: bytes.length, max_ids: seg.maxIds(),
        };
        return { o: 'archive', t, segment: info, max, snapshot_ids: movedSnapshots };
      } finally {
        seg.close();
      }
    });
    await this.submit(op, true);
    this.archiveBytes += op.segment.bytes;
    this.log.info(`[engine] archived ${op.segment.decisions} decisions, ${op.segment.messages} messages, ` +
      `${op.segment.task_events} task events, ${op.segment.snapshots} snapshots to ${op.segment.name}`);
    // The rows are gone from the live image; fold that in now so replay never sees them again.
    await this.io(() => this.compactNow());
  }

  /**
   * About the oldest half of the snapshots, in whole chains (a delta needs those before it), never
   * the newest chain: the next snapshot is a delta of its newest.
   */
  private oldestSnapshotChains(): number[] {
    const chains = this.store.all('SELECT chain_start AS c, COUNT(*) AS n FROM context_snapshots GROUP BY chain_start ORDER BY chain_start');
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
    return this.store.all('SELECT id FROM context_snapshots WHERE chain_start <= ? ORDER BY id', [upTo]).map(r => Number(r.id));
  }

  private async removeOrphanSegments(): Promise<void> {
    const known = new Set(this.store.listSegments().map(s => s.name));
    for (const f of await listDir(this.fs, path.join(this.folder, ARCHIVE_DIR))) {
      // A segment written but never recorded: the crash came before its move was journaled.
      if (!known.has(f)) {
        this.log.warn(`[engine] removing unrecorded archive file ${f}`);
        await unlinkDurable(this.fs, path.join(this.folder, ARCHIVE_DIR, f)).catch(() => undefined);
      }
    }
  }

  private async withSegment<T>(name: string, fn: (s: Store) => T): Promise<T | undefined> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readFileIfExists(this.fs, path.join(this.folder, ARCHIVE_DIR, name));
    } catch (e) {
      this.log.error(`[engine] archive segment ${name} unreadable: ${errText(e)}`);
    }
    if (!bytes) return undefined;
    const seg = Store.open(this.SQL, bytes, false);
    try {
      return fn(seg);
    } finally {
      seg.close();
    }
  }

  // ---- cleanup --------------------------------------------------------------------------------

  async cleanup(options: { olderThanDays: number; dryRun?: boolean }): Promise<CleanupResult> {
    const days = checkCleanupDays('older_than_days', options?.olderThanDays);
    if (this.closed) return Promise.reject(new EngineClosedError());
    const dryRun = options.dryRun === true;
    return this.maintain(async () => {
      const cutoff = iso(this.clock.now() - days * 86_400_000);
      const kept = this.store.keptSnapshots(cutoff);
      const removed = { ...this.store.countOlderThan(cutoff, kept), checkpoint_files: 0 };
      const drop: string[] = [];
      const rewrite: { old: string; keep: Uint8Array; info: SegmentInfo }[] = [];
      for (const seg of this.store.listSegments()) {
        if (seg.min_ts >= cutoff) continue;
        // A segment older than the cutoff goes whole, unless it holds snapshots a kept checkpoint needs.
        if (seg.max_ts < cutoff && seg.snapshots === 0) {
          drop.push(seg.name);
          removed.decisions += seg.decisions; removed.messages += seg.messages;
          removed.task_events += seg.task_events; removed.snapshots += seg.snapshots; removed.spans += seg.spans ?? 0;
          continue;
        }
        await this.withSegment(seg.name, s => {
          const c = s.countOlderThan(cutoff, kept);
          removed.decisions += c.decisions; removed.messages += c.messages;
          removed.task_events += c.task_events; removed.snapshots += c.snapshots; removed.spans += c.spans;
          if (dryRun) return;
          s.deleteOlderThan(cutoff, kept);
          const t = this.clock.now();
          const keep = s.db.export();
          rewrite.push({
            old: seg.name, keep,
            info: { ...seg, name: segmentFile(t, this.seq, `_r${rewrite.length}`), min_ts: cutoff, bytes: keep.length,
              decisions: seg.decisions - c.decisions, messages: seg.messages - c.messages,
              task_events: seg.task_events - c.task_events, snapshots: seg.snapshots - c.snapshots,
              spans: (seg.spans ?? 0) - c.spans, max_ids: s.maxIds() },
          });
        });
      }
      // Database images beyond the retention (checkpoints/) go with the rest.
      removed.checkpoint_files = (await this.inImageQueue(() => this.pruneImagesNow(true))).length;
      if (dryRun) return { dry_run: true, cutoff, removed };
      for (const r of rewrite) {
        await this.io(() => writeFileAtomic(this.fs, path.join(this.folder, ARCHIVE_DIR, r.info.name), r.keep));
      }
      const op: CleanupOp = { o: 'cleanup', t: this.clock.now(), cutoff, drop_segments: [...drop, ...rewrite.map(r => r.old)], replace_segments: rewrite.map(r => r.info) };
      await this.submit(op);
      // Only now that the op is durable are the old files garbage.
      for (const name of op.drop_segments) await unlinkDurable(this.fs, path.join(this.folder, ARCHIVE_DIR, name)).catch(() => undefined);
      await this.inImageQueue(() => this.pruneImagesNow());
      this.archiveBytes = this.store.listSegments().reduce((n, s) => n + s.bytes, 0);
      this.emit('cleanup', []);
      return { dry_run: false, cutoff, removed };
    });
  }

  // ---- reads ----------------------------------------------------------------------------------

  getStatus(): EngineStatus {
    return {
      session_id: this.sessionId,
      started_at: this.startedAt,
      last_checkpoint_at: this.lastCheckpointAt,
      checkpoint_count: this.checkpointCount,
      recovered_from_crash: this.recoveryReport !== undefined,
      storage_path: this.folder,
      persistence: this.persistenceError === null ? 'ok' : 'degraded',
      persistence_error: this.persistenceError,
      counts: this.store.counts(),
    };
  }

  getMetrics(): EngineMetrics {
    const d = [...this.checkpointDurations].sort((a, b) => a - b);
    const now = this.clock.now();
    const hourAgo = iso(now - 3_600_000);
    const s = this.store;
    const first = s.get('SELECT MIN(created_at) AS t FROM task_progress');
    const ageDays = first?.t ? Math.max(1, (now - Date.parse(String(first.t))) / 86_400_000) : 1;
    const storage = { database: this.dbBytes, journal: this.journal.size, images: this.imageBytes, archive: this.archiveBytes, total: 0 };
    storage.total = storage.database + storage.journal + storage.images + storage.archive;
    const totalBytes = storage.total;
    return {
      checkpoint: {
        count: this.checkpointCount,
        avg_ms: d.length ? d.reduce((a, b) => a + b, 0) / d.length : 0,
        p95_ms: d.length ? d[Math.min(d.length - 1, Math.floor(d.length * 0.95))] : 0,
        last_ms: this.checkpointDurations[this.checkpointDurations.length - 1] ?? 0,
      },
      compaction: { ...this.compactions },
      db_bytes: this.dbBytes,
      journal_bytes: this.journal.size,
      archive_bytes: this.archiveBytes,
      storage_bytes: storage,
      memory_bytes: s.totalBytes(),
      events_total: this.eventsTotal,
      dedup_hits: this.dedupHits,
      recovery: { last_ms: this.lastRecoveryMs },
      snapshot_rates: {
        hourly: s.scalar('SELECT COUNT(*) FROM context_snapshots WHERE created_at >= ?', [hourAgo]),
        daily: s.scalar('SELECT COUNT(*) FROM context_snapshots WHERE created_at >= ?', [iso(now - 86_400_000)]),
      },
      activity: {
        messages_per_hour: s.scalar('SELECT COUNT(*) FROM agent_coordination WHERE ts >= ?', [hourAgo]),
        decisions_per_hour: s.scalar('SELECT COUNT(*) FROM decision_log WHERE ts >= ?', [hourAgo]),
      },
      storage: { growth_rate_mb_per_day: totalBytes / 1_048_576 / ageDays },
    };
  }

  getTasks(filter?: { status?: TaskStatus }): Task[] {
    return this.store.getTasks(filter?.status);
  }

  getTask(taskId: string): Task | undefined {
    const t = this.store.getTask(taskId);
    return t && copyTask(t);
  }

  getTaskEvents(taskId: string, limit = 100): TaskEvent[] {
    return this.store.getTaskEvents(taskId, checkLimit(limit));
  }

  getAgents(): Agent[] {
    return this.store.getAgents(this.clock.now(), this.staleAfterMs);
  }

  getAgent(agentId: string): Agent | undefined {
    return this.store.getAgent(agentId, this.clock.now(), this.staleAfterMs);
  }

  getDecisions(query: ListQuery = {}): Promise<Decision[]> {
    return this.readHistory(query, 'decision', (s, q) => s.getDecisions(q), d => d.id);
  }

  async getDecision(id: number): Promise<Decision | undefined> {
    const q = { limit: 1, beforeId: id + 1 };
    const hit = (ds: Decision[]) => ds.find(d => d.id === id);
    const live = hit(this.store.getDecisions(q));
    if (live) return live;
    for (const seg of this.store.listSegments()) {
      const found = await this.withSegment(seg.name, s => hit(s.getDecisions(q)));
      if (found) return found;
    }
    return undefined;
  }

  getMessages(query: ListQuery = {}): Promise<Message[]> {
    return this.readHistory(query, 'message', (s, q) => s.getMessages(q), m => m.id);
  }

  /** Newest first from the live database, then from archive segments while the limit is not reached. */
  private async readHistory<T>(
    query: ListQuery, table: keyof SegmentIds, read: (s: Store, q: ListQuery & { limit: number; beforeId?: number }) => T[],
    idOf: (t: T) => number,
  ): Promise<T[]> {
    const limit = checkLimit(query.limit);
    const since = checkSince(query.since);
    const q = { ...query, limit, since };
    const out = read(this.store, q);
    if (out.length >= limit || query.live_only) return out;
    // Each segment holds a contiguous id range per table, older than the live rows: page by id.
    const segments = this.store.listSegments().filter(s => (s.max_ids?.[table] ?? 0) > 0)
      .sort((a, b) => b.max_ids![table] - a.max_ids![table]);
    for (const seg of segments) {
      if (since && seg.max_ts < since) continue;
      const beforeId = out.length ? idOf(out[out.length - 1]) : undefined;
      const more = await this.withSegment(seg.name, s => read(s, { ...q, limit: limit - out.length, beforeId }));
      if (more) out.push(...more);
      if (out.length >= limit) break;
    }
    return out;
  }

  getSpans(query: SpanQuery = {}): Promise<Span[]> {
    return this.readHistory(query, 'span', (s, q) => s.getSpans(q), x => x.id);
  }

  getTokenUsage(): { agents: Record<string, TokenUsage>; tasks: Record<string, TokenUsage> } {
    return { agents: this.store.tokenUsage('agent_id'), tasks: this.store.tokenUsage('task_id') };
  }

  getContext(): ContextView {
    const { state, updated_at } = this.store.getState();
    return {
      state,
      tasks: this.store.getTasks(),
      agents: this.getAgents(),
      recent_decisions: this.store.getDecisions({ limit: RECENT_DECISIONS_IN_CONTEXT }),
      updated_at,
    };
  }

  getConversationHistory(limit = 50): Json[] {
    const n = checkLimit(limit);
    const h = this.store.getState().state.conversation_history;
    return Array.isArray(h) ? h.slice(-n) : [];
  }

  listCheckpoints(limit = 100): CheckpointInfo[] {
    return this.store.listCheckpoints(checkLimit(limit));
  }

  /** The full state at a checkpoint, rebuilt from its snapshot's chain in the live database or a segment. */
  async getCheckpointSnapshot(checkpointId: number): Promise<JsonObject | undefined> {
    const cp = this.store.getCheckpoint(checkpointId);
    if (!cp) return undefined;
    let body = this.store.readSnapshot(cp.snapshot_id);
    if (body === undefined) {
      for (const seg of this.store.listSegments()) {
        body = await this.withSegment(seg.name, s => s.readSnapshot(cp.snapshot_id));
        if (body !== undefined) break;
      }
    }
    return body;
  }

  async getLatestRecoveryReport(): Promise<RecoveryReport | undefined> {
    return (await this.listRecoveryReports(1))[0];
  }

  async listRecoveryReports(limit = 10): Promise<RecoveryReport[]> {
    const files = (await listDir(this.fs, this.folder))
      .filter(isReportFile)
      .sort()
      .reverse()
      .slice(0, checkLimit(limit, 'limit', 10, 1000));
    const out: RecoveryReport[] = [];
    for (const f of files) {
      try {
        out.push(JSON.parse(Buffer.from(await this.fs.readFile(path.join(this.folder, f))).toString('utf8')) as RecoveryReport);
      } catch (e) {
        this.log.warn(`[engine] skipping unreadable report ${f}: ${errText(e)}`);
      }
    }
    return out;
  }

  renderRecoveryReport(report: RecoveryReport): string {
    return renderRecoveryReport(report);
  }

  async analyzeRecovery(): Promise<RecoveryReport> {
    const t0 = performance.now();
    const outcome: LoadOutcome = {
      store: this.store, loadedFrom: 'live', steps: [{ step: 'analyse the live state', ok: true, detail: 'no load needed; the engine is running' }],
      lost: [], replayed: 0, lastSeq: this.seq, journalHadContent: false,
    };
    const report = this.buildReport('manual', outcome, null, performance.now() - t0);
    await this.writeReport(report);
    this.emit('recovery', [report.file]);
    return report;
  }

  private buildReport(trigger: RecoveryReport['trigger'], o: LoadOutcome, previousRun: RecoveryReport['previous_run'], ms: number): RecoveryReport {
    const t = this.clock.now();
    const agents = this.getAgents();
    const stale = agents.filter(a => a.stale);
    o.steps.push({ step: 'mark stale agents', ok: true, detail: `${stale.length} of ${agents.length} agents not seen for over ${Math.round(this.staleAfterMs / 60000)} min` });
    const incomplete = this.store.getTasks().filter(x => x.status !== 'completed' && x.status !== 'cancelled');
    o.steps.push({ step: 'list incomplete tasks', ok: true, detail: `${incomplete.length} tasks not completed` });
    const rp = this.store.all("SELECT id FROM checkpoints WHERE kind IN ('manual', 'recovery') ORDER BY id DESC LIMIT 1")[0];
    const point = rp ? this.store.getCheckpoint(Number(rp.id)) ?? null : null;
    const since = point?.created_at ?? '';
    const c = this.store.counts();
    const frontier = this.crashFrontier(since);
    o.steps.push({ step: 'find the crash frontier', ok: true, detail: `${frontier.tasks_in_progress.length} tasks in progress, ` +
      `${frontier.tool_calls_after_recovery_point.length} tool calls after the last recovery point, ` +
      `${frontier.unfinished_conversations.length} unfinished conversations` });
    return {
      file: reportFile(t),
      created_at: iso(t),
      trigger,
      previous_run: previousRun,
      loaded_from: o.loadedFrom,
      steps: o.steps,
      restored: { tasks: c.tasks, agents: c.agents, decisions: c.decisions, messages: c.messages, snapshots: c.snapshots, journal_records_replayed: o.replayed },
      stale_agents: stale,
      incomplete_tasks: incomplete,
      last_decisions: this.store.getDecisions({ limit: 10 }),
      after_last_recovery_point: {
        recovery_point: point,
        decisions: point ? this.store.scalar('SELECT COUNT(*) FROM decision_log WHERE ts > ?', [since]) : 0,
        messages: point ? this.store.scalar('SELECT COUNT(*) FROM agent_coordination WHERE ts > ?', [since]) : 0,
        task_events: point ? this.store.scalar('SELECT COUNT(*) FROM task_events WHERE ts > ?', [since]) : 0,
      },
      crash_frontier: frontier,
      lost: o.lost,
      duration_ms: ms,
    };
  }

  private crashFrontier(recoveryPointAt: string): CrashFrontier {
    const s = this.store;
    const last = s.get(`SELECT MAX(t) AS t FROM (SELECT MAX(ts) AS t FROM decision_log UNION ALL SELECT MAX(ts) FROM agent_coordination
      UNION ALL SELECT MAX(ts) FROM task_events UNION ALL SELECT MAX(last_seen) FROM agent_states UNION ALL SELECT MAX(ts) FROM spans)`);
    const lastAt = last?.t ? String(last.t) : null;
    const windowStart = lastAt ? iso(Date.parse(lastAt) - this.staleAfterMs) : '';
    const unfinished = s.all(`SELECT trace_id, MAX(conversation_id) AS conversation_id FROM spans GROUP BY trace_id
      HAVING SUM(CASE WHEN parent_span_id IS NULL AND end_time IS NOT NULL THEN 1 ELSE 0 END) = 0 ORDER BY MAX(id) DESC LIMIT 20`);
    return {
      last_activity_at: lastAt,
      tasks_in_progress: s.getTasks('in_progress'),
      agents_active_at_crash: lastAt ? this.getAgents().filter(a => a.last_seen >= windowStart) : [],
      tool_calls_after_recovery_point: s.getSpans({ limit: 200, operation: 'execute_tool', since: recoveryPointAt || undefined }),
      unfinished_conversations: unfinished.map(r => ({
        trace_id: String(r.trace_id),
        conversation_id: r.conversation_id === null ? null : String(r.conversation_id),
        spans: s.getSpans({ limit: 200, trace_id: String(r.trace_id) }),
      })),
    };
  }

  private async writeReport(report: RecoveryReport): Promise<void> {
    const json = path.join(this.folder, report.file);
    try {
      await writeFileAtomic(this.fs, json, JSON.stringify(report, null, 2) + '\n');
      await writeFileAtomic(this.fs, reportMarkdownFile(json), renderRecoveryReport(report));
    } catch (e) {
      this.log.error(`[engine] could not write recovery report ${report.file}: ${errText(e)}`);
    }
  }

  /** emergency_<time>.json: a readable copy of the state when the database cannot be written. */
  private async writeEmergency(reason: string): Promise<void> {
    const t = this.clock.now();
    const file = path.join(this.folder, emergencyFile(t));
    try {
      const body = {
        created_at: iso(t), reason, last_seq: this.seq, ...this.emergencyContent(),
      };
      await writeFileAtomic(this.fs, file, JSON.stringify(body, null, 2) + '\n');
      this.log.error(`[engine] EMERGENCY BACKUP written to ${file} (${reason})`);
    } catch (e) {
      this.log.error(`[engine] emergency backup failed too (${errText(e)}); journaling continues where it can`);
    }
  }

  private emergencyContent(): JsonObject {
    return {
      state: this.store.getState().state,
      tasks: this.store.getTasks() as unknown as Json,
      agents: this.store.all('SELECT * FROM agent_states') as unknown as Json,
      decisions: this.store.getDecisions({ limit: 1000 }) as unknown as Json,
      messages: this.store.getMessages({ limit: 1000 }) as unknown as Json,
    };
  }

  async exportAll(): Promise<JsonObject> {
    return {
      exported_at: iso(this.clock.now()),
      status: this.getStatus() as unknown as Json,
      context: this.getContext() as unknown as Json,
      decisions: (await this.getDecisions({ limit: 10_000 })) as unknown as Json,
      messages: (await this.getMessages({ limit: 10_000 })) as unknown as Json,
      checkpoints: this.listCheckpoints(10_000) as unknown as Json,
    };
  }

  onDidChange(listener: (event: ChangeEvent) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      await this.autoCheckpoint('shutdown');
      const ok = await this.io(() => this.compactNow());
      await this.maintenance.idle();
      await this.ioQueue.idle();
      await this.imageQueue.idle();
      await this.journal.close();
      // Without a durable database the marker stays, so the next open replays and reports.
      if (ok) await removeMarker(this.fs, this.folder);
    } catch (e) {
      this.log.error(`[engine] clean shutdown failed: ${errText(e)}; the next start will recover from the journal`);
    } finally {
      this.store.close();
      openFolders.delete(this.folder);
      this.listeners.clear();
    }
  }

  private async fileSize(file: string): Promise<number> {
    try {
      return (await this.fs.stat(file)).size;
    } catch {
      return 0;
    }
  }
}

/** Callers may change what they get; the store's cached task must stay as stored. */
function copyTask(t: Task): Task {
  return structuredClone(t);
}

/**
 * The load chain: database file, else the newest recovery checkpoint, else the newest emergency
 * JSON, else empty; then the journal replayed past the loaded state's last sequence.
 */
async function loadState(SQL: SqlJsStatic, fs: FileSystemPort, folder: string, log: Logger, crashed: boolean): Promise<LoadOutcome> {
  const steps: RecoveryStep[] = [];
  const lost: string[] = [];
  let store: Store | undefined;
  let loadedFrom: LoadOutcome['loadedFrom'] = 'database';

  const journalBytes = (await readFileIfExists(fs, path.join(folder, JOURNAL_FILE))) ?? new Uint8Array();
  const journal = decodeJournal(journalBytes);
  const dbBytes = await readFileIfExists(fs, path.join(folder, DB_FILE));
  const tryOpen = (bytes: Uint8Array, what: string): Store | undefined => {
    try {
      const s = Store.open(SQL, bytes);
      // The file is only ever replaced whole (rename + folder fsync), so a crash cannot tear it;
      // damage from outside shows when Store.open reads the schema. A full check would cost about
      // 10 ms per MB at every recovery, so it is left to `PRAGMA integrity_check` on demand.
      steps.push({ step: `open ${what}`, ok: true, detail: `${bytes.length} bytes, last folded journal record ${s.getMeta('last_seq')}` });
      return s;
    } catch (e) {
      steps.push({ step: `open ${what}`, ok: false, detail: errText(e) });
      return undefined;
    }
  };

  if (dbBytes && dbBytes.length > 0) store = tryOpen(dbBytes, DB_FILE);
  else steps.push({ step: `open ${DB_FILE}`, ok: dbBytes === undefined, detail: dbBytes === undefined ? 'no database file yet' : 'the file is empty' });

  // Without a readable database, the journal alone is complete only if it starts at record 1.
  const historyElsewhere = journal.records.length > 0 && (journal.records[0].op.o === 'base' || journal.records[0].seq > 1);
  // A missing database with a journal from record 1 is a run that never compacted: replay it all.
  if (!store && (dbBytes !== undefined || historyElsewhere)) {
    for (const img of await listImages(fs, folder).catch(() => [])) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = await readImage(fs, folder, img);
      } catch (e) {
        steps.push({ step: `open ${CHECKPOINT_DIR}/${img.name}`, ok: false, detail: errText(e) });
        continue;
      }
      if ((store = tryOpen(bytes, `${CHECKPOINT_DIR}/${img.name}`))) {
        loadedFrom = 'recovery_checkpoint';
        break;
      }
    }
    if (!store) {
      const ems = (await listDir(fs, folder)).filter(isEmergencyFile).sort().reverse();
      for (const f of ems) {
        try {
          const data = JSON.parse(Buffer.from(await fs.readFile(path.join(folder, f))).toString('utf8')) as EmergencyFile;
          store = Store.open(SQL, undefined);
          importEmergency(store, data);
          loadedFrom = 'emergency_json';
          steps.push({ step: `load ${f}`, ok: true, detail: `emergency backup from ${data.created_at}` });
          break;
        } catch (e) {
          steps.push({ step: `load ${f}`, ok: false, detail: errText(e) });
        }
      }
    }
    if (!store && dbBytes !== undefined) lost.push('The database and every fallback were unreadable; history before the journal is lost.');
  }
  if (!store) {
    store = Store.open(SQL, undefined);
    loadedFrom = 'empty';
  }

  const lastSeq = Number(store.getMeta('last_seq') ?? 0);
  const base = journal.records[0]?.op.o === 'base' ? journal.records[0].seq : undefined;
  const toApply = journal.records.filter(r => r.seq > lastSeq && r.op.o !== 'base');
  const firstNeeded = base !== undefined ? base + 1 : toApply[0]?.seq;
  if (firstNeeded !== undefined && firstNeeded > lastSeq + 1) {
    lost.push(`Journal records ${lastSeq + 1} to ${firstNeeded - 1} were only in the unreadable database and are lost ` +
      `(the state is that of ${loadedFrom === 'empty' ? 'an empty store' : `the ${loadedFrom.replace('_', ' ')}`} plus the journal).`);
  }
  for (const c of journal.corrupt) {
    lost.push(`Journal line ${c.line} (byte ${c.offset}) failed its checksum and was skipped: "${c.preview}"`);
  }
  let replayed = 0;
  let maxSeq = lastSeq;
  store.exec('BEGIN');
  for (const r of toApply) {
    if (r.seq <= maxSeq) continue;
    try {
      store.exec('SAVEPOINT r');
      store.applyOp(r.op);
      store.exec('RELEASE r');
      replayed++;
    } catch (e) {
      store.exec('ROLLBACK TO r; RELEASE r');
      store.dropCaches();
      lost.push(`Journal record ${r.seq} (${r.op.o}) could not be applied: ${errText(e)}`);
    }
    maxSeq = r.seq;
  }
  store.exec('COMMIT');
  steps.push({
    step: 'replay journal',
    ok: journal.corrupt.length === 0,
    detail: `${replayed} records replayed after record ${lastSeq}` +
      (journal.tornTailBytes ? `; a torn tail of ${journal.tornTailBytes} bytes (a write never acknowledged) was discarded` : '') +
      (journal.corrupt.length ? `; ${journal.corrupt.length} corrupt records skipped` : ''),
  });
  if (replayed) log.info(`[engine] replayed ${replayed} journal records`);
  const lastSeen = journal.records.reduce((m, r) => Math.max(m, r.seq), maxSeq);
  const journalHadContent = journal.records.some(r => r.op.o !== 'base') || journal.tornTailBytes > 0 || journal.corrupt.length > 0;
  return { store, loadedFrom, steps, lost, replayed, lastSeq: lastSeen, journalHadContent };
}

interface EmergencyFile {
  created_at: string;
  last_seq: number;
  state: JsonObject;
  tasks: Task[];
  agents: Record<string, string | number | null>[];
  decisions: Decision[];
  messages: Message[];
}

function importEmergency(store: Store, data: EmergencyFile): void {
  store.exec('BEGIN');
  store.run('INSERT OR REPLACE INTO orchestrator_state (id, body, updated_at) VALUES (1, ?, ?)', [JSON.stringify(data.state ?? {}), data.created_at]);
  for (const t of data.tasks ?? []) {
    store.run(
      `INSERT OR REPLACE INTO task_progress (task_id, description, status, percentage, completed_subtasks, blockers, agent_id, metadata,
        created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
      [t.task_id, t.description, t.status, t.percentage, JSON.stringify(t.completed_subtasks), JSON.stringify(t.blockers),
        t.agent_id, JSON.stringify(t.metadata), t.created_at, t.updated_at],
    );
  }
  for (const a of data.agents ?? []) {
    store.run(
      `INSERT OR REPLACE INTO agent_states (agent_id, status, current_task, capabilities, metadata, first_seen, last_seen, last_seen_ms)
       VALUES (?,?,?,?,?,?,?,?)`,
      [a.agent_id, a.status, a.current_task, a.capabilities, a.metadata, a.first_seen, a.last_seen, a.last_seen_ms],
    );
  }
  for (const d of data.decisions ?? []) {
    store.applyOp({ o: 'decision', t: Date.parse(d.ts), id: d.id, d });
  }
  for (const m of data.messages ?? []) {
    store.applyOp({ o: 'message', t: Date.parse(m.ts), id: m.id, d: m });
  }
  store.setMeta('last_seq', data.last_seq ?? 0);
  store.exec('COMMIT');
}
