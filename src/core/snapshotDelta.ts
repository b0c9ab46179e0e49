import { createHash } from 'crypto';
import { canonicalJson } from './canonicalJson';
import { getOwn, setOwn } from './ownKeys';
import type { Json, JsonObject } from './types';

// A context snapshot is stored as a delta against the snapshot before it: the orchestrator state
// as a patch, and the tasks, agents and recent decisions that changed, keyed by id. A keyframe is
// the delta against nothing. Any snapshot opens as the full state of its moment by applying the
// deltas from its keyframe on, so a checkpoint costs what changed, not the size of the state.

/** The state of one snapshot, part by part; values are canonical JSON text. */
export interface SnapshotParts {
  state: JsonObject;
  tasks: Map<string, string>;
  agents: Map<string, string>;
  decisions: Map<number, string>;
}

/**
 * Patch of a JSON value: [0, value] replaces it; [1, {key: patch}, [removed keys]] patches an
 * object; [2, n, items] drops the first n elements of an array and appends items (a capped history).
 */
export type Patch = [0, Json] | [1, { [key: string]: Patch }, string[]] | [2, number, Json[]];

export interface SnapshotDelta {
  /** Snapshot this one applies to; null for a keyframe. */
  base: number | null;
  state?: Patch;
  tasks?: { [id: string]: Json };
  agents?: { [id: string]: Json };
  decisions?: { [id: string]: Json };
}

/** What a checkpoint opens as (the shape of a full snapshot body). */
export interface SnapshotView extends JsonObject {
  agents: Json[];
  recent_decisions: Json[];
  state: JsonObject;
  tasks: Json[];
}

export function emptyParts(): SnapshotParts {
  return { state: {}, tasks: new Map(), agents: new Map(), decisions: new Map() };
}

/** Parts of a full snapshot body (snapshots stored whole, before deltas). */
export function partsFromView(view: JsonObject): SnapshotParts {
  const p = emptyParts();
  p.state = (view.state as JsonObject) ?? {};
  for (const t of (view.tasks as JsonObject[]) ?? []) p.tasks.set(String(t.task_id), canonicalJson(t));
  for (const a of (view.agents as JsonObject[]) ?? []) p.agents.set(String(a.agent_id), canonicalJson(a));
  for (const d of (view.recent_decisions as JsonObject[]) ?? []) p.decisions.set(Number(d.id), canonicalJson(d));
  return p;
}

/** The full snapshot, ordered as the engine lists them: tasks newest first, agents by id, decisions newest first. */
export function viewOf(p: SnapshotParts): SnapshotView {
  const tasks = [...p.tasks.values()].map(s => JSON.parse(s) as JsonObject)
    .sort((a, b) => (a.updated_at === b.updated_at ? (String(a.task_id) < String(b.task_id) ? -1 : 1) : String(a.updated_at) < String(b.updated_at) ? 1 : -1));
  const agents = [...p.agents.keys()].sort().map(k => JSON.parse(p.agents.get(k)!) as Json);
  const decisions = [...p.decisions.keys()].sort((a, b) => b - a).map(k => JSON.parse(p.decisions.get(k)!) as Json);
  return { agents, recent_decisions: decisions, state: p.state, tasks };
}

/** Applies a delta to `p` in place (a keyframe starts from nothing); returns `p`. */
export function applyDelta(p: SnapshotParts, d: SnapshotDelta): SnapshotParts {
  if (d.base === null) {
    p.state = {};
    p.tasks.clear();
    p.agents.clear();
    p.decisions.clear();
  }
  if (d.state) p.state = applyPatch(p.state, d.state) as JsonObject;
  const put = <K>(m: Map<K, string>, entries: { [id: string]: Json } | undefined, key: (s: string) => K) => {
    for (const [id, v] of Object.entries(entries ?? {})) {
      if (v === null) m.delete(key(id));
      else m.set(key(id), canonicalJson(v));
    }
  };
  put(p.tasks, d.tasks, String);
  put(p.agents, d.agents, String);
  put(p.decisions, d.decisions, Number);
  return p;
}

export function applyPatch(value: Json | undefined, patch: Patch): Json {
  switch (patch[0]) {
    case 0: return patch[1];
    case 1: {
      const base = value && typeof value === 'object' && !Array.isArray(value) ? value : {};
      const out: JsonObject = { ...base };
      for (const k of patch[2]) delete out[k];
      for (const [k, sub] of Object.entries(patch[1])) setOwn(out, k, applyPatch(getOwn(out, k), sub));
      return out;
    }
    case 2: return [...(Array.isArray(value) ? value : []).slice(patch[1]), ...patch[2]];
  }
}

/** The patch from `a` to `b`, or undefined when they are equal. */
export function diffJson(a: Json | undefined, b: Json): Patch | undefined {
  if (a === b) return undefined;
  if (isObject(a) && isObject(b)) {
    const sub: { [key: string]: Patch } = {};
    const removed = Object.keys(a).filter(k => getOwn(b, k) === undefined);
    let changed = removed.length > 0;
    for (const k of Object.keys(b)) {
      if (b[k] === undefined) continue;
      const p = diffJson(getOwn(a, k), b[k]);
      if (p) { setOwn(sub, k, p); changed = true; }
    }
    return changed ? [1, sub, removed] : undefined;
  }
  if (Array.isArray(a) && Array.isArray(b)) return diffArray(a, b);
  return [0, b];
}

/** Arrays that shifted and grew (a capped history) patch as drop-and-append; others are replaced. */
function diffArray(a: Json[], b: Json[]): Patch | undefined {
  const as = a.map(x => canonicalJson(x));
  const bs = b.map(x => canonicalJson(x));
  if (as.length === bs.length && as.every((s, i) => s === bs[i])) return undefined;
  // The old elements that survive are a prefix of the new array: find where it starts in the old one.
  const starts = bs.length ? as.map((s, i) => (s === bs[0] ? i : -1)).filter(i => i >= 0) : [];
  for (const drop of starts) {
    const kept = as.length - drop;
    if (kept <= bs.length && as.slice(drop).every((s, i) => s === bs[i])) return [2, drop, b.slice(kept)];
  }
  if (bs.length === 0) return [2, as.length, []];
  return [0, b];
}

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---- a hash of the whole state that follows its parts ------------------------------------------

const MOD = 1n << 256n;

/** One part's share of the state hash; the hash is their sum modulo 2^256, the same for equal states. */
export function partHash(kind: string, key: string, json: string): bigint {
  return BigInt('0x' + createHash('sha256').update(`${kind}\0${key}\0${json}`).digest('hex'));
}

export const addHash = (h: bigint, x: bigint): bigint => (h + x) % MOD;
export const subHash = (h: bigint, x: bigint): bigint => (h - x + MOD) % MOD;
export const hashHex = (h: bigint): string => h.toString(16).padStart(64, '0');

/** Hash of a whole set of parts (used when a chain is rebuilt, then kept up to date part by part). */
export function hashParts(p: SnapshotParts): bigint {
  let h = partHash('state', '', canonicalJson(p.state));
  for (const [k, v] of p.tasks) h = addHash(h, partHash('task', k, v));
  for (const [k, v] of p.agents) h = addHash(h, partHash('agent', k, v));
  for (const [k, v] of p.decisions) h = addHash(h, partHash('decision', String(k), v));
  return h;
}
