// JarvisSaver's spool and local view. While the server cannot be reached, each call is appended to
// langgraph.spool.<pid>.jsonl (fsync'd before the call returns) and sent, in order, once the server
// answers; a spool left by a process that died is sent by the next saver on the folder. Calls are
// idempotent on their keys, so a spool sent twice (a crash mid-send) stores nothing twice.
// Meanwhile reads are answered from what this process wrote: its recent checkpoints, their writes
// and the channel values they name (a graph reads back its subgraphs' checkpoints mid-run).
import * as fs from 'fs';
import * as path from 'path';
import { appendDurably, filesOfGoneProcesses, syncDir } from './spool.js';

export interface SpooledCall {
  route: string;
  method?: 'POST' | 'DELETE';
  body?: Record<string, unknown>;
}

/** A value as LangGraph's serializer wrote it, bytes in base64 (the server's wire format). */
export interface Typed { type: string; data: string }
export interface WireBlob extends Typed { channel: string; version: string }
type Blob = WireBlob;
interface PutBody {
  thread_id: string; checkpoint_ns: string; checkpoint_id: string; parent_checkpoint_id: string | null;
  checkpoint: Typed; channel_versions: Record<string, number | string>; metadata: Record<string, unknown>; blobs: Blob[];
}
interface WritesBody { thread_id: string; checkpoint_ns: string; checkpoint_id: string; task_id: string; task_path: string; writes: (Typed & { idx: number; channel: string })[] }
/** A checkpoint as GET /langgraph/checkpoint answers it (and as this spool answers while the server is away). */
export interface WireTuple {
  thread_id: string; checkpoint_ns: string; checkpoint_id: string; parent_checkpoint_id: string | null; checkpoint: Typed;
  channel_versions: Record<string, number | string>; metadata: Record<string, unknown>; channel_values: Blob[];
  pending_writes: (Typed & { task_id: string; task_path: string; idx: number; channel: string })[];
}
type LocalTuple = WireTuple;

const FILE = /^langgraph\.spool\.(\d+)\.jsonl$/;
/** Checkpoints and values kept for local reads; the oldest go first. */
const MAX_LOCAL_CHECKPOINTS = 2000;
const MAX_LOCAL_BLOBS = 20_000;

export class LangGraphSpool {
  readonly file: string;
  /** Calls not yet acknowledged by the server, oldest first, with the file each is in. */
  private calls: { call: SpooledCall; file: string }[] = [];
  private readonly checkpoints = new Map<string, PutBody>();
  private readonly writes = new Map<string, Map<string, WritesBody['writes'][number] & { task_id: string; task_path: string }>>();
  private readonly blobs = new Map<string, Blob>();

  constructor(readonly folder: string) {
    this.file = path.join(folder, `langgraph.spool.${process.pid}.jsonl`);
    for (const file of filesOfGoneProcesses(folder, FILE)) for (const call of readCalls(file)) this.remember(call, file);
  }

  pending(): boolean {
    return this.calls.length > 0;
  }

  /** Appends the call durably; it is sent by the next drain. */
  add(call: SpooledCall): void {
    appendDurably(this.folder, this.file, JSON.stringify(call) + '\n');
    this.remember(call, this.file);
  }

  /** Keeps what a call wrote for local reads (also for calls the server took at once). */
  note(call: SpooledCall): void {
    if (call.route === '/langgraph/checkpoints') this.notePut(call.body as unknown as PutBody);
    else if (call.route === '/langgraph/writes') this.noteWrites(call.body as unknown as WritesBody);
    else this.checkpoints.clear(); // a thread operation: what was kept may be gone
  }

  /** Sends every call in order; true once all were acknowledged, false when the server went away again. */
  async send(post: (call: SpooledCall) => Promise<unknown>, unreachable: (e: unknown) => boolean): Promise<boolean> {
    while (this.calls.length > 0) {
      const { call, file } = this.calls[0];
      try {
        await post(call);
      } catch (e) {
        if (unreachable(e)) return false;
        // Refused (a 400): it can never be stored; the rest must not wait behind it.
        process.emitWarning(`Jarvis Context: a spooled LangGraph call to ${call.route} was refused: ${(e as Error).message}`, 'JarvisContextWarning');
      }
      this.calls.shift();
      if (!this.calls.some(c => c.file === file)) removeFile(file);
    }
    return true;
  }

