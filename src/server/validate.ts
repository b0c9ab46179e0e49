// HTTP input (bodies, path segments, query strings) to the engine's typed inputs. Every problem is
// a 400 naming the field, found before anything is written: a batch is checked entirely first.
import {
  TASK_STATUSES,
  type AgentUpdate,
  type BatchEvent,
  type DecisionInput,
  type Json,
  type JsonObject,
  type ListQuery,
  type MessageInput,
  type TaskStatus,
  type TaskUpdate,
} from '../core/types';
import { fieldError } from './http';

export const MAX_ID_LENGTH = 256;
export const MAX_LIST_LIMIT = 10_000;
export const MAX_BATCH_EVENTS = 10_000;

type Obj = { [key: string]: Json | undefined };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function requireObject(v: Json | undefined, field: string): Obj {
  if (v === undefined) throw fieldError(field, 'a JSON object is required');
  if (!isObject(v)) throw fieldError(field, 'must be a JSON object');
  return v;
}

/** A body that may be left out (e.g. POST /checkpoint): missing counts as `{}`. */
export function optionalObject(v: Json | undefined, field: string): Obj {
  return v === undefined ? {} : requireObject(v, field);
}

export function checkId(v: unknown, field: string): string {
  if (typeof v !== 'string') throw fieldError(field, 'must be a string');
  if (v.length === 0) throw fieldError(field, 'must not be empty');
  if (v.length > MAX_ID_LENGTH) throw fieldError(field, `longer than ${MAX_ID_LENGTH} characters`);
  return v;
}

function has(o: Obj, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key) && o[key] !== undefined;
}

function str(o: Obj, key: string, field: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw fieldError(field, v === undefined ? 'is required' : 'must be a string');
  return v;
}

function idField(o: Obj, key: string, field: string): string {
  if (!has(o, key)) throw fieldError(field, 'is required');
  return checkId(o[key], field);
}

function nullableId(o: Obj, key: string, field: string): string | null {
  return o[key] === null ? null : checkId(o[key], field);
}

function stringArray(o: Obj, key: string, field: string): string[] {
  const v = o[key];
  if (!Array.isArray(v)) throw fieldError(field, 'must be an array of strings');
  v.forEach((s, i) => {
    if (typeof s !== 'string') throw fieldError(`${field}[${i}]`, 'must be a string');
  });
  return v as string[];
}

function jsonObject(o: Obj, key: string, field: string): JsonObject {
  const v = o[key];
  if (!isObject(v)) throw fieldError(field, 'must be a JSON object');
  return v;
}

function required(o: Obj, key: string, field: string): Json {
  const v = o[key];
  if (v === undefined) throw fieldError(field, 'is required');
  return v;
}

export function checkStatus(v: unknown, field: string): TaskStatus {
  if (typeof v !== 'string' || !(TASK_STATUSES as readonly string[]).includes(v)) {
    throw fieldError(field, `must be one of ${TASK_STATUSES.join(', ')}`);
  }
  return v as TaskStatus;
}

export function taskUpdate(o: Obj, prefix = ''): TaskUpdate {
  const u: TaskUpdate = {};
  if (has(o, 'description')) u.description = str(o, 'description', `${prefix}description`);
  if (has(o, 'status')) u.status = checkStatus(o.status, `${prefix}status`);
  if (has(o, 'percentage')) {
    const p = o.percentage;
    if (typeof p !== 'number') throw fieldError(`${prefix}percentage`, 'must be a number');
    if (!(p >= 0 && p <= 100)) throw fieldError(`${prefix}percentage`, 'must be between 0 and 100');
    u.percentage = p;
  }
  if (has(o, 'completed_subtasks')) u.completed_subtasks = stringArray(o, 'completed_subtasks', `${prefix}completed_subtasks`);
  if (has(o, 'blockers')) u.blockers = stringArray(o, 'blockers', `${prefix}blockers`);
  if (has(o, 'agent_id')) u.agent_id = nullableId(o, 'agent_id', `${prefix}agent_id`);
  if (has(o, 'metadata')) u.metadata = jsonObject(o, 'metadata', `${prefix}metadata`);
  return u;
}

export function agentUpdate(o: Obj, prefix = ''): AgentUpdate {
  const status = str(o, 'status', `${prefix}status`);
  if (status.length === 0 || status.length > MAX_ID_LENGTH) {
    throw fieldError(`${prefix}status`, `must be 1 to ${MAX_ID_LENGTH} characters`);
  }
  const u: AgentUpdate = { status };
  if (has(o, 'current_task')) u.current_task = nullableId(o, 'current_task', `${prefix}current_task`);
  if (has(o, 'capabilities')) u.capabilities = stringArray(o, 'capabilities', `${prefix}capabilities`);
  if (has(o, 'metadata')) u.metadata = jsonObject(o, 'metadata', `${prefix}metadata`);
  return u;
}

export function decisionInput(o: Obj, prefix = ''): DecisionInput {
  const d: DecisionInput = {
    decision_type: idField(o, 'decision_type', `${prefix}decision_type`),
    context: required(o, 'context', `${prefix}context`),
    decision: str(o, 'decision', `${prefix}decision`),
    reasoning: str(o, 'reasoning', `${prefix}reasoning`),
  };
  if (has(o, 'outcome')) d.outcome = o.outcome as Json;
  if (has(o, 'agent_id')) d.agent_id = nullableId(o, 'agent_id', `${prefix}agent_id`);
  if (has(o, 'task_id')) d.task_id = nullableId(o, 'task_id', `${prefix}task_id`);
  return d;
}

