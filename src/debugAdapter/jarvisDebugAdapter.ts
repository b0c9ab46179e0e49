// The `jarvis` debug adapter: Debug Adapter Protocol in, the server's hold protocol out (README,
// "Debugging a run"). It speaks only REST to the server that holds the folder's store, whether
// this window owns it or attached to a CLI server: one code path. No vscode import: the glue
// (vscodeDebugger.ts) hands it an endpoint and a few host actions; unit tests drive it with
// DAP messages against a real server.
//
// Threads are agents (thread 1 is the run, for events of no agent); a stop's call stack is
// event → task → agent → run (→ the last checkpoint), the event frame at the orchestrator's line.
import * as crypto from 'crypto';
import { compileBreakpoint, BreakpointError } from '../debug/breakpoints';
import { evaluate as evaluateExpr, ExpressionError, ownValue, parseExpression, readPath, type Expr, type Value } from '../debug/expression';
import type { DebugAnnouncement, Hold, LogHit, SourceLocation } from '../debug/debugSessions';
import { EXCEPTION_FILTERS, type DapMessage, type DapRequest, type DapStackFrame, type DapVariable } from './protocol';

export interface Endpoint {
  url: string;
  token: string;
}

/** What the adapter asks of the editor around it. */
export interface AdapterHost {
  /** The server of the store to debug (the glue picks the folder's session); throws when there is none. */
  endpoint(config: Record<string, unknown>): Promise<Endpoint & { storagePath?: string }>;
  /** Edit and Fork… from checkpoint `checkpointId` with `path` of the orchestrator's state set to `value`. */
  editAndFork?(checkpointId: number, path: (string | number)[], value: unknown): Promise<void>;
  /** The existing Resume from This Checkpoint. */
  resumeFromCheckpoint?(checkpointId: number): Promise<void>;
  log?(line: string): void;
}

export interface AdapterOptions {
  /** Renewal period of the session's lease (the server drops it after leaseMs unrenewed). */
  leaseMs?: number;
  /** The feed's long-poll wait, in seconds. */
  waitSeconds?: number;
  /** How often a launched orchestrator's process is looked at (ms). */
  processPollMs?: number;
}

type Ctx = {
  state: Record<string, unknown>;
  tasks: Record<string, unknown>[];
  agents: Record<string, unknown>[];
  recent_decisions: Record<string, unknown>[];
};

/** A stop the user sees: a hold (held or not) on the thread of its agent. */
interface Stop {
  hold: Hold;
  threadId: number;
  /** Read once per stop, when the panes first ask. */
  data?: Promise<StopData>;
}

interface StopData {
  event: Record<string, unknown>;
  task: unknown;
  agent: unknown;
  context: unknown;
  decisions: unknown;
  checkpoint: { checkpoint_id: number; label: string | null; created_at: string } | undefined;
}

type Container = { value: Value; path: string; /** Set for values of the orchestrator's context: the path from its root. */ contextPath?: (string | number)[] };

const RUN_THREAD = 1;
const REQUEST_TIMEOUT_MS = 15_000;
const FRAMES_PER_THREAD = 8;
const MAX_PREVIEW = 200;
const MAX_CHILDREN = 500;
const SHORT: Record<string, string> = { breakpoint: 'Paused on breakpoint', exception: 'Paused on filter', pause: 'Paused', step: 'Paused on step' };
const ROOTS = ['event', 'task', 'agent', 'context', 'decisions'] as const;

class HttpFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function preview(v: Value): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v.length > MAX_PREVIEW ? v.slice(0, MAX_PREVIEW) + '…' : v);
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (v !== null && typeof v === 'object') {
    const s = JSON.stringify(v) ?? '';
    return s.length > MAX_PREVIEW ? s.slice(0, MAX_PREVIEW) + '…' : s;
  }
  return String(v);
}

