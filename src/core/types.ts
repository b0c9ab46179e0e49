// The records the engine stores and returns. Field names are snake_case, as in the REST API,
// so the server and the views pass them through unchanged.

export const TASK_STATUSES = ['pending', 'in_progress', 'blocked', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const OPEN_TASK_STATUSES: readonly TaskStatus[] = ['pending', 'in_progress', 'blocked'];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Fields a caller may send for a task; every one is optional and merges into the stored task. */
export interface TaskUpdate {
  description?: string;
  status?: TaskStatus;
  percentage?: number;
  completed_subtasks?: string[];
  blockers?: string[];
  agent_id?: string | null;
  metadata?: JsonObject;
}

export interface Task {
  task_id: string;
  description: string;
  status: TaskStatus;
  percentage: number;
  completed_subtasks: string[];
  blockers: string[];
  agent_id: string | null;
  metadata: JsonObject;
  created_at: string;
  updated_at: string;
}

export interface TaskEvent {
  id: number;
  ts: string;
  task_id: string;
  /** The fields this update changed (as sent, after validation). */
  changes: TaskUpdate;
}

export interface AgentUpdate {
  status?: string;
  current_task?: string | null;
  capabilities?: string[];
  metadata?: JsonObject;
}

export type AgentHealth = 'healthy' | 'warning' | 'stale';

export interface Agent {
  agent_id: string;
  status: string;
  current_task: string | null;
  capabilities: string[];
  metadata: JsonObject;
  first_seen: string;
  last_seen: string;
  /** Derived with the engine's clock when read. */
  seconds_since_update: number;
  health: AgentHealth;
  stale: boolean;
  /** Idle (or done, stopped…) with no task in progress: its silence is expected, so it is never stale. */
  at_rest: boolean;
}

export interface DecisionInput {
  decision_type: string;
  context: Json;
  decision: string;
  reasoning: string;
  outcome?: Json;
  agent_id?: string | null;
  task_id?: string | null;
}

export interface Decision {
  id: number;
  ts: string;
  decision_type: string;
  context: Json;
  decision: string;
  reasoning: string;
  outcome: Json;
  agent_id: string | null;
  task_id: string | null;
}

export interface MessageInput {
  from_agent: string;
  to_agent: string;
  message_type: string;
  content: Json;
}

export interface Message {
  id: number;
  ts: string;
  from_agent: string;
  to_agent: string;
  message_type: string;
  content: Json;
}

/** `fork`: a checkpoint made to resume from another one (its parent), its state maybe edited. */
export type SnapshotKind = 'auto' | 'manual' | 'recovery' | 'shutdown' | 'fork';

export interface CheckpointInfo {
  checkpoint_id: number;
  created_at: string;
  label: string | null;
  kind: SnapshotKind;
  snapshot_id: number;
  content_hash: string;
  size: number;
  /**
   * Always null since schema version 2: recovery points no longer copy the database (rotated
   * images under checkpoints/ guard it instead). Kept so older clients read the same fields.
   */
  file: string | null;
  /** For a fork: the checkpoint it was made from; null otherwise. */
  parent_id: number | null;
}

export interface CheckpointResult {
  checkpoint_id: number;
  created_at: string;
  duration_ms: number;
  /** True when the context equalled the latest snapshot and no new body was stored. */
  deduplicated: boolean;
  kind: SnapshotKind;
  file: string | null;
}

/** The context a restarted orchestrator resumes from. */
export interface ContextView {
  /** The orchestrator's own state, as last sent (conversation history capped). */
  state: JsonObject;
  tasks: Task[];
  agents: Agent[];
  recent_decisions: Decision[];
  updated_at: string | null;
  /**
   * GET /context while a resume point is pending: its id and its fork checkpoint; the rest is that
   * checkpoint's context (agents as stored, without the fields computed from the clock).
   */
  resume_point_id?: number;
  checkpoint_id?: number;
}

export interface EngineStatus {
  session_id: string;
  started_at: string;
  last_checkpoint_at: string | null;
  checkpoint_count: number;
  recovered_from_crash: boolean;
  storage_path: string;
  /** 'ok', or 'degraded' when the database or journal cannot be written (see `persistence_error`). */
  persistence: 'ok' | 'degraded';
  persistence_error: string | null;
  counts: { agents: number; tasks: number; decisions: number; messages: number; snapshots: number };
  /** Who wrote since this run started, and the spooled events it took in. */
  since_start: SinceStart;
}

export interface EngineMetrics {
  checkpoint: { count: number; avg_ms: number; p95_ms: number; last_ms: number };
  compaction: { count: number; last_ms: number };
  db_bytes: number;
  journal_bytes: number;
  archive_bytes: number;
  /** Bytes on disk by kind; images are the gzipped database copies under checkpoints/. */
  storage_bytes: { database: number; journal: number; images: number; archive: number; total: number };
  memory_bytes: number;
  events_total: number;
  dedup_hits: number;
  recovery: { last_ms: number | null };
  snapshot_rates: { hourly: number; daily: number };
  activity: { messages_per_hour: number; decisions_per_hour: number };
  storage: { growth_rate_mb_per_day: number };
}

export interface ListQuery {
  /** Default 100, at most 10,000. */
  limit?: number;
  /** ISO time: only records at or after it. */
  since?: string;
  agent_id?: string;
  task_id?: string;
  /** Only the live database: skips the archive segments (on disk) for a hot path. */
  live_only?: boolean;
  /** Only rows with a smaller id: the next page back (GET /spans?before=). */
  beforeId?: number;
}

export interface CleanupResult {
  dry_run: boolean;
  cutoff: string;
  removed: {
    decisions: number; messages: number; task_events: number; snapshots: number; spans: number; checkpoint_files: number;
    /** LangGraph checkpoints older than the cutoff; the newest of each thread's namespace stays. */
    langgraph_checkpoints: number;
  };
}

export interface RecoveryStep {
  step: string;
  ok: boolean;
  detail: string;
}

export interface RecoveryReport {
  file: string;
  created_at: string;
  /** 'crash' after a dead writer's marker; 'manual' when asked for (POST /recover). */
  trigger: 'crash' | 'manual';
  previous_run: { pid: number; host: string; started_at: string } | null;
  /** Where the database came from: the primary file, a database image under checkpoints/ (named recovery_checkpoint since schema 1), an emergency JSON, or nothing. */
  loaded_from: 'database' | 'recovery_checkpoint' | 'emergency_json' | 'empty' | 'live';
  steps: RecoveryStep[];
  restored: { tasks: number; agents: number; decisions: number; messages: number; snapshots: number; journal_records_replayed: number };
  stale_agents: Agent[];
  incomplete_tasks: Task[];
  last_decisions: Decision[];
  /** Tool calls, messages and decisions recorded after the newest recovery point: a resume from it repeats them. */
  after_last_recovery_point: { recovery_point: CheckpointInfo | null; decisions: number; messages: number; task_events: number };
  crash_frontier: CrashFrontier;
  /** Alerts still active when the report was made, then the newest others (reports before alerts existed lack it). */
  alerts?: Alert[];
  lost: string[];
  /** Records acknowledged once and in no readable file (the sequence range, counts by kind where known); null when none. */
  lost_records?: { from: number; to: number; count: number; by_kind: Record<string, number> | null } | null;
  /** Why this load started a new history (its records get a new identity in team mode); null when it continues the last one. */
  new_history?: string | null;
  duration_ms: number;
  /**
   * The moment the report describes: the state as it was then. Writes that arrive later (a
   * spooled event keeps its own, earlier time) are not in it; `as_of_ids` tells them apart.
   * Absent in reports written before this field existed.
   */
  as_of?: string;
  as_of_ids?: ReportMarks;
  /** Spooled events taken in when the server came back after the crash (crash reports). */
  spool_intake?: SpoolResult | null;
  /** Triggers, views and tables or indexes not of our schema that the loaded database held, dropped at load. */
  foreign_objects_dropped?: { type: string; name: string }[];
  /**
   * Crash reports: the debugger's holds the dead run had recorded and not ended (newest first, at
   * most 50). Each held call went on by itself once the server was unreachable for its client's
   * hold timeout. Absent in other reports and in reports written before this field existed.
   */
  breakpoint_holds_at_crash?: HeldAtCrash[];
}

/** The decision types of a debugger hold's durable trace: created, then ended (however it ends). */
export const HOLD_DECISION = 'debug_hold';
export const RELEASE_DECISION = 'debug_hold_released';

/** A hold open when the run died, read back from its `debug_hold` decision. */
export interface HeldAtCrash {
  hold_id: string;
  /** The breakpoint's name (`tool:search`); null for a filter or a pause. */
  breakpoint: string | null;
  reason: string;
  filter: string | null;
  event_kind: string;
  event_name: string | null;
  agent_id: string | null;
  task_id: string | null;
  /** Where the orchestrator called from, as its client said. */
  source: { file: string; line: number; function: string | null } | null;
  /** When the hold began. */
  since: string;
}

/** The newest row id of each history table at a report's moment. */
export interface ReportMarks {
  decision: number;
  message: number;
  task_event: number;
  checkpoint: number;
  span: number;
}

/** What arrived after a report's moment, by arrival (row id), not by the event's own time. */
export interface ChangesSince {
  as_of: string;
  decisions: number;
  messages: number;
  task_events: number;
  checkpoints: number;
  spans: number;
  /** The tasks those task events touched, as they are now (at most 50). */
  tasks: Task[];
}

/** What was in flight when the writer died. */
export interface CrashFrontier {
  /** Time of the newest stored record: the last moment the engine is known to have been alive. */
  last_activity_at: string | null;
  tasks_in_progress: Task[];
  /** Agents seen within the staleness window before the last activity. */
  agents_active_at_crash: Agent[];
  /** Tool calls (execute_tool spans) recorded after the newest recovery point: a resume from it runs them again. */
  tool_calls_after_recovery_point: Span[];
  /** Traces whose root span never arrived finished: the conversations cut off by the crash. */
  unfinished_conversations: { trace_id: string; conversation_id: string | null; spans: Span[] }[];
}

export type ChangeKind = 'task' | 'agent' | 'decision' | 'message' | 'context' | 'checkpoint' | 'cleanup' | 'recovery' | 'persistence' | 'span' | 'alert' | 'resume' | 'langgraph';

export interface ChangeEvent {
  kind: ChangeKind;
  /** Ids of the records that changed (task ids, agent ids, decision ids as strings, ...). */
  ids: string[];
  at: string;
}

/**
 * One entry of a batch (POST /events). `event_id`, when given, makes the entry idempotent: an id
 * the engine has already stored is skipped, so a client may resend a spooled batch safely.
 */
export type BatchEvent = { event_id?: string; /** When it happened (ISO); default: when stored. */ ts?: string } & (
  | ({ type: 'task'; task_id: string } & TaskUpdate)
  | ({ type: 'agent'; agent_id: string } & AgentUpdate)
  | ({ type: 'decision' } & DecisionInput)
  | ({ type: 'message' } & MessageInput)
  | { type: 'context'; context: JsonObject }
);

export interface BatchResult {
  accepted: number;
  /** Entries skipped because their event_id was already stored. */
  duplicates: number;
}

export type SpanStatus = 'unset' | 'ok' | 'error';

/** An OpenTelemetry span as stored: the raw attributes plus the GenAI fields the views need. */
export interface SpanInput {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  /** OTLP SpanKind number (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
  kind: number;
  start_time: string;
  end_time: string | null;
  status: SpanStatus;
  status_message: string | null;
  /** gen_ai.operation.name (invoke_agent, execute_tool, chat, ...), or null for other spans. */
  operation: string | null;
  agent_id: string | null;
  agent_name: string | null;
  conversation_id: string | null;
  task_id: string | null;
  tool_name: string | null;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  attributes: JsonObject;
  resource: JsonObject;
  scope: string | null;
}

export interface Span extends SpanInput {
  id: number;
  duration_ms: number | null;
}

export interface SpanQuery {
  live_only?: boolean;
  limit?: number;
  since?: string;
  trace_id?: string;
  conversation_id?: string;
  agent_id?: string;
  task_id?: string;
  /** Only spans stored before this row id: the next page back. */
  beforeId?: number;
}

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
}

