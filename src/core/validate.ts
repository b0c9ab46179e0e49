import { ValidationError } from './errors';
import {
  TASK_STATUSES, type AgentUpdate, type BatchEvent, type DecisionInput, type Json, type JsonObject, type MessageInput,
  type SpanInput, type TaskStatus, type TaskUpdate,
} from './types';

// The one validator for every write. The engine checks each input with it; the server calls it for
// a request's content and checks only what is HTTP itself (path ids, query strings, body shape).
// Every check takes the field's name first and throws a ValidationError naming that field.
// The rules (README, "REST API"):
// - unknown fields are ignored; a field of the wrong type is an error, never coerced; `null` is
//   accepted only where it means "none" (agent_id, current_task, task_id, outcome);
// - ids (task, agent, event ids, decision and message types, labels) are 1 to 256 characters;
// - an array of strings names the element at fault (`blockers[2]`);
// - an agent's `status` may be left out: the update is then a heartbeat that keeps it (a new agent
//   starts `active`);
// - a batch event's `ts`, when given, is kept as the time it happened (an ISO 8601 time);
// - what the store takes, PostgreSQL must take too (team mode replicates it byte for byte): no
//   string or object key anywhere holds U+0000 or a lone surrogate (checkStorable), and every
//   time lies in the years 1 to 9999.
// checkLimit and checkSince read queries, not writes: their field has a default, so it comes second.

export const MAX_ID_LENGTH = 256;
export const MAX_LIST_LIMIT = 10_000;
export const MAX_BATCH_EVENTS = 10_000;
export const MAX_CLEANUP_DAYS = 36_500;
export const MAX_TEXT_LENGTH = 1_000_000;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

declare global {
  interface String {
    /** ES2024, in Node 20: false when the string holds a lone surrogate. */
    isWellFormed(): boolean;
  }
}

/** What in `s` no store can hold (NUL or a lone surrogate, with its index), or undefined. */
function stringProblem(s: string): string | undefined {
  // jsonb and text columns refuse NUL and unpaired surrogates. This runs on every string of every
  // write: these two native checks cost a third of a regex test; the loop only says where.
  if (s.isWellFormed() && !s.includes('\u0000')) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return `NUL (U+0000) at index ${i}`;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) { i++; continue; }
      return `lone surrogate at index ${i}`;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return `lone surrogate at index ${i}`;
  }
  return undefined;
}

/** The first unstorable string or key in `v`; its path is built backwards, only when there is one. */
function findUnstorable(v: unknown): { path: string[]; problem: string } | undefined {
  if (typeof v === 'string') {
    const problem = stringProblem(v);
    return problem === undefined ? undefined : { path: [], problem };
  }
  if (typeof v !== 'object' || v === null) return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const f = findUnstorable(v[i]);
      if (f) { f.path.push(`[${i}]`); return f; }
    }
    return undefined;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const keyProblem = stringProblem(k);
    if (keyProblem !== undefined) return { path: [keySegment(k)], problem: `key has a ${keyProblem}` };
    const f = findUnstorable(o[k]);
    if (f) { f.path.push(keySegment(k)); return f; }
  }
  return undefined;
}

