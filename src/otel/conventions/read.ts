// Small readers the conventions share: first non-empty string or count among keys, JSON sent as
// strings, finish reasons in any of their spellings.
import type { Json, JsonObject } from '../../core/types';
import { findUnstorableField } from '../../core/validate';

export function str(attrs: JsonObject, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = attrs[k];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return null;
}

export function num(attrs: JsonObject, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = attrs[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
    if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  }
  return null;
}

export function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A string holding a JSON object or array is parsed (the conventions allow either); others as they
 * are. Escapes can spell what the store refuses ("\\u0000", a lone "\\ud800"): such a value stays
 * the string it arrived as, so one attribute cannot make a whole export fail.
 */
export function parsed(v: Json | undefined): Json | undefined {
  if (typeof v !== 'string') return v;
  const t = v.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return v;
  let out: Json;
  try {
    out = JSON.parse(v) as Json;
  } catch {
    return v;
  }
  return v.includes('\\u') && findUnstorableField('', out) ? v : out;
}

/** A JSON-valued attribute, the first of the keys present. */
export function jsonAttr(attrs: JsonObject, ...keys: string[]): Json | undefined {
  for (const k of keys) {
    const v = attrs[k];
    if (v === undefined || v === null || v === '') continue;
    return parsed(v);
  }
  return undefined;
}

/** Finish reasons: an array, a JSON string of one, or one string; lower case. */
export function finishReasons(v: Json | undefined): string[] {
  const p = parsed(v);
  const list = Array.isArray(p) ? p : p === undefined || p === null ? [] : [p];
  const out: string[] = [];
  for (const r of list) if (typeof r === 'string' && r !== '') out.push(r.toLowerCase());
  return out;
}

/** "tool_calls", "tool-calls", "TOOL_CALLS", "tool_use", "function_call": the model asked for tools. */
export function isToolFinish(reason: string): boolean {
  return /^(tool[-_ ]?calls?|tool[-_ ]?use|function[-_ ]?calls?)$/i.test(reason);
}

/** "{operation} {target}" span names: the target. */
export function nameAfter(name: string, prefix: string): string | null {
  return name.startsWith(`${prefix} `) && name.length > prefix.length + 1 ? name.slice(prefix.length + 1) : null;
}
