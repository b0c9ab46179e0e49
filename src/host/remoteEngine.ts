// The engine of a store another process holds (`jarvis-context serve`, or VS Code in another
// window), seen over its REST API: what the views read synchronously is kept in a cache that
// GET /stream keeps fresh, the rest maps to routes. vscode-free, so it is unit-tested in plain Node.
import * as http from 'http';
import { isProcessAlive, RemoteServer } from '../cli/remote';
import type { AlertSettings } from '../core/alertSettings';
import type { ContextEngineApi, Disposable } from '../core/engineApi';
import { NotFoundError } from '../core/errors';
import { errorText } from '../core/errorText';
import type { LangGraphApi } from '../core/langgraph';
import type { Logger } from '../core/ports';
import { renderRecoveryReport } from '../core/reportMarkdown';
import type { SearchCandidate } from '../core/searchText';
import type {
  Agent, AgentUpdate, Alert, BatchEvent, BatchResult, ChangeEvent, ChangeKind, ChangesSince, CheckpointInfo, CheckpointResult,
  CleanupResult, ContextView, Decision, DecisionInput, EngineMetrics, EngineStatus, Json, JsonObject, ListQuery, Message,
  MessageInput, RecoveryReport, ResumePoint, ResumePointInfo, Span, SpanQuery, SpanWriteResult, Task, TaskEvent, TaskStatus,
  TaskUpdate, TokenUsage,
} from '../core/types';
import { readEndpoint, type Endpoint } from '../server/endpointFile';

/** What the server holding the store does not offer over its API: said, never a crash. */
export class NotOfferedError extends Error {
  override readonly name = 'NotOfferedError';
  constructor(what: string, url: string) {
    super(`${what} is not available while the store is held by the server at ${url}; it works when VS Code opens the store itself.`);
  }
}

/** How many of each list the cache holds (the views show fewer). */
const CACHED = { checkpoints: 1000, alerts: 1000 };
/** A read for the cache that takes longer means the server is stuck. */
const READ_TIMEOUT_MS = 10_000;
/** One Server-Sent Event larger than this is not from a server of ours: the stream is dropped. */
const MAX_EVENT_BYTES = 1024 * 1024;

const CHANGE_KINDS: ReadonlySet<string> = new Set<ChangeKind>([
  'task', 'agent', 'decision', 'message', 'context', 'checkpoint', 'cleanup', 'recovery', 'persistence', 'span', 'alert', 'resume', 'langgraph',
]);

type Part = 'status' | 'agents' | 'tasks' | 'checkpoints' | 'alerts' | 'resume';
const ALL_PARTS: Part[] = ['status', 'agents', 'tasks', 'checkpoints', 'alerts', 'resume'];
/** What a change of each kind makes stale; the status (counts, metrics) goes with every change. */
const PARTS_OF: Record<ChangeKind, Part[]> = {
  task: ['tasks'], agent: ['agents'], decision: [], message: [], context: [], span: [], langgraph: [], persistence: [],
  checkpoint: ['checkpoints', 'resume'], cleanup: ['checkpoints', 'tasks', 'agents'], recovery: ALL_PARTS, resume: ['checkpoints', 'resume'], alert: ['alerts'],
};

/**
 * The live server holding `folder`, found through its endpoint.json (validated on read: private
 * file, loopback URL) with its pid alive and GET /status answering with the token.
 */
export async function findHoldingServer(folder: string, timeoutMs = 3_000): Promise<Endpoint | undefined> {
  const endpoint = readEndpoint(folder);
  if (!endpoint || !isProcessAlive(endpoint.pid)) return undefined;
  try {
    const r = await new RemoteServer(endpoint).request('GET', '/status', undefined, timeoutMs);
    return r.status === 200 && isObject(r.body) ? endpoint : undefined;
  } catch {
    return undefined;
  }
}

interface Cache {
  status: EngineStatus;
  metrics: EngineMetrics;
  agents: Agent[];
  tasks: Task[];
  checkpoints: CheckpointInfo[];
  alerts: Alert[];
  resume: ResumePointInfo | undefined;
}