/** A key as a field path step; one that is not a plain name is quoted (JSON escapes show NUL and surrogates). */
function keySegment(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

/**
 * Where `v` holds, in any string or object key at any depth, what PostgreSQL cannot store as it
 * is (U+0000 or a lone surrogate): the exact place (`context.note`; `field` '' starts at a key)
 * and the problem. Undefined when there is none.
 */
export function findUnstorableField(field: string, v: unknown): { field: string; problem: string } | undefined {
  const f = findUnstorable(v);
  if (!f) return undefined;
  const path = f.path.reverse().join('');
  return { field: field === '' ? path.replace(/^\./, '') : field + path, problem: f.problem };
}

/** Refuses what findUnstorableField finds, with a ValidationError naming the place. */
export function checkStorable(field: string, v: unknown): void {
  const f = findUnstorableField(field, v);
  if (f) throw new ValidationError(f.field, f.problem);
}

export function checkId(field: string, v: unknown): string {
  if (v === undefined) throw new ValidationError(field, 'is required');
  if (typeof v !== 'string') throw new ValidationError(field, 'must be a string');
  if (v.length === 0) throw new ValidationError(field, 'must not be empty');
  if (v.length > MAX_ID_LENGTH) throw new ValidationError(field, `must be at most ${MAX_ID_LENGTH} characters`);
  checkStorable(field, v);
  return v;
}

/** An id that may be left out (undefined) or cleared (null). */
function checkNullableId(field: string, v: unknown): string | null | undefined {
  if (v === undefined || v === null) return v;
  return checkId(field, v);
}

function checkText(field: string, v: unknown): string {
  if (v === undefined) throw new ValidationError(field, 'is required');
  if (typeof v !== 'string') throw new ValidationError(field, 'must be a string');
  if (v.length > MAX_TEXT_LENGTH) throw new ValidationError(field, `must be at most ${MAX_TEXT_LENGTH} characters`);
  checkStorable(field, v);
  return v;
}

function checkStringArray(field: string, v: unknown): string[] {
  if (!Array.isArray(v)) throw new ValidationError(field, 'must be an array of strings');
  v.forEach((s, i) => {
    if (typeof s !== 'string') throw new ValidationError(`${field}[${i}]`, 'must be a string');
  });
  checkStorable(field, v);
  return v as string[];
}

export function checkObject(field: string, v: unknown): JsonObject {
  if (v === undefined) throw new ValidationError(field, 'is required');
  if (!isPlainObject(v)) throw new ValidationError(field, 'must be a JSON object');
  checkStorable(field, v);
  return v as JsonObject;
}

function checkPresent(field: string, v: unknown): Json {
  if (v === undefined) throw new ValidationError(field, 'is required');
  checkStorable(field, v);
  return v as Json;
}

/** Any JSON value, `null` included (a decision's outcome). */
function checkJsonValue(field: string, v: unknown): Json {
  checkStorable(field, v);
  return v as Json;
}

export function checkTaskStatus(field: string, v: unknown): TaskStatus {
  if (typeof v !== 'string' || !(TASK_STATUSES as readonly string[]).includes(v)) {
    throw new ValidationError(field, `must be one of ${TASK_STATUSES.join(', ')}`);
  }
  return v as TaskStatus;
}

// Years 1 to 9999: what ISO 8601 writes in four digits and PostgreSQL's timestamptz takes.
const MIN_TIME_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** A point in time, any form Date.parse reads, in the years 1 to 9999; answered as ISO 8601 UTC. */
export function checkTime(field: string, v: unknown): string {
  const ms = typeof v === 'string' && v !== '' ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new ValidationError(field, 'must be an ISO 8601 time');
  if (ms < MIN_TIME_MS || ms > MAX_TIME_MS) throw new ValidationError(field, 'must be a time in the years 1 to 9999');
  return new Date(ms).toISOString();
}

export function checkBoolean(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValidationError(field, 'must be true or false');
  return v;
}

function checkPercentage(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(field, 'must be a number');
  if (v < 0 || v > 100) throw new ValidationError(field, 'must be between 0 and 100');
  return v;
}

/** Copies the fields of `raw` that are present (not undefined), each through its check. */
function pick<T>(raw: Record<string, unknown>, prefix: string, checks: { [K in keyof T]-?: (field: string, v: unknown) => T[K] }): T {
  const out = {} as T;
  for (const key of Object.keys(checks) as (keyof T & string)[]) {
    if (raw[key] !== undefined) out[key] = checks[key](`${prefix}${key}`, raw[key]);
  }
  return out;
}

function requireObject(raw: unknown, prefix: string): Record<string, unknown> {
  if (!isPlainObject(raw)) throw new ValidationError(prefix ? prefix.slice(0, -1) : 'body', 'must be a JSON object');
  return raw;
}

export function checkTaskUpdate(raw: unknown, prefix = ''): TaskUpdate {
  return pick<TaskUpdate>(requireObject(raw, prefix), prefix, {
    description: checkText, status: checkTaskStatus, percentage: checkPercentage, completed_subtasks: checkStringArray,
    blockers: checkStringArray, agent_id: checkNullableId, metadata: checkObject,
  });
}

export function checkAgentUpdate(raw: unknown, prefix = ''): AgentUpdate {
  return pick<AgentUpdate>(requireObject(raw, prefix), prefix, {
    status: checkId, current_task: checkNullableId, capabilities: checkStringArray, metadata: checkObject,
  });
}

export function checkDecision(raw: unknown, prefix = ''): DecisionInput {
  const o = requireObject(raw, prefix);
  const out: DecisionInput = {
    decision_type: checkId(`${prefix}decision_type`, o.decision_type),
    context: checkPresent(`${prefix}context`, o.context),
    decision: checkText(`${prefix}decision`, o.decision),
    reasoning: checkText(`${prefix}reasoning`, o.reasoning),
  };
  return { ...out, ...pick<Pick<DecisionInput, 'outcome' | 'agent_id' | 'task_id'>>(o, prefix, {
    outcome: checkJsonValue, agent_id: checkNullableId, task_id: checkNullableId,
  }) };
}

export function checkMessage(raw: unknown, prefix = ''): MessageInput {
  const o = requireObject(raw, prefix);
  return {
    from_agent: checkId(`${prefix}from_agent`, o.from_agent),
    to_agent: checkId(`${prefix}to_agent`, o.to_agent),
    message_type: checkId(`${prefix}message_type`, o.message_type),
    content: checkPresent(`${prefix}content`, o.content),
  };
}

export function checkContext(raw: unknown, field = 'body'): JsonObject {
  return checkObject(field, raw);
}

const EVENT_TYPES = ['task', 'decision', 'agent', 'message', 'context'] as const;

/** Checks a whole batch before anything is written; the field names the failing entry. */
export function checkBatch(raw: unknown, field = 'events'): BatchEvent[] {
  if (raw === undefined) throw new ValidationError(field, 'is required');
  if (!Array.isArray(raw)) throw new ValidationError(field, 'must be an array');
  if (raw.length > MAX_BATCH_EVENTS) throw new ValidationError(field, `must hold at most ${MAX_BATCH_EVENTS} entries`);
  return raw.map((e, i): BatchEvent => {
    const p = `${field}[${i}].`;
    if (!isPlainObject(e)) throw new ValidationError(`${field}[${i}]`, 'must be a JSON object');
    if (typeof e.type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(e.type)) {
      throw new ValidationError(`${p}type`, `must be one of ${EVENT_TYPES.join(', ')}`);
    }
    // An event that happened earlier (a spooled one) keeps its own time.
    const base = pick<{ event_id?: string; ts?: string }>(e, p, { event_id: checkId, ts: checkTime });
    switch (e.type as (typeof EVENT_TYPES)[number]) {
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
        checkStorable(`${field}[${i}]`, rest);
        return { ...base, type: 'context', context: rest as JsonObject };
      }
    }
  });
}

