import type { LgAction } from './langgraph/types';
import type { SnapshotDelta } from './snapshotDelta';
import type { Alert, AgentUpdate, DecisionInput, JsonObject, MessageInput, SnapshotKind, SpanInput, TaskUpdate } from './types';

// What the journal records. Each op carries everything that is not a pure function of the database
// (time, assigned ids), so replaying it after a crash rebuilds exactly the acknowledged state.

export interface TaskOp { o: 'task'; t: number; id: string; u: TaskUpdate }
export interface AgentOp { o: 'agent'; t: number; id: string; u: AgentUpdate }
export interface DecisionOp { o: 'decision'; t: number; id: number; d: DecisionInput }
export interface MessageOp { o: 'message'; t: number; id: number; d: MessageInput }
export interface ContextOp { o: 'context'; t: number; d: JsonObject }
export interface SnapshotOp {
  o: 'snapshot'; t: number; id: number; kind: SnapshotKind; label: string | null; hash: string;
  /** Schema 1: the whole snapshot as canonical JSON. */
  body?: string;
  /** Schema 2: what changed since snapshot `delta.base` (everything, for a keyframe). */
  delta?: SnapshotDelta;
  /** The keyframe of the chain this delta belongs to. */
  chain_start?: number;
  /** Bytes of the whole snapshot as canonical JSON. */
  size?: number;
}
export interface CheckpointOp {
  o: 'checkpoint'; t: number; id: number; kind: SnapshotKind; label: string | null; snapshot_id: number;
  /** Schema 1: the database copy this recovery point made. Schema 2 makes none (images are per compaction). */
  file?: string | null;
  /** The snapshot it points to, stored by the same write (one fdatasync for both). */
  snapshot?: SnapshotOp;
  /** For a fork: the checkpoint it was made from. */
  parent_id?: number;
}
/** A resume point set: the fork checkpoint recorded for it and the decision saying so, one record. */
export interface ResumePointOp { o: 'resume_point'; t: number; id: number; checkpoint: CheckpointOp; edited: boolean; decision: DecisionOp }
/** The pending resume point ended (restored by the orchestrator, or cancelled), with its decision. */
export interface ResumeClearOp { o: 'resume_clear'; t: number; id: number; by: 'orchestrator' | 'user'; decision: DecisionOp }
/** Rows moved to an archive segment that is already durable on disk. */
export interface ArchiveOp {
  o: 'archive'; t: number;
  segment: SegmentInfo;
  /** Highest ids moved, per table; snapshots are listed one by one (recovery points stay live). */
  max: { decisions: number; messages: number; task_events: number; spans?: number };
  snapshot_ids: number[];
}
export interface CleanupOp {
  o: 'cleanup'; t: number; cutoff: string;
  /** Segments dropped whole, and segments replaced by a rewritten copy. */
  drop_segments: string[];
  replace_segments: SegmentInfo[];
}
/** OpenTelemetry spans with the events mapped from them: one record, all or nothing. */
export interface SpansOp { o: 'spans'; t: number; spans: (SpanInput & { id: number })[]; items: BatchItemOp[] }
/** A batch applies all of its items or none: it is one journal record. */
export interface BatchOp { o: 'batch'; t: number; items: BatchItemOp[] }
/** An alert raised, updated or cleared: the whole record, so a replay stores it as it was. */
export interface AlertOp { o: 'alert'; t: number; a: Alert }
/** A LangGraph checkpoint, its writes, or an operation on its threads (langgraph/types.ts). */
export interface LangGraphOp { o: 'langgraph'; t: number; x: LgAction }
export type BatchItemOp = (TaskOp | AgentOp | DecisionOp | MessageOp | ContextOp) & { event_id?: string };

/**
 * First record of a journal emptied by compaction: records up to `seq` live in the database file.
 * If that file is lost and an older copy is loaded, the gap is known, and reported.
 */
export interface BaseOp {
  o: 'base'; t: number;
  /** The id high-water marks at the fold: what an older image lacks, by kind, when this database is lost. */
  ids?: Record<string, number>;
}
/** A new history starts after record `after` (see history.ts); recorded before its first record. */
export interface EpochOp { o: 'epoch'; t: number; id: string; after: number; reason: string }
export type JournalOp = BaseOp | EpochOp | TaskOp | AgentOp | DecisionOp | MessageOp | ContextOp | SnapshotOp | CheckpointOp | ArchiveOp | CleanupOp | BatchOp | SpansOp | AlertOp
  | ResumePointOp | ResumeClearOp | LangGraphOp;

export interface SegmentInfo {
  name: string;
  created_at: string;
  min_ts: string;
  max_ts: string;
  decisions: number;
  messages: number;
  task_events: number;
  snapshots: number;
  spans?: number;
  bytes: number;
  /** Highest id per table in the segment: ranges are disjoint, so paging by id visits segments in this order. */
  max_ids?: SegmentIds;
}

export interface SegmentIds {
  decision: number;
  message: number;
  task_event: number;
  span: number;
}
