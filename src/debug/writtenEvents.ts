// What a successful write was, as breakpoints see it (breakpoints.ts, DebugEvent): one event per
// record, read from the request's route, its body and the store's answer. Only called while a
// debug session exists. The body was accepted by the store's validator; it is still read warily.
import type { DebugEvent } from './breakpoints';
import type { SourceLocation } from './debugSessions';

type Obj = Record<string, unknown>;

/** An event whose record is assembled only when read (a condition, a hold): most writes hit nothing. */
function lazy(e: Omit<DebugEvent, 'record'>, build: () => Obj): DebugEvent {
  let record: Obj | undefined;
  return Object.defineProperty(e, 'record', { enumerable: true, get: () => (record ??= build()) }) as DebugEvent;
}

const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** `tool:<name>` recipients and `tool_call` messages are tool calls (OTLP tool spans are stored so). */
export const TOOL_PREFIX = 'tool:';

function messageEvent(m: Obj, answer: Obj): DebugEvent {
  const from = str(m.from_agent);
  const to = str(m.to_agent);
  const content = obj(m.content);
  const isTool = m.message_type === 'tool_call' || (to !== null && to.startsWith(TOOL_PREFIX));
  const task_id = str(m.task_id) ?? str(content.task_id);
  if (isTool) {
    const name = str(content.tool_name) ?? (to !== null && to.startsWith(TOOL_PREFIX) ? to.slice(TOOL_PREFIX.length) : to);
    return lazy({ kind: 'tool', agent_id: from, task_id, name, from, to }, () => ({ ...m, ...answer, tool: name, args: parseArgs(content.arguments ?? content.args) }));
  }
  return lazy({ kind: 'message', agent_id: from, task_id, name: to, from, to }, () => ({ ...m, ...answer }));
}

/** Tool arguments often arrive as JSON text (OTLP attributes): conditions read them as an object. */
function parseArgs(v: unknown): unknown {
  if (typeof v !== 'string' || v.length > 100_000) return v;
  const t = v.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

function batchEvent(e: Obj): DebugEvent | undefined {
  switch (e.type) {
    case 'task': return taskEvent(str(e.task_id) ?? '', e, {});
    case 'decision': return decisionEvent(e, {});
    case 'agent': return agentEvent(str(e.agent_id) ?? '', e, {});
    case 'message': return messageEvent(e, {});
    case 'context': return { kind: 'context', agent_id: null, task_id: null, name: null, record: { state: e.state ?? e.context ?? null } };
    default: return undefined;
  }
}

function taskEvent(id: string, update: Obj, stored: Obj): DebugEvent {
  return lazy({ kind: 'task', agent_id: str(stored.agent_id) ?? str(update.agent_id), task_id: id, name: id, update }, () => ({ ...update, ...stored, update }));
}

function decisionEvent(d: Obj, answer: Obj): DebugEvent {
  return lazy({ kind: 'decision', agent_id: str(d.agent_id), task_id: str(d.task_id), name: str(d.decision_type) }, () => ({ ...d, ...answer }));
}

function agentEvent(id: string, update: Obj, stored: Obj): DebugEvent {
  return lazy({ kind: 'agent', agent_id: id, task_id: str(stored.current_task) ?? str(update.current_task), name: id }, () => ({ ...update, ...stored }));
}

/**
 * A LangGraph checkpoint: its thread stands for the task, the node that wrote it (the one key of
 * `metadata.writes`) for the agent.
 */
function checkpointEvent(b: Obj): DebugEvent {
  const writes = Object.keys(obj(obj(b.metadata).writes));
  const node = writes.length === 1 ? writes[0]! : null;
  const thread = str(b.thread_id);
  return { kind: 'checkpoint', agent_id: node, task_id: thread, name: node, record: { thread_id: thread, checkpoint_ns: b.checkpoint_ns ?? '', checkpoint_id: obj(b.checkpoint).id ?? null, metadata: b.metadata ?? null } };
}

/** The events of a successful write to `route` (a route's path pattern); none for routes that are not an orchestrator's events. */
export function writtenEvents(route: string, params: Record<string, string>, body: unknown, answer: unknown, query: URLSearchParams): DebugEvent[] {
  const b = obj(body);
  const a = obj(answer);
  const id = (k: string): string => {
    try {
      return decodeURIComponent(params[k] ?? '');
    } catch {
      return params[k] ?? '';
    }
  };
  switch (route) {
    case '/tasks/:task_id': return [taskEvent(id('task_id'), b, a)];
    case '/decisions': return [decisionEvent(b, a)];
    case '/agents/:agent_id': return [agentEvent(id('agent_id'), b, a)];
    case '/messages': return [messageEvent(b, a)];
    case '/context': return [{ kind: 'context', agent_id: null, task_id: null, name: null, record: { state: b } }];
    case '/events': {
      const list = Array.isArray(b.events) ? b.events : [];
      return list.map(e => batchEvent(obj(e))).filter((e): e is DebugEvent => e !== undefined);
    }
    case '/langgraph/checkpoints': return [checkpointEvent(b)];
    // The orchestrator resumed after a crash (it clears the resume point it restored from).
    case '/resume-point': return query.get('by') === 'user' ? [] : [{ kind: 'recovery', agent_id: null, task_id: null, name: null, record: {} }];
    default: return [];
  }
}

/** `Jarvis-Caller: <file>:<line>:<function>` as sent by a client; null when absent or malformed. Hostile input: bounded, no control characters. */
export function callerOf(header: string | string[] | undefined): SourceLocation | null {
  if (typeof header !== 'string' || header.length > 1024 || /[\u0000-\u001f\u007f]/.test(header)) return null;
  // The file may hold colons (C:\…); the line is the last all-digit field before the function.
  const m = /^(.+):(\d{1,9}):([^:]{0,200})$/.exec(header);
  if (!m) return null;
  let file = m[1]!;
  try {
    file = decodeURIComponent(file);
  } catch {
    return null;
  }
  if (/[\u0000-\u001f\u007f]/.test(file)) return null;
  return { file, line: Number(m[2]), function: m[3] === '' ? null : m[3]! };
}
