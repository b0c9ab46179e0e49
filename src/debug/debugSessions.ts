// Debug sessions held by the server: each is a lease on a breakpoint state (renewed by PUT, gone
// when not renewed), and the holds its breakpoints created. A hold keeps one client call waiting
// (the client long-polls it) until the debugger continues or cancels it, the lease expires, or the
// server closes: nothing here can keep an orchestrator waiting once nobody debugs it.
// With no session, `active` is false and the server does nothing else for a write.
import type { ContextEngineApi, Disposable } from '../core/engineApi';
import { HOLD_DECISION, RELEASE_DECISION, type Alert } from '../core/types';
import { errorText } from '../core/errorText';
import type { Logger } from '../core/ports';
import {
  BreakpointError, BreakpointIndex, compileBreakpoint, filterHit, matchEvent, parseFilters, parsePause, pauseHits, scopeOf,
  type Breakpoint, type DebugEvent, type FilterName, type PauseMode,
} from './breakpoints';

export const DEFAULT_LEASE_MS = 10_000;
/** The longest a single GET …/wait or GET /debug/holds?wait= is kept open. */
export const MAX_WAIT_MS = 30_000;
const MAX_SESSIONS = 16;
const MAX_BREAKPOINTS = 500;
const KEPT_RESOLVED = 200;
const KEPT_ANNOUNCEMENTS = 500;

export interface SourceLocation {
  file: string;
  line: number;
  function: string | null;
}

/** `step`: continued, the debugger stopping again at the next event it set a pause for. */
export type HoldState = 'open' | 'continue' | 'step' | 'cancel';

export interface Hold {
  hold_id: string;
  session_id: string;
  /** The breakpoint that hit; null for a filter or a pause. */
  breakpoint_id: string | null;
  reason: 'breakpoint' | 'filter' | 'pause';
  filter: FilterName | null;
  event: { kind: string; name: string | null; record: Record<string, unknown> };
  agent_id: string | null;
  task_id: string | null;
  source: SourceLocation | null;
  /** false when nobody waits on it (a span over OTLP): the run kept going. */
  held: boolean;
  created_at: string;
  state: HoldState;
  /** Why it was resolved: the debugger, the lease expired, the server closed, the session ended. */
  resolved_by: 'debugger' | 'lease_expired' | 'session_ended' | 'server_closed' | 'hold_timeout' | 'client_gave_up' | null;
  resolved_at: string | null;
}

export interface LogHit {
  seq: number;
  session_id: string;
  breakpoint_id: string;
  message: string;
  event_kind: string;
  agent_id: string | null;
  task_id: string | null;
  source: SourceLocation | null;
  at: string;
}

interface Session {
  id: string;
  breakpoints: Breakpoint[];
  index: BreakpointIndex;
  filters: Set<FilterName>;
  pause: PauseMode | undefined;
  leaseMs: number;
  holdTimeoutMs: number | undefined;
  timer: NodeJS.Timeout;
}

export interface SessionInput {
  breakpoints?: unknown;
  filters?: unknown;
  pause?: unknown;
  lease_ms?: unknown;
  hold_timeout_ms?: unknown;
}

export interface DebugAnnouncement {
  /** Increases by one with each announcement; GET /debug/holds?after= pages on it. */
  seq: number;
  type: 'hold' | 'resolved' | 'log';
  hold?: Hold;
  log?: LogHit;
}

export interface DebugSessionsOptions {
  engine: ContextEngineApi;
  logger: Logger;
  leaseMs?: number;
  /** Tells the event stream (kind `debug`). */
  announce(a: DebugAnnouncement): void;
}

function boundedMs(v: unknown, field: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new BreakpointError(field, `an integer from ${min} to ${max}`);
  return v;
}

