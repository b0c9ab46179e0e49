import { canonicalJson } from './canonicalJson';
import { setOwn } from './ownKeys';
import {
  addHash, diffJson, emptyParts, hashHex, hashParts, partHash, subHash, type SnapshotDelta, type SnapshotParts,
} from './snapshotDelta';
import { type ApplyResult, changesOf } from './store';
import type { Agent, Decision, Json, JsonObject, Task } from './types';

// Keeps the content of the newest stored snapshot in memory, and which tasks, agents, decisions
// and state changed since, so the next snapshot is built from what changed alone.

/** A chain is closed by a keyframe after this many deltas, so a checkpoint opens in bounded time. */
export const MAX_CHAIN = 200;
/** ... or once its deltas outweigh this many keyframes. */
const MAX_CHAIN_WEIGHT = 4;

/** Where the current values come from (the live store). */
export interface SnapshotSource {
  task(id: string): Task | undefined;
  agent(id: string): Agent | undefined;
  tasks(): Task[];
  agents(): Agent[];
  recentDecisions(): Decision[];
  state(): JsonObject;
}

/** The fields of an agent that are its state, not derived when read (from the clock, or its tasks). */
export function agentPart(a: Agent): JsonObject {
  const { seconds_since_update: _s, health: _h, stale: _st, at_rest: _r, ...rest } = a;
  return rest as unknown as JsonObject;
}

export interface ChainHead {
  id: number;
  chainStart: number;
  /** Deltas after the keyframe, and their bytes. */
  length: number;
  deltaBytes: number;
  keyframeBytes: number;
}

export interface PreparedSnapshot {
  delta: SnapshotDelta;
  keyframe: boolean;
  /** The keyframe of the chain a delta continues; undefined for a keyframe (it starts its own). */
  chainStart: number | undefined;
  hash: string;
  size: number;
  bodyBytes: number;
  apply(id: number): void;
  /** The write failed: what it consumed is dirty again. */
  abandon(): void;
}

export class SnapshotTracker {
  private parts: SnapshotParts = emptyParts();
  private head: ChainHead | undefined;
  private hash = 0n;
  private stateJson = '{}';
  /** Bytes of the canonical JSON of every task, agent and decision part: the size costs what changed. */
  private bytes = { task: 0, agent: 0, decision: 0 };
  private allDirty = true;
  private stateDirty = false;
  private decisionsDirty = false;
  private tasks = new Set<string>();
  private agents = new Set<string>();

  /** The newest stored snapshot, rebuilt from its chain; undefined when there is none or it is unreadable. */
  reset(parts: SnapshotParts | undefined, head: ChainHead | undefined): void {
    this.parts = parts ?? emptyParts();
    this.head = parts ? head : undefined;
    this.hash = hashParts(this.parts);
    this.stateJson = canonicalJson(this.parts.state);
    this.bytes = { task: sumBytes(this.parts.tasks), agent: sumBytes(this.parts.agents), decision: sumBytes(this.parts.decisions) };
    this.markAllDirty();
  }

  get latestId(): number | undefined {
    return this.head?.id;
  }

  markAllDirty(): void {
    this.allDirty = true;
  }

  /** Called with every group commit's results. */
  noteApplied(results: ApplyResult[]): void {
    for (const r of results) for (const [kind, ids] of changesOf(r)) this.note(kind, ids);
  }

  private note(kind: string, ids: Iterable<string>): void {
    switch (kind) {
      case 'task': for (const id of ids) this.tasks.add(id); break;
      case 'agent': for (const id of ids) this.agents.add(id); break;
      case 'decision': this.decisionsDirty = true; break;
      case 'context': this.stateDirty = true; break;
      // Archiving and cleanup may take decisions out of the recent ones.
      case 'cleanup': this.decisionsDirty = true; break;
    }
  }

