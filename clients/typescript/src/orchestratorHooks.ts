// Records what an orchestrator does around its four seed methods (assignTask, receiveMessage,
// makeDecision, handleError), before and after each call, without changing results or errors.
// Used by JarvisOrchestratorWithContext (wraps an instance) and integrateContextManager (a class).
// Records the same events and state keys as the Python wrapper (clients/python, _integration.py).
import type { BatchEvent, ContextView, Json, JsonObject } from './types.js';
import { ContextManagerOptions, ContextPatch, JarvisContextManager } from './contextManager.js';

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
  beforeContext?: ContextPatch;
  after(result: unknown): { events: BatchEvent[]; context?: ContextPatch; recoveryPoint?: string };
  failed(error: unknown): { events: BatchEvent[]; context?: ContextPatch };
}

const HISTORY_SIZE = 100;

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
  const send = (events: BatchEvent[], context?: ContextPatch) => manager.record(events, context);
  const afterOk = (records: Records, result: unknown) => {
    const a = records.after(result);
    const sent = send(a.events, a.context);
    return a.recoveryPoint
      ? sent.then(() => manager.markRecoveryPoint(a.recoveryPoint as string).then(() => undefined, () => undefined))
      : sent;
  };
  const afterFail = (records: Records, error: unknown) => {
    const f = records.failed(error);
    const lastError = { last_error: describeError(name, error) };
    const patch = f.context;
    return send(f.events, patch === undefined ? lastError : (state: JsonObject) => ({ ...(typeof patch === 'function' ? patch(state) : patch), ...lastError }));
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
      const description = typeof task.description === 'string' ? task.description : undefined;
      const current = { id: taskId ?? null, description: description ?? null, status: 'assigning', assigned_agents: [] as string[], since: at() };
      const taskEvent = (fields: Record<string, unknown>): BatchEvent[] =>
        taskId ? [{ type: 'task', task_id: taskId, ...fields } as BatchEvent] : [];
      return {
        before: taskEvent({ status: 'pending', ...(description !== undefined ? { description } : {}) }),
        beforeContext: { current_task: current },
        after: result => {
          const agents = agentsOf(result);
          return {
            events: [
              ...taskEvent({ status: 'in_progress', ...(agents.length ? { agent_id: agents[0] } : {}) }),
              ...agents.map(a => ({ type: 'agent', agent_id: a, status: 'busy', current_task: taskId ?? null }) as BatchEvent),
            ],
            context: { current_task: { ...current, status: 'assigned', assigned_agents: agents, since: at() } },
          };
        },
        failed: e => ({
          events: taskEvent({ status: 'failed', blockers: [errorMessage(e)] }),
          context: { current_task: { ...current, status: 'failed', since: at() } },
        }),
      };
    }
    case 'receiveMessage': {
      const m = isObject(arg) ? arg : { content: arg };
      const from = str(m.from_agent ?? m.fromAgent ?? m.from) ?? 'unknown';
      const type = str(m.type ?? m.message_type ?? m.messageType) ?? 'message';
      const content = isObject(arg) ? ('content' in m ? m.content : m) : arg;
      const entry = { timestamp: at(), from, type, content: text(content, 500) };
      const heartbeat = (): BatchEvent[] => from === 'unknown' ? [] : [{
        type: 'agent', agent_id: from, status: str(m.status) ?? 'active',
        ...(str(m.task_id ?? m.taskId) ? { current_task: str(m.task_id ?? m.taskId) } : {}),
        ...(Array.isArray(m.capabilities) ? { capabilities: m.capabilities.map(String) } : {}),
      } as BatchEvent];
      return {
        before: [{
          type: 'message', from_agent: from, to_agent: str(m.to_agent ?? m.toAgent ?? m.response_to ?? m.to) ?? orchestratorId,
          message_type: type, content: toJson(content),
        }],
        beforeContext: state => ({
          conversation_history: [...(Array.isArray(state.conversation_history) ? state.conversation_history : []), entry].slice(-HISTORY_SIZE),
        }),
        after: () => ({ events: heartbeat() }),
        failed: () => ({ events: heartbeat() }),
      };
    }
    case 'makeDecision': {
      // makeDecision({ decision_type, context, ... }) or makeDecision(decisionType, context)
      const given: Record<string, unknown> = isObject(arg) && args.length === 1 ? arg
        : { decision_type: args[0], context: args[1] };
      const decisionType = str(given.decision_type ?? given.type);
      const context = toJson(isObject(arg) && args.length === 1 ? ('context' in given ? given.context : given) : given.context);
      const pending = { decision_type: decisionType ?? null, context, since: at() };
      const phase = (value: string | null): ContextPatch => state => ({
        workflow_state: { current_workflow_id: null, completed_phases: [], ...(isObject(state.workflow_state) ? state.workflow_state as JsonObject : {}), phase: value },
        pending_decision: value ? pending : null,
      });
      return {
        before: [],
        beforeContext: phase('decision_making'),
        after: result => {
          const r = isObject(result) ? result : {};
          const agentId = str(r.agent_id ?? given.agent_id);
          const taskId = str(r.task_id ?? given.task_id);
          return {
            events: [{
              type: 'decision',
              decision_type: decisionType ?? str(r.decision_type) ?? 'general',
              context,
              decision: str(r.decision) ?? (text(result, 1000) || '(none)'),
              reasoning: text(r.reasoning ?? '', 4000),
              outcome: r.outcome === undefined ? 'pending' : toJson(r.outcome),
              ...(agentId ? { agent_id: agentId } : {}),
              ...(taskId ? { task_id: taskId } : {}),
            } as BatchEvent],
            context: phase(null),
          };
        },
        failed: () => ({ events: [], context: phase(null) }),
      };
    }
    case 'handleError': {
      const recovery = {
        error_type: arg instanceof Error ? arg.name : typeof arg, error_message: errorMessage(arg),
        timestamp: at(), recovery_attempts: 0, recovered: false,
      };
      return {
        before: [],
        beforeContext: { error_recovery: recovery },
        after: result => {
          const recovered = isObject(result) && result.recovered === true;
          return {
            events: [],
            context: { error_recovery: { ...recovery, recovered, handled_at: at() } },
            recoveryPoint: recovered ? 'Error recovered' : undefined,
          };
        },
        failed: () => ({ events: [], context: { error_recovery: { ...recovery, recovery_attempts: 1 } } }),
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

/** The client's own (it ships without the extension's core/errorText), cut to 1,000 characters for the store. */
function errorMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 1000);
}

