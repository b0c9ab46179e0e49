import { ValidationError } from './errors';
import {
  TASK_STATUSES, type AgentUpdate, type BatchEvent, type DecisionInput, type Json, type JsonObject, type MessageInput,
  type SpanInput, type TaskStatus, type TaskUpdate,
} from './types';

// Input checks shared by the engine and the server, so both name the same field the same way.
// Unknown fields are ignored; fields of the wrong type are errors, never coerced.

export const MAX_ID_LENGTH = 256;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkId(field: string, v: unknown): string {
  if (typeof v !== 'string') throw new ValidationError(field, 'must be a string');
  if (v.length === 0) throw new ValidationError(field, 'must not be empty');
  if (v.length > MAX_ID_LENGTH) throw new ValidationError(field, `must be at most ${MAX_ID_LENGTH} characters`);
  return v;
}

function checkString(field: string, v: unknown, { required = false, max = 1_000_000 } = {}): string | undefined {
  if (v === undefined || v === null) {
    if (required) throw new ValidationError(field, 'is required');
    return undefined;
  }
  if (typeof v !== 'string') throw new ValidationError(field, 'must be a string');
  if (v.length > max) throw new ValidationError(field, `must be at most ${max} characters`);
  return v;
}

function checkStringArray(field: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some(x => typeof x !== 'string')) throw new ValidationError(field, 'must be an array of strings');
  return v as string[];
}

function checkObject(field: string, v: unknown): JsonObject | undefined {
  if (v === undefined) return undefined;
  if (!isPlainObject(v)) throw new ValidationError(field, 'must be an object');
  return v as JsonObject;
}

function checkJson(field: string, v: unknown, required: boolean): Json | undefined {
  if (v === undefined) {
    if (required) throw new ValidationError(field, 'is required');
    return undefined;
  }
  return v as Json;
}

function checkOptionalId(field: string, v: unknown): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  return checkId(field, v);
}

export function checkTaskUpdate(raw: unknown, prefix = ''): TaskUpdate {
  if (!isPlainObject(raw)) throw new ValidationError(prefix || 'body', 'must be an object');
  const out: TaskUpdate = {};
  const description = checkString(`${prefix}description`, raw.description);
  if (description !== undefined) out.description = description;
  if (raw.status !== undefined) {
    if (typeof raw.status !== 'string' || !(TASK_STATUSES as readonly string[]).includes(raw.status)) {
      throw new ValidationError(`${prefix}status`, `must be one of ${TASK_STATUSES.join(', ')}`);
    }
    out.status = raw.status as TaskStatus;
  }
  if (raw.percentage !== undefined) {
    const p = raw.percentage;
    if (typeof p !== 'number' || !Number.isFinite(p)) throw new ValidationError(`${prefix}percentage`, 'must be a number');
    if (p < 0 || p > 100) throw new ValidationError(`${prefix}percentage`, 'must be between 0 and 100');
    out.percentage = p;
  }
  const subtasks = checkStringArray(`${prefix}completed_subtasks`, raw.completed_subtasks);
  if (subtasks) out.completed_subtasks = subtasks;
  const blockers = checkStringArray(`${prefix}blockers`, raw.blockers);
  if (blockers) out.blockers = blockers;
  const agent = checkOptionalId(`${prefix}agent_id`, raw.agent_id);
  if (agent !== undefined) out.agent_id = agent;
  const metadata = checkObject(`${prefix}metadata`, raw.metadata);
  if (metadata) out.metadata = metadata;
  return out;
}

export function checkAgentUpdate(raw: unknown, prefix = ''): AgentUpdate {
  if (!isPlainObject(raw)) throw new ValidationError(prefix || 'body', 'must be an object');
  const out: AgentUpdate = {};
  const status = checkString(`${prefix}status`, raw.status, { max: MAX_ID_LENGTH });
  if (status !== undefined) {
    if (status.length === 0) throw new ValidationError(`${prefix}status`, 'must not be empty');
    out.status = status;
  }
  const task = checkOptionalId(`${prefix}current_task`, raw.current_task);
  if (task !== undefined) out.current_task = task;
  const caps = checkStringArray(`${prefix}capabilities`, raw.capabilities);
  if (caps) out.capabilities = caps;
  const metadata = checkObject(`${prefix}metadata`, raw.metadata);
  if (metadata) out.metadata = metadata;
  return out;
}

export function checkDecision(raw: unknown, prefix = ''): DecisionInput {
  if (!isPlainObject(raw)) throw new ValidationError(prefix || 'body', 'must be an object');
  const out: DecisionInput = {
    decision_type: checkId(`${prefix}decision_type`, raw.decision_type),
    context: checkJson(`${prefix}context`, raw.context, true) as Json,
    decision: checkString(`${prefix}decision`, raw.decision, { required: true }) as string,
    reasoning: checkString(`${prefix}reasoning`, raw.reasoning, { required: true }) as string,
  };
  const outcome = checkJson(`${prefix}outcome`, raw.outcome, false);
  if (outcome !== undefined) out.outcome = outcome;
  const agent = checkOptionalId(`${prefix}agent_id`, raw.agent_id);
  if (agent !== undefined) out.agent_id = agent;
  const task = checkOptionalId(`${prefix}task_id`, raw.task_id);
  if (task !== undefined) out.task_id = task;
  return out;
}

