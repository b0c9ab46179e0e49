// The seed's JarvisContextManager for orchestrators written in TypeScript, over the REST API.
// The server does the checkpointing and crash detection; this class reports and reads back.
import type {
  Agent, AgentUpdate, BatchEvent, ContextView, DecisionInput, EngineStatus, Json, JsonObject, MessageInput,
  RecoveryReport, Task, TaskUpdate,
} from './types.js';
import { ClientOptions, JarvisContextClient } from './httpClient.js';

export interface ContextManagerOptions extends ClientOptions {
  /** Use this client instead of building one from the options. */
  client?: JarvisContextClient;
  /**
   * Called when a background record (see `record`) fails. Default: one process warning, so an
   * orchestrator keeps running when its memory is down.
   */
  onRecordError?: (error: Error) => void;
}

export class JarvisContextManager {
  readonly client: JarvisContextClient;
  /** The orchestrator's own state as last sent or read; undefined until known. */
  private state: JsonObject | undefined;
  /** Background records go out one after another, so "before" lands before "after". */
  private queue: Promise<void> = Promise.resolve();
  private warned = false;
  private readonly onRecordError: (error: Error) => void;

  constructor(options: ContextManagerOptions = {}) {
    this.client = options.client ?? new JarvisContextClient(options);
    this.onRecordError = options.onRecordError ?? (e => {
      if (this.warned) return;
      this.warned = true;
      process.emitWarning(`Jarvis Context: could not record orchestrator activity: ${e.message}`, 'JarvisContextWarning');
    });
  }

  updateTaskProgress(taskId: string, progress: TaskUpdate): Promise<Task> {
    return this.client.updateTask(taskId, progress);
  }

  logDecision(input: DecisionInput): Promise<{ id: number }>;
  logDecision(decisionType: string, context: Json, decision: string, reasoning: string, outcome?: Json): Promise<{ id: number }>;
  logDecision(
    first: DecisionInput | string, context?: Json, decision?: string, reasoning?: string, outcome?: Json,
  ): Promise<{ id: number }> {
    const input: DecisionInput = typeof first === 'string'
      ? { decision_type: first, context: context ?? null, decision: decision as string, reasoning: reasoning as string, ...(outcome === undefined ? {} : { outcome }) }
      : first;
    return this.client.logDecision(input);
  }

  /** Also a heartbeat. */
  updateAgentState(agentId: string, state: AgentUpdate): Promise<Agent> {
    return this.client.updateAgent(agentId, state);
  }

  logAgentMessage(input: MessageInput): Promise<{ id: number }>;
  logAgentMessage(fromAgent: string, toAgent: string, messageType: string, content: Json): Promise<{ id: number }>;
  logAgentMessage(first: MessageInput | string, toAgent?: string, messageType?: string, content?: Json): Promise<{ id: number }> {
    const input: MessageInput = typeof first === 'string'
      ? { from_agent: first, to_agent: toAgent as string, message_type: messageType as string, content: content ?? null }
      : first;
    return this.client.logMessage(input);
  }

  /** Replaces the orchestrator's own state (what a restarted orchestrator gets back in `state`). */
  async updateContext(state: JsonObject): Promise<JsonObject> {
    const answer = await this.client.putContext(state);
    this.state = { ...state };
    return answer;
  }

  /** Merges top-level keys into the orchestrator's state, reading it first if not yet known. */
  async mergeContext(patch: JsonObject): Promise<JsonObject> {
    return this.updateContext({ ...(await this.currentState()), ...patch });
  }

  markRecoveryPoint(label: string): Promise<{ checkpoint_id: number }> {
    return this.client.markRecoveryPoint(label);
  }

  getContextStatus(): Promise<EngineStatus> {
    return this.client.getStatus();
  }

  /** The context to resume from: own state, tasks, agents, recent decisions. */
  async restoreContext(): Promise<ContextView> {
    const view = await this.client.getContext();
    this.state = view.state ?? {};
    return view;
  }

  /** Runs the recovery analysis now: stale agents, incomplete tasks, what a resume would repeat. */
  recoverFromCrash(): Promise<RecoveryReport> {
    return this.client.recover();
  }

  /**
   * Queues a batch (one POST /events, all-or-nothing) behind the ones queued before it. The
   * promise never rejects: a failure goes to onRecordError. `contextPatch`, when given, is merged
   * into the state when the batch is sent.
   */
  record(events: BatchEvent[], contextPatch?: JsonObject): Promise<void> {
    const job = this.queue.then(async () => {
      const batch = [...events];
      if (contextPatch) {
        this.state = { ...(await this.currentState()), ...contextPatch };
        batch.push({ type: 'context', context: this.state });
      }
      if (batch.length) await this.client.postEvents(batch);
    }).catch((e: unknown) => this.onRecordError(e instanceof Error ? e : new Error(String(e))));
    this.queue = job;
    return job;
  }

  /** Resolves once every queued record has been sent (or has failed). */
  flush(): Promise<void> {
    return this.queue;
  }

  dispose(): void {
    this.client.dispose();
  }

  private async currentState(): Promise<JsonObject> {
    if (this.state === undefined) this.state = (await this.client.getContext()).state ?? {};
    return this.state;
  }
}