function agentsOf(result: unknown): string[] {
  const v = isObject(result) ? result.assigned_to ?? result.assignedTo ?? result.agent_id ?? result.agentId : result;
  return (Array.isArray(v) ? v : [v]).map(str).filter((a): a is string => a !== undefined);
}

/** A value as short text: strings as they are, other values as JSON. */
function text(v: unknown, max: number): string {
  if (typeof v === 'string') return v.slice(0, max);
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, max);
  } catch {
    return String(v).slice(0, max);
  }
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

/**
 * What the seed does after restoring the context, as the Python wrapper: resume the task it was
 * assigning if that task is not finished, and ping each stale agent.
 */
export type ResumeCall = ['resumeTask', JsonObject] | ['pingAgent', string];

export function resumeCalls(view: ContextView): ResumeCall[] {
  const calls: ResumeCall[] = [];
  const current = view.state?.current_task;
  const finished = ['completed', 'failed', 'cancelled'];
  if (isObject(current) && str(current.id) && !finished.includes(String(current.status))) {
    const task = view.tasks.find(t => t.task_id === current.id);
    if (!task || !finished.includes(task.status)) calls.push(['resumeTask', current as JsonObject]);
  }
  for (const agent of view.agents) if (agent.stale) calls.push(['pingAgent', agent.agent_id]);
  return calls;
}

export function managerFor(options: ContextHooksOptions): JarvisContextManager {
  return options.contextManager ?? new JarvisContextManager(options);
}
