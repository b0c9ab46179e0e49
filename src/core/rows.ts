import type { SqlValue } from 'sql.js';
import type { Agent, AgentHealth, Alert, AlertKind, CheckpointInfo, Decision, Json, Message, SnapshotKind, Span, Task, TaskStatus } from './types';

// Rows of the database as the records the engine returns, and the filters of its lists.

export type Row = Record<string, SqlValue>;

export const parseJson = <T>(text: SqlValue, fallback: T): T => (typeof text === 'string' ? (JSON.parse(text) as T) : fallback);
const parse = parseJson;

/** The WHERE clause of a newest-first list: paging below `beforeId`, `since`, and equality filters. */
export function listWhere(q: { beforeId?: number; since?: string }, eq: [string, SqlValue | undefined][] = []): { where: string; params: SqlValue[] } {
  const conds: string[] = [];
  const params: SqlValue[] = [];
  if (q.beforeId !== undefined) { conds.push('id < ?'); params.push(q.beforeId); }
  if (q.since) { conds.push('ts >= ?'); params.push(q.since); }
  for (const [col, v] of eq) {
    if (v === undefined || v === null || v === '') continue;
    // A message belongs to an agent that sent it or received it.
    if (col === 'agent') { conds.push('(from_agent = ? OR to_agent = ?)'); params.push(v, v); }
    else { conds.push(`${col} = ?`); params.push(v); }
  }
  return { where: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

export function toTask(r: Row): Task {
  return {
    task_id: String(r.task_id), description: String(r.description), status: r.status as TaskStatus,
    percentage: Number(r.percentage), completed_subtasks: parse(r.completed_subtasks, []), blockers: parse(r.blockers, []),
    agent_id: (r.agent_id as string | null) ?? null, metadata: parse(r.metadata, {}),
    created_at: String(r.created_at), updated_at: String(r.updated_at),
  };
}

export const HEALTHY_MS = 60_000;

/** Stale past the threshold unless at rest; healthy when heard from within a minute, or at rest. */
export function agentHealth(ageMs: number, staleAfterMs: number, atRest: boolean): { stale: boolean; health: AgentHealth } {
  const stale = !atRest && ageMs > staleAfterMs;
  return { stale, health: stale ? 'stale' : atRest || ageMs < HEALTHY_MS ? 'healthy' : 'warning' };
}

/** Statuses an agent reports when it has nothing to do (or said it stopped): silence is then expected. */
export const REST_STATUS = /^(idle|ready|waiting|available|completed|complete|done|finished|stopped|offline|terminated)$/i;

/** At rest: a status of having nothing to do, and no task in progress assigned to it or named its current one. */
export function isAtRest(status: string, working: boolean): boolean {
  return REST_STATUS.test(status) && !working;
}

/**
 * `r.working` (see AGENT_COLUMNS): a task in progress is assigned to the agent or is its current
 * task. An agent at rest with none is not stale however long it stays silent.
 */
export function toAgent(r: Row, nowMs: number, staleAfterMs: number): Agent {
  const age = Math.max(0, nowMs - Number(r.last_seen_ms));
  const status = String(r.status);
  const atRest = isAtRest(status, !!Number(r.working));
  const { stale, health } = agentHealth(age, staleAfterMs, atRest);
  return {
    agent_id: String(r.agent_id), status, current_task: (r.current_task as string | null) ?? null,
    capabilities: parse(r.capabilities, []), metadata: parse(r.metadata, {}), first_seen: String(r.first_seen),
    last_seen: String(r.last_seen), seconds_since_update: Math.floor(age / 1000), health, stale, at_rest: atRest,
  };
}

export function toDecision(r: Row): Decision {
  return {
    id: Number(r.id), ts: String(r.ts), decision_type: String(r.decision_type), context: parse<Json>(r.context, null),
    decision: String(r.decision), reasoning: String(r.reasoning), outcome: parse<Json>(r.outcome, null),
    agent_id: (r.agent_id as string | null) ?? null, task_id: (r.task_id as string | null) ?? null,
  };
}

export function toMessage(r: Row): Message {
  return {
    id: Number(r.id), ts: String(r.ts), from_agent: String(r.from_agent), to_agent: String(r.to_agent),
    message_type: String(r.message_type), content: parse<Json>(r.content, null),
  };
}

export function toSpan(r: Row): Span {
  const start = Date.parse(String(r.start_time));
  const end = r.end_time === null ? NaN : Date.parse(String(r.end_time));
  const str = (v: SqlValue) => (v === null ? null : String(v));
  const num = (v: SqlValue) => (v === null ? null : Number(v));
  return {
    id: Number(r.id), trace_id: String(r.trace_id), span_id: String(r.span_id), parent_span_id: str(r.parent_span_id),
    name: String(r.name), kind: Number(r.kind), start_time: String(r.start_time), end_time: str(r.end_time),
    duration_ms: Number.isNaN(end) ? null : end - start, status: r.status as Span['status'], status_message: str(r.status_message),
    operation: str(r.operation), agent_id: str(r.agent_id), agent_name: str(r.agent_name), conversation_id: str(r.conversation_id),
    task_id: str(r.task_id), tool_name: str(r.tool_name), model: str(r.model), input_tokens: num(r.input_tokens),
    output_tokens: num(r.output_tokens), attributes: parse(r.attributes, {}), resource: parse(r.resource, {}), scope: str(r.scope),
  };
}

export function toCheckpoint(r: Row): CheckpointInfo {
  return {
    checkpoint_id: Number(r.id), created_at: String(r.created_at), label: (r.label as string | null) ?? null,
    kind: r.kind as SnapshotKind, snapshot_id: Number(r.snapshot_id), content_hash: String(r.content_hash ?? ''),
    size: Number(r.size ?? 0), file: (r.file as string | null) ?? null,
    parent_id: r.parent_id === null || r.parent_id === undefined ? null : Number(r.parent_id),
  };
}

export function toAlert(r: Row): Alert {
  return {
    id: Number(r.id), kind: r.kind as AlertKind, subject: { type: r.subject_type === 'task' ? 'task' : r.subject_type === 'team' ? 'team' : 'agent', id: String(r.subject_id) },
    message: String(r.message), first_seen: String(r.first_seen), last_seen: String(r.last_seen), count: Number(r.count),
    active: Number(r.active) === 1, cleared_at: (r.cleared_at as string | null) ?? null,
    cleared_by: (r.cleared_by as Alert['cleared_by']) ?? null, detail: parse(r.detail, {}),
  };
}
