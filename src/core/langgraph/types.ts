// LangGraph checkpoints as records of ours. Values stay exactly as the graph's serializer wrote
// them (type tag + bytes, base64 on the wire and in the journal); a read may ask for a readable
// JSON rendering of those whose type is json. Channel values are stored per (channel, version), so a checkpoint
// costs only the channels that changed since its parent.

/** A value as LangGraph's serializer wrote it: `[type, bytes]`, the bytes in base64. */
export interface LgTyped {
  type: string;
  data: string;
  /** The value parsed, when asked for and the serializer wrote JSON (LangGraph's JS serializer does). */
  json?: unknown;
}

/** One changed channel of a put: its new version and value (`type: "empty"` when absent). */
export interface LgBlob extends LgTyped {
  channel: string;
  /** The version as JSON text, so `1` and `"1"` stay distinct. */
  version: string;
}

/** POST /langgraph/checkpoints. */
export interface LgCheckpointInput {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  /** The checkpoint without its channel values. */
  checkpoint: LgTyped;
  /** Channel name → version (number or string), as in the checkpoint. */
  channel_versions: Record<string, number | string>;
  metadata: Record<string, unknown>;
  blobs: LgBlob[];
}

export interface LgWrite extends LgTyped {
  idx: number;
  channel: string;
}

/** POST /langgraph/writes: writes of one task against one checkpoint. */
export interface LgWritesInput {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  task_id: string;
  task_path: string;
  writes: LgWrite[];
}

export type LgPruneStrategy = 'keep_latest' | 'delete';

/** What one journal record of LangGraph does; replaying it on the same state gives the same state. */
export type LgAction =
  | { a: 'put'; c: LgCheckpointInput }
  | { a: 'writes'; w: LgWritesInput }
  | { a: 'delete_thread'; thread_id: string }
  | { a: 'delete_runs'; run_ids: string[] }
  | { a: 'copy_thread'; source: string; target: string }
  | { a: 'prune'; thread_ids: string[]; strategy: LgPruneStrategy };

export interface LgPendingWrite extends LgTyped {
  task_id: string;
  task_path: string;
  idx: number;
  channel: string;
}

/** A stored checkpoint as GET /langgraph/checkpoint answers it. */
export interface LgTuple {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  created_at: string;
  checkpoint: LgTyped;
  channel_versions: Record<string, number | string>;
  metadata: Record<string, unknown>;
  /** Values of the checkpoint's channels (those with a stored value), sorted by channel. */
  channel_values: LgBlob[];
  pending_writes: LgPendingWrite[];
}

export interface LgListQuery {
  thread_id?: string;
  /** Undefined: every namespace of the thread. */
  checkpoint_ns?: string;
  /** Only this checkpoint (LangGraph's list with a checkpoint id in its config). */
  checkpoint_id?: string;
  /** Only checkpoints older than this id (ids sort by time). */
  before?: string;
  limit?: number;
  /** Metadata keys that must equal these values. */
  filter?: Record<string, unknown>;
  /** Add `json` to values the serializer wrote as JSON. */
  readable?: boolean;
}

/** A checkpoint as a list of them shows it: no values, no checkpoint body. */
export interface LgSummary {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  created_at: string;
  metadata: Record<string, unknown>;
  /** Task paths of the writes stored against this checkpoint (the tasks that ran from it), sorted. */
  task_paths: string[];
}