export class RemoteEngine implements ContextEngineApi {
  readonly recoveryReport: RecoveryReport | undefined = undefined;
  readonly langgraph: LangGraphApi;
  private readonly server: RemoteServer;
  private readonly listeners = new Set<(e: ChangeEvent) => void>();
  private readonly goneListeners = new Set<() => void>();
  private stream: http.ClientRequest | undefined;
  private dirty = new Set<Part>();
  private waiting: ChangeEvent[] = [];
  private refreshing: Promise<void> | undefined;
  private closed = false;
  private gone = false;

  private constructor(readonly folder: string, readonly endpoint: Endpoint, private cache: Cache, private readonly log: Logger) {
    this.server = new RemoteServer(endpoint);
    const notOffered = (what: string) => (): never => { throw new NotOfferedError(what, endpoint.url); };
    const rejects = (what: string) => async (): Promise<never> => notOffered(what)();
    this.langgraph = {
      put: rejects('Writing LangGraph checkpoints from VS Code'),
      putWrites: rejects('Writing LangGraph checkpoints from VS Code'),
      getTuple: notOffered('Reading a LangGraph checkpoint'),
      list: notOffered('Listing LangGraph checkpoints'),
      // The Checkpoints view lists them beside the others: none shown rather than a failing view.
      summaries: () => [],
      deleteThread: rejects('Deleting a LangGraph thread'),
      deleteForRuns: rejects('Deleting LangGraph runs'),
      copyThread: rejects('Copying a LangGraph thread'),
      prune: rejects('Pruning LangGraph threads'),
      fork: rejects('Forking a LangGraph checkpoint'),
    };
  }

  /** Reads what the views need, then follows GET /stream. Rejects when the server does not answer as ours does. */
  static async connect(folder: string, endpoint: Endpoint, log: Logger): Promise<RemoteEngine> {
    // The stream first: a change made while the cache is read is then in both, never in neither.
    const stream = await openStream(endpoint);
    try {
      const engine = new RemoteEngine(folder, endpoint, await readAll(new RemoteServer(endpoint)), log);
      engine.consume(stream);
      return engine;
    } catch (err) {
      stream.req.destroy();
      throw err;
    }
  }

  get url(): string {
    return this.endpoint.url;
  }

  /** Fires once when the server has gone away (closed or crashed); the engine is then closed. */
  onDidGoAway(listener: () => void): Disposable {
    this.goneListeners.add(listener);
    return { dispose: () => this.goneListeners.delete(listener) };
  }

  onDidChange(listener: (event: ChangeEvent) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stream?.destroy();
    this.stream = undefined;
    this.listeners.clear();
    await this.refreshing?.catch(() => undefined);
  }

  // --- the stream and the cache ---

  /** Follows the stream again after a dropped connection; what changed meanwhile is read again. */
  private follow(): void {
    openStream(this.endpoint).then(stream => {
      if (this.closed) {
        stream.req.destroy();
        return;
      }
      this.consume(stream);
      this.changed(ALL_PARTS, { kind: 'recovery', ids: [], at: new Date().toISOString() });
    }, err => {
      if (!this.closed) void this.streamEnded(errorText(err));
    });
  }

