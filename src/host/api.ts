import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type {
  Agent, AgentUpdate, ChangeEvent, CheckpointResult, ContextView, Decision, DecisionInput, EngineStatus, Json, JsonObject,
  Message, MessageInput, RecoveryReport, Task, TaskUpdate,
} from '../core/types';
import type { Sessions } from './sessions';

/**
 * The seed's JarvisContextManager, in-process, for other extensions:
 *   const api = await vscode.extensions.getExtension('jarvis-context.jarvis-context')!.activate();
 *   await api.updateTaskProgress('t1', { status: 'in_progress', percentage: 40 });
 * Calls go to the first (or selected) workspace folder's engine; `forFolder(uri)` picks another.
 * A call resolves once the write is durable.
 */
export interface JarvisContextManagerApi {
  updateTaskProgress(taskId: string, update: TaskUpdate): Promise<Task>;
  logDecision(input: DecisionInput): Promise<Decision>;
  logDecision(decisionType: string, context: Json, decision: string, reasoning: string, outcome?: Json): Promise<Decision>;
  updateAgentState(agentId: string, update: AgentUpdate): Promise<Agent>;
  logAgentMessage(input: MessageInput): Promise<Message>;
  logAgentMessage(fromAgent: string, toAgent: string, messageType: string, content: Json): Promise<Message>;
  updateContext(state: JsonObject): Promise<JsonObject>;
  markRecoveryPoint(label: string): Promise<CheckpointResult>;
  getContextStatus(): Promise<EngineStatus>;
  /** The context to resume from: own state, tasks, agents, recent decisions. */
  restoreContext(): Promise<ContextView>;
  /** Runs the recovery analysis now and returns the report (also written to disk). */
  recoverFromCrash(): Promise<RecoveryReport>;
  /** Engine changes, as they happen (not debounced). */
  onDidChange: vscode.Event<ChangeEvent>;
}

export interface JarvisContextExtensionApi extends JarvisContextManagerApi {
  forFolder(uri: vscode.Uri): JarvisContextManagerApi;
}

function managerFor(engine: () => Promise<ContextEngineApi>, onDidChange: vscode.Event<ChangeEvent>): JarvisContextManagerApi {
  return {
    updateTaskProgress: async (taskId, update) => (await engine()).updateTaskProgress(taskId, update),
    logDecision: async (first: DecisionInput | string, context?: Json, decision?: string, reasoning?: string, outcome?: Json) => {
      const input: DecisionInput =
        typeof first === 'string'
          ? { decision_type: first, context: context ?? null, decision: decision ?? '', reasoning: reasoning ?? '', ...(outcome === undefined ? {} : { outcome }) }
          : first;
      return (await engine()).logDecision(input);
    },
    updateAgentState: async (agentId, update) => (await engine()).updateAgentState(agentId, update),
    logAgentMessage: async (first: MessageInput | string, toAgent?: string, messageType?: string, content?: Json) => {
      const input: MessageInput =
        typeof first === 'string' ? { from_agent: first, to_agent: toAgent ?? '', message_type: messageType ?? '', content: content ?? null } : first;
      return (await engine()).logAgentMessage(input);
    },
    updateContext: async state => (await engine()).updateContext(state),
    markRecoveryPoint: async label => (await engine()).markRecoveryPoint(label),
    getContextStatus: async () => (await engine()).getStatus(),
    // As the clients do: a pending resume point's context is the one restored, and is then cleared.
    restoreContext: async () => {
      const e = await engine();
      const view = await e.getRestoreContext();
      if (view.resume_point_id !== undefined) await e.clearResumePoint('orchestrator', view.resume_point_id);
      return view;
    },
    recoverFromCrash: async () => (await engine()).analyzeRecovery(),
    onDidChange,
  } as JarvisContextManagerApi;
}

/** Raw engine events of whichever engine a session has now (it is reopened on setting changes). */
function engineEvents(sessions: Sessions, pick: () => ContextEngineApi | undefined): vscode.Event<ChangeEvent> {
  return (listener, thisArg, disposables) => {
    let bound: ContextEngineApi | undefined;
    let sub: { dispose(): void } | undefined;
    const bind = () => {
      const e = pick();
      if (e === bound) return;
      sub?.dispose();
      bound = e;
      sub = e?.onDidChange(ev => listener.call(thisArg, ev));
    };
    bind();
    const watch = sessions.onDidChange(bind);
    const d = { dispose: () => { watch.dispose(); sub?.dispose(); } };
    disposables?.push(d);
    return d;
  };
}

export function createApi(sessions: Sessions): JarvisContextExtensionApi {
  const current = async (): Promise<ContextEngineApi> => {
    const s = sessions.current;
    if (!s) throw new Error('Jarvis Context needs an open workspace folder.');
    return s.engineWhenOpen();
  };
  const api = managerFor(current, engineEvents(sessions, () => sessions.current?.engine)) as JarvisContextExtensionApi;
  api.forFolder = uri => {
    const engine = async () => {
      const s = sessions.forFolder(uri);
      if (!s) throw new Error(`${uri.toString()} is not in an open workspace folder.`);
      return s.engineWhenOpen();
    };
    return managerFor(engine, engineEvents(sessions, () => sessions.forFolder(uri)?.engine));
  };
  return api;
}
