// Checks of LangGraph input: everything a put or a read names is checked before it is journaled,
// since a bad record would poison every replay.
import { ValidationError } from '../errors';
import { checkStorable, isPlainObject, MAX_ID_LENGTH, MAX_LIST_LIMIT } from '../validate';
import type { LgForkInput } from './fork';
import type { LgBlob, LgCheckpointInput, LgListQuery, LgPruneStrategy, LgTyped, LgWrite, LgWritesInput } from './types';

/** Bytes of one value, decoded: what one request may carry anyway. */
export const MAX_LG_VALUE_BYTES = 64 * 1024 * 1024;
export const MAX_LG_ITEMS = 10_000;
const MAX_TYPE_LENGTH = 64;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A key of ours (thread, namespace, checkpoint, task, channel); `empty` allows "" (the root namespace). */
export function checkLgKey(field: string, v: unknown, empty = false): string {
  if (v === undefined) throw new ValidationError(field, 'is required');
  if (typeof v !== 'string') throw new ValidationError(field, 'must be a string');
  if (v.length === 0 && !empty) throw new ValidationError(field, 'must not be empty');
  if (v.length > MAX_ID_LENGTH * 4) throw new ValidationError(field, `must be at most ${MAX_ID_LENGTH * 4} characters`);
  checkStorable(field, v);
  return v;
}

function checkTyped(field: string, v: unknown): LgTyped {
  if (!isPlainObject(v)) throw new ValidationError(field, 'must be a JSON object { type, data }');
  if (typeof v.type !== 'string' || v.type.length === 0 || v.type.length > MAX_TYPE_LENGTH || !/^[\x21-\x7e]+$/.test(v.type)) {
    throw new ValidationError(`${field}.type`, `must be a serializer type name (1 to ${MAX_TYPE_LENGTH} printable characters)`);
  }
  if (typeof v.data !== 'string' || v.data.length % 4 !== 0 || !BASE64.test(v.data)) {
    throw new ValidationError(`${field}.data`, 'must be base64 (standard alphabet, padded)');
  }
  if ((v.data.length / 4) * 3 > MAX_LG_VALUE_BYTES) throw new ValidationError(`${field}.data`, `must decode to at most ${MAX_LG_VALUE_BYTES} bytes`);
  return { type: v.type, data: v.data };
}

function checkVersion(field: string, v: unknown): number | string {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') return checkLgKey(field, v);
  throw new ValidationError(field, 'must be a finite number or a string');
}

function checkArray(field: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new ValidationError(field, 'must be an array');
  if (v.length > MAX_LG_ITEMS) throw new ValidationError(field, `must hold at most ${MAX_LG_ITEMS} entries`);
  return v;
}

function checkObject(field: string, v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) throw new ValidationError(field, 'must be a JSON object');
  checkStorable(field, v);
  return v;
}

function nullableKey(field: string, v: unknown): string | null {
  return v === undefined || v === null ? null : checkLgKey(field, v);
}

export function checkLgCheckpoint(raw: unknown): LgCheckpointInput {
  const o = checkObject('body', raw);
  const versions = checkObject('channel_versions', o.channel_versions);
  const channelVersions: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(versions)) {
    checkLgKey('channel_versions', k);
    Object.defineProperty(channelVersions, k, { value: checkVersion(`channel_versions.${k}`, v), enumerable: true, writable: true, configurable: true });
  }
  const blobs = checkArray('blobs', o.blobs ?? []).map((b, i): LgBlob => {
    const f = `blobs[${i}]`;
    if (!isPlainObject(b)) throw new ValidationError(f, 'must be a JSON object');
    return { channel: checkLgKey(`${f}.channel`, b.channel), version: checkVersionText(`${f}.version`, b.version), ...checkTyped(f, b) };
  });
  return {
    thread_id: checkLgKey('thread_id', o.thread_id),
    checkpoint_ns: checkLgKey('checkpoint_ns', o.checkpoint_ns ?? '', true),
    checkpoint_id: checkLgKey('checkpoint_id', o.checkpoint_id),
    parent_checkpoint_id: nullableKey('parent_checkpoint_id', o.parent_checkpoint_id),
    checkpoint: checkTyped('checkpoint', o.checkpoint),
    channel_versions: channelVersions,
    metadata: checkObject('metadata', o.metadata ?? {}),
    blobs,
  };
}