  private consume({ req, res }: OpenStream): void {
    this.stream = req;
    let ended = false;
    const end = (why: string): void => {
      if (ended || this.closed) return;
      ended = true;
      void this.streamEnded(why);
    };
    req.on('error', err => end(errorText(err)));
    req.on('close', () => end('the stream closed'));
    res.on('close', () => end('the stream closed'));
    if (req.destroyed || res.destroyed) end('the stream closed');
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        this.onEvent(buffer.slice(0, at));
        buffer = buffer.slice(at + 2);
      }
      if (buffer.length > MAX_EVENT_BYTES) req.destroy(new Error('an event of GET /stream is over 1 MiB'));
    });
  }

  private onEvent(block: string): void {
    let name = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trimStart();
    }
    if (name !== 'change' && name !== 'alert') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.log.warn('[remote] an event of GET /stream is not JSON; skipped');
      return;
    }
    if (name === 'alert') {
      this.changed([], undefined);
      return;
    }
    const event = changeEventOf(parsed);
    if (!event) {
      this.log.warn('[remote] an event of GET /stream has an unknown shape; skipped');
      return;
    }
    this.changed(['status', ...PARTS_OF[event.kind]], event);
  }

  /** Marks parts stale and refreshes them; the change is passed on once the cache holds it. */
  private changed(parts: Part[], event: ChangeEvent | undefined): void {
    for (const p of parts) this.dirty.add(p);
    if (event) this.waiting.push(event);
    this.refreshing ??= this.refreshLoop().finally(() => (this.refreshing = undefined));
  }

  private async refreshLoop(): Promise<void> {
    while ((this.dirty.size || this.waiting.length) && !this.closed) {
      const parts = [...this.dirty];
      const events = this.waiting;
      this.dirty = new Set();
      this.waiting = [];
      try {
        await this.refresh(parts);
      } catch (err) {
        // The stream's end says whether the server is gone; until then the last figures stay.
        this.log.warn(`[remote] could not refresh from ${this.endpoint.url}: ${errorText(err)}`);
      }
      if (this.closed) return;
      for (const e of events) for (const l of [...this.listeners]) l(e);
    }
  }

  private async refresh(parts: Part[]): Promise<void> {
    const next = { ...this.cache };
    await Promise.all(parts.map(async p => {
      switch (p) {
        case 'status': [next.status, next.metrics] = await Promise.all([readStatus(this.server), readMetrics(this.server)]); break;
        case 'agents': next.agents = await readAgents(this.server); break;
        case 'tasks': next.tasks = await readTasks(this.server); break;
        case 'checkpoints': next.checkpoints = await readCheckpoints(this.server); break;
        case 'alerts': next.alerts = await readAlerts(this.server); break;
        case 'resume': next.resume = await readResume(this.server); break;
      }
    }));
    this.cache = next;
  }

  /** A stream that ends is either a server gone (pid dead, or no answer) or a dropped connection (followed again). */
  private async streamEnded(why: string): Promise<void> {
    this.stream = undefined;
    if (this.closed) return;
    const alive = isProcessAlive(this.endpoint.pid) && (await this.answers());
    if (this.closed) return;
    if (alive) {
      this.log.info(`[remote] GET /stream ended (${why}); following it again`);
      this.follow();
      return;
    }
    this.log.info(`[remote] the server at ${this.endpoint.url} (pid ${this.endpoint.pid}) has gone away (${why})`);
    this.gone = true;
    this.closed = true;
    for (const l of [...this.goneListeners]) l();
  }

  private async answers(): Promise<boolean> {
    try {
      return (await this.server.request('GET', '/status', undefined, 2_000)).status === 200;
    } catch {
      return false;
    }
  }

  /** True once the server went away. */
  get hasGoneAway(): boolean {
    return this.gone;
  }

  // --- reads from the cache ---

  getStatus(): EngineStatus {
    return this.cache.status;
  }
  getMetrics(): EngineMetrics {
    return this.cache.metrics;
  }
  getTasks(filter?: { status?: TaskStatus }): Task[] {
    return filter?.status ? this.cache.tasks.filter(t => t.status === filter.status) : [...this.cache.tasks];
  }
  getTask(taskId: string): Task | undefined {
    return this.cache.tasks.find(t => t.task_id === taskId);
  }
  getAgents(): Agent[] {
    return [...this.cache.agents];
  }
  getAgent(agentId: string): Agent | undefined {
    return this.cache.agents.find(a => a.agent_id === agentId);
  }
  listCheckpoints(limit = 100): CheckpointInfo[] {
    return this.cache.checkpoints.slice(0, limit);
  }
  getAlerts(query: { active?: boolean; limit?: number } = {}): Alert[] {
    return this.cache.alerts.filter(a => !query.active || a.active).slice(0, query.limit ?? 100);
  }
  getPendingResumePoint(): ResumePointInfo | undefined {
    return this.cache.resume;
  }
  getLastRecoveryPointId(): number | undefined {
    return this.cache.checkpoints.find(c => c.kind === 'recovery' || c.kind === 'manual')?.checkpoint_id;
  }
  renderRecoveryReport(report: RecoveryReport): string {
    return renderRecoveryReport(report);
  }
  changesSince(): ChangesSince | undefined {
    return undefined;
  }
  getTaskEvents(): TaskEvent[] {
    throw new NotOfferedError('A task\'s history', this.url);
  }
  getTokenUsage(): { agents: Record<string, TokenUsage>; tasks: Record<string, TokenUsage> } {
    throw new NotOfferedError('Token usage', this.url);
  }
  getContext(): ContextView {
    throw new NotOfferedError('The live context', this.url);
  }
  getConversationHistory(): Json[] {
    throw new NotOfferedError('The conversation history', this.url);
  }

  // --- reads over the API ---

  async getDecisions(query: ListQuery = {}): Promise<Decision[]> {
    return listOf(await this.server.call('GET', `/decisions${listParams(query)}`), 'decisions', isDecision);
  }
  async getDecision(id: number): Promise<Decision | undefined> {
    return (await this.getDecisions({ limit: 10_000 })).find(d => d.id === id);
  }
  async getMessages(query: ListQuery = {}): Promise<Message[]> {
    return listOf(await this.server.call('GET', `/messages${listParams(query)}`), 'messages', isMessage);
  }
  async getSpans(query: SpanQuery = {}): Promise<Span[]> {
    const { beforeId, live_only: _live, conversation_id: _conversation, ...rest } = query;
    return listOf(await this.server.call('GET', `/spans${listParams({ ...rest, ...(beforeId ? { before: beforeId } : {}) })}`), 'spans', isSpan);
  }
  async getCheckpointSnapshot(checkpointId: number): Promise<JsonObject | undefined> {
    const body = await this.orNotFound(() => this.server.call('GET', `/checkpoints/${checkpointId}`));
    return isObject(body) ? body as JsonObject : undefined;
  }
  async getLatestRecoveryReport(): Promise<RecoveryReport | undefined> {
    const body = await this.orNotFound(() => this.server.call('GET', '/recovery-report'));
    return isReport(body) ? body : undefined;
  }
  async listRecoveryReports(limit = 10): Promise<RecoveryReport[]> {
    return listOf(await this.server.call('GET', `/recovery-reports?limit=${limit}`), 'reports', isReport);
  }
  async getResumePoint(): Promise<ResumePoint | undefined> {
    const body = await this.orNotFound(() => this.server.call('GET', '/resume-point'));
    return isResumePoint(body) ? body as ResumePoint : undefined;
  }
  async getRestoreContext(): Promise<ContextView> {
    return objectOf(await this.server.call('GET', '/context')) as unknown as ContextView;
  }
  async analyzeRecovery(): Promise<RecoveryReport> {
    const body = await this.server.call('POST', '/recover');
    if (!isReport(body)) throw new Error(`the server at ${this.url} answered POST /recover with something that is not a report`);
    return body;
  }
  searchHistory(): Promise<SearchCandidate[]> {
    return Promise.reject(new NotOfferedError('Searching the history from VS Code', this.url));
  }
  exportAll(): Promise<JsonObject> {
    return Promise.reject(new NotOfferedError('Export', this.url));
  }

  // --- writes over the API (durable when the server answers) ---

  async updateTaskProgress(taskId: string, update: TaskUpdate): Promise<Task> {
    return objectOf(await this.server.call('PUT', `/tasks/${encodeURIComponent(taskId)}`, update)) as unknown as Task;
  }
  async logDecision(input: DecisionInput): Promise<Decision> {
    const r = objectOf(await this.server.call('POST', '/decisions', input));
    return { agent_id: null, task_id: null, outcome: null, ...input, id: Number(r.id), ts: String(r.ts) } as Decision;
  }
  async updateAgentState(agentId: string, update: AgentUpdate): Promise<Agent> {
    return objectOf(await this.server.call('PUT', `/agents/${encodeURIComponent(agentId)}`, update)) as unknown as Agent;
  }
  async logAgentMessage(input: MessageInput): Promise<Message> {
    const r = objectOf(await this.server.call('POST', '/messages', input));
    return { ...input, id: Number(r.id), ts: String(r.ts) };
  }
  async updateContext(state: JsonObject): Promise<JsonObject> {
    return objectOf(await this.server.call('PUT', '/context', state)) as JsonObject;
  }
  async writeBatch(events: BatchEvent[]): Promise<BatchResult> {
    return objectOf(await this.server.call('POST', '/events', { events })) as unknown as BatchResult;
  }
  writeSpans(): Promise<SpanWriteResult> {
    return Promise.reject(new NotOfferedError('Writing spans from VS Code', this.url));
  }
  async markRecoveryPoint(label: string): Promise<CheckpointResult> {
    return objectOf(await this.server.call('POST', '/recovery-points', { label })) as unknown as CheckpointResult;
  }
  async checkpoint(label?: string): Promise<CheckpointResult> {
    return objectOf(await this.server.call('POST', '/checkpoint', label === undefined ? {} : { label })) as unknown as CheckpointResult;
  }
  compact(): Promise<boolean> {
    return Promise.reject(new NotOfferedError('Compacting the store', this.url));
  }
  async cleanup(options: { olderThanDays: number; dryRun?: boolean }): Promise<CleanupResult> {
    return objectOf(await this.server.call('POST', '/cleanup', { older_than_days: options.olderThanDays, dry_run: !!options.dryRun })) as unknown as CleanupResult;
  }
  async setResumePoint(input: { checkpoint_id: number; state?: JsonObject }): Promise<ResumePointInfo> {
    const r = objectOf(await this.server.call('POST', '/resume-point', input));
    const info = await readResume(this.server);
    return info ?? ({ ...r, label: null, cleared_at: null, cleared_by: null } as unknown as ResumePointInfo);
  }
  resumeFromLastRecoveryPoint(): Promise<ResumePointInfo> {
    const id = this.getLastRecoveryPointId();
    if (id === undefined) return Promise.reject(new NotFoundError(undefined, 'There is no recovery point to resume from.'));
    return this.setResumePoint({ checkpoint_id: id });
  }
  async clearResumePoint(by: 'orchestrator' | 'user', resumePointId?: number): Promise<ResumePointInfo> {
    const pending = this.cache.resume;
    await this.server.call('DELETE', `/resume-point?by=${by}${resumePointId === undefined ? '' : `&resume_point_id=${resumePointId}`}`);
    if (!pending) throw new NotFoundError(undefined, 'There is no pending resume point.');
    return { ...pending, cleared_at: new Date().toISOString(), cleared_by: by };
  }
  async dismissAlert(id: number): Promise<Alert | undefined> {
    const body = await this.orNotFound(() => this.server.call('POST', `/alerts/${id}/dismiss`));
    return isAlert(body) ? body : undefined;
  }

  // --- what belongs to the process that holds the store ---

  async noteSpoolIntake(): Promise<void> {}
  noteClientWrite(): void {}
  setCheckpointInterval(): void {}
  setStaleAfterMs(): void {}
  setHistorySize(): void {}
  setImageRetention(): void {}
  async setAlertSettings(_settings: Partial<AlertSettings>): Promise<void> {}

  private async orNotFound(call: () => Promise<unknown>): Promise<unknown> {
    try {
      return await call();
    } catch (err) {
      if ((err as { status?: number }).status === 404) return undefined;
      throw err;
    }
  }
}

