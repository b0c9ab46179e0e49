import type { AlertSettings } from './alertSettings';
import type { LangGraphApi } from './langgraph';
import type {
  Agent, AgentUpdate, Alert, BatchEvent, BatchResult, ChangeEvent, CheckpointInfo, CheckpointResult, CleanupResult,
  ContextView, Decision, DecisionInput, EngineMetrics, EngineStatus, Json, JsonObject, ListQuery, Message,
  MessageInput, RecoveryReport, ChangesSince, ResumeClearedBy, ResumePoint, ResumePointInfo, Span, SpanInput, SpanQuery, SpanWriteResult, Task, TaskEvent, TaskStatus, TaskUpdate, TokenUsage,
} from './types';
import type { SpoolResult } from './intake';
import type { SearchCandidate } from './searchText';

export interface Disposable {
  dispose(): void;
}

/**
 * What the engine offers the server, the CLI and the extension. Writes resolve only once durable
 * (journal flushed with fdatasync) and reject with ValidationError (bad input, nothing changed),
 * PersistenceError (could not be made durable, nothing changed) or EngineClosedError.
 */
export interface ContextEngineApi {
  readonly folder: string;
  /** Set when this open found a crashed previous run and recovered it. */
  readonly recoveryReport: RecoveryReport | undefined;
  /** LangGraph checkpoints (JarvisSaver in the clients): durable when a write resolves, like every write. */
  readonly langgraph: LangGraphApi;

  updateTaskProgress(taskId: string, update: TaskUpdate): Promise<Task>;
  logDecision(input: DecisionInput): Promise<Decision>;
  /** Also a heartbeat: last_seen becomes now. */
  updateAgentState(agentId: string, update: AgentUpdate): Promise<Agent>;
  logAgentMessage(input: MessageInput): Promise<Message>;
  /** Replaces the orchestrator's own state; conversation_history is capped at historySize. */
  updateContext(state: JsonObject): Promise<JsonObject>;
  /** All-or-nothing, one flush. */
  writeBatch(events: BatchEvent[]): Promise<BatchResult>;
  /**
   * OpenTelemetry ingestion: raw spans plus the agent/task/decision/message events mapped from
   * them, in one journal record (all or nothing, durable when it resolves).
   */
  writeSpans(spans: SpanInput[], derived: BatchEvent[]): Promise<SpanWriteResult>;
  markRecoveryPoint(label: string): Promise<CheckpointResult>;
  /** A checkpoint on demand (kind 'manual', labelled or not): also a recovery point, with a copy of the database. */
  checkpoint(label?: string): Promise<CheckpointResult>;
  /** Folds the journal into the database file now; false when the database could not be written. */
  compact(): Promise<boolean>;
  cleanup(options: { olderThanDays: number; dryRun?: boolean }): Promise<CleanupResult>;
  /**
   * Resume and fork: records a checkpoint of kind `fork` of `checkpoint_id` (its orchestrator state
   * replaced by `state` when given) and makes it the pending resume point. ValidationError for bad
   * input, NotFoundError for an unknown checkpoint.
   */
  setResumePoint(input: { checkpoint_id: number; state?: JsonObject }): Promise<ResumePointInfo>;
  /** The same, from the newest recovery point; NotFoundError when there is none. */
  resumeFromLastRecoveryPoint(): Promise<ResumePointInfo>;
  /** Ends the pending resume point and records a decision saying who; NotFoundError when none (or not `resumePointId`). */
  clearResumePoint(by: Exclude<ResumeClearedBy, 'replaced'>, resumePointId?: number): Promise<ResumePointInfo>;
  getPendingResumePoint(): ResumePointInfo | undefined;
  getResumePoint(): Promise<ResumePoint | undefined>;
  /** GET /context: the pending resume point's context and id, else the live context. */
  getRestoreContext(): Promise<ContextView>;
  getLastRecoveryPointId(): number | undefined;
  /** The recovery analysis now, written to disk as a report (POST /recover). */
  analyzeRecovery(): Promise<RecoveryReport>;
  /** What arrived after a report's moment; undefined for a report without one (written by an older version). */
  changesSince(report: RecoveryReport): ChangesSince | undefined;
  /** The spool taken in at server start: counted in the status, added to this open's crash report. */
  noteSpoolIntake(result: SpoolResult): Promise<void>;
  /** A write from a client naming itself (Jarvis-Client header); `spooled` when it carried spooled events. */
  noteClientWrite(client: string | undefined, spooled?: BatchResult): void;

  getStatus(): EngineStatus;
  getMetrics(): EngineMetrics;
  getTasks(filter?: { status?: TaskStatus }): Task[];
  getTask(taskId: string): Task | undefined;
  getTaskEvents(taskId: string, limit?: number): TaskEvent[];
  getAgents(): Agent[];
  getAgent(agentId: string): Agent | undefined;
  /** Newest first; reaches into the archive when the live database has too few. */
  getDecisions(query?: ListQuery): Promise<Decision[]>;
  getDecision(id: number): Promise<Decision | undefined>;
  getMessages(query?: ListQuery): Promise<Message[]>;
  /** Newest first (by start time), live database then archive. */
  getSpans(query?: SpanQuery): Promise<Span[]>;
  /**
   * Decisions, messages and spans holding every word of `q` (see searchText.ts), live and
   * archived, found through the search index; newest first per kind, at most `cap` (10 000) per kind.
   */
  searchHistory(q: string, cap?: number): Promise<SearchCandidate[]>;
  /** gen_ai.usage.* summed from the stored spans, per agent and per task. */
  getTokenUsage(): { agents: Record<string, TokenUsage>; tasks: Record<string, TokenUsage> };
  getContext(): ContextView;
  getConversationHistory(limit?: number): Json[];
  /** Newest first. */
  listCheckpoints(limit?: number): CheckpointInfo[];
  /** The context stored with that checkpoint, or undefined for an unknown id. */
  getCheckpointSnapshot(checkpointId: number): Promise<JsonObject | undefined>;
  getLatestRecoveryReport(): Promise<RecoveryReport | undefined>;
  /** The last `limit` (default 10) reports, newest first. */
  listRecoveryReports(limit?: number): Promise<RecoveryReport[]>;
  /** Markdown rendering of a report (as written beside the JSON). */
  renderRecoveryReport(report: RecoveryReport): string;
  /** Everything, for `jarvis-context export`. */
  exportAll(): Promise<JsonObject>;

  /** Settings that take effect while running: 0 stops the periodic checkpoint. */
  setCheckpointInterval(ms: number): void;
  setStaleAfterMs(ms: number): void;
  setHistorySize(n: number): void;
  /** Database images kept under checkpoints/: how many, and how many bytes together (the newest is always kept). */
  setImageRetention(retention: { count: number; bytes: number }): void;

  /** Watchdog alerts, newest first; `active: true` for those still going on. */
  getAlerts(query?: { active?: boolean; limit?: number }): Alert[];
  /** Makes an alert inactive (durable when it resolves); undefined for an unknown id. */
  dismissAlert(id: number): Promise<Alert | undefined>;
  /** New watchdog thresholds; fields left out take their defaults. */
  setAlertSettings(settings: Partial<AlertSettings>): Promise<void>;

  onDidChange(listener: (event: ChangeEvent) => void): Disposable;
  /** Final checkpoint and compaction, marker removed, lock released. Idempotent. */
  close(): Promise<void>;
}
