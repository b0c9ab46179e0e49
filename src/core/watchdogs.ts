import type { AlertSettings } from './alertSettings';
import { budgetOf } from './alertSettings';
import type { EngineContext } from './engineContext';
import { errorText } from './errorText';
import { callKey, LoopDetector } from './loopDetector';
import type { AlertOp, JournalOp } from './ops';
import { iso } from './time';
import type { Alert, AlertKind, AlertSubject, Json, JsonObject, MessageInput, SpanInput } from './types';

// The watchdogs (shared/API.md, GET /alerts): loop, stuck_agent, stalled_task, budget.
//
// Cost on the write path: after a group commit, each message and tool span is hashed into its
// agent's sliding window (O(1), loopDetector.ts) and token counts are added up in memory. The
// time-based rules (stuck, stalled) and the end of episodes are checked on a timer.
//
// Durability: an alert is a journal record (AlertOp) written when an episode starts, when it ends
// or is dismissed, and, while it lasts, at most every `persistIntervalMs` when its count or
// last_seen moved. A repetition is only counted in memory: journaling each would add a record to
// every looping write. A crash loses at most that interval of counting, never an episode.

/** Statuses of an agent at work (the Agents view shows the same ones as active). */
export const BUSY_STATUS = /^(busy|working|running|active|executing|thinking|in_progress)$/i;

interface Episode {
  alert: Alert;
  /** count/last_seen changed since the last record. */
  dirty: boolean;
  persistedAt: number;
  /** When the condition was last seen (ms); a dismissed episode is kept until it ends. */
  lastMs: number;
}

const keyOf = (kind: AlertKind, s: AlertSubject): string => `${kind}\0${s.type}\0${s.id}`;
const TIMED_KINDS: AlertKind[] = ['stuck_agent', 'stalled_task', 'budget'];

export class Watchdogs {
  private readonly episodes = new Map<string, Episode>();
  private readonly loops: LoopDetector;
  private readonly tokens = { task: new Map<string, number>(), agent: new Map<string, number>() };
  private readonly progress = new Map<string, { mark: string; since: number }>();
  /** Records submitted but not yet applied: what lists show over the stored rows meanwhile. */
  private readonly inFlight = new Map<number, Alert>();
  private nextId = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private submitFailed = false;

  constructor(private readonly ctx: EngineContext, private readonly submit: (op: AlertOp) => Promise<unknown>) {
    this.loops = new LoopDetector(this.settings.loopRepeats, this.settings.loopWindowMs);
  }

  private get settings(): AlertSettings {
    return this.ctx.settings.alerts;
  }