// --- reading answers as input ---

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objectOf(v: unknown): Record<string, unknown> {
  if (!isObject(v)) throw new Error('the server answered with something that is not a JSON object');
  return v;
}

/** The entries of `body[key]` that have the shape; the others are dropped (one bad entry never hides the rest). */
function listOf<T>(body: unknown, key: string, ok: (v: unknown) => v is T): T[] {
  const list = isObject(body) ? body[key] : undefined;
  if (!Array.isArray(list)) throw new Error(`the server's answer has no list "${key}"`);
  return list.filter(ok);
}

const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const has = <K extends string>(v: unknown, checks: Record<K, (x: unknown) => boolean>): boolean =>
  isObject(v) && Object.entries(checks).every(([k, check]) => (check as (x: unknown) => boolean)(v[k]));

const isAgent = (v: unknown): v is Agent => has(v, { agent_id: str, status: str, last_seen: str });
const isTask = (v: unknown): v is Task => has(v, { task_id: str, status: str, percentage: num, updated_at: str }) &&
  Array.isArray((v as Task).blockers) && Array.isArray((v as Task).completed_subtasks);
const isCheckpoint = (v: unknown): v is CheckpointInfo => has(v, { checkpoint_id: num, created_at: str, kind: str });
const isAlert = (v: unknown): v is Alert => has(v, { id: num, kind: str, subject: str, message: str, active: (x: unknown) => typeof x === 'boolean' });
const isDecision = (v: unknown): v is Decision => has(v, { id: num, ts: str, decision_type: str, decision: str });
const isMessage = (v: unknown): v is Message => has(v, { id: num, ts: str, from_agent: str, to_agent: str, message_type: str });
const isSpan = (v: unknown): v is Span => has(v, { trace_id: str, span_id: str, name: str });
const isReport = (v: unknown): v is RecoveryReport => has(v, { file: str }) && isObject(v);
const isResumePoint = (v: unknown): v is ResumePointInfo => has(v, { resume_point_id: num, checkpoint_id: num, parent_id: num, created_at: str });
const isStatus = (v: unknown): v is EngineStatus => has(v, { session_id: str, started_at: str, storage_path: str, counts: isObject, persistence: str });
const isMetrics = (v: unknown): v is EngineMetrics => has(v, { checkpoint: isObject, storage_bytes: isObject, activity: isObject, storage: isObject, recovery: isObject, snapshot_rates: isObject, compaction: isObject });

