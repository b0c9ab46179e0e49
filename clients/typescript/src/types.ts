// The shapes of the REST API (shared/API.md) as this client sends and receives them: snake_case,
// as on the wire. Kept equal to the server's own types by test/unit/client/types.test.ts.

export const TASK_STATUSES = ['pending', 'in_progress', 'blocked', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
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

export type SnapshotKind = 'auto' | 'manual' | 'recovery' | 'shutdown' | 'fork';

export interface CheckpointInfo {
  checkpoint_id: number;
  created_at: string;
  label: string | null;
  kind: SnapshotKind;
  snapshot_id: number;
  content_hash: string;
  size: number;
  /** Binary database copy under checkpoints/, for recovery points; null otherwise. */
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
  /** While a resume point is pending: its id and its fork checkpoint (restoreContext() clears it). */
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
  /** Where the database came from: the primary file, a recovery checkpoint, an emergency JSON, or nothing. */
  loaded_from: 'database' | 'recovery_checkpoint' | 'emergency_json' | 'empty' | 'live';
  steps: RecoveryStep[];
  restored: { tasks: number; agents: number; decisions: number; messages: number; snapshots: number; journal_records_replayed: number };
  stale_agents: Agent[];
  incomplete_tasks: Task[];
  last_decisions: Decision[];
  /** Tool calls, messages and decisions recorded after the newest recovery point: a resume from it repeats them. */
  after_last_recovery_point: { recovery_point: CheckpointInfo | null; decisions: number; messages: number; task_events: number };
  crash_frontier: CrashFrontier;
  lost: string[];
  duration_ms: number;
  /** The moment the report describes; writes after it are not in it. */
  as_of?: string;
  as_of_ids?: { decision: number; message: number; task_event: number; checkpoint: number; span: number };
  /** Spooled events taken in when the server came back after the crash (crash reports). */
  spool_intake?: SpoolResult | null;
  /** Crash reports: debugger holds the dead run left open (its held calls went on after their hold timeout). */
  breakpoint_holds_at_crash?: {
    hold_id: string; breakpoint: string | null; reason: string; filter: string | null; event_kind: string; event_name: string | null;
    agent_id: string | null; task_id: string | null; source: { file: string; line: number; function: string | null } | null; since: string;
  }[];
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


/** An OpenTelemetry span as the server reports it (the fields a client reads; the server sends more). */
export interface Span {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  start_time: string;
  end_time: string | null;
  status: 'unset' | 'ok' | 'error';
  operation: string | null;
  agent_id: string | null;
  task_id: string | null;
  tool_name: string | null;
  attributes: JsonObject;
}

/** POST /resume-point. */
export interface ResumePointCreated {
  resume_point_id: number;
  /** The fork checkpoint recorded for it. */
  checkpoint_id: number;
  /** The checkpoint chosen. */
  parent_id: number;
  edited: boolean;
  created_at: string;
}

/** GET /resume-point: the pending one, with the context it restores. */
export interface ResumePoint extends ResumePointCreated {
  label: string | null;
  cleared_at: string | null;
  cleared_by: string | null;
  state: JsonObject;
  tasks: Json[];
  agents: Json[];
  recent_decisions: Json[];
}