export function messageInput(o: Obj, prefix = ''): MessageInput {
  return {
    from_agent: idField(o, 'from_agent', `${prefix}from_agent`),
    to_agent: idField(o, 'to_agent', `${prefix}to_agent`),
    message_type: idField(o, 'message_type', `${prefix}message_type`),
    content: required(o, 'content', `${prefix}content`),
  };
}

const EVENT_TYPES = ['task', 'decision', 'agent', 'message', 'context'] as const;

/** POST /events: every entry is checked before the engine sees any of them. */
export function batch(body: Obj): BatchEvent[] {
  const events = body.events;
  if (events === undefined) throw fieldError('events', 'is required');
  if (!Array.isArray(events)) throw fieldError('events', 'must be an array');
  if (events.length > MAX_BATCH_EVENTS) throw fieldError('events', `must hold at most ${MAX_BATCH_EVENTS} entries`);
  return events.map((e, i): BatchEvent => {
    const prefix = `events[${i}].`;
    if (!isObject(e)) throw fieldError(`events[${i}]`, 'must be a JSON object');
    let eventId: string | undefined;
    if (has(e, 'event_id')) eventId = checkId(e.event_id, `${prefix}event_id`);
    const idPart = eventId === undefined ? {} : { event_id: eventId };
    const type = e.type;
    if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
      throw fieldError(`${prefix}type`, `must be one of ${EVENT_TYPES.join(', ')}`);
    }
    switch (type as (typeof EVENT_TYPES)[number]) {
      case 'task':
        return { ...idPart, type: 'task', task_id: idField(e, 'task_id', `${prefix}task_id`), ...taskUpdate(e, prefix) };
      case 'agent':
        return { ...idPart, type: 'agent', agent_id: idField(e, 'agent_id', `${prefix}agent_id`), ...agentUpdate(e, prefix) };
      case 'decision':
        return { ...idPart, type: 'decision', ...decisionInput(e, prefix) };
      case 'message':
        return { ...idPart, type: 'message', ...messageInput(e, prefix) };
      case 'context': {
        if (has(e, 'context')) return { ...idPart, type: 'context', context: jsonObject(e, 'context', `${prefix}context`) };
        // Without a `context` field, the entry's other fields are the context (as the engine reads it).
        const { type: _type, event_id: _eventId, ...rest } = e;
        return { ...idPart, type: 'context', context: rest as JsonObject };
      }
    }
  });
}

export function optionalLabel(o: Obj, field = 'label'): string | undefined {
  if (!has(o, 'label')) return undefined;
  return checkId(o.label, field);
}

export function cleanupInput(o: Obj): { olderThanDays: number; dryRun: boolean } {
  const d = o.older_than_days;
  if (d === undefined) throw fieldError('older_than_days', 'is required');
  if (typeof d !== 'number') throw fieldError('older_than_days', 'must be a number');
  if (!(d >= 0 && d <= 36_500)) throw fieldError('older_than_days', 'must be between 0 and 36500');
  let dryRun = false;
  if (has(o, 'dry_run')) {
    if (typeof o.dry_run !== 'boolean') throw fieldError('dry_run', 'must be true or false');
    dryRun = o.dry_run;
  }
  return { olderThanDays: d, dryRun };
}

/** Query string parameters; a parameter given twice is refused rather than guessed at. */
export class Query {
  constructor(private readonly params: URLSearchParams) {}

  get(name: string): string | undefined {
    const all = this.params.getAll(name);
    if (all.length > 1) throw fieldError(name, 'given more than once');
    return all[0];
  }

  limit(defaultLimit: number, max = MAX_LIST_LIMIT): number {
    const raw = this.get('limit');
    if (raw === undefined) return defaultLimit;
    if (!/^\d{1,6}$/.test(raw)) throw fieldError('limit', `must be an integer from 1 to ${max}`);
    const n = Number(raw);
    if (n < 1 || n > max) throw fieldError('limit', `must be an integer from 1 to ${max}`);
    return n;
  }

  id(name: string): string | undefined {
    const raw = this.get(name);
    return raw === undefined ? undefined : checkId(raw, name);
  }

  since(): string | undefined {
    const raw = this.get('since');
    if (raw === undefined) return undefined;
    const t = Date.parse(raw);
    if (raw === '' || Number.isNaN(t)) throw fieldError('since', 'must be an ISO 8601 time');
    return new Date(t).toISOString();
  }

  status(): TaskStatus | undefined {
    const raw = this.get('status');
    return raw === undefined ? undefined : checkStatus(raw, 'status');
  }

  listQuery(defaultLimit: number, filters: ('agent_id' | 'task_id')[]): ListQuery {
    const q: ListQuery = { limit: this.limit(defaultLimit) };
    const since = this.since();
    if (since !== undefined) q.since = since;
    for (const f of filters) {
      const v = this.id(f);
      if (v !== undefined) q[f] = v;
    }
    return q;
  }
}

/** A path segment, percent-decoded, as an id. */
export function pathId(segment: string, field: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw fieldError(field, 'malformed percent-encoding');
  }
  return checkId(decoded, field);
}

export function checkpointId(segment: string): number {
  if (!/^\d{1,15}$/.test(segment)) throw fieldError('checkpoint_id', 'must be a positive integer');
  const n = Number(segment);
  if (n < 1) throw fieldError('checkpoint_id', 'must be a positive integer');
  return n;
}
