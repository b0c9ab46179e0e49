// The events the manager's reporting methods send (or spool), built and checked exactly as the
// Python client does (clients/python/jarvis_context/_validate.py): the same seed aliases, unknown
// keys into metadata, and the same refusals, named by field, before anything leaves the process.
import { JarvisContextValidationError } from './errors.js';
import { TASK_STATUSES, type BatchEvent, type Json, type JsonObject } from './types.js';

const TASK_FIELDS = ['description', 'status', 'percentage', 'completed_subtasks', 'blockers', 'agent_id', 'metadata'];
const AGENT_FIELDS = ['status', 'current_task', 'capabilities', 'metadata'];
const DECISION_FIELDS = ['decision_type', 'context', 'decision', 'reasoning', 'outcome', 'agent_id', 'task_id'];

type Fields = Record<string, unknown>;

export function taskEvent(taskId: unknown, progress: unknown): BatchEvent {
  requireStr('task_id', taskId);
  const event: Fields = { type: 'task', task_id: taskId, ...splitKnown(requireDict('progress', progress), TASK_FIELDS, { assigned_agent: 'agent_id', last_update: null }) };
  if ('status' in event && !(TASK_STATUSES as readonly unknown[]).includes(event.status)) {
    throw new JarvisContextValidationError('status', `must be one of ${TASK_STATUSES.join(', ')}, got ${show(event.status)}`);
  }
  if ('percentage' in event) {
    const p = event.percentage;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 100) {
      throw new JarvisContextValidationError('percentage', `must be a number from 0 to 100, got ${show(p)}`);
    }
  }
  for (const key of ['completed_subtasks', 'blockers']) if (key in event) requireStrList(key, event[key]);
  if ('description' in event && typeof event.description !== 'string') throw new JarvisContextValidationError('description', 'must be a string');
  if (event.agent_id !== undefined && event.agent_id !== null) requireStr('agent_id', event.agent_id);
  if ('metadata' in event) requireDict('metadata', event.metadata);
  return event as BatchEvent;
}

export function decisionEvent(input: unknown): BatchEvent {
  const fields = requireDict('decision', input);
  const unknown = Object.keys(fields).filter(k => !DECISION_FIELDS.includes(k) && fields[k] !== undefined).sort();
  const event: Fields = { type: 'decision' };
  for (const key of ['decision_type', 'decision', 'reasoning']) {
    requireStr(key, fields[key], key === 'reasoning');
    event[key] = fields[key];
  }
  event.context = fields.context === undefined ? null : fields.context;
  for (const key of ['outcome', 'agent_id', 'task_id']) if (fields[key] !== undefined && fields[key] !== null) event[key] = fields[key];
  for (const key of ['agent_id', 'task_id']) if (key in event) requireStr(key, event[key]);
  if (unknown.length) throw new JarvisContextValidationError(unknown[0], 'unknown decision field');
  return event as BatchEvent;
}

export function agentEvent(agentId: unknown, state: unknown): BatchEvent {
  requireStr('agent_id', agentId);
  const event: Fields = { type: 'agent', agent_id: agentId, ...splitKnown(requireDict('state', state), AGENT_FIELDS, { task: 'current_task', last_update: null }) };
  if (event.status === undefined) event.status = 'active';
  requireStr('status', event.status);
  if (event.current_task !== undefined && event.current_task !== null) requireStr('current_task', event.current_task);
  if ('capabilities' in event) requireStrList('capabilities', event.capabilities);
  return event as BatchEvent;
}

export function messageEvent(from: unknown, to: unknown, messageType: unknown, content: unknown, response?: unknown): BatchEvent {
  requireStr('from_agent', from);
  requireStr('to_agent', to);
  requireStr('message_type', messageType);
  const body = response === undefined || response === null ? content : { content, response };
  return { type: 'message', from_agent: from, to_agent: to, message_type: messageType, content: (body ?? null) as Json } as BatchEvent;
}

export function contextEvent(state: unknown): BatchEvent {
  return { type: 'context', context: requireDict('state', state) as JsonObject };
}

export function requireStr(field: string, value: unknown, allowEmpty = false): asserts value is string {
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    throw new JarvisContextValidationError(field, `must be a non-empty string, got ${show(value)}`);
  }
}

function requireStrList(field: string, value: unknown): void {
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) {
    throw new JarvisContextValidationError(field, `must be a list of strings, got ${show(value)}`);
  }
}

function requireDict(field: string, value: unknown): Fields {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new JarvisContextValidationError(field, `expected an object, got ${Array.isArray(value) ? 'array' : typeof value}`);
  }
  return value as Fields;
}

/** Known fields as they are; seed aliases renamed (null drops them); the rest into metadata. */
function splitKnown(update: Fields, known: string[], aliases: Record<string, string | null>): Fields {
  const out: Fields = {};
  const extra: Fields = {};
  for (const [key, value] of Object.entries(update)) {
    if (value === undefined) continue;
    if (key in aliases) {
      const to = aliases[key];
      if (to !== null && !(to in update)) out[to] = value;
    } else if (known.includes(key)) {
      out[key] = value;
    } else {
      extra[key] = value;
    }
  }
  if (Object.keys(extra).length) {
    const metadata = out.metadata;
    if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
      throw new JarvisContextValidationError('metadata', 'expected a dict');
    }
    out.metadata = { ...(metadata as Fields | undefined), ...extra };
  }
  return out;
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
