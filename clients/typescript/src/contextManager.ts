// The seed's JarvisContextManager for orchestrators written in TypeScript, over the REST API.
// The server does the checkpointing and crash detection; this class reports and reads back.
// Like the Python client, every report is an event with an id (POST /events), checked before it
// leaves the process, and spooled to spool.jsonl while the server cannot be reached.
import { randomUUID } from 'crypto';
import { contextPath } from './discovery.js';
import { JarvisContextError } from './errors.js';
import { captureCaller } from './debugHold.js';
import { ClientOptions, JarvisContextClient } from './httpClient.js';
import { Spool, type SpooledEvent } from './spool.js';
import type {
  BatchEvent, BatchResult, ContextView, DecisionInput, EngineStatus, Json, JsonObject, RecoveryReport,
} from './types.js';
import { agentEvent, contextEvent, decisionEvent, messageEvent, requireStr, taskEvent } from './validate.js';

export interface ContextManagerOptions extends ClientOptions {
  /** Use this client instead of building one from the options. */
  client?: JarvisContextClient;
  /** false: an unreachable server makes writes reject instead of spooling. Default true. */
  spool?: boolean;
  /**
   * Called when a background record (see `record`) fails for a reason other than an unreachable
   * server (which spools). Default: one process warning, so an orchestrator keeps running.
   */
  onRecordError?: (error: Error) => void;
}

/** GET /status plus the seed's keys; `reachable: false` (and the last known figures) when the server is down. */
export type ContextStatus = Partial<EngineStatus> & {
  reachable: boolean;
  pending_spooled?: number;
  current_task: Json;
  active_agents: number;
  task_count: number;
  conversation_size: number;
  decision_count: number;
  workflow_phase: Json;
};

/** Top-level keys to merge into the orchestrator's state, or a function of the state giving them. */
export type ContextPatch = JsonObject | ((state: JsonObject) => JsonObject);

/** What a write returns: the server's answer, or undefined when the event was spooled. */
export type WriteResult = BatchResult | undefined;

export class JarvisContextManager {
  readonly client: JarvisContextClient;
  readonly spool: Spool;
  /** The orchestrator's own state as last sent or read; undefined until known. */
  private state: JsonObject | undefined;
  /** Context changes made while the state was unknown and the server unreachable. */
  private pendingPatch: JsonObject = {};
  private lastView: ContextView | undefined;
  /** Every write and flush goes through here, one after another: the server sees them in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private warned = false;
  private spooling = false;
  /** The background drain's timer while the spool waits for the server. */
  private drainTimer: NodeJS.Timeout | undefined;
  private drainDelayMs = DRAIN_FIRST_MS;
  private disposed = false;
  private readonly spoolEnabled: boolean;
  private readonly onRecordError: (error: Error) => void;

  constructor(options: ContextManagerOptions = {}) {
    this.client = options.client ?? new JarvisContextClient(options);
    this.spool = new Spool(options.contextPath ?? contextPath(options.env ?? process.env));
    this.spoolEnabled = options.spool ?? true;
    this.onRecordError = options.onRecordError ?? (e => {
      if (this.warned) return;
      this.warned = true;
      process.emitWarning(`Jarvis Context: could not record orchestrator activity: ${e.message}`, 'JarvisContextWarning');
    });
    // What an earlier run spooled goes out as soon as a server answers, before any call of ours.
    if (this.spoolEnabled && this.spool.hasPending()) this.scheduleDrain();
  }

  // ---- Reporting (the seed's methods) ----

  /** Merges into the task; unknown keys go into metadata. Undefined when spooled. */
  async updateTaskProgress(taskId: string, progress: Record<string, unknown>): Promise<WriteResult> {
    return this.write([taskEvent(taskId, progress)]);
  }

  logDecision(input: DecisionInput): Promise<WriteResult>;
  logDecision(decisionType: string, context: Json, decision: string, reasoning: string, outcome?: Json): Promise<WriteResult>;
  async logDecision(first: DecisionInput | string, context?: Json, decision?: string, reasoning?: string, outcome?: Json): Promise<WriteResult> {
    const input = typeof first === 'string'
      ? { decision_type: first, context: context ?? null, decision, reasoning, outcome }
      : first;
    return this.write([decisionEvent(input)]);
  }

  /** Also a heartbeat; status defaults to 'active'; unknown keys go into metadata. */
  async updateAgentState(agentId: string, state: Record<string, unknown>): Promise<WriteResult> {
    return this.write([agentEvent(agentId, state)]);
  }

  logAgentMessage(input: { from_agent: string; to_agent: string; message_type: string; content: Json; response?: Json }): Promise<WriteResult>;
  logAgentMessage(fromAgent: string, toAgent: string, messageType: string, content: Json, response?: Json): Promise<WriteResult>;
  async logAgentMessage(first: string | { from_agent: string; to_agent: string; message_type: string; content: Json; response?: Json },
    toAgent?: string, messageType?: string, content?: Json, response?: Json): Promise<WriteResult> {
    const m = typeof first === 'string'
      ? { from_agent: first, to_agent: toAgent, message_type: messageType, content, response }
      : first;
    return this.write([messageEvent(m.from_agent, m.to_agent, m.message_type, m.content, m.response)]);
  }