/** A checkpoint's or recovery point's label: an id; `required` for a recovery point. */
export function checkLabel(field: string, v: unknown, required = false): string | undefined {
  if (v === undefined && !required) return undefined;
  return checkId(field, v);
}

/** How old data must be for a clean-up to remove it: 0 to 36,500 days. */
export function checkCleanupDays(field: string, v: unknown): number {
  if (v === undefined) throw new ValidationError(field, 'is required');
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(field, 'must be a number');
  if (v < 0 || v > MAX_CLEANUP_DAYS) throw new ValidationError(field, `must be between 0 and ${MAX_CLEANUP_DAYS}`);
  return v;
}

const SPAN_STATUSES = ['unset', 'ok', 'error'];

/** Spans come from our own OTLP mapping; still checked, since a bad one would poison a replay. */
export function checkSpans(raw: unknown): SpanInput[] {
  if (!Array.isArray(raw)) throw new ValidationError('spans', 'must be an array');
  return raw.map((s, i) => {
    const p = `spans[${i}].`;
    if (!isPlainObject(s)) throw new ValidationError(`spans[${i}]`, 'must be a JSON object');
    // Every field is kept (the spread below), so all of it is checked, not only the named ones.
    checkStorable(`spans[${i}]`, s);
    checkId(`${p}trace_id`, s.trace_id);
    checkId(`${p}span_id`, s.span_id);
    checkText(`${p}name`, s.name);
    if (typeof s.kind !== 'number') throw new ValidationError(`${p}kind`, 'must be a number');
    checkTime(`${p}start_time`, s.start_time);
    if (s.end_time !== null) checkTime(`${p}end_time`, s.end_time);
    if (!SPAN_STATUSES.includes(s.status as string)) throw new ValidationError(`${p}status`, `must be one of ${SPAN_STATUSES.join(', ')}`);
    for (const k of ['input_tokens', 'output_tokens'] as const) {
      if (s[k] !== null && (typeof s[k] !== 'number' || !Number.isFinite(s[k]))) throw new ValidationError(`${p}${k}`, 'must be a number or null');
    }
    checkObject(`${p}attributes`, s.attributes);
    checkObject(`${p}resource`, s.resource);
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

export function checkLimit(v: unknown, field = 'limit', def = 100, max = MAX_LIST_LIMIT): number {
  if (v === undefined || v === null || v === '') return def;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new ValidationError(field, 'must be a positive integer');
  if (n > max) throw new ValidationError(field, `must be at most ${max}`);
  return n;
}

/** A query's lower time bound; left out when undefined, null or empty. */
export function checkSince(v: unknown, field = 'since'): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return checkTime(field, v);
}
