// Event breakpoints: what a debug session asks the server to stop on, and the matching of one
// written event against them. Pure (no I/O, no vscode): the server's debug sessions use it, the
// future debug adapter can use it to check an input before sending it.
//
// Grammar of a breakpoint's name (`*` in a name matches any run of characters):
//   tool:<name>            a tool call (see DebugEvent)         tool:web_*
//   agent:<id>             any event of that agent              agent:planner
//   decision:<type>        a decision of that type              decision:retry_policy
//   task:<id>              any event of that task               task:deploy
//   message:<from>-><to>   a message between agents             message:planner->*
import { evaluate, ExpressionError, parseExpression, readPath, truthy, type Expr, type Scope, type Value } from './expression';

export type EventKind = 'task' | 'decision' | 'agent' | 'message' | 'tool' | 'context' | 'recovery' | 'checkpoint' | 'alert';

/**
 * One written event as breakpoints see it. A tool call is a message whose `message_type` is
 * `tool_call` or whose `to_agent` is `tool:<name>` (how OTLP tool spans are stored and how clients
 * report one); its name is `content.tool_name`, else what follows `tool:`, and `args` its
 * `content.arguments` (or `content.args`).
 */
export interface DebugEvent {
  kind: EventKind;
  agent_id: string | null;
  task_id: string | null;
  /** The tool's name, the decision's type, the task's or agent's id. */
  name: string | null;
  from?: string | null;
  to?: string | null;
  /** The record as written (request fields plus what the store answered). */
  record: Record<string, unknown>;
  /** A task update: the fields this write set (filters judge what changed, not what the task was). */
  update?: Record<string, unknown>;
}

export type FilterName = 'alert' | 'task_failed' | 'blocker' | 'recovery';
export const FILTERS: readonly FilterName[] = ['alert', 'task_failed', 'blocker', 'recovery'];

export interface BreakpointInput {
  id?: string;
  name: string;
  condition?: string;
  hit_condition?: string;
  log_message?: string;
}

/** A name to match: the text itself when it has no `*`, else a compiled pattern. */
type NamePattern = { exact: string } | { glob: RegExp };

type Target =
  | { kind: 'tool' | 'decision'; name: NamePattern }
  | { kind: 'agent' | 'task'; id: NamePattern }
  | { kind: 'message'; from: NamePattern; to: NamePattern };

type HitCondition = { op: '==' | '>=' | '>' | '<' | '<=' | '%'; n: number };

export interface Breakpoint {
  id: string;
  name: string;
  target: Target;
  condition?: Expr;
  hit?: HitCondition;
  log?: (string | Expr)[];
  /** Events that matched the target and the condition so far (hit counts count these). */
  hits: number;
}

export type PauseMode = { mode: 'any' } | { mode: 'agent'; id: string } | { mode: 'task'; id: string };

/** Input refused: `where` names the breakpoint (or field) and `position` the place in its text. */
export class BreakpointError extends Error {
  constructor(readonly where: string, problem: string, readonly position?: number) {
    super(`${where}: ${problem}`);
  }
}

const MAX_NAME = 200;

function glob(text: string, where: string, at: number): NamePattern {
  if (text === '') throw new BreakpointError(where, 'empty name', at);
  if (text.length > MAX_NAME) throw new BreakpointError(where, `name longer than ${MAX_NAME} characters`, at);
  const bad = text.search(/[\u0000-\u001f\u007f]/);
  if (bad >= 0) throw new BreakpointError(where, 'control character in the name', at + bad);
  if (!text.includes('*')) return { exact: text };
  return { glob: new RegExp('^' + text.split('*').map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's') };
}

function nameMatches(p: NamePattern, v: string | null | undefined): boolean {
  if (v === null || v === undefined) return false;
  return 'exact' in p ? p.exact === v : p.glob.test(v);
}

function parseTarget(name: string, where: string): Target {
  const colon = name.indexOf(':');
  if (colon < 0) throw new BreakpointError(where, 'expected tool:, agent:, decision:, task: or message: before the name', 0);
  const kind = name.slice(0, colon);
  const rest = name.slice(colon + 1);
  const at = colon + 1;
  switch (kind) {
    case 'tool':
    case 'decision':
      return { kind, name: glob(rest, where, at) };
    case 'agent':
    case 'task':
      return { kind, id: glob(rest, where, at) };
    case 'message': {
      const arrow = rest.indexOf('->');
      if (arrow < 0) throw new BreakpointError(where, 'expected <from>-><to> (either side may be *)', at);
      return { kind, from: glob(rest.slice(0, arrow), where, at), to: glob(rest.slice(arrow + 2), where, at + arrow + 2) };
    }
    default:
      throw new BreakpointError(where, `unknown kind ${JSON.stringify(kind.slice(0, 40))}: expected tool, agent, decision, task or message`, 0);
  }
}