export interface SpanWriteResult {
  /** Spans stored; a span already stored (same trace and span id) replaces the earlier copy. */
  spans: number;
  /** Derived events applied (agents, tasks, decisions, messages). */
  events: number;
}

export const ALERT_KINDS = ['stuck_agent', 'loop', 'stalled_task', 'budget', 'replication'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** What an alert is about: an agent or a task, by id. */
export interface AlertSubject {
  /** 'team': team mode's replication (`id` says which condition: stalled, set_aside). */
  type: 'agent' | 'task' | 'team';
  id: string;
}

/**
 * A watchdog's finding (GET /alerts). Raised once per episode; `count` and `last_seen` follow the
 * episode while it lasts; `active` turns false when the condition ends or the user dismisses it.
 */
export interface Alert {
  id: number;
  kind: AlertKind;
  subject: AlertSubject;
  message: string;
  first_seen: string;
  last_seen: string;
  /** Repetitions (loop), checks that found the condition (stuck, stalled), spans over budget (budget). */
  count: number;
  active: boolean;
  cleared_at: string | null;
  cleared_by: 'condition' | 'dismissed' | null;
  /** The figures behind the message (the repeated call, tokens and budget, minutes idle, ...). */
  detail: JsonObject;
}

/** What ingesting spooled events came to. */
export interface SpoolResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  unreadable_lines: number;
}

