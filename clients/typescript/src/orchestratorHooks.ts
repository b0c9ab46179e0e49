// Records what an orchestrator does around its four seed methods (assignTask, receiveMessage,
// makeDecision, handleError), before and after each call, without changing results or errors.
// Used by JarvisOrchestratorWithContext (wraps an instance) and integrateContextManager (a class).
import type { BatchEvent, Json, JsonObject } from './types.js';
import { ContextManagerOptions, JarvisContextManager } from './contextManager.js';

export const HOOKED_METHODS = ['assignTask', 'receiveMessage', 'makeDecision', 'handleError'] as const;
export type HookedMethod = (typeof HOOKED_METHODS)[number];

export interface ContextHooksOptions extends ContextManagerOptions {
  /** Share one manager (and its keep-alive client) instead of building one. */
  contextManager?: JarvisContextManager;
  /** Recipient recorded for received messages that name none. Default 'orchestrator'. */
  orchestratorId?: string;
}

const WRAPPED = Symbol('jarvisContextWrapped');
const MANAGER = Symbol('jarvisContextManager');

type Fn = (...args: unknown[]) => unknown;
interface Records {
  before: BatchEvent[];
  beforeContext?: JsonObject;
  after(result: unknown): { events: BatchEvent[]; context?: JsonObject; recoveryPoint?: string };
  failed(error: unknown): { events: BatchEvent[]; context?: JsonObject };
}

/** The manager recording for an instrumented object (wrapped orchestrator or decorated instance). */
export function contextManagerOf(target: object): JarvisContextManager | undefined {
  return (target as { [MANAGER]?: JarvisContextManager })[MANAGER];
}