export function checkMessage(raw: unknown, prefix = ''): MessageInput {
  if (!isPlainObject(raw)) throw new ValidationError(prefix || 'body', 'must be an object');
  return {
    from_agent: checkId(`${prefix}from_agent`, raw.from_agent),
    to_agent: checkId(`${prefix}to_agent`, raw.to_agent),
    message_type: checkId(`${prefix}message_type`, raw.message_type),
    content: checkJson(`${prefix}content`, raw.content, true) as Json,
  };
}

export function checkContext(raw: unknown, field = 'body'): JsonObject {
  if (!isPlainObject(raw)) throw new ValidationError(field, 'must be a JSON object');
  return raw as JsonObject;
}

export const MAX_BATCH_EVENTS = 10_000;

/** Checks a whole batch before anything is written; the field names the failing entry. */
export function checkBatch(raw: unknown): BatchEvent[] {
  if (!Array.isArray(raw)) throw new ValidationError('events', 'must be an array');
  if (raw.length > MAX_BATCH_EVENTS) throw new ValidationError('events', `must hold at most ${MAX_BATCH_EVENTS} entries`);
  return raw.map((e, i): BatchEvent => {
    const p = `events[${i}].`;
    if (!isPlainObject(e)) throw new ValidationError(`events[${i}]`, 'must be an object');
    const eventId = e.event_id === undefined ? undefined : checkId(`${p}event_id`, e.event_id);
    const ts = e.ts === undefined ? undefined : checkSince(e.ts, `${p}ts`);
    const base = { ...(eventId === undefined ? {} : { event_id: eventId }), ...(ts === undefined ? {} : { ts }) };
    switch (e.type) {
      case 'task':
        return { ...base, type: 'task', task_id: checkId(`${p}task_id`, e.task_id), ...checkTaskUpdate(e, p) };
      case 'agent':
        return { ...base, type: 'agent', agent_id: checkId(`${p}agent_id`, e.agent_id), ...checkAgentUpdate(e, p) };
      case 'decision':
        return { ...base, type: 'decision', ...checkDecision(e, p) };
      case 'message':
        return { ...base, type: 'message', ...checkMessage(e, p) };
      case 'context': {
        // Either { type, context: {...} } or the context's fields beside `type`.
        if (e.context !== undefined) return { ...base, type: 'context', context: checkContext(e.context, `${p}context`) };
        const { type: _t, event_id: _id, ts: _ts, ...rest } = e;
        return { ...base, type: 'context', context: rest as JsonObject };
      }
      default:
        throw new ValidationError(`${p}type`, 'must be one of task, decision, agent, message, context');
    }
  });
}

const SPAN_STATUSES = ['unset', 'ok', 'error'];

/** Spans come from our own OTLP mapping; still checked, since a bad one would poison a replay. */
export function checkSpans(raw: unknown): SpanInput[] {
  if (!Array.isArray(raw)) throw new ValidationError('spans', 'must be an array');
  return raw.map((s, i) => {
    const p = `spans[${i}].`;
    if (!isPlainObject(s)) throw new ValidationError(`spans[${i}]`, 'must be an object');
    checkId(`${p}trace_id`, s.trace_id);
    checkId(`${p}span_id`, s.span_id);
    checkString(`${p}name`, s.name, { required: true });
    if (typeof s.kind !== 'number') throw new ValidationError(`${p}kind`, 'must be a number');
    if (typeof s.start_time !== 'string' || Number.isNaN(Date.parse(s.start_time))) throw new ValidationError(`${p}start_time`, 'must be an ISO time');
    if (s.end_time !== null && (typeof s.end_time !== 'string' || Number.isNaN(Date.parse(s.end_time)))) {
      throw new ValidationError(`${p}end_time`, 'must be an ISO time or null');
    }
    if (!SPAN_STATUSES.includes(s.status as string)) throw new ValidationError(`${p}status`, `must be one of ${SPAN_STATUSES.join(', ')}`);
    for (const k of ['input_tokens', 'output_tokens'] as const) {
      if (s[k] !== null && (typeof s[k] !== 'number' || !Number.isFinite(s[k]))) throw new ValidationError(`${p}${k}`, 'must be a number or null');
    }
    if (!isPlainObject(s.attributes)) throw new ValidationError(`${p}attributes`, 'must be an object');
    if (!isPlainObject(s.resource)) throw new ValidationError(`${p}resource`, 'must be an object');
    const nul = (k: string) => (s[k] === undefined ? null : s[k]);
    return {
      ...(s as unknown as SpanInput),
      parent_span_id: nul('parent_span_id') as string | null, status_message: nul('status_message') as string | null,
      operation: nul('operation') as string | null, agent_id: nul('agent_id') as string | null,
      agent_name: nul('agent_name') as string | null, conversation_id: nul('conversation_id') as string | null,
      task_id: nul('task_id') as string | null, tool_name: nul('tool_name') as string | null,
      model: nul('model') as string | null, scope: nul('scope') as string | null,
    };
  });
}

export function checkLimit(v: unknown, field = 'limit', def = 100, max = 10_000): number {
  if (v === undefined || v === null || v === '') return def;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new ValidationError(field, 'must be a positive integer');
  if (n > max) throw new ValidationError(field, `must be at most ${max}`);
  return n;
}

export function checkSince(v: unknown, field = 'since'): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new ValidationError(field, 'must be an ISO 8601 time');
  return new Date(Date.parse(v)).toISOString();
}
