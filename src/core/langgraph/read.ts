// Reading LangGraph checkpoints back. Rows are checked as if they were input (a file on disk is no
// more trusted than a request): a malformed one is skipped with a logged reason, never a whole list.
import type { Logger } from '../ports';
import type { Store } from '../store';
import type { Row } from '../rows';
import { isPlainObject } from '../validate';
import type { LgBlob, LgListQuery, LgPendingWrite, LgSummary, LgTuple } from './types';

const CHECKPOINT_COLUMNS = 'thread_id, ns, checkpoint_id, parent_id, type, data, channel_versions, metadata, created_at';

/** Values bigger than this are not rendered (they are still returned as bytes). */
const MAX_READABLE_BYTES = 1024 * 1024;

export function getTuple(store: Store, log: Logger, thread: string, ns: string, checkpointId?: string, readable = false): LgTuple | undefined {
  const row = checkpointId === undefined
    ? store.get(`SELECT ${CHECKPOINT_COLUMNS} FROM lg_checkpoints WHERE thread_id = ? AND ns = ? ORDER BY checkpoint_id DESC LIMIT 1`, [thread, ns])
    : store.get(`SELECT ${CHECKPOINT_COLUMNS} FROM lg_checkpoints WHERE thread_id = ? AND ns = ? AND checkpoint_id = ?`, [thread, ns, checkpointId]);
  return row && toTuple(store, log, row, readable);
}

/**
 * The newest `limit` checkpoints of every thread, newest first, without their values: what a list
 * of them shows. `tasks`: the task paths of the writes stored against each (what ran from it).
 */
export function listSummaries(store: Store, log: Logger, limit: number): LgSummary[] {
  const out: LgSummary[] = [];
  for (const r of store.all(`SELECT thread_id, ns, checkpoint_id, parent_id, metadata, created_at FROM lg_checkpoints
    ORDER BY checkpoint_id DESC, thread_id, ns LIMIT ?`, [limit])) {
    const metadata = parseObject(r.metadata);
    if (!metadata) {
      log.warn(`[langgraph] skipped LangGraph checkpoint ${String(r.thread_id)}/${String(r.checkpoint_id)}: its stored metadata is malformed`);
      continue;
    }
    const key = [String(r.thread_id), String(r.ns), String(r.checkpoint_id)];
    out.push({
      thread_id: key[0], checkpoint_ns: key[1], checkpoint_id: key[2],
      parent_checkpoint_id: r.parent_id === null || r.parent_id === undefined ? null : String(r.parent_id),
      created_at: String(r.created_at), metadata,
      task_paths: store.all('SELECT DISTINCT task_path FROM lg_writes WHERE thread_id = ? AND ns = ? AND checkpoint_id = ? ORDER BY task_path', key)
        .map(w => String(w.task_path)),
    });
  }
  return out;
}

/** Newest first (checkpoint ids sort by time); the metadata filter is applied before the limit. */
export function listTuples(store: Store, log: Logger, q: LgListQuery): LgTuple[] {
  const where: string[] = [];
  const params: string[] = [];
  if (q.thread_id !== undefined) { where.push('thread_id = ?'); params.push(q.thread_id); }
  if (q.checkpoint_ns !== undefined) { where.push('ns = ?'); params.push(q.checkpoint_ns); }
  if (q.checkpoint_id !== undefined) { where.push('checkpoint_id = ?'); params.push(q.checkpoint_id); }
  if (q.before !== undefined) { where.push('checkpoint_id < ?'); params.push(q.before); }
  const sql = `SELECT ${CHECKPOINT_COLUMNS} FROM lg_checkpoints ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY checkpoint_id DESC, thread_id, ns`;
  const out: LgTuple[] = [];
  const limit = q.limit ?? Infinity;
  for (const row of store.all(sql, params)) {
    if (out.length >= limit) break;
    const t = toTuple(store, log, row, q.readable === true);
    if (t && (q.filter === undefined || matches(t.metadata, q.filter))) out.push(t);
  }
  return out;
}

/** Every key of `filter` is in `metadata` with an equal value. */
function matches(metadata: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([k, v]) => Object.hasOwn(metadata, k) && deepEqual(metadata[k], v));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every(k => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function toTuple(store: Store, log: Logger, r: Row, readable: boolean): LgTuple | undefined {
  const typed = (type: string, bytes: Uint8Array) => ({ type, data: base64(bytes), ...(readable ? render(type, bytes) : {}) });
  const where = `LangGraph checkpoint ${String(r.thread_id)}/${String(r.checkpoint_id)}`;
  const versions = parseObject(r.channel_versions);
  const metadata = parseObject(r.metadata);
  if (!(r.data instanceof Uint8Array) || !versions || !metadata || typeof r.type !== 'string') {
    log.warn(`[langgraph] skipped ${where}: its stored row is malformed`);
    return undefined;
  }
  const thread = String(r.thread_id);
  const ns = String(r.ns);
  const id = String(r.checkpoint_id);
  const channelValues: LgBlob[] = [];
  const channelVersions: Record<string, number | string> = {};
  for (const [channel, v] of Object.entries(versions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (typeof v !== 'number' && typeof v !== 'string') continue;
    Object.defineProperty(channelVersions, channel, { value: v, enumerable: true, writable: true, configurable: true });
    const version = JSON.stringify(v);
    const b = store.get('SELECT type, data FROM lg_blobs WHERE thread_id = ? AND ns = ? AND channel = ? AND version = ?', [thread, ns, channel, version]);
    if (!b || b.type === 'empty') continue;
    if (!(b.data instanceof Uint8Array) || typeof b.type !== 'string') {
      log.warn(`[langgraph] ${where}: the stored value of channel ${channel} is malformed; left out`);
      continue;
    }
    channelValues.push({ channel, version, ...typed(b.type, b.data) });
  }
  const writes: LgPendingWrite[] = [];
  // The order live execution applies a superstep's writes in: (task_path, task_id, idx), by code point.
  for (const w of store.all(`SELECT task_id, task_path, idx, channel, type, data FROM lg_writes
    WHERE thread_id = ? AND ns = ? AND checkpoint_id = ? ORDER BY task_path, task_id, idx`, [thread, ns, id])) {
    if (!(w.data instanceof Uint8Array) || typeof w.type !== 'string') {
      log.warn(`[langgraph] ${where}: a stored pending write of task ${String(w.task_id)} is malformed; left out`);
      continue;
    }
    writes.push({ task_id: String(w.task_id), task_path: String(w.task_path), idx: Number(w.idx), channel: String(w.channel), ...typed(w.type, w.data) });
  }
  return {
    thread_id: thread, checkpoint_ns: ns, checkpoint_id: id,
    parent_checkpoint_id: r.parent_id === null || r.parent_id === undefined ? null : String(r.parent_id),
    created_at: String(r.created_at), checkpoint: typed(r.type, r.data),
    channel_versions: channelVersions, metadata, channel_values: channelValues, pending_writes: writes,
  };
}

/** `{ json }` for a JSON value of a readable size, else nothing. */
function render(type: string, bytes: Uint8Array): { json?: unknown } {
  if (type !== 'json' || bytes.length > MAX_READABLE_BYTES) return {};
  try {
    return { json: JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as unknown };
  } catch {
    return {};
  }
}

function parseObject(v: unknown): Record<string, unknown> | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    const o: unknown = JSON.parse(v);
    return isPlainObject(o) ? o : undefined;
  } catch {
    return undefined;
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