/** Replaces the hooked methods on `target` itself (own properties), as the seed's wrapper did. */
export function instrument(target: object, manager: JarvisContextManager, orchestratorId = 'orchestrator'): void {
  Object.defineProperty(target, MANAGER, { value: manager, configurable: true });
  const obj = target as Record<string, unknown>;
  for (const name of HOOKED_METHODS) {
    const original = obj[name];
    if (typeof original !== 'function' || (original as { [WRAPPED]?: boolean })[WRAPPED]) continue;
    const wrapped = wrap(name, original as Fn, manager, orchestratorId);
    Object.defineProperty(obj, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
  }
}

function wrap(name: HookedMethod, original: Fn, manager: JarvisContextManager, orchestratorId: string): Fn {
  const send = (events: BatchEvent[], context?: JsonObject) => manager.record(events, context);
  const afterOk = (records: Records, result: unknown) => {
    const a = records.after(result);
    const sent = send(a.events, a.context);
    return a.recoveryPoint
      ? sent.then(() => manager.markRecoveryPoint(a.recoveryPoint as string).then(() => undefined, () => undefined))
      : sent;
  };
  const afterFail = (records: Records, error: unknown) => {
    const f = records.failed(error);
    return send(f.events, { ...f.context, last_error: describeError(name, error) });
  };

  let wrapped: Fn;
  if (original.constructor?.name === 'AsyncFunction') {
    // Async: each record is durable (or has failed) before the next step runs.
    wrapped = async function (this: unknown, ...args: unknown[]) {
      const records = recordsFor(name, args, orchestratorId);
      await send(records.before, records.beforeContext);
      let result: unknown;
      try {
        result = await original.apply(this, args);
      } catch (e) {
        await afterFail(records, e);
        throw e;
      }
      await afterOk(records, result);
      return result;
    };
  } else {
    // Sync: stays sync; records are queued in order and sent in the background (manager.flush()).
    wrapped = function (this: unknown, ...args: unknown[]) {
      const records = recordsFor(name, args, orchestratorId);
      void send(records.before, records.beforeContext);
      let result: unknown;
      try {
        result = original.apply(this, args);
      } catch (e) {
        void afterFail(records, e);
        throw e;
      }
      if (isThenable(result)) {
        // A plain function returning a promise: record when it settles, hand back the same promise.
        result.then(r => afterOk(records, r), e => afterFail(records, e));
      } else {
        void afterOk(records, result);
      }
      return result;
    };
  }
  Object.defineProperty(wrapped, 'name', { value: original.name });
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  return wrapped;
}

function recordsFor(name: HookedMethod, args: unknown[], orchestratorId: string): Records {
  const at = () => new Date().toISOString();
  const arg = args[0];
  switch (name) {
    case 'assignTask': {
      const task = isObject(arg) ? arg : {};
      const taskId = typeof arg === 'string' ? arg : str(task.id ?? task.task_id ?? task.taskId);
      const description = str(task.description);
      const taskEvent = (fields: Record<string, unknown>): BatchEvent[] =>
        taskId ? [{ type: 'task', task_id: taskId, ...fields } as BatchEvent] : [];
      return {
        before: taskEvent({ status: 'pending', ...(description ? { description } : {}) }),
        beforeContext: { current_task: { id: taskId ?? null, status: 'assigning', since: at() } },
        after: result => {
          const agentId = agentOf(result);
          return {
            events: [
              ...taskEvent({ status: 'in_progress', ...(agentId ? { agent_id: agentId } : {}) }),
              ...(agentId ? [{ type: 'agent', agent_id: agentId, status: 'busy', current_task: taskId ?? null } as BatchEvent] : []),
            ],
            context: { current_task: { id: taskId ?? null, status: 'assigned', agent_id: agentId ?? null, since: at() } },
          };
        },
        failed: e => ({
          events: taskEvent({ status: 'failed', blockers: [errorMessage(e)] }),
          context: { current_task: { id: taskId ?? null, status: 'failed', since: at() } },
        }),
      };
    }
    case 'receiveMessage': {
      const m = isObject(arg) ? arg : { content: arg };
      const from = str(m.from_agent ?? m.fromAgent ?? m.from) ?? 'unknown';
      const heartbeat = (): BatchEvent[] => from === 'unknown' ? [] : [{
        type: 'agent', agent_id: from, status: str(m.status) ?? 'active',
        ...(str(m.task_id ?? m.taskId) ? { current_task: str(m.task_id ?? m.taskId) } : {}),
      } as BatchEvent];
      return {
        before: [{
          type: 'message', from_agent: from, to_agent: str(m.to_agent ?? m.toAgent ?? m.to) ?? orchestratorId,
          message_type: str(m.message_type ?? m.messageType ?? m.type) ?? 'message', content: toJson(m.content ?? m),
        }],
        after: () => ({ events: heartbeat() }),
        failed: () => ({ events: heartbeat() }),
      };
    }
    case 'makeDecision': {
      const context = toJson(args.length === 1 ? arg : args);
      return {
        before: [],
        beforeContext: { pending_decision: { context, since: at() } },
        after: result => {
          const r = isObject(result) ? result : {};
          const input = isObject(arg) ? arg : {};
          return {
            events: [{
              type: 'decision',
              decision_type: str(r.decision_type ?? r.type ?? input.decision_type ?? input.type) ?? 'general',
              context,
              decision: str(r.decision) ?? (isObject(result) ? JSON.stringify(toJson(result)) : String(result)),
              reasoning: str(r.reasoning) ?? '',
              outcome: r.outcome === undefined ? 'pending' : toJson(r.outcome),
              ...(str(r.agent_id ?? input.agent_id) ? { agent_id: str(r.agent_id ?? input.agent_id) } : {}),
              ...(str(r.task_id ?? input.task_id) ? { task_id: str(r.task_id ?? input.task_id) } : {}),
            } as BatchEvent],
            context: { pending_decision: null },
          };
        },
        failed: () => ({ events: [], context: { pending_decision: null } }),
      };
    }
    case 'handleError': {
      const error_recovery = { ...describeError('handleError', arg), recovered: false };
      return {
        before: [],
        beforeContext: { error_recovery },
        after: result => {
          const recovered = isObject(result) && result.recovered === true;
          return {
            events: [],
            context: { error_recovery: { ...error_recovery, recovered, handled_at: at() } },
            recoveryPoint: recovered ? 'Error recovered' : undefined,
          };
        },
        failed: () => ({ events: [], context: { error_recovery } }),
      };
    }
  }
}

function describeError(method: string, e: unknown): JsonObject {
  return {
    method,
    error_type: e instanceof Error ? e.name : typeof e,
    error_message: errorMessage(e),
    at: new Date().toISOString(),
  };
}

function errorMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 1000);
}

function agentOf(result: unknown): string | undefined {
  if (typeof result === 'string') return result;
  if (!isObject(result)) return undefined;
  const v = result.agent_id ?? result.agentId ?? result.assigned_to ?? result.assignedTo;
  return Array.isArray(v) ? str(v[0]) : str(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** A JSON copy of whatever the orchestrator passed; unserializable or huge values become a short string. */
function toJson(v: unknown, max = 4000): Json {
  if (v === undefined) return null;
  try {
    const text = JSON.stringify(v);
    if (text === undefined) return String(v);
    return text.length <= max ? (JSON.parse(text) as Json) : text.slice(0, max) + '…';
  } catch {
    return String(v).slice(0, max);
  }
}

export function managerFor(options: ContextHooksOptions): JarvisContextManager {
  return options.contextManager ?? new JarvisContextManager(options);
}