/** A version as the JSON text of a number or a string (how blobs are keyed). */
function checkVersionText(field: string, v: unknown): string {
  if (typeof v !== 'string') throw new ValidationError(field, 'must be the JSON text of the version');
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new ValidationError(field, 'must be the JSON text of the version');
  }
  checkVersion(field, parsed);
  return JSON.stringify(parsed);
}

export function checkLgWrites(raw: unknown): LgWritesInput {
  const o = checkObject('body', raw);
  const seen = new Set<number>();
  const writes = checkArray('writes', o.writes).map((w, i): LgWrite => {
    const f = `writes[${i}]`;
    if (!isPlainObject(w)) throw new ValidationError(f, 'must be a JSON object');
    if (typeof w.idx !== 'number' || !Number.isSafeInteger(w.idx)) throw new ValidationError(`${f}.idx`, 'must be an integer');
    if (seen.has(w.idx)) throw new ValidationError(`${f}.idx`, 'is given twice');
    seen.add(w.idx);
    return { idx: w.idx, channel: checkLgKey(`${f}.channel`, w.channel), ...checkTyped(f, w) };
  });
  return {
    thread_id: checkLgKey('thread_id', o.thread_id),
    checkpoint_ns: checkLgKey('checkpoint_ns', o.checkpoint_ns ?? '', true),
    checkpoint_id: checkLgKey('checkpoint_id', o.checkpoint_id),
    task_id: checkLgKey('task_id', o.task_id),
    task_path: checkLgKey('task_path', o.task_path ?? '', true),
    writes,
  };
}

/** POST /langgraph/fork. */
export function checkLgFork(raw: unknown): LgForkInput {
  const o = checkObject('body', raw);
  const out: LgForkInput = {
    thread_id: checkLgKey('thread_id', o.thread_id),
    checkpoint_ns: checkLgKey('checkpoint_ns', o.checkpoint_ns ?? '', true),
    checkpoint_id: checkLgKey('checkpoint_id', o.checkpoint_id),
  };
  if (o.values !== undefined) {
    const values = checkObject('values', o.values);
    for (const k of Object.keys(values)) checkLgKey('values', k);
    out.values = values;
  }
  return out;
}

export function checkLgKeys(field: string, v: unknown): string[] {
  return checkArray(field, v).map((x, i) => checkLgKey(`${field}[${i}]`, x));
}

export function checkLgStrategy(v: unknown): LgPruneStrategy {
  const s = v ?? 'keep_latest';
  if (s !== 'keep_latest' && s !== 'delete') throw new ValidationError('strategy', 'must be "keep_latest" or "delete"');
  return s;
}

export function checkLgListQuery(q: LgListQuery): LgListQuery {
  const out: LgListQuery = {};
  if (q.thread_id !== undefined) out.thread_id = checkLgKey('thread_id', q.thread_id);
  if (q.checkpoint_ns !== undefined) out.checkpoint_ns = checkLgKey('checkpoint_ns', q.checkpoint_ns, true);
  if (q.checkpoint_id !== undefined) out.checkpoint_id = checkLgKey('checkpoint_id', q.checkpoint_id);
  if (q.before !== undefined) out.before = checkLgKey('before', q.before);
  if (q.limit !== undefined) {
    if (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > MAX_LIST_LIMIT) throw new ValidationError('limit', `must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    out.limit = q.limit;
  }
  if (q.filter !== undefined) out.filter = checkObject('filter', q.filter);
  if (q.readable !== undefined) out.readable = q.readable === true;
  return out;
}