/** `a.b[0]["c d"]`: how Watch and the Debug Console read a child back. */
function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export class JarvisDebugAdapter {
  private seq = 1;
  private endpoint: Endpoint | undefined;
  private storagePath: string | undefined;
  private readonly sessionId = `dap-${crypto.randomBytes(6).toString('hex')}`;
  private breakpoints: { id: string; name: string; condition?: string; hit_condition?: string; log_message?: string }[] = [];
  private filters: string[] = [];
  private pause: string | undefined;
  /** PUTs go one at a time, in order: the last one sent is the state the server has. */
  private putChain: Promise<unknown> = Promise.resolve();
  private renewTimer: NodeJS.Timeout | undefined;
  private processTimer: NodeJS.Timeout | undefined;
  private feedAbort = new AbortController();
  private closed = false;
  private readonly threads = new Map<string, number>([['', RUN_THREAD]]);
  private readonly stops = new Map<number, Stop>();
  /** Holds waiting for their thread's stop to go on. */
  private queued: Hold[] = [];
  /** A step was asked: the next pause stop is reported as a step. */
  private stepping = false;
  private containers = new Map<number, Container>();
  private nextRef = 1;
  private readonly pending = new Map<number, (r: { success: boolean; body?: unknown; message?: string }) => void>();
  private configured!: () => void;
  private readonly configurationDone = new Promise<void>(resolve => (this.configured = resolve));
  private linesStartAt1 = true;
  private columnsStartAt1 = true;
  private supportsShellArgs = false;
  private readonly bpIds = new Map<string, number>();
  private nextBp = 1;

  constructor(private readonly host: AdapterHost, private readonly send: (m: DapMessage) => void, private readonly options: AdapterOptions = {}) {}

  /** One message from the editor. */
  handleMessage(m: DapMessage): void {
    if (m.type === 'response') {
      this.pending.get(m.request_seq)?.(m);
      this.pending.delete(m.request_seq);
      return;
    }
    if (m.type !== 'request') return;
    this.dispatch(m).then(
      body => this.respond(m, true, body),
      (e: unknown) => this.respond(m, false, undefined, e instanceof Error ? e.message : String(e)),
    );
  }

  /** The editor went away: the session ends on the server (its holds continue). */
  dispose(): void {
    void this.close(false);
  }

  private respond(req: DapRequest, success: boolean, body?: unknown, message?: string): void {
    this.send({ seq: this.seq++, type: 'response', request_seq: req.seq, command: req.command, success, ...(message !== undefined ? { message } : {}), ...(body !== undefined ? { body } : {}) });
  }

  private event(event: string, body?: unknown): void {
    if (this.closed && event !== 'terminated') return;
    this.send({ seq: this.seq++, type: 'event', event, ...(body !== undefined ? { body } : {}) });
  }

  private output(text: string, category: 'console' | 'stdout' | 'important' = 'console', source?: SourceLocation | null): void {
    const src = source ? sourceOf(source.file) : undefined;
    this.event('output', { category, output: text.endsWith('\n') ? text : text + '\n', ...(src ? { source: src, line: this.line(source!.line) } : {}) });
  }

  private reverse(command: string, args: unknown): Promise<{ success: boolean; body?: unknown; message?: string }> {
    const seq = this.seq++;
    return new Promise(resolve => {
      this.pending.set(seq, resolve);
      this.send({ seq, type: 'request', command, arguments: args as Record<string, unknown> });
    });
  }

  private line(n: number): number {
    return this.linesStartAt1 ? n : n - 1;
  }

  private async dispatch(m: DapRequest): Promise<unknown> {
    const a = m.arguments ?? {};
    switch (m.command) {
      case 'initialize':
        this.linesStartAt1 = a.linesStartAt1 !== false;
        this.columnsStartAt1 = a.columnsStartAt1 !== false;
        this.supportsShellArgs = a.supportsArgsCanBeInterpretedByShell === true;
        return {
          supportsConfigurationDoneRequest: true,
          supportsFunctionBreakpoints: true,
          supportsConditionalBreakpoints: true,
          supportsHitConditionalBreakpoints: true,
          supportsLogPoints: true,
          supportsSetVariable: true,
          supportsRestartFrame: true,
          supportsCompletionsRequest: true,
          completionTriggerCharacters: ['.', '['],
          supportsTerminateRequest: true,
          supportTerminateDebuggee: true,
          supportsExceptionInfoRequest: true,
          exceptionBreakpointFilters: EXCEPTION_FILTERS.map(f => ({ filter: f.filter, label: f.label, description: f.description, default: false })),
        };
      case 'attach':
        await this.connect(a);
        return undefined;
      case 'launch':
        await this.connect(a);
        await this.configurationDone;
        await this.launch(a);
        return undefined;
      case 'configurationDone':
        this.configured();
        return undefined;
      case 'setFunctionBreakpoints':
        return this.setBreakpoints(Array.isArray(a.breakpoints) ? a.breakpoints : []);
      case 'setBreakpoints':
        // Line breakpoints belong to the orchestrator's own debugger, not to this one.
        return { breakpoints: (Array.isArray(a.breakpoints) ? a.breakpoints : []).map(() => ({ verified: false, message: 'Jarvis breaks on events: use a function breakpoint such as tool:search' })) };
      case 'setExceptionBreakpoints': {
        const wanted = Array.isArray(a.filters) ? a.filters.filter((f): f is string => EXCEPTION_FILTERS.some(x => x.filter === f)) : [];
        this.filters = [...new Set(wanted)];
        await this.put();
        return { breakpoints: this.filters.map(() => ({ verified: true })) };
      }
      case 'threads':
        return { threads: await this.listThreads() };
      case 'stackTrace':
        return this.stackTrace(Number(a.threadId));
      case 'scopes':
        return this.scopes(Number(a.frameId));
      case 'variables':
        return { variables: this.variables(Number(a.variablesReference)) };
      case 'evaluate':
        return this.evaluate(String(a.expression ?? ''), typeof a.frameId === 'number' ? a.frameId : undefined);
      case 'completions':
        return this.completions(String(a.text ?? ''), Number(a.column ?? 0), typeof a.frameId === 'number' ? a.frameId : undefined);
      case 'setVariable':
        return this.setVariable(Number(a.variablesReference), String(a.name ?? ''), String(a.value ?? ''));
      case 'exceptionInfo': {
        const stop = this.stops.get(Number(a.threadId));
        if (!stop) throw new Error('this thread is not stopped');
        return { exceptionId: stop.hold.filter ?? stop.hold.reason, description: this.describe(stop.hold), breakMode: 'always' };
      }
      case 'continue':
        await this.release('continue');
        return { allThreadsContinued: true };
      case 'next':
      case 'stepIn':
      case 'stepOut':
        await this.step(m.command, Number(a.threadId));
        return undefined;
      case 'pause':
        this.pause = 'any';
        await this.put();
        return undefined;
      case 'restartFrame':
        await this.restartFrame(Number(a.frameId));
        return undefined;
      case 'terminate':
        await this.release('cancel');
        await this.close(true);
        return undefined;
      case 'disconnect':
        // Stop (terminateDebuggee) cancels: the held call raises RunCancelled. A plain disconnect lets it go on.
        if (a.terminateDebuggee === true) await this.release('cancel');
        await this.close(false);
        return undefined;
      default:
        throw new Error(`${m.command} is not supported by the Jarvis debugger`);
    }
  }

  // ── the server ──────────────────────────────────────────────────────────

  private async api(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<any> {
    const ep = this.endpoint;
    if (!ep) throw new Error('not attached to a Jarvis server');
    const res = await fetch(ep.url + path, {
      method,
      headers: { Authorization: `Bearer ${ep.token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      // The feed's long poll is ended by closing; anything else by a server that stopped answering.
      signal: signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) throw new HttpFailure(res.status, str(json?.error?.message) ?? `${method} ${path}: HTTP ${res.status}`);
    return json;
  }

  private async connect(config: Record<string, unknown>): Promise<void> {
    if (this.endpoint) throw new Error('already attached');
    const ep = await this.host.endpoint(config);
    this.endpoint = { url: ep.url.replace(/\/+$/, ''), token: ep.token };
    this.storagePath = ep.storagePath;
    const lease = this.options.leaseMs ?? 10_000;
    await this.put();
    this.renewTimer = setInterval(() => void this.put().catch(() => undefined), Math.max(250, Math.floor(lease / 3)));
    this.renewTimer.unref?.();
    void this.feed();
    this.output(`Attached to the Jarvis server at ${this.endpoint.url}: the run stops at the breakpoints set in Breakpoints (e.g. tool:search).`);
    this.host.log?.(`debug session ${this.sessionId} attached to ${this.endpoint.url}`);
    this.event('initialized');
  }

  /** The whole breakpoint state, as the server holds it for this session (also renews the lease). */
  private put(): Promise<void> {
    if (!this.endpoint || this.closed) return Promise.resolve();
    const body = {
      session_id: this.sessionId, breakpoints: this.breakpoints, filters: this.filters,
      ...(this.pause ? { pause: this.pause } : {}),
      lease_ms: this.options.leaseMs ?? 10_000,
    };
    const next = this.putChain.catch(() => undefined).then(() => this.api('PUT', '/debug/session', body));
    this.putChain = next;
    return next.then(() => undefined);
  }

  private async launch(config: Record<string, unknown>): Promise<void> {
    const command = str(config.command);
    if (!command || command.trim() === '') throw new Error('launch needs "command": the orchestrator to run, e.g. "node orchestrator.js"');
    const env: Record<string, string | null> = {};
    if (config.env && typeof config.env === 'object') for (const [k, v] of Object.entries(config.env)) if (typeof v === 'string' || v === null) env[k] = v;
    env.JARVIS_CONTEXT_URL = this.endpoint!.url;
    env.JARVIS_CONTEXT_TOKEN = this.endpoint!.token;
    // Where the clients spool while the server is down (as in the folder's terminals).
    if (this.storagePath) env.JARVIS_CONTEXT_PATH = this.storagePath;
    const args = this.supportsShellArgs ? [command] : ['/bin/sh', '-c', command];
    const r = await this.reverse('runInTerminal', {
      kind: 'integrated', title: 'Jarvis: ' + command.slice(0, 60), cwd: str(config.cwd) ?? process.cwd(), args, env,
      ...(this.supportsShellArgs ? { argsCanBeInterpretedByShell: true } : {}),
    });
    if (!r.success) throw new Error(`could not start the orchestrator in a terminal: ${r.message ?? 'refused'}`);
    const pid = (r.body as { processId?: unknown; shellProcessId?: unknown } | undefined)?.processId ?? (r.body as { shellProcessId?: unknown } | undefined)?.shellProcessId;
    if (typeof pid === 'number' && pid > 0) this.watchProcess(pid);
  }

  /** The launched terminal's process ended (the editor says which: the command's, or its shell's): so does the debug session. */
  private watchProcess(pid: number): void {
    this.processTimer = setInterval(() => {
      try {
        process.kill(pid, 0);
      } catch {
        this.output('The orchestrator exited.');
        void this.close(true);
      }
    }, this.options.processPollMs ?? 1000);
    this.processTimer.unref?.();
  }

  private async close(terminated: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewTimer);
    clearInterval(this.processTimer);
    this.feedAbort.abort();
    if (this.endpoint) {
      await this.putChain.catch(() => undefined);
      await this.api('DELETE', `/debug/session/${encodeURIComponent(this.sessionId)}`).catch(() => undefined);
    }
    if (terminated) this.event('terminated');
  }

  // ── breakpoints ─────────────────────────────────────────────────────────

  /** Checked here with the server's own compiler (a bad one is unverified with its message), the rest sent. */
  private async setBreakpoints(raw: unknown[]): Promise<{ breakpoints: unknown[] }> {
    const out: { id?: number; verified: boolean; message?: string }[] = [];
    const sent: typeof this.breakpoints = [];
    raw.forEach((b, i) => {
      const o = (b && typeof b === 'object' ? b : {}) as Record<string, unknown>;
      const input = {
        name: String(o.name ?? '').trim(),
        ...(str(o.condition)?.trim() ? { condition: str(o.condition)! } : {}),
        ...(str(o.hitCondition)?.trim() ? { hit_condition: str(o.hitCondition)! } : {}),
        ...(str(o.logMessage) ? { log_message: str(o.logMessage)! } : {}),
      };
      const key = JSON.stringify(input);
      let id = this.bpIds.get(key);
      if (id === undefined) this.bpIds.set(key, (id = this.nextBp++));
      try {
        compileBreakpoint({ id: String(id), ...input }, i);
        sent.push({ id: String(id), ...input });
        out.push({ id, verified: true });
      } catch (e) {
        if (!(e instanceof BreakpointError)) throw e;
        const at = e.position !== undefined && !/position \d+$/.test(e.message) ? ` (at ${e.position})` : '';
        out.push({ id, verified: false, message: e.message.replace(/^breakpoints\[\d+\] /, '') + at });
      }
    });
    this.breakpoints = sent;
    if (this.endpoint) {
      try {
        await this.put();
      } catch (e) {
        // Refused as a whole (too many, …): none is set.
        const message = e instanceof Error ? e.message : String(e);
        this.breakpoints = [];
        return { breakpoints: out.map(b => ({ ...b, verified: false, message: b.message ?? message })) };
      }
    }
    return { breakpoints: out };
  }

  // ── stopping ────────────────────────────────────────────────────────────

  private threadOf(agentId: string | null): number {
    const key = agentId ?? '';
    let id = this.threads.get(key);
    if (id === undefined) this.threads.set(key, (id = this.threads.size + 1));
    return id;
  }

  /** The feed of holds and announcements, long-polled while the session lives. */
  private async feed(): Promise<void> {
    let after: number | undefined;
    let failingSince: number | undefined;
    const wait = this.options.waitSeconds ?? 25;
    while (!this.closed) {
      try {
        const r = await this.api('GET', after === undefined ? '/debug/holds' : `/debug/holds?after=${after}&wait=${wait}`, undefined, this.feedAbort.signal);
        failingSince = undefined;
        if (after === undefined) {
          for (const h of (r.holds ?? []) as Hold[]) if (h.session_id === this.sessionId) this.stopAt(h);
        } else {
          for (const a of (r.events ?? []) as DebugAnnouncement[]) this.announced(a);
        }
        if (typeof r.seq === 'number') after = r.seq;
      } catch (e) {
        if (this.closed) return;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > 30_000) {
          const why = `The Jarvis server stopped answering (${e instanceof Error ? e.message : String(e)}): the debug session ends; held calls continue by themselves.`;
          this.output(why, 'important');
          this.host.log?.(`debug session ${this.sessionId}: ${why}`);
          await this.close(true);
          return;
        }
        await new Promise(r => setTimeout(r, 500));
      }
    }
  }

  private announced(a: DebugAnnouncement): void {
    if (a.type === 'log' && a.log?.session_id === this.sessionId) this.logLine(a.log);
    if (!a.hold || a.hold.session_id !== this.sessionId) return;
    if (a.type === 'hold') this.stopAt(a.hold);
    else if (a.type === 'resolved' && a.hold.resolved_by !== 'debugger') {
      const id = a.hold.hold_id;
      this.queued = this.queued.filter(q => q.hold_id !== id);
      const stop = [...this.stops.values()].find(s => s.hold.hold_id === id);
      if (!stop) return;
      this.stops.delete(stop.threadId);
      this.output(`The held call went on without the debugger (${(a.hold.resolved_by ?? '').replace(/_/g, ' ')}).`, 'important');
      this.resetHandles();
      this.event('continued', { threadId: stop.threadId, allThreadsContinued: this.stops.size === 0 });
      this.showQueued();
    }
  }

  private logLine(l: LogHit): void {
    this.output(l.message, 'stdout', l.source);
  }

  private describe(h: Hold): string {
    const what = h.reason === 'breakpoint'
      ? `Breakpoint ${this.breakpoints.find(b => b.id === h.breakpoint_id)?.name ?? h.breakpoint_id}`
      : h.reason === 'filter' ? EXCEPTION_FILTERS.find(f => f.filter === h.filter)?.label ?? `On ${h.filter}` : 'Paused';
    const ev = `${h.event.kind}${h.event.name !== null ? ` ${h.event.name}` : ''}${h.agent_id !== null ? ` by ${h.agent_id}` : ''}${h.task_id !== null ? ` on task ${h.task_id}` : ''}`;
    return `${what}: ${ev}${h.held ? '' : '; the run kept going (OpenTelemetry only)'}`;
  }

  private stopAt(h: Hold): void {
    if ([...this.stops.values()].some(s => s.hold.hold_id === h.hold_id) || this.queued.some(q => q.hold_id === h.hold_id)) return;
    const threadId = this.threadOf(h.agent_id);
    const old = this.stops.get(threadId);
    if (old?.hold.held) {
      // A thread shows one stop: another held call of this agent waits its turn (shown once this one goes on).
      if (h.held) this.queued.push(h);
      else this.output(`${this.describe(h)}.`, 'important');
      return;
    }
    if (this.pause) {
      // A stop ends a step or a pause (the server clears a pause that hit): the renewals must not set it again.
      this.pause = undefined;
      void this.put().catch(() => undefined);
    }
    this.stops.set(threadId, { hold: h, threadId });
    const bpId = h.breakpoint_id !== null ? Number(h.breakpoint_id) : NaN;
    const text = this.describe(h);
    if (!h.held) this.output(`${text}.`, 'important');
    const reason = h.reason === 'filter' ? 'exception' : h.reason === 'pause' ? (this.stepping ? 'step' : 'pause') : 'breakpoint';
    this.event('stopped', {
      // The description is the Call Stack's badge beside the thread: short; the text says it all.
      reason, threadId, description: h.held ? SHORT[reason] : 'Not held (OpenTelemetry)', text, allThreadsStopped: false, preserveFocusHint: false,
      ...(Number.isInteger(bpId) ? { hitBreakpointIds: [bpId] } : {}),
    });
    this.stepping = false;
  }

  private showQueued(): void {
    const waiting = this.queued;
    this.queued = [];
    for (const h of waiting) this.stopAt(h);
  }

  /** Lets every stop go (continue) or cancels the held calls (the orchestrator gets RunCancelled). */
  private async release(action: 'continue' | 'cancel'): Promise<void> {
    const holds = [...this.stops.values()].map(s => s.hold);
    this.stops.clear();
    this.resetHandles();
    await Promise.all(holds.filter(h => h.held).map(h => this.resolveHold(h, action)));
    // Stop cancels the waiting calls too; Continue shows the next of them.
    if (action === 'cancel') {
      const queued = this.queued;
      this.queued = [];
      await Promise.all(queued.map(h => this.resolveHold(h, action)));
    } else {
      this.showQueued();
    }
  }

  private resolveHold(h: Hold, action: 'continue' | 'step' | 'cancel'): Promise<void> {
    return this.api('POST', `/debug/holds/${encodeURIComponent(h.hold_id)}`, { action }).then(() => undefined, (e: unknown) => {
      // Already gone (the server restarted, the hold timed out): the call went on by itself.
      if (!(e instanceof HttpFailure && e.status === 404)) throw e;
    });
  }

  /** Step: the next event of this agent; Step Over: of this task; Step Out: of any kind. */
  private async step(kind: string, threadId: number): Promise<void> {
    const stop = this.stops.get(threadId);
    if (!stop) throw new Error('this thread is not stopped');
    const h = stop.hold;
    this.pause = kind === 'next' && h.task_id !== null ? `task:${h.task_id}` : kind !== 'stepOut' && h.agent_id !== null ? `agent:${h.agent_id}` : 'any';
    this.stepping = true;
    await this.put();
    this.stops.delete(threadId);
    this.resetHandles();
    if (h.held) await this.resolveHold(h, 'step');
    this.showQueued();
  }

  // ── inspecting ──────────────────────────────────────────────────────────

  private async listThreads(): Promise<{ id: number; name: string }[]> {
    try {
      const r = await this.api('GET', '/agent-states');
      for (const a of ((r?.agents ?? []) as { agent_id?: unknown }[]).slice(0, 200)) if (typeof a.agent_id === 'string') this.threadOf(a.agent_id);
    } catch {
      // The threads of the stops are enough.
    }
    // Stopped agents first; the run's own thread only while an event of no agent is stopped on it.
    return [...this.threads.entries()]
      .filter(([agent, id]) => agent !== '' || this.stops.has(id))
      .sort(([, a], [, b]) => Number(this.stops.has(b)) - Number(this.stops.has(a)))
      // Threads are agents: named by their id alone (the Call Stack's badge leaves little room).
      .map(([agent, id]) => ({ id, name: agent === '' ? 'run' : agent }));
  }

  private stopData(stop: Stop): Promise<StopData> {
    return (stop.data ??= (async () => {
      const h = stop.hold;
      const [ctx, cps] = await Promise.all([
        this.api('GET', '/context').catch(() => undefined) as Promise<Ctx | undefined>,
        this.api('GET', '/checkpoints?limit=1').catch(() => undefined) as Promise<{ checkpoints?: StopData['checkpoint'][] } | undefined>,
      ]);
      const tasks = Array.isArray(ctx?.tasks) ? ctx.tasks : [];
      const agents = Array.isArray(ctx?.agents) ? ctx.agents : [];
      const decisions = Array.isArray(ctx?.recent_decisions) ? ctx.recent_decisions : [];
      const mine = decisions.filter(d => (h.task_id !== null && d.task_id === h.task_id) || (h.agent_id !== null && d.agent_id === h.agent_id));
      return {
        // The shape conditions read (`event.args.query`), plus why it stopped.
        event: { kind: h.event.kind, name: h.event.name, agent_id: h.agent_id, task_id: h.task_id, ...h.event.record, stopped_by: this.describe(h), source: h.source },
        task: tasks.find(t => t.task_id === h.task_id) ?? null,
        agent: agents.find(x => x.agent_id === h.agent_id) ?? null,
        context: ctx?.state ?? null,
        decisions: mine.length > 0 ? mine : decisions,
        checkpoint: cps?.checkpoints?.[0],
      };
    })());
  }

  /** The stop of a frame id (threadId * FRAMES_PER_THREAD + level). */
  private stopOfFrame(frameId: number | undefined): Stop | undefined {
    if (frameId === undefined) return [...this.stops.values()][0];
    return this.stops.get(Math.floor(frameId / FRAMES_PER_THREAD));
  }

  private async stackTrace(threadId: number): Promise<{ stackFrames: DapStackFrame[]; totalFrames: number }> {
    const stop = this.stops.get(threadId);
    const agent = [...this.threads.entries()].find(([, id]) => id === threadId)?.[0] ?? '';
    const frame = (level: number, name: string, extra: Partial<DapStackFrame> = {}): DapStackFrame =>
      ({ id: threadId * FRAMES_PER_THREAD + level, name, line: 0, column: 0, presentationHint: 'label', ...extra });
    if (!stop) {
      const frames = [frame(2, agent === '' ? 'run' : `agent ${agent}`)];
      return { stackFrames: frames, totalFrames: frames.length };
    }
    const h = stop.hold;
    const src = h.source;
    const file = src ? sourceOf(src.file) : undefined;
    const frames: DapStackFrame[] = [
      frame(0, `${h.event.kind}${h.event.name !== null ? ` ${h.event.name}` : ''}${src?.function ? ` — ${src.function}` : ''}`, file
        ? { source: file, line: this.line(src!.line), column: this.columnsStartAt1 ? 1 : 0, presentationHint: 'normal' }
        : { presentationHint: 'normal' }),
    ];
    if (h.task_id !== null) frames.push(frame(1, `task ${h.task_id}`));
    if (h.agent_id !== null) frames.push(frame(2, `agent ${h.agent_id}`));
    frames.push(frame(3, 'run'));
    const cp = (await this.stopData(stop)).checkpoint;
    if (cp) frames.push(frame(4, `checkpoint #${cp.checkpoint_id}${cp.label ? ` ${cp.label}` : ''} (Restart Frame resumes from it)`, { canRestart: true, presentationHint: 'subtle' }));
    return { stackFrames: frames, totalFrames: frames.length };
  }

  private async scopes(frameId: number): Promise<unknown> {
    const stop = this.stopOfFrame(frameId);
    if (!stop) return { scopes: [] };
    const d = await this.stopData(stop);
    const scope = (name: string, value: Value, path: string, extra: Partial<Container> = {}) =>
      ({ name, variablesReference: this.handle({ value, path, ...extra }), expensive: false, presentationHint: name === 'Event' ? 'locals' : undefined });
    return {
      scopes: [
        scope('Event', d.event as Value, 'event'),
        scope('Task', d.task as Value, 'task'),
        scope('Agent', d.agent as Value, 'agent'),
        scope('Context', d.context as Value, 'context', { contextPath: [] }),
        scope('Recent decisions', d.decisions as Value, 'decisions'),
      ],
    };
  }

  private handle(c: Container): number {
    const ref = this.nextRef++;
    this.containers.set(ref, c);
    return ref;
  }

  private resetHandles(): void {
    this.containers = new Map();
  }

  private variable(name: string, v: Value, path: string, contextPath?: (string | number)[]): DapVariable {
    const nested = v !== null && typeof v === 'object';
    return {
      name, value: preview(v), type: Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v,
      variablesReference: nested ? this.handle({ value: v, path, ...(contextPath ? { contextPath } : {}) }) : 0,
      evaluateName: path,
    };
  }

  private variables(ref: number): DapVariable[] {
    const c = this.containers.get(ref);
    if (!c || c.value === null || typeof c.value !== 'object') return [];
    const v = c.value;
    const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    return keys.slice(0, MAX_CHILDREN).map(k => this.variable(String(k), ownValue(v, k), childPath(c.path, k), c.contextPath ? [...c.contextPath, k] : undefined));
  }

  private async roots(frameId: number | undefined): Promise<(root: string) => Value> {
    const stop = this.stopOfFrame(frameId);
    if (!stop) throw new Error('the run is not stopped: evaluate reads the event, task, agent and context of a stop');
    const d = await this.stopData(stop);
    const map: Record<string, unknown> = { event: d.event, task: d.task, agent: d.agent, context: d.context, decisions: d.decisions };
    return root => (Object.prototype.hasOwnProperty.call(map, root) ? map[root] as Value : undefined);
  }

  private async evaluate(expression: string, frameId: number | undefined): Promise<unknown> {
    let expr;
    try {
      expr = parseExpression(expression.trim());
    } catch (e) {
      if (e instanceof ExpressionError) throw new Error(`${e.message} (paths such as task.blockers[0], context.queue; == != < > contains && || !)`);
      throw e;
    }
    const unknown = rootsOf(expr).find(r => !(ROOTS as readonly string[]).includes(r));
    if (unknown !== undefined) throw new Error(`${unknown} is not known here: paths start with ${ROOTS.join(', ')}`);
    const scope = await this.roots(frameId);
    const v = evaluateExpr(expr, scope);
    const contextPath = expr.t === 'path' && expr.segs[0] === 'context' ? expr.segs.slice(1) : undefined;
    const shown = this.variable(expression, v, expression.trim(), contextPath);
    return { result: shown.value, type: shown.type, variablesReference: shown.variablesReference };
  }

  /** Debug Console completions: the roots, then the keys of the value the path before the cursor reads. */
  private async completions(text: string, column: number, frameId: number | undefined): Promise<unknown> {
    const upto = text.slice(0, Math.max(0, column - (this.columnsStartAt1 ? 1 : 0)));
    const m = /([A-Za-z_$][\w$-]*(?:(?:\.[A-Za-z_$][\w$-]*)|\[\d+\])*)(?:\.([\w$-]*))?$/.exec(upto);
    const word = /[\w$-]*$/.exec(upto)![0];
    if (!m || (m[2] === undefined && !upto.endsWith('.') && !m[1]!.includes('.') && !m[1]!.includes('['))) {
      return { targets: ROOTS.filter(r => r.startsWith(word)).map(r => ({ label: r, type: 'variable', length: word.length })) };
    }
    let base = m[1]!;
    if (m[2] === undefined && !upto.endsWith('.')) base = base.slice(0, base.lastIndexOf('.'));
    let value: Value;
    try {
      const scope = await this.roots(frameId);
      const e = parseExpression(base);
      value = e.t === 'path' ? readPath(scope(String(e.segs[0])), e.segs.slice(1)) : undefined;
    } catch {
      return { targets: [] };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { targets: [] };
    return { targets: Object.keys(value).filter(k => k.startsWith(word) && /^[A-Za-z_$][\w$-]*$/.test(k)).slice(0, 200).map(k => ({ label: k, type: 'property', length: word.length })) };
  }

  /** A context value set while stopped opens Edit and Fork… with it changed: the run's history is not rewritten. */
  private async setVariable(ref: number, name: string, text: string): Promise<unknown> {
    const c = this.containers.get(ref);
    if (!c?.contextPath) throw new Error('Only the orchestrator\'s context can be set (it opens Edit and Fork… from the last checkpoint); events, tasks and decisions are history.');
    const key: string | number = Array.isArray(c.value) && /^\d+$/.test(name) ? Number(name) : name;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text.replace(/^(["'])(.*)\1$/s, '$2');
    }
    const stop = this.stopOfFrame(undefined);
    const cp = stop ? (await this.stopData(stop)).checkpoint : undefined;
    if (!cp) throw new Error('No checkpoint to fork from yet: the orchestrator has not checkpointed.');
    if (!this.host.editAndFork) throw new Error('Edit and Fork… is not available here');
    await this.host.editAndFork(cp.checkpoint_id, [...c.contextPath, key], value);
    this.output(`Edit and Fork… opened from checkpoint #${cp.checkpoint_id} with ${childPath(c.path, key)} = ${preview(value as Value)}: save the draft to fork. The run's history is unchanged.`, 'important');
    // The pane keeps showing what the run holds.
    return { value: preview(ownValue(c.value, key)) };
  }

  private async restartFrame(frameId: number): Promise<void> {
    const stop = this.stopOfFrame(frameId);
    if (!stop || frameId % FRAMES_PER_THREAD !== 4) throw new Error('Only the checkpoint frame can be restarted (Resume from This Checkpoint).');
    const cp = (await this.stopData(stop)).checkpoint;
    if (!cp || !this.host.resumeFromCheckpoint) throw new Error('No checkpoint to resume from');
    await this.host.resumeFromCheckpoint(cp.checkpoint_id);
    this.output(`The orchestrator's next start resumes from checkpoint #${cp.checkpoint_id}.`, 'important');
    // The editor counts a restarted frame as running: the call is still held, so say it stopped again.
    this.event('stopped', { reason: 'restart', threadId: stop.threadId, description: 'Resume point set', text: this.describe(stop.hold), allThreadsStopped: false, preserveFocusHint: true });
  }
}

/**
 * The DAP source of a caller's file: an absolute file path only (a client sends it: a URI or a
 * relative name is not opened).
 */
function rootsOf(e: Expr): string[] {
  switch (e.t) {
    case 'lit': return [];
    case 'path': return [String(e.segs[0])];
    case 'not': return rootsOf(e.e);
    case 'bin': return [...rootsOf(e.l), ...rootsOf(e.r)];
  }
}

function sourceOf(file: string): { name: string; path: string } | undefined {
  if (!/^(\/|[A-Za-z]:[\\/])/.test(file) || /^[A-Za-z][\w+.-]+:\/\//.test(file)) return undefined;
  return { name: baseName(file), path: file };
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}