  getTuple(thread: string, ns: string, id?: string): LocalTuple | undefined {
    return this.list(thread, ns, id, undefined, undefined, 1)[0];
  }

  list(thread?: string, ns?: string, id?: string, before?: string, filter?: Record<string, unknown>, limit?: number): LocalTuple[] {
    const found = [...this.checkpoints.values()]
      .filter(c => (thread === undefined || c.thread_id === thread) && (ns === undefined || c.checkpoint_ns === ns)
        && (id === undefined || c.checkpoint_id === id) && (before === undefined || c.checkpoint_id < before)
        && (filter === undefined || Object.entries(filter).every(([k, v]) => JSON.stringify(c.metadata[k]) === JSON.stringify(v))))
      .sort((a, b) => (a.checkpoint_id < b.checkpoint_id ? 1 : a.checkpoint_id > b.checkpoint_id ? -1 : 0));
    return found.slice(0, limit ?? found.length).map(c => this.tuple(c));
  }

  private tuple(c: PutBody): LocalTuple {
    const values: Blob[] = [];
    for (const [channel, v] of Object.entries(c.channel_versions).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const b = this.blobs.get(blobKey(c.thread_id, c.checkpoint_ns, channel, JSON.stringify(v)));
      if (b && b.type !== 'empty') values.push(b);
    }
    const writes = [...(this.writes.get(checkpointKey(c.thread_id, c.checkpoint_ns, c.checkpoint_id))?.values() ?? [])]
      .sort((a, b) => compare(a.task_path, b.task_path) || compare(a.task_id, b.task_id) || a.idx - b.idx);
    return {
      thread_id: c.thread_id, checkpoint_ns: c.checkpoint_ns, checkpoint_id: c.checkpoint_id, parent_checkpoint_id: c.parent_checkpoint_id,
      checkpoint: c.checkpoint, channel_versions: c.channel_versions, metadata: c.metadata, channel_values: values, pending_writes: writes,
    };
  }

  private remember(call: SpooledCall, file: string): void {
    this.calls.push({ call, file });
    this.note(call);
  }

  private notePut(p: PutBody): void {
    const key = checkpointKey(p.thread_id, p.checkpoint_ns, p.checkpoint_id);
    this.checkpoints.delete(key);
    this.checkpoints.set(key, p);
    for (const b of p.blobs) {
      const k = blobKey(p.thread_id, p.checkpoint_ns, b.channel, b.version);
      if (!this.blobs.has(k)) this.blobs.set(k, b);
    }
    trim(this.checkpoints, MAX_LOCAL_CHECKPOINTS, k => this.writes.delete(k));
    trim(this.blobs, MAX_LOCAL_BLOBS);
  }

  private noteWrites(w: WritesBody): void {
    const key = checkpointKey(w.thread_id, w.checkpoint_ns, w.checkpoint_id);
    const m = this.writes.get(key) ?? new Map();
    for (const x of w.writes) {
      const k = `${w.task_id}\u0000${x.idx}`;
      if (x.idx < 0 || !m.has(k)) m.set(k, { ...x, task_id: w.task_id, task_path: w.task_path });
    }
    this.writes.set(key, m);
  }
}

function checkpointKey(thread: string, ns: string, id: string): string {
  return JSON.stringify([thread, ns, id]);
}

function blobKey(thread: string, ns: string, channel: string, version: string): string {
  return JSON.stringify([thread, ns, channel, version]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function trim<K, V>(m: Map<K, V>, max: number, dropped?: (k: K) => void): void {
  for (const k of m.keys()) {
    if (m.size <= max) return;
    m.delete(k);
    dropped?.(k);
  }
}

function readCalls(file: string): SpooledCall[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const calls: SpooledCall[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const c = JSON.parse(line) as SpooledCall;
      if (c && typeof c.route === 'string' && c.route.startsWith('/langgraph/')) calls.push(c);
    } catch {
      // A torn line from a process killed mid-append: that call never returned, skip it.
    }
  }
  return calls;
}

function removeFile(file: string): void {
  try {
    fs.unlinkSync(file);
    syncDir(path.dirname(file));
  } catch {
    // already gone
  }
}