function changeEventOf(v: unknown): ChangeEvent | undefined {
  if (!isObject(v) || !str(v.kind) || !CHANGE_KINDS.has(v.kind) || !Array.isArray(v.ids) || !str(v.at)) return undefined;
  return { kind: v.kind as ChangeKind, ids: v.ids.filter(str), at: v.at };
}

function listParams(query: object): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query) as [string, unknown][]) if (v !== undefined && k !== 'live_only') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function readStatus(server: RemoteServer): Promise<EngineStatus> {
  const body = await server.call('GET', '/status', undefined, READ_TIMEOUT_MS);
  if (!isStatus(body)) throw new Error('GET /status answered with something that is not a status');
  return body;
}
async function readMetrics(server: RemoteServer): Promise<EngineMetrics> {
  const body = await server.call('GET', '/metrics', undefined, READ_TIMEOUT_MS);
  if (!isMetrics(body)) throw new Error('GET /metrics answered with something that is not the metrics');
  return body;
}
async function readAgents(server: RemoteServer): Promise<Agent[]> {
  return listOf(await server.call('GET', '/agent-states', undefined, READ_TIMEOUT_MS), 'agents', isAgent);
}
async function readTasks(server: RemoteServer): Promise<Task[]> {
  return listOf(await server.call('GET', '/task-progress', undefined, READ_TIMEOUT_MS), 'tasks', isTask);
}
async function readCheckpoints(server: RemoteServer): Promise<CheckpointInfo[]> {
  return listOf(await server.call('GET', `/checkpoints?limit=${CACHED.checkpoints}`, undefined, READ_TIMEOUT_MS), 'checkpoints', isCheckpoint);
}
async function readAlerts(server: RemoteServer): Promise<Alert[]> {
  return listOf(await server.call('GET', `/alerts?limit=${CACHED.alerts}`, undefined, READ_TIMEOUT_MS), 'alerts', isAlert);
}
async function readResume(server: RemoteServer): Promise<ResumePointInfo | undefined> {
  const r = await server.request('GET', '/resume-point', undefined, READ_TIMEOUT_MS);
  if (r.status === 404) return undefined;
  if (r.status !== 200 || !isResumePoint(r.body)) throw new Error(`GET /resume-point answered ${r.status}`);
  const { resume_point_id, checkpoint_id, parent_id, edited, created_at, label, cleared_at, cleared_by } = r.body;
  return { resume_point_id, checkpoint_id, parent_id, edited: edited === true, created_at, label: str(label) ? label : null, cleared_at: cleared_at ?? null, cleared_by: cleared_by ?? null };
}

interface OpenStream {
  req: http.ClientRequest;
  res: http.IncomingMessage;
}

/** GET /stream, resolved once the server answered 200 (it then sends every change from that moment on). */
function openStream(endpoint: Endpoint): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(endpoint.url + '/stream'), {
      headers: { Authorization: `Bearer ${endpoint.token}`, Accept: 'text/event-stream' }, timeout: READ_TIMEOUT_MS,
    }, res => {
      if (res.statusCode !== 200) {
        res.resume();
        req.destroy();
        reject(new Error(`GET /stream answered ${res.statusCode}`));
        return;
      }
      // Quiet between heartbeats: only the answer's start had a deadline.
      req.setTimeout(0);
      resolve({ req, res });
    });
    req.on('timeout', () => req.destroy(new Error(`GET /stream: no answer within ${READ_TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}

async function readAll(server: RemoteServer): Promise<Cache> {
  const [status, metrics, agents, tasks, checkpoints, alerts, resume] = await Promise.all([
    readStatus(server), readMetrics(server), readAgents(server), readTasks(server), readCheckpoints(server), readAlerts(server), readResume(server),
  ]);
  return { status, metrics, agents, tasks, checkpoints, alerts, resume };
}