function parseHit(text: string, where: string): HitCondition {
  const m = /^\s*(==|>=|<=|>|<|%)?\s*(\d{1,9})\s*$/.exec(text);
  if (!m) throw new BreakpointError(where, 'hit condition: expected N, ==N, >=N, >N, <N, <=N or %N', 0);
  const n = Number(m[2]);
  if (m[1] === '%' && n === 0) throw new BreakpointError(where, 'hit condition: %0 never hits', 1);
  return { op: (m[1] ?? '==') as HitCondition['op'], n };
}

/** `{path}` placeholders; `{{` and `}}` are literal braces. */
function parseLog(text: string, where: string): (string | Expr)[] {
  if (text.length > 2000) throw new BreakpointError(where, 'log message longer than 2000 characters', 2000);
  const parts: (string | Expr)[] = [];
  let lit = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' && text[i + 1] === '{') { lit += '{'; i++; continue; }
    if (c === '}' && text[i + 1] === '}') { lit += '}'; i++; continue; }
    if (c === '{') {
      const end = text.indexOf('}', i);
      if (end < 0) throw new BreakpointError(where, 'log message: unclosed {', i);
      if (lit) parts.push(lit);
      lit = '';
      try {
        parts.push(parseExpression(text.slice(i + 1, end)));
      } catch (e) {
        if (e instanceof ExpressionError) throw new BreakpointError(where, `log message: ${e.message.replace(/ at position \d+$/, '')}`, i + 1 + e.position);
        throw e;
      }
      i = end;
      continue;
    }
    lit += c;
  }
  if (lit) parts.push(lit);
  return parts;
}

/** One breakpoint from its input; `index` names it in errors when it has no id. */
export function compileBreakpoint(input: unknown, index: number): Breakpoint {
  const where0 = `breakpoints[${index}]`;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new BreakpointError(where0, 'must be an object');
  const b = input as Record<string, unknown>;
  for (const k of ['id', 'name', 'condition', 'hit_condition', 'log_message']) {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') throw new BreakpointError(`${where0}.${k}`, 'must be a string');
  }
  const id = typeof b.id === 'string' && b.id !== '' ? b.id : String(index);
  if (id.length > 200 || /[\u0000-\u001f\u007f]/.test(id)) throw new BreakpointError(`${where0}.id`, 'at most 200 characters, no control characters');
  if (typeof b.name !== 'string') throw new BreakpointError(`${where0}.name`, 'required, e.g. tool:web_search');
  const where = `breakpoints[${index}] (${JSON.stringify(b.name.slice(0, 60))})`;
  const bp: Breakpoint = { id, name: b.name, target: parseTarget(b.name, `${where}.name`), hits: 0 };
  if (typeof b.condition === 'string' && b.condition.trim() !== '') {
    try {
      bp.condition = parseExpression(b.condition);
    } catch (e) {
      if (e instanceof ExpressionError) throw new BreakpointError(`${where}.condition`, e.message, e.position);
      throw e;
    }
  }
  if (typeof b.hit_condition === 'string' && b.hit_condition.trim() !== '') bp.hit = parseHit(b.hit_condition, `${where}.hit_condition`);
  if (typeof b.log_message === 'string' && b.log_message !== '') bp.log = parseLog(b.log_message, `${where}.log_message`);
  return bp;
}

export function parsePause(raw: unknown): PauseMode | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw new BreakpointError('pause', 'must be "any", "agent:<id>" or "task:<id>"');
  if (raw === 'any') return { mode: 'any' };
  const m = /^(agent|task):(.{1,200})$/s.exec(raw);
  if (!m || /[\u0000-\u001f\u007f]/.test(m[2]!)) throw new BreakpointError('pause', 'must be "any", "agent:<id>" or "task:<id>"');
  return { mode: m[1] as 'agent' | 'task', id: m[2]! };
}

export function parseFilters(raw: unknown): Set<FilterName> {
  if (raw === undefined || raw === null) return new Set();
  if (!Array.isArray(raw)) throw new BreakpointError('filters', `must be an array of ${FILTERS.join(', ')}`);
  const out = new Set<FilterName>();
  raw.forEach((f, i) => {
    if (typeof f !== 'string' || !FILTERS.includes(f as FilterName)) throw new BreakpointError(`filters[${i}]`, `must be one of ${FILTERS.join(', ')}`);
    out.add(f as FilterName);
  });
  return out;
}

function targetMatches(t: Target, e: DebugEvent): boolean {
  switch (t.kind) {
    case 'tool': return e.kind === 'tool' && nameMatches(t.name, e.name);
    case 'decision': return e.kind === 'decision' && nameMatches(t.name, e.name);
    case 'agent': return nameMatches(t.id, e.agent_id);
    case 'task': return nameMatches(t.id, e.task_id);
    case 'message': return e.kind === 'message' && nameMatches(t.from, e.from ?? '') && nameMatches(t.to, e.to ?? '');
  }
}

type Keyed = 'tool' | 'decision' | 'agent' | 'task';

/**
 * A session's breakpoints by what they match: an event looks up the few whose exact name it
 * carries and tries only the patterns of its kinds, not every breakpoint.
 */