  /** Replaces the orchestrator's own state (what a restarted orchestrator gets back in `state`). */
  async updateContext(state: JsonObject): Promise<WriteResult> {
    const event = contextEvent(state);
    return this.serial(async () => {
      const answer = await this.writeLocked([event]);
      this.state = { ...state };
      this.pendingPatch = {};
      return answer;
    });
  }

  /** Merges top-level keys into the orchestrator's state, reading it first if not yet known. */
  mergeContext(patch: JsonObject): Promise<WriteResult> {
    return this.serial(() => this.recordLocked([], patch));
  }

  /** A recovery point; not spooled: undefined, with a warning, when the server is unreachable. */
  async markRecoveryPoint(label: string): Promise<{ checkpoint_id: number } | undefined> {
    requireStr('label', label);
    return this.serial(async () => {
      try {
        await this.flushLocked();
        return await this.client.markRecoveryPoint(label);
      } catch (e) {
        if (!unreachable(e)) throw e;
        process.emitWarning(`Jarvis Context unreachable, recovery point "${label}" not taken: ${(e as Error).message}`, 'JarvisContextWarning');
        return undefined;
      }
    });
  }

  // ---- Reading back ----

  /** GET /status plus the seed's keys (active_agents, task_count, ...). */
  getContextStatus(): Promise<ContextStatus> {
    return this.serial(async () => {
      let status: Partial<EngineStatus> & { reachable: boolean; pending_spooled?: number };
      let view: Partial<ContextView>;
      try {
        await this.flushQuietly();
        status = { ...(await this.client.getStatus()), reachable: true };
        view = await this.readView();
      } catch (e) {
        if (!this.spoolEnabled || !spoolable(e)) throw e;
        view = this.lastView ?? {};
        status = { reachable: false, pending_spooled: this.spool.pending() };
        status.counts = { agents: view.agents?.length ?? 0, tasks: view.tasks?.length ?? 0, decisions: view.recent_decisions?.length ?? 0, messages: 0, snapshots: 0 };
      }
      const state = view.state ?? {};
      const workflow = state.workflow_state as JsonObject | undefined;
      return {
        ...status,
        current_task: state.current_task ?? { id: null, description: null, status: 'idle', assigned_agents: [] },
        active_agents: status.counts?.agents ?? 0,
        task_count: status.counts?.tasks ?? 0,
        conversation_size: Array.isArray(state.conversation_history) ? state.conversation_history.length : 0,
        decision_count: status.counts?.decisions ?? 0,
        workflow_phase: workflow?.phase ?? null,
      };
    });
  }

  /**
   * The context to resume from, after sending anything spooled; undefined when the server is
   * unreachable. When the user chose a resume point in VS Code (the answer carries
   * resume_point_id), its context is the one returned and the resume point is cleared.
   */
  restoreContext(): Promise<ContextView | undefined> {
    return this.serial(async () => {
      try {
        await this.flushQuietly();
        const view = await this.readView();
        if (typeof view.resume_point_id === 'number') {
          // What the orchestrator goes on from: later context writes build on this state.
          this.state = { ...(view.state ?? {}) };
          await this.clearResumePoint(view.resume_point_id);
        }
        return view;
      } catch (e) {
        if (!spoolable(e)) throw e;
        process.emitWarning(`Jarvis Context unreachable, no context restored: ${(e as Error).message}`, 'JarvisContextWarning');
        return undefined;
      }
    });
  }

  /** Runs the recovery analysis now: stale agents, incomplete tasks, what a resume would repeat. */
  recoverFromCrash(): Promise<RecoveryReport> {
    return this.serial(async () => {
      await this.flushQuietly();
      return this.client.recover();
    });
  }

  /**
   * Queues a batch (one POST /events, all-or-nothing) behind the writes before it; spooled when
   * the server is unreachable. `contextPatch` is merged into the state. The promise never
   * rejects: other failures go to onRecordError.
   */
  record(events: BatchEvent[], contextPatch?: ContextPatch): Promise<void> {
    return this.serial(() => this.recordLocked(events, contextPatch))
      .then(() => undefined, (e: unknown) => this.onRecordError(e instanceof Error ? e : new Error(String(e))));
  }

  /** Resolves once every queued write has been sent or spooled (or has failed). */
  async flush(): Promise<void> {
    await this.queue.then(() => undefined, () => undefined);
  }

  /** Sends spooled events now; how many. Rejects when the server is still unreachable (the spool is kept). */
  flushSpool(): Promise<number> {
    return this.serial(() => this.flushLocked());
  }

  /** Events waiting in the spool (all processes). */
  pendingSpooled(): number {
    return this.spool.pending();
  }

  /** Stops the background drain and closes idle sockets; what is still spooled stays on disk. */
  dispose(): void {
    this.disposed = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.client.dispose();
  }

  // ---- Internals ----

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private write(events: BatchEvent[]): Promise<WriteResult> {
    // Taken now: the queue's turn below has lost the orchestrator's frames.
    const caller = this.client.debugging ? captureCaller() : undefined;
    return this.serial(() => this.writeLocked(events, caller));
  }