export class DebugSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly holds = new Map<string, Hold>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly resolvedOrder: string[] = [];
  /** The latest announcements, for GET /debug/holds?after= (a debugger that reloaded catches up). */
  private readonly recent: DebugAnnouncement[] = [];
  private feedWaiters = new Set<() => void>();
  private seq = 0;
  private nextHold = 1;
  private readonly prefix = Date.now().toString(36);
  private readonly leaseMs: number;
  /** The engine's changes, watched while a session exists (the `alert` filter). */
  private watch: Disposable | undefined;
  private readonly alertsSeen = new Set<number>();
  /** Release records being written (the server waits for them before the engine closes). */
  private audits: Promise<void>[] = [];

  constructor(private readonly options: DebugSessionsOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** True while any session holds a lease: the one check a write pays when nobody debugs. */
  get active(): boolean {
    return this.sessions.size > 0;
  }

  /** Sets the whole breakpoint state of a session and renews its lease (idempotent). Hit counts survive a PUT with the same breakpoint. */
  put(id: string, input: SessionInput): { session_id: string; lease_ms: number; breakpoints: { id: string; name: string; hits: number }[] } {
    if (!this.sessions.has(id) && this.sessions.size >= MAX_SESSIONS) throw new BreakpointError('session_id', `at most ${MAX_SESSIONS} debug sessions at once`);
    const raw = input.breakpoints ?? [];
    if (!Array.isArray(raw)) throw new BreakpointError('breakpoints', 'must be an array');
    if (raw.length > MAX_BREAKPOINTS) throw new BreakpointError('breakpoints', `at most ${MAX_BREAKPOINTS}`);
    const compiled = raw.map((b, i) => compileBreakpoint(b, i));
    const ids = new Set<string>();
    for (const b of compiled) {
      if (ids.has(b.id)) throw new BreakpointError('breakpoints', `two breakpoints with id ${JSON.stringify(b.id)}`);
      ids.add(b.id);
    }
    const filters = parseFilters(input.filters);
    const pause = parsePause(input.pause);
    const leaseMs = boundedMs(input.lease_ms, 'lease_ms', 1000, 300_000) ?? this.leaseMs;
    const holdTimeoutMs = boundedMs(input.hold_timeout_ms, 'hold_timeout_ms', 100, 86_400_000);
    const old = this.sessions.get(id);
    if (old) {
      clearTimeout(old.timer);
      const before = new Map(old.breakpoints.map(b => [b.id, b]));
      for (const b of compiled) {
        const prev = before.get(b.id);
        if (prev && prev.name === b.name) b.hits = prev.hits;
      }
    }
    const timer = setTimeout(() => this.end(id, 'lease_expired'), leaseMs);
    timer.unref();
    this.sessions.set(id, { id, breakpoints: compiled, index: new BreakpointIndex(compiled), filters, pause, leaseMs, holdTimeoutMs, timer });
    // Watching the engine's changes costs every write something: only while a session wants alerts.
    const wantsAlerts = [...this.sessions.values()].some(x => x.filters.has('alert'));
    if (wantsAlerts) this.watch ??= this.options.engine.onDidChange(e => e.kind === 'alert' && this.alertsChanged(e.ids));
    else this.unwatch();
    return { session_id: id, lease_ms: leaseMs, breakpoints: compiled.map(b => ({ id: b.id, name: b.name, hits: b.hits })) };
  }

  /** Ends a session: its holds continue. False when there was none. */
  end(id: string, why: 'session_ended' | 'lease_expired' = 'session_ended'): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    clearTimeout(s.timer);
    this.sessions.delete(id);
    if (why === 'lease_expired') this.options.logger.warn(`[debug] session ${id} was not renewed within ${s.leaseMs} ms: its breakpoints are cleared and its holds continue`);
    for (const h of [...this.holds.values()]) if (h.session_id === id && h.state === 'open') this.resolve(h.hold_id, 'continue', why);
    if (![...this.sessions.values()].some(x => x.filters.has('alert'))) this.unwatch();
    return true;
  }

  private unwatch(): void {
    this.watch?.dispose();
    this.watch = undefined;
  }

  /** An alert raised (not one counted again or dismissed) stops sessions with the `alert` filter. */
  private alertsChanged(ids: string[]): void {
    const wanted = new Set(ids.map(Number));
    for (const a of this.options.engine.getAlerts({ active: true, limit: 1000 })) {
      if (!wanted.has(a.id) || this.alertsSeen.has(a.id)) continue;
      this.alertsSeen.add(a.id);
      this.alertRaised(a);
    }
  }

  /**
   * A client says (Jarvis-Hold-Released on its next write) that it stopped waiting on a hold by
   * itself, the server or VS Code having been unreachable: still open here, it is released and
   * recorded; unknown (a restarted server), it is logged. The header is hostile input: an id of
   * another shape is ignored.
   */
  clientGaveUp(header: string): void {
    const id = header.trim();
    if (!/^[A-Za-z0-9_.:-]{1,80}$/.test(id)) return;
    const h = this.holds.get(id);
    if (h?.state === 'open') this.resolve(id, 'continue', 'client_gave_up');
    else if (!h) this.options.logger.info(`[debug] a client went on by itself from hold ${id}, which this server does not know (it was restarted)`);
  }

  /** Server shutdown: every open hold continues, every session ends. Resolves once the releases are recorded. */
  closeAll(): Promise<void> {
    for (const h of [...this.holds.values()]) if (h.state === 'open') this.resolve(h.hold_id, 'continue', 'server_closed');
    for (const s of this.sessions.values()) clearTimeout(s.timer);
    this.sessions.clear();
    this.unwatch();
    for (const w of this.feedWaiters) w();
    this.feedWaiters.clear();
    const audits = this.audits;
    this.audits = [];
    return Promise.all(audits).then(() => undefined);
  }

  /**
   * The written events (in order) against every session: logpoints are recorded, and the first
   * stop (breakpoint, filter or pause) creates a hold, which is returned. Called once the write is
   * durable. `held` is false when nobody will wait on the hold (OTLP). Synchronous: a write that
   * hits nothing pays no turn of the event loop; recordHold() writes a hold's trace.
   */
  evaluate(events: readonly DebugEvent[], held: boolean, source: SourceLocation | null): Hold | undefined {
    let hold: Hold | undefined;
    for (const e of events) {
      const scope = () => scopeOf(e, this.lookup);
      for (const s of this.sessions.values()) {
        const hits = matchEvent(s.index, e, scope);
        for (const h of hits) if (h.log !== undefined) this.log(s.id, h.breakpoint.id, h.log, e, source);
        if (hold) continue;
        const stop = hits.find(h => h.log === undefined);
        const filter = stop ? undefined : filterHit(s.filters, e);
        const paused = !stop && !filter && pauseHits(s.pause, e);
        if (!stop && !filter && !paused) continue;
        if (paused) s.pause = undefined;
        hold = this.createHold(s, e, stop ? 'breakpoint' : filter ? 'filter' : 'pause', stop?.breakpoint.id ?? null, filter ?? null, held, source);
      }
    }
    return hold;
  }

  /**
   * Records a new hold durably, then shows it to the debugger (awaited before the held write is
   * answered). Shown only once recorded: a debugger that sees a hold may stop or kill the server,
   * and the held call's answer must be on its way by then, or the caller learns nothing.
   */
  async recordHold(hold: Hold): Promise<void> {
    const name = hold.breakpoint_id === null ? undefined : this.sessions.get(hold.session_id)?.breakpoints.find(b => b.id === hold.breakpoint_id)?.name;
    await this.audit(hold, HOLD_DECISION, hold.held ? 'held' : 'not held (the run kept going)', name);
    this.publish(hold);
  }

  /** A watchdog's alert, for sessions with the `alert` filter: shown, never held (no call waits on it). */
  private alertRaised(alert: Alert): Hold | undefined {
    for (const s of this.sessions.values()) {
      if (!s.filters.has('alert')) continue;
      const subject = alert.subject;
      const e: DebugEvent = {
        kind: 'alert', agent_id: subject.type === 'agent' ? subject.id : null, task_id: subject.type === 'task' ? subject.id : null,
        name: alert.kind, record: { id: alert.id, kind: alert.kind, subject, message: alert.message },
      };
      const hold = this.createHold(s, e, 'filter', null, 'alert', false, null);
      this.publish(hold);
      return hold;
    }
    return undefined;
  }

  private readonly lookup = {
    task: (id: string): unknown => this.options.engine.getTask(id),
    agent: (id: string): unknown => this.options.engine.getAgent(id),
  };

  private createHold(s: Session, e: DebugEvent, reason: Hold['reason'], breakpointId: string | null, filter: FilterName | null, held: boolean, source: SourceLocation | null): Hold {
    const hold: Hold = {
      hold_id: `${this.prefix}-${this.nextHold++}`,
      session_id: s.id, breakpoint_id: breakpointId, reason, filter,
      event: { kind: e.kind, name: e.name, record: e.record },
      agent_id: e.agent_id, task_id: e.task_id, source, held,
      created_at: new Date().toISOString(), state: held ? 'open' : 'continue',
      resolved_by: null, resolved_at: null,
    };
    return hold;
  }

  private publish(hold: Hold): void {
    this.holds.set(hold.hold_id, hold);
    const s = this.sessions.get(hold.session_id);
    if (!hold.held) this.remember(hold.hold_id);
    else if (s?.holdTimeoutMs !== undefined) {
      const t = setTimeout(() => this.resolve(hold.hold_id, 'continue', 'hold_timeout'), s.holdTimeoutMs);
      t.unref();
    }
    this.bump({ type: 'hold', hold });
    // The session ended while the hold was being recorded: nobody would continue it (its end is recorded too).
    if (hold.held && !s) this.resolve(hold.hold_id, 'continue', 'session_ended');
  }

  /** Continue or cancel an open hold; undefined for an unknown id. Resolving twice keeps the first. */
  resolve(id: string, action: Exclude<HoldState, 'open'>, by: NonNullable<Hold['resolved_by']> = 'debugger'): Hold | undefined {
    const h = this.holds.get(id);
    if (!h) return undefined;
    if (h.state !== 'open') return h;
    h.state = action;
    h.resolved_by = by;
    h.resolved_at = new Date().toISOString();
    this.remember(id);
    for (const w of this.waiters.get(id) ?? []) w();
    this.waiters.delete(id);
    this.bump({ type: 'resolved', hold: h });
    if (by !== 'debugger') this.options.logger.info(`[debug] hold ${id} released (${by}): the held call continues`);
    // Every end is recorded (one decision), so a store read after a crash knows which holds were open.
    const done = this.audit(h, RELEASE_DECISION, `${action === 'cancel' ? 'cancelled' : action === 'step' ? 'stepped' : 'continued'}: ${by.replace(/_/g, ' ')}`);
    this.audits.push(done);
    void done.then(() => (this.audits = this.audits.filter(p => p !== done)));
    return h;
  }

  /** How long the session may go unrenewed; a hold of a session gone is released at once. */
  leaseOf(sessionId: string): number | null {
    return this.sessions.get(sessionId)?.leaseMs ?? null;
  }

  get(id: string): Hold | undefined {
    return this.holds.get(id);
  }

  openHolds(): Hold[] {
    return [...this.holds.values()].filter(h => h.state === 'open');
  }

  /** The hold's state, waiting up to `ms` while it is open. */
  async wait(id: string, ms: number): Promise<Hold | undefined> {
    const h = this.holds.get(id);
    if (!h || h.state !== 'open' || ms <= 0) return h;
    await new Promise<void>(resolve => {
      const done = (): void => {
        clearTimeout(t);
        this.waiters.get(id)?.delete(done);
        resolve();
      };
      const t = setTimeout(done, Math.min(ms, MAX_WAIT_MS));
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      set.add(done);
    });
    return this.holds.get(id);
  }

  /** For the debugger: open holds and the announcements after `after`, waiting up to `ms` for something newer. */
  async feed(after: number, ms: number): Promise<{ seq: number; holds: Hold[]; events: DebugAnnouncement[] }> {
    if (this.seq <= after && ms > 0) {
      await new Promise<void>(resolve => {
        const done = (): void => {
          clearTimeout(t);
          this.feedWaiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(ms, MAX_WAIT_MS));
        this.feedWaiters.add(done);
      });
    }
    return { seq: this.seq, holds: this.openHolds(), events: this.recent.filter(a => a.seq > after) };
  }

  private log(sessionId: string, breakpointId: string, message: string, e: DebugEvent, source: SourceLocation | null): void {
    const hit: LogHit = {
      seq: this.seq + 1, session_id: sessionId, breakpoint_id: breakpointId, message,
      event_kind: e.kind, agent_id: e.agent_id, task_id: e.task_id, source, at: new Date().toISOString(),
    };
    this.bump({ type: 'log', log: hit });
  }

  private bump(what: Omit<DebugAnnouncement, 'seq'>): void {
    const a: DebugAnnouncement = { seq: ++this.seq, ...what };
    // A copy of the hold as it is now: a later resolution must not rewrite what was announced.
    if (a.hold) a.hold = { ...a.hold };
    this.recent.push(a);
    if (this.recent.length > KEPT_ANNOUNCEMENTS) this.recent.splice(0, this.recent.length - KEPT_ANNOUNCEMENTS);
    this.options.announce(a);
    const waiters = this.feedWaiters;
    this.feedWaiters = new Set();
    for (const w of waiters) w();
  }

  /** Resolved holds are kept a while, so a client polling late still learns how it ended. */
  private remember(id: string): void {
    this.resolvedOrder.push(id);
    while (this.resolvedOrder.length > KEPT_RESOLVED) this.holds.delete(this.resolvedOrder.shift()!);
  }

  /**
   * A durable trace of holds: `debug_hold` when one is created, `debug_hold_released` however it
   * ends. A `debug_hold` with no release is a hold a crash left open (core/recoveryReport.ts).
   */
  private async audit(h: Hold, type: typeof HOLD_DECISION | typeof RELEASE_DECISION, outcome: string, breakpointName?: string): Promise<void> {
    const opened = type === HOLD_DECISION;
    try {
      await this.options.engine.logDecision({
        decision_type: type,
        context: {
          hold_id: h.hold_id, session_id: h.session_id, breakpoint_id: h.breakpoint_id, reason: h.reason, filter: h.filter,
          event_kind: h.event.kind, event_name: h.event.name,
          ...(opened ? { held: h.held, breakpoint: breakpointName ?? null, source: h.source ? { ...h.source } : null } : {}),
        },
        decision: h.breakpoint_id !== null ? `breakpoint ${breakpointName ?? h.breakpoint_id}` : h.filter !== null ? `filter ${h.filter}` : 'pause',
        reasoning: opened ? 'a debug session stopped the run at this event'
          : h.resolved_by === 'debugger' ? `the debugger ended the hold (${h.state})` : `the hold was released without the debugger (${h.resolved_by})`,
        outcome,
        ...(h.agent_id !== null ? { agent_id: h.agent_id } : {}),
        ...(h.task_id !== null ? { task_id: h.task_id } : {}),
      });
    } catch (e) {
      this.options.logger.warn(`[debug] could not record ${type} for hold ${h.hold_id}: ${errorText(e)}`);
    }
  }
}
