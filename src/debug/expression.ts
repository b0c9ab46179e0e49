// The small, safe expression language of breakpoint conditions and logpoint interpolations:
// paths (`event.args.query`, `task.blockers[0]`), literals, `== != < <= > >=`, `contains`, `&&`,
// `||`, `!` and parentheses. Parsed into a tree once and interpreted; never eval or Function.
// Paths read own data properties only, so `__proto__` or `constructor` reach nothing but data.

export type Value = string | number | boolean | null | undefined | object;

export type Expr =
  | { t: 'lit'; v: string | number | boolean | null }
  | { t: 'path'; segs: (string | number)[] }
  | { t: 'not'; e: Expr }
  | { t: 'bin'; op: BinOp; l: Expr; r: Expr };

type BinOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | '&&' | '||';

export const MAX_EXPRESSION_LENGTH = 1000;
const MAX_DEPTH = 32;

/** A parse error with the 0-based position in the source where it was found. */
export class ExpressionError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
  }
}

type Tok = { k: 'id' | 'num' | 'str' | 'op' | 'end'; v: string; at: number };

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.'];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    const at = i;
    if (/[A-Za-z_$]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_$-]/.test(src[i]!)) i++;
      out.push({ k: 'id', v: src.slice(at, i), at });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      i++;
      while (i < src.length && /[0-9.]/.test(src[i]!)) i++;
      const v = src.slice(at, i);
      if (!Number.isFinite(Number(v))) throw new ExpressionError(`not a number: ${v}`, at);
      out.push({ k: 'num', v, at });
    } else if (c === '"' || c === "'") {
      i++;
      let v = '';
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        v += src[i];
        i++;
      }
      if (i >= src.length) throw new ExpressionError('unterminated string', at);
      i++;
      out.push({ k: 'str', v, at });
    } else {
      const op = OPS.find(o => src.startsWith(o, i));
      if (!op) throw new ExpressionError(`unexpected character ${JSON.stringify(c)}`, at);
      i += op.length;
      out.push({ k: 'op', v: op, at });
    }
  }
  out.push({ k: 'end', v: '', at: src.length });
  return out;
}