export interface ClientSeen {
  /** As the client names itself, e.g. "python pid=4242 orchestrator.py". */
  client: string;
  first_seen: string;
  last_seen: string;
  writes: number;
}

export interface SinceStart {
  started_at: string;
  /** Taken from the spool files by this server when it started. */
  spool_at_start: SpoolResult | null;
  /** Spooled events clients sent once they reached this server. */
  spool_from_clients: { accepted: number; duplicates: number };
  /** Orchestrators that wrote to this server, newest first (at most 20). */
  clients: ClientSeen[];
}

/** Who ended a resume point: the orchestrator that restored it, the user who cancelled it, or a newer one. */
export type ResumeClearedBy = 'orchestrator' | 'user' | 'replaced';

/** A resume point: the next orchestrator start restores the context of `checkpoint_id` (a fork of `parent_id`). */
export interface ResumePointInfo {
  resume_point_id: number;
  /** The fork checkpoint recorded for it. */
  checkpoint_id: number;
  /** The checkpoint the user chose. */
  parent_id: number;
  /** Whether the orchestrator state was edited (the fork differs from its parent's state). */
  edited: boolean;
  created_at: string;
  /** Label of the chosen checkpoint, for display. */
  label: string | null;
  cleared_at: string | null;
  cleared_by: ResumeClearedBy | null;
}

/** GET /resume-point: the pending resume point with the context it restores. */
export interface ResumePoint extends ResumePointInfo {
  state: JsonObject;
  tasks: Json[];
  agents: Json[];
  recent_decisions: Json[];
}