  private async writeLocked(events: BatchEvent[], caller?: string): Promise<WriteResult> {
    const batch = events.map(e => ({ event_id: randomUUID(), ...e }) as SpooledEvent);
    const text = batch.map(e => JSON.stringify(e) + '\n').join('');
    try {
      // Spooled events go first, so the server sees writes in the order they were made.
      await this.flushLocked();
      const answer = await this.client.postEvents(batch, { caller });
      this.spooling = false;
      return answer;
    } catch (e) {
      if (!this.spoolEnabled || !spoolable(e)) throw e;
      this.spool.append(text);
      if (!this.spooling) { // once per outage, not once per event
        this.spooling = true;
        process.emitWarning(`Jarvis Context unavailable (${(e as Error).message}); spooling events to ${this.spool.file}`, 'JarvisContextWarning');
      }
      this.scheduleDrain();
      return undefined;
    }
  }

  private async recordLocked(events: BatchEvent[], contextPatch?: ContextPatch): Promise<WriteResult> {
    const batch = [...events];
    const resolve = (state: JsonObject) => (typeof contextPatch === 'function' ? contextPatch(state) : contextPatch);
    if (contextPatch || Object.keys(this.pendingPatch).length) {
      const state = await this.knownState();
      if (state === undefined) {
        // Unknown state, unreachable server: a context event now would replace the state a
        // previous run left. Keep the change until the server answers.
        this.pendingPatch = { ...this.pendingPatch, ...resolve(this.pendingPatch) };
      } else {
        const merged = { ...state, ...this.pendingPatch };
        this.state = { ...merged, ...resolve(merged) };
        this.pendingPatch = {};
        batch.push({ type: 'context', context: this.state });
      }
    }
    return batch.length ? this.writeLocked(batch) : undefined;
  }

  private async knownState(): Promise<JsonObject | undefined> {
    if (this.state === undefined) {
      try {
        await this.flushLocked();
        await this.readView();
      } catch (e) {
        if (!spoolable(e)) throw e;
      }
    }
    return this.state;
  }

  private async clearResumePoint(id: number): Promise<void> {
    try {
      await this.client.clearResumePoint(id);
    } catch (e) {
      // It stays pending: the next start restores it again, as an orchestrator that crashes now would want.
      process.emitWarning(`Jarvis Context: resume point ${id} not cleared: ${(e as Error).message}`, 'JarvisContextWarning');
    }
  }

  private async readView(): Promise<ContextView> {
    const view = await this.client.getContext();
    this.lastView = view;
    if (this.state === undefined) this.state = { ...(view.state ?? {}) };
    return view;
  }

  private async flushQuietly(): Promise<void> {
    try {
      await this.flushLocked();
    } catch (e) {
      if (!spoolable(e)) throw e;
    }
  }

  /**
   * Sends the spool in the background as soon as the server answers again, so the backlog does
   * not wait for the orchestrator's next call. Unref'd: it never keeps the process alive.
   */
  scheduleDrain(): void {
    if (this.drainTimer || this.disposed) return;
    this.drainTimer = setTimeout(() => {
      void this.serial(() => this.flushLocked()).then(() => {
        this.drainTimer = undefined;
        this.drainDelayMs = DRAIN_FIRST_MS;
        this.spooling = false;
        // Spooled again meanwhile by another path (a read that could not flush): go on.
        if (this.spool.hasPending()) this.scheduleDrain();
      }, () => {
        this.drainTimer = undefined;
        this.drainDelayMs = Math.min(this.drainDelayMs * 2, DRAIN_MAX_MS);
        this.scheduleDrain();
      });
    }, this.drainDelayMs);
    this.drainTimer.unref();
  }

  private async flushLocked(): Promise<number> {
    if (!this.spool.hasPending()) return 0;
    this.client.requireEndpoint('POST', '/events'); // no server advertised: fail before touching the spool
    const post = async (events: SpooledEvent[]) => { await this.client.postEvents(events, { spooled: true }); };
    const refused = (event: SpooledEvent, e: { message: string }) => process.emitWarning(
      `Jarvis Context refused spooled event ${event.event_id}: ${e.message}; kept in ${this.spool.rejectedFile}`, 'JarvisContextWarning');
    let sent = 0;
    // Files left by a flush that failed (ours) or whose process died go first: they are older.
    for (const file of this.spool.leftovers()) sent += await this.spool.send(file, post, refused);
    const taken = this.spool.take();
    if (taken) sent += await this.spool.send(taken, post, refused);
    return sent;
  }
}

// Background drain: first retry soon after the outage starts, then at most every 2 s.
const DRAIN_FIRST_MS = 250;
const DRAIN_MAX_MS = 2_000;

/** Unreachable, or the store cannot write right now (503): keep the event for later. */
export function spoolable(e: unknown): boolean {
  return e instanceof JarvisContextError && (unreachable(e) || e.status === 503);
}

function unreachable(e: unknown): boolean {
  return e instanceof JarvisContextError && e.status === 0 && ['unreachable', 'timeout', 'no_endpoint'].includes(e.code);
}