export class BreakpointIndex {
  private readonly exact = new Map<string, Breakpoint[]>();
  private readonly patterns = new Map<Keyed | 'message', Breakpoint[]>();

  constructor(readonly all: readonly Breakpoint[]) {
    for (const bp of all) {
      const t = bp.target;
      const p = t.kind === 'tool' || t.kind === 'decision' ? t.name : t.kind === 'agent' || t.kind === 'task' ? t.id : undefined;
      if (p && 'exact' in p) {
        const key = `${t.kind}\u0000${p.exact}`;
        this.exact.set(key, [...(this.exact.get(key) ?? []), bp]);
      } else {
        this.patterns.set(t.kind, [...(this.patterns.get(t.kind) ?? []), bp]);
      }
    }
  }

  /** The breakpoints whose target `e` matches, in their order. */
  candidates(e: DebugEvent): Breakpoint[] {
    const out: Breakpoint[] = [];
    const add = (kind: Keyed | 'message', value: string | null): void => {
      if (value !== null && kind !== 'message') for (const bp of this.exact.get(`${kind}\u0000${value}`) ?? []) out.push(bp);
      for (const bp of this.patterns.get(kind) ?? []) if (targetMatches(bp.target, e)) out.push(bp);
    };
    if (e.kind === 'tool' || e.kind === 'decision') add(e.kind, e.name);
    if (e.kind === 'message') add('message', null);
    add('agent', e.agent_id);
    add('task', e.task_id);
    return out.length > 1 ? out.sort((a, b) => this.all.indexOf(a) - this.all.indexOf(b)) : out;
  }
}

function hitMatches(h: HitCondition | undefined, count: number): boolean {
  if (!h) return true;
  switch (h.op) {
    case '==': return count === h.n;
    case '>=': return count >= h.n;
    case '>': return count > h.n;
    case '<': return count < h.n;
    case '<=': return count <= h.n;
    case '%': return count % h.n === 0;
  }
}

/**
 * What conditions and log messages read: `event`, and `task` and `agent` as stored now, looked up
 * (through `lookup`) only when an expression reads them, once.
 */
export function scopeOf(e: DebugEvent, lookup: { task(id: string): unknown; agent(id: string): unknown } = { task: () => null, agent: () => null }): Scope {
  const memo = new Map<string, Value>();
  return root => {
    if (memo.has(root)) return memo.get(root);
    let v: Value;
    if (root === 'event') v = { kind: e.kind, name: e.name, agent_id: e.agent_id, task_id: e.task_id, ...e.record };
    else if (root === 'task') v = (e.task_id !== null ? lookup.task(e.task_id) : null) as Value ?? null;
    else if (root === 'agent') v = (e.agent_id !== null ? lookup.agent(e.agent_id) : null) as Value ?? null;
    memo.set(root, v);
    return v;
  };
}

function show(v: Value): string {
  if (v === undefined) return 'undefined';
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s.length > 500 ? s.slice(0, 500) + '…' : s;
}

export type Hit = { breakpoint: Breakpoint; log?: string };

/**
 * The breakpoints `e` hits, counting hits as it goes: stop breakpoints and logpoints (a logpoint
 * never stops). Conditions are read lazily through `scope` (the task and agent are looked up only
 * when a target matched).
 */
export function matchEvent(index: BreakpointIndex, e: DebugEvent, scope: () => Scope): Hit[] {
  const out: Hit[] = [];
  let s: Scope | undefined;
  for (const bp of index.candidates(e)) {
    if (bp.condition) {
      s ??= scope();
      if (!truthy(evaluate(bp.condition, s))) continue;
    }
    bp.hits++;
    if (!hitMatches(bp.hit, bp.hits)) continue;
    if (bp.log) {
      s ??= scope();
      const text = bp.log.map(p => (typeof p === 'string' ? p : show(evaluate(p, s!)))).join('');
      out.push({ breakpoint: bp, log: text.length > 4000 ? text.slice(0, 4000) + '…' : text });
    } else {
      out.push({ breakpoint: bp });
    }
  }
  return out;
}

/** The exception-style filter `e` hits, if any ('alert' is raised by the watchdogs, not by events). */
export function filterHit(filters: ReadonlySet<FilterName>, e: DebugEvent): FilterName | undefined {
  if (filters.size === 0) return undefined;
  if (e.kind === 'task') {
    // What this write changed, not what the task already was: a blocked task's progress update is no new blocker.
    const u = e.update ?? e.record;
    if (filters.has('task_failed') && u.status === 'failed') return 'task_failed';
    const blockers = u.blockers;
    if (filters.has('blocker') && (u.status === 'blocked' || (Array.isArray(blockers) && blockers.length > 0))) return 'blocker';
  }
  if (e.kind === 'recovery' && filters.has('recovery')) return 'recovery';
  return undefined;
}

export function pauseHits(p: PauseMode | undefined, e: DebugEvent): boolean {
  if (!p) return false;
  if (p.mode === 'any') return true;
  return p.mode === 'agent' ? e.agent_id === p.id : e.task_id === p.id;
}

export { readPath };