  /** The next snapshot, or undefined when nothing changed since the newest one. */
  prepare(src: SnapshotSource): PreparedSnapshot | undefined {
    const all = this.allDirty || !this.head;
    const taskIds = all ? new Set([...this.parts.tasks.keys(), ...src.tasks().map(t => t.task_id)]) : this.tasks;
    const agentIds = all ? new Set([...this.parts.agents.keys(), ...src.agents().map(a => a.agent_id)]) : this.agents;
    const consumed = { all: this.allDirty, state: this.stateDirty, decisions: this.decisionsDirty, tasks: this.tasks, agents: this.agents };
    this.allDirty = this.stateDirty = this.decisionsDirty = false;
    this.tasks = new Set();
    this.agents = new Set();

    // A change: the part, its new canonical JSON (undefined: removed) and its value for the delta.
    type Change = { kind: 'task' | 'agent' | 'decision'; key: string; json: string | undefined; value: Json };
    const changes: Change[] = [];
    for (const id of taskIds) {
      const t = src.task(id);
      const json = t && canonicalJson(t);
      if (json !== this.parts.tasks.get(id)) changes.push({ kind: 'task', key: id, json, value: (t ?? null) as unknown as Json });
    }
    for (const id of agentIds) {
      const a = src.agent(id);
      const v = a && agentPart(a);
      const json = v && canonicalJson(v);
      if (json !== this.parts.agents.get(id)) changes.push({ kind: 'agent', key: id, json, value: v ?? null });
    }
    if (all || consumed.decisions) {
      const recent = new Map(src.recentDecisions().map(d => [d.id, d]));
      for (const [id, d] of recent) {
        const json = canonicalJson(d);
        if (json !== this.parts.decisions.get(id)) changes.push({ kind: 'decision', key: String(id), json, value: d as unknown as Json });
      }
      for (const id of this.parts.decisions.keys()) {
        if (!recent.has(id)) changes.push({ kind: 'decision', key: String(id), json: undefined, value: null });
      }
    }
    let statePatch: SnapshotDelta['state'];
    let state = this.parts.state;
    let stateJson = this.stateJson;
    if (all || consumed.state) {
      state = src.state();
      statePatch = diffJson(this.parts.state, state);
      if (statePatch) stateJson = canonicalJson(state);
    }
    // The very first snapshot is stored even when empty: checkpoints need one to point to.
    if (changes.length === 0 && !statePatch && this.head) return undefined;

    const head = this.head;
    const keyframe = !head || head.length >= MAX_CHAIN || head.deltaBytes > MAX_CHAIN_WEIGHT * Math.max(head.keyframeBytes, 4096);
    const mapOf = (k: Change['kind']) => (k === 'task' ? this.parts.tasks : k === 'agent' ? this.parts.agents : this.parts.decisions) as Map<string | number, string>;
    const keyOf = (c: Change) => (c.kind === 'decision' ? Number(c.key) : c.key);
    // The hash and size of the new state, part by part.
    let hash = this.hash;
    for (const c of changes) {
      const old = mapOf(c.kind).get(keyOf(c));
      if (old !== undefined) hash = subHash(hash, partHash(c.kind, c.key, old));
      if (c.json !== undefined) hash = addHash(hash, partHash(c.kind, c.key, c.json));
    }
    if (statePatch) hash = addHash(subHash(hash, partHash('state', '', this.stateJson)), partHash('state', '', stateJson));

    let delta: SnapshotDelta;
    if (keyframe) {
      delta = this.keyframeDelta(changes.map(c => [c.kind, keyOf(c), c.value] as const), state);
    } else {
      delta = { base: head.id };
      if (statePatch) delta.state = statePatch;
      for (const c of changes) {
        const field = c.kind === 'task' ? 'tasks' : c.kind === 'agent' ? 'agents' : 'decisions';
        setOwn(delta[field] ??= {}, c.key, c.value);
      }
    }
    const bodyBytes = Buffer.byteLength(JSON.stringify(delta));
    const applyToParts = () => {
      for (const c of changes) {
        if (c.json === undefined) mapOf(c.kind).delete(keyOf(c));
        else mapOf(c.kind).set(keyOf(c), c.json);
      }
      this.parts.state = state;
    };
    const bytes = { ...this.bytes };
    const counts = { task: this.parts.tasks.size, agent: this.parts.agents.size, decision: this.parts.decisions.size };
    for (const c of changes) {
      const old = mapOf(c.kind).get(keyOf(c));
      if (old !== undefined) { counts[c.kind]--; bytes[c.kind] -= Buffer.byteLength(old); }
      if (c.json !== undefined) { counts[c.kind]++; bytes[c.kind] += Buffer.byteLength(c.json); }
    }
    // {"agents":[…],"recent_decisions":[…],"state":…,"tasks":[…]}: 55 bytes of frame, and commas.
    const size = 55 + Buffer.byteLength(stateJson) +
      (['task', 'agent', 'decision'] as const).reduce((n, k) => n + bytes[k] + Math.max(0, counts[k] - 1), 0);
    return {
      delta, keyframe, chainStart: keyframe ? undefined : head!.chainStart, hash: hashHex(hash), size, bodyBytes,
      apply: (id: number) => {
        applyToParts();
        this.hash = hash;
        this.bytes = bytes;
        this.stateJson = stateJson;
        this.head = keyframe || !head
          ? { id, chainStart: id, length: 0, deltaBytes: 0, keyframeBytes: bodyBytes }
          : { ...head, id, length: head.length + 1, deltaBytes: head.deltaBytes + bodyBytes };
      },
      abandon: () => {
        if (consumed.all) this.allDirty = true;
        if (consumed.state) this.stateDirty = true;
        if (consumed.decisions) this.decisionsDirty = true;
        consumed.tasks.forEach(t => this.tasks.add(t));
        consumed.agents.forEach(a => this.agents.add(a));
      },
    };
  }

  /** Every part, with the changes applied: the delta against nothing. */
  private keyframeDelta(changes: (readonly ['task' | 'agent' | 'decision', string | number, Json])[], state: JsonObject): SnapshotDelta {
    const pick = (m: Map<string | number, string>, kind: string) => {
      const out: { [id: string]: Json } = {};
      for (const [k, v] of m) setOwn(out, String(k), JSON.parse(v) as Json);
      for (const [ck, key, value] of changes) {
        if (ck !== kind) continue;
        if (value === null) delete out[String(key)];
        else setOwn(out, String(key), value);
      }
      return out;
    };
    return {
      base: null,
      state: [0, state],
      tasks: pick(this.parts.tasks as Map<string | number, string>, 'task'),
      agents: pick(this.parts.agents as Map<string | number, string>, 'agent'),
      decisions: pick(this.parts.decisions as Map<string | number, string>, 'decision'),
    };
  }
}

function sumBytes(m: Map<string, string> | Map<number, string>): number {
  let n = 0;
  for (const v of m.values()) n += Buffer.byteLength(v);
  return n;
}