  /** Picks up the episodes the last run left active, then starts the timer. */
  start(): void {
    const store = this.ctx.store;
    this.nextId = store.scalar('SELECT COALESCE(MAX(id), 0) FROM alerts');
    if (!this.settings.enabled) return;
    const now = this.ctx.clock.now();
    this.episodes.clear();
    for (const a of store.getAlerts(true, 10_000)) {
      this.episodes.set(keyOf(a.kind, a.subject), { alert: a, dirty: false, persistedAt: now, lastMs: Date.parse(a.last_seen) });
    }
    for (const type of ['task', 'agent'] as const) {
      this.tokens[type].clear();
      for (const [id, u] of Object.entries(store.tokenUsage(type === 'task' ? 'task_id' : 'agent_id'))) {
        this.tokens[type].set(id, u.input_tokens + u.output_tokens);
      }
    }
    this.running = true;
    this.timer = setInterval(() => this.check(), this.settings.checkIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what only memory holds; the engine awaits it before its last checkpoint. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    this.running = false;
    await Promise.all([...this.episodes.values()].filter(e => e.dirty).map(e => this.persist(e, this.ctx.clock.now())));
  }

  /** New thresholds: the next check applies them (budgets raised may end episodes, lowered may start them). */
  async configure(next: AlertSettings): Promise<void> {
    const was = this.settings.enabled;
    const timerChanged = next.checkIntervalMs !== this.settings.checkIntervalMs;
    this.ctx.settings.alerts = next;
    this.loops.configure(next.loopRepeats, next.loopWindowMs);
    if (was && !next.enabled) {
      // Nothing watches any more: no alert may stay active.
      const now = this.ctx.clock.now();
      await Promise.all([...this.episodes.values()].map(e => this.end(e, now, 'condition')));
      await this.stop();
    } else if (!was && next.enabled) {
      this.start();
    } else if (next.enabled && timerChanged) {
      if (this.timer) clearInterval(this.timer);
      this.timer = setInterval(() => this.check(), next.checkIntervalMs);
      this.timer.unref();
    }
    if (next.enabled) this.check();
  }

  // ---- the write path: called after each group commit, with the ops it made durable ------------

  observe(ops: readonly JournalOp[]): void {
    if (!this.running) return;
    for (const op of ops) {
      switch (op.o) {
        case 'message': this.onMessage(op.d, op.t); break;
        case 'batch':
          for (const item of op.items) if (item.o === 'message') this.onMessage(item.d, item.t);
          break;
        case 'spans': this.onSpans(op.spans, op.items, op.t); break;
        default: break;
      }
    }
  }

  private onMessage(d: MessageInput, t: number): void {
    this.onCall(d.from_agent, d.message_type, d.to_agent, messageContent(d), t);
  }

  private onSpans(spans: readonly SpanInput[], items: Extract<JournalOp, { o: 'spans' }>['items'], t: number): void {
    // A tool span is mapped to a tool_call message too: count the span once, as its own call, with
    // the agent the mapping resolved for it.
    const toolAgent = new Map<string, string>();
    for (const item of items) {
      if (item.o !== 'message') continue;
      if (item.d.message_type === 'tool_call' && item.event_id?.startsWith('otel:')) toolAgent.set(item.event_id, item.d.from_agent);
      else this.onMessage(item.d, item.t);
    }
    for (const s of spans) {
      if (s.operation === 'execute_tool') {
        const agent = toolAgent.get(`otel:${s.trace_id}:${s.span_id}:tool`) ?? s.agent_id ?? s.agent_name
          ?? (typeof s.resource['service.name'] === 'string' ? s.resource['service.name'] : 'unknown');
        const args = s.attributes['gen_ai.tool.call.arguments'] ?? s.attributes['tool.parameters'] ?? s.attributes['input.value'] ?? null;
        this.onCall(agent, 'tool_call', `tool:${s.tool_name ?? s.name}`, typeof args === 'string' ? args : JSON.stringify(args), t);
      }
      const used = (s.input_tokens ?? 0) + (s.output_tokens ?? 0);
      if (used > 0) {
        if (s.task_id) this.addTokens('task', s.task_id, used, t);
        if (s.agent_id) this.addTokens('agent', s.agent_id, used, t);
      }
    }
  }

  private onCall(agent: string, type: string, target: string, content: string, t: number): void {
    if (!this.loops.observe(agent, callKey(type, target, content), t)) return;
    const subject: AlertSubject = { type: 'agent', id: agent };
    const ep = this.episodes.get(keyOf('loop', subject));
    const { loopRepeats: n, loopWindowMs: w } = this.settings;
    if (ep) {
      ep.lastMs = Math.max(ep.lastMs, t);
      if (ep.alert.active) this.bump(ep, t);
      return;
    }
    this.raise('loop', subject, `${agent} sent the same ${type} to ${target} ${n} times within ${Math.round(w / 1000)} s`,
      { type, target, repeats: n, window_s: w / 1000 }, t, n);
  }

  private addTokens(type: 'task' | 'agent', id: string, used: number, t: number): void {
    const total = (this.tokens[type].get(id) ?? 0) + used;
    this.tokens[type].set(id, total);
    const ep = this.episodes.get(keyOf('budget', { type, id }));
    if (!ep) {
      this.overBudget(type, id, total, t);
      return;
    }
    const budget = budgetOf(this.settings, type, id);
    if (!(budget > 0) || total <= budget) return;
    ep.lastMs = t;
    if (ep.alert.active) this.bump(ep, t, budgetDetail(total, budget));
  }

  /** Raises the budget alert of one task or agent when it is over; true while it is. */
  private overBudget(type: 'task' | 'agent', id: string, total: number, t: number): boolean {
    const budget = budgetOf(this.settings, type, id);
    if (!(budget > 0) || total <= budget) return false;
    const subject: AlertSubject = { type, id };
    const ep = this.episodes.get(keyOf('budget', subject));
    if (ep) {
      ep.lastMs = t;
      return true;
    }
    this.raise('budget', subject, `${type} ${id} used ${total.toLocaleString('en-US')} tokens, over its budget of ${budget.toLocaleString('en-US')}`,
      budgetDetail(total, budget), t);
    return true;
  }

  // ---- the timer --------------------------------------------------------------------------------

  /** Checks the time-based rules, ends what is over and writes what changed (the timer calls it; tests too). */
  check(): void {
    if (!this.running) return;
    const now = this.ctx.clock.now();
    const s = this.settings;
    const holding = new Set<string>();
    try {
      for (const a of this.ctx.store.getAgents(now, this.ctx.settings.staleAfterMs)) {
        const idle = now - Date.parse(a.last_seen);
        if (!BUSY_STATUS.test(a.status) || idle <= this.ctx.settings.staleAfterMs) continue;
        const subject: AlertSubject = { type: 'agent', id: a.agent_id };
        holding.add(keyOf('stuck_agent', subject));
        this.hit('stuck_agent', subject, `${a.agent_id} is ${a.status} but has not been seen for ${minutes(idle)}`,
          { status: a.status, last_seen: a.last_seen, current_task: a.current_task, idle_s: Math.round(idle / 1000) }, now);
      }
      const inProgress = new Set<string>();
      for (const task of this.ctx.store.getTasks('in_progress')) {
        inProgress.add(task.task_id);
        const mark = `${task.percentage}|${task.completed_subtasks.length}`;
        const p = this.progress.get(task.task_id);
        if (!p || p.mark !== mark) this.progress.set(task.task_id, { mark, since: p ? now : Date.parse(task.updated_at) });
        const idle = now - this.progress.get(task.task_id)!.since;
        if (idle <= s.stalledTaskMs) continue;
        const subject: AlertSubject = { type: 'task', id: task.task_id };
        holding.add(keyOf('stalled_task', subject));
        this.hit('stalled_task', subject, `task ${task.task_id} is in progress at ${Math.round(task.percentage)} % with no progress for ${minutes(idle)}`,
          { percentage: task.percentage, agent_id: task.agent_id, idle_s: Math.round(idle / 1000) }, now);
      }
      for (const id of this.progress.keys()) if (!inProgress.has(id)) this.progress.delete(id);
      for (const type of ['task', 'agent'] as const) {
        for (const [id, total] of this.tokens[type]) if (this.overBudget(type, id, total, now)) holding.add(keyOf('budget', { type, id }));
      }
    } catch (e) {
      this.ctx.log.warn(`[alerts] check failed: ${errorText(e)}`);
      return;
    }
    for (const [key, ep] of this.episodes) {
      const over = ep.alert.kind === 'loop' ? now - ep.lastMs > s.loopWindowMs : TIMED_KINDS.includes(ep.alert.kind) && !holding.has(key);
      if (over) void this.end(ep, now, 'condition');
      else if (ep.dirty && now - ep.persistedAt >= s.persistIntervalMs) void this.persist(ep, now);
    }
    this.loops.sweep(now);
  }

  /**
   * A condition watched outside the engine (team mode's replication): raised or counted while
   * `message` is given, ended when it is not.
   */
  external(kind: AlertKind, subject: AlertSubject, message: string | undefined, detail: JsonObject): void {
    const t = this.ctx.clock.now();
    if (message !== undefined) {
      this.hit(kind, subject, message, detail, t);
      return;
    }
    const ep = this.episodes.get(keyOf(kind, subject));
    if (ep) void this.end(ep, t, 'condition');
  }

  /** A time-based rule found its condition: raise, or count one more check of the episode. */
  private hit(kind: AlertKind, subject: AlertSubject, message: string, detail: JsonObject, t: number): void {
    const ep = this.episodes.get(keyOf(kind, subject));
    if (!ep) {
      this.raise(kind, subject, message, detail, t);
      return;
    }
    ep.lastMs = t;
    if (!ep.alert.active) return;
    ep.alert.message = message;
    this.bump(ep, t, detail);
  }

  private bump(ep: Episode, t: number, detail?: JsonObject): void {
    ep.alert.count++;
    if (t > Date.parse(ep.alert.last_seen)) ep.alert.last_seen = iso(t);
    if (detail) ep.alert.detail = detail;
    ep.dirty = true;
  }

  private raise(kind: AlertKind, subject: AlertSubject, message: string, detail: JsonObject, t: number, count = 1): void {
    const at = iso(t);
    const alert: Alert = {
      id: ++this.nextId, kind, subject, message, first_seen: at, last_seen: at, count, active: true, cleared_at: null, cleared_by: null, detail,
    };
    const ep: Episode = { alert, dirty: false, persistedAt: t, lastMs: t };
    this.episodes.set(keyOf(kind, subject), ep);
    this.ctx.log.info(`[alerts] ${kind} #${alert.id}: ${message}`);
    void this.persist(ep, t);
  }

  private async end(ep: Episode, t: number, by: 'condition' | 'dismissed'): Promise<void> {
    if (by === 'condition') this.episodes.delete(keyOf(ep.alert.kind, ep.alert.subject));
    if (!ep.alert.active) return;
    ep.alert.active = false;
    ep.alert.cleared_at = iso(t);
    ep.alert.cleared_by = by;
    if (by === 'condition') this.ctx.log.info(`[alerts] ${ep.alert.kind} #${ep.alert.id} ended`);
    await this.persist(ep, t, by === 'dismissed');
  }

  /** Writes the alert as it is now; a failure is logged and retried at the next check (unless the caller must hear it). */
  private async persist(ep: Episode, t: number, rethrow = false): Promise<void> {
    ep.dirty = false;
    ep.persistedAt = t;
    const record = copyAlert(ep.alert);
    this.inFlight.set(record.id, record);
    try {
      await this.submit({ o: 'alert', t, a: record });
      this.submitFailed = false;
    } catch (e) {
      ep.dirty = true;
      if (!this.submitFailed) this.ctx.log.warn(`[alerts] could not store alert #${ep.alert.id}: ${errorText(e)}`);
      this.submitFailed = true;
      if (rethrow) throw e;
    } finally {
      if (this.inFlight.get(record.id) === record) this.inFlight.delete(record.id);
    }
  }

  // ---- reads and the user's actions -------------------------------------------------------------

  /** Newest first: the stored alerts with the counts memory holds for the active ones. */
  list(activeOnly: boolean, limit: number): Alert[] {
    const live = new Map<number, Alert>();
    for (const ep of this.episodes.values()) if (ep.alert.active || !activeOnly) live.set(ep.alert.id, ep.alert);
    const rows = this.ctx.store.getAlerts(activeOnly, limit);
    const byId = new Map<number, Alert>(rows.map(a => [a.id, a]));
    for (const [id, a] of this.inFlight) if (byId.has(id) || a.active || !activeOnly) byId.set(id, a);
    for (const [id, a] of live) byId.set(id, a);
    return [...byId.values()].filter(a => !activeOnly || a.active).sort((a, b) => b.id - a.id).slice(0, limit).map(copyAlert);
  }

  /** Dismisses an alert: inactive, durable when this resolves; undefined for an unknown id. */
  async dismiss(id: number): Promise<Alert | undefined> {
    for (const ep of this.episodes.values()) {
      if (ep.alert.id !== id) continue;
      // A dismissed episode stays known until its condition ends, so it is not raised again meanwhile.
      await this.end(ep, this.ctx.clock.now(), 'dismissed');
      return copyAlert(ep.alert);
    }
    const stored = this.ctx.store.getAlert(id);
    if (!stored || !stored.active) return stored;
    // Active on disk but not watched (watchdogs off): dismissing still clears it.
    const now = this.ctx.clock.now();
    const a: Alert = { ...stored, active: false, cleared_at: iso(now), cleared_by: 'dismissed' };
    await this.submit({ o: 'alert', t: now, a });
    return a;
  }
}

/** What makes two messages the same call: for a tool call its tool and arguments (not its call id or result). */
function messageContent(d: MessageInput): string {
  const c = d.content;
  if (d.message_type === 'tool_call' && c !== null && typeof c === 'object' && !Array.isArray(c) && 'arguments' in c) {
    return JSON.stringify([c.tool_name ?? null, c.arguments ?? null] as Json);
  }
  return typeof c === 'string' ? c : JSON.stringify(c);
}

function budgetDetail(tokens: number, budget: number): JsonObject {
  return { tokens, budget };
}

function minutes(ms: number): string {
  const m = Math.floor(ms / 60_000);
  return m >= 1 ? `${m} min` : `${Math.round(ms / 1000)} s`;
}

function copyAlert(a: Alert): Alert {
  return { ...a, subject: { ...a.subject }, detail: { ...a.detail } };
}