/** Parses a condition (or an interpolated path); throws ExpressionError naming the position. */
export function parseExpression(src: string): Expr {
  if (src.length > MAX_EXPRESSION_LENGTH) throw new ExpressionError(`longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  if (/[\u0000-\u001f\u007f]/.test(src)) throw new ExpressionError('control character', src.search(/[\u0000-\u001f\u007f]/));
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Tok => toks[p]!;
  const isOp = (v: string): boolean => peek().k === 'op' && peek().v === v;
  const expectOp = (v: string): void => {
    if (!isOp(v)) throw new ExpressionError(`expected ${v}`, peek().at);
    p++;
  };
  const depthCheck = (d: number): void => {
    if (d > MAX_DEPTH) throw new ExpressionError(`nested deeper than ${MAX_DEPTH} levels`, peek().at);
  };
  const or = (d: number): Expr => {
    depthCheck(d);
    let l = and(d + 1);
    while (isOp('||')) { p++; l = { t: 'bin', op: '||', l, r: and(d + 1) }; }
    return l;
  };
  const and = (d: number): Expr => {
    let l = cmp(d + 1);
    while (isOp('&&')) { p++; l = { t: 'bin', op: '&&', l, r: cmp(d + 1) }; }
    return l;
  };
  const cmp = (d: number): Expr => {
    const l = unary(d + 1);
    const t = peek();
    if (t.k === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      p++;
      return { t: 'bin', op: t.v as BinOp, l, r: unary(d + 1) };
    }
    if (t.k === 'id' && t.v === 'contains') {
      p++;
      return { t: 'bin', op: 'contains', l, r: unary(d + 1) };
    }
    return l;
  };
  const unary = (d: number): Expr => {
    depthCheck(d);
    if (isOp('!')) { p++; return { t: 'not', e: unary(d + 1) }; }
    return primary(d + 1);
  };
  const primary = (d: number): Expr => {
    depthCheck(d);
    const t = peek();
    if (t.k === 'op' && t.v === '(') {
      p++;
      const e = or(d + 1);
      expectOp(')');
      return e;
    }
    if (t.k === 'num') { p++; return { t: 'lit', v: Number(t.v) }; }
    if (t.k === 'str') { p++; return { t: 'lit', v: t.v }; }
    if (t.k === 'id') {
      p++;
      if (t.v === 'true' || t.v === 'false') return { t: 'lit', v: t.v === 'true' };
      if (t.v === 'null') return { t: 'lit', v: null };
      const segs: (string | number)[] = [t.v];
      for (;;) {
        if (isOp('.')) {
          p++;
          const n = peek();
          if (n.k !== 'id') throw new ExpressionError('expected a name after .', n.at);
          p++;
          segs.push(n.v);
        } else if (isOp('[')) {
          p++;
          const n = peek();
          if (n.k === 'num' && /^\d+$/.test(n.v)) segs.push(Number(n.v));
          else if (n.k === 'str') segs.push(n.v);
          else throw new ExpressionError('expected an index or a quoted name', n.at);
          p++;
          expectOp(']');
        } else {
          break;
        }
        if (segs.length > MAX_DEPTH) throw new ExpressionError(`path longer than ${MAX_DEPTH} steps`, peek().at);
      }
      return { t: 'path', segs };
    }
    throw new ExpressionError(t.k === 'end' ? 'unexpected end' : `unexpected ${JSON.stringify(t.v)}`, t.at);
  };
  const e = or(0);
  if (peek().k !== 'end') throw new ExpressionError(`unexpected ${JSON.stringify(peek().v)}`, peek().at);
  return e;
}

/** A value's own data property: never a prototype's, never a getter. */
export function ownValue(o: Value, key: string | number): Value {
  if (o === null || typeof o !== 'object') return undefined;
  if (Array.isArray(o) && typeof key === 'string') return undefined;
  const d = Object.getOwnPropertyDescriptor(o, key);
  return d && 'value' in d ? (d.value as Value) : undefined;
}

export function readPath(scope: Value, segs: readonly (string | number)[]): Value {
  let v: Value = scope;
  for (const s of segs) {
    v = ownValue(v, s);
    if (v === undefined) return undefined;
  }
  return v;
}

function same(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  // A number compared with its text (`event.args.n == "3"` on a string field) still matches.
  if (typeof a === 'number' && typeof b === 'string') return b.trim() !== '' && Number(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return same(b, a);
  return false;
}

function order(a: Value, b: Value): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** The roots a path starts from (`event`, `task`, …), looked up only when an expression reads them. */
export type Scope = (root: string) => Value;

export function evaluate(e: Expr, scope: Scope): Value {
  switch (e.t) {
    case 'lit': return e.v;
    case 'path': return readPath(scope(String(e.segs[0])), e.segs.slice(1));
    case 'not': return !truthy(evaluate(e.e, scope));
    case 'bin': {
      if (e.op === '&&') return truthy(evaluate(e.l, scope)) && truthy(evaluate(e.r, scope));
      if (e.op === '||') return truthy(evaluate(e.l, scope)) || truthy(evaluate(e.r, scope));
      const l = evaluate(e.l, scope);
      const r = evaluate(e.r, scope);
      switch (e.op) {
        case '==': return same(l, r);
        case '!=': return !same(l, r);
        case 'contains':
          if (typeof l === 'string') return typeof r === 'string' || typeof r === 'number' ? l.includes(String(r)) : false;
          if (Array.isArray(l)) return (l as Value[]).some(x => same(x, r));
          return false;
        default: {
          const c = order(l, r);
          if (c === undefined) return false;
          return e.op === '<' ? c < 0 : e.op === '<=' ? c <= 0 : e.op === '>' ? c > 0 : c >= 0;
        }
      }
    }
  }
}

export function truthy(v: Value): boolean {
  return !!v;
}
