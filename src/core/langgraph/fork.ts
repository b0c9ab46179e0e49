// Time travel chosen outside the graph: a new checkpoint, the newest of its thread's namespace,
// made from a chosen one, so the thread's next `invoke(null, { thread_id })` continues from that
// step: its tasks run again (their ids derive from the checkpoint's id, so the old step's pending
// writes cannot be matched to them, as after LangGraph's own updateState). With edits, the edited
// channels get new JSON values at a version above every other, as updateState bumps them, so the
// graph reads the edit. The checkpoint itself must have
// been written by LangGraph's JSON serializer (the JavaScript one): its id is inside it.
import { randomBytes } from 'crypto';
import { NotFoundError, ValidationError } from '../errors';
import { isPlainObject } from '../validate';
import type { LgBlob, LgCheckpointInput, LgTuple } from './types';

export interface LgForkInput {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  /** Channel → new value (JSON); only channels whose stored value is JSON (or that have none). */
  values?: Record<string, unknown>;
}

/**
 * The put that makes the fork. `newest`: the namespace's newest checkpoint id; `topVersion`: the
 * highest numeric version any value of the namespace has (an edit's version must be new: a later
 * step of the old run may already hold the version above the chosen checkpoint's).
 */
export function buildFork(from: LgTuple | undefined, input: LgForkInput, newest: string, topVersion: number, nowMs: number): LgCheckpointInput {
  if (!from) throw new NotFoundError('checkpoint_id', `no LangGraph checkpoint ${input.checkpoint_id} in thread ${input.thread_id}`);
  if (from.checkpoint.type !== 'json') {
    throw new ValidationError('checkpoint_id', `this checkpoint was written by the ${from.checkpoint.type} serializer: only checkpoints of LangGraph's JSON serializer (JavaScript) can be forked here`);
  }
  const checkpoint = JSON.parse(Buffer.from(from.checkpoint.data, 'base64').toString('utf8')) as unknown;
  if (!isPlainObject(checkpoint)) throw new ValidationError('checkpoint_id', 'the stored checkpoint is not a JSON object');
  const id = nextCheckpointId(newest, nowMs);
  const versions = { ...from.channel_versions };
  const edits = Object.entries(input.values ?? {});
  const blobs: LgBlob[] = [];
  if (edits.length > 0) {
    const all = Object.values(versions);
    if (all.some(v => typeof v !== 'number')) throw new ValidationError('values', 'this thread numbers its channel versions with strings: its values cannot be edited here');
    const next = Math.max(topVersion, ...(all as number[])) + 1;
    for (const [channel, value] of edits) {
      const stored = from.channel_values.find(b => b.channel === channel);
      if (stored && stored.type !== 'json') throw new ValidationError(`values.${channel}`, `holds a ${stored.type} value, which is shown read-only`);
      Object.defineProperty(versions, channel, { value: next, enumerable: true, writable: true, configurable: true });
      blobs.push({ channel, version: JSON.stringify(next), type: 'json', data: Buffer.from(JSON.stringify(value)).toString('base64') });
    }
  }
  const body = { ...checkpoint, id, ts: new Date(nowMs).toISOString(), channel_versions: versions };
  const step = typeof from.metadata.step === 'number' ? from.metadata.step : -1;
  const put: LgCheckpointInput = {
    thread_id: from.thread_id, checkpoint_ns: from.checkpoint_ns, checkpoint_id: id, parent_checkpoint_id: from.checkpoint_id,
    checkpoint: { type: 'json', data: Buffer.from(JSON.stringify(body)).toString('base64') },
    channel_versions: versions,
    metadata: { ...from.metadata, source: edits.length > 0 ? 'update' : 'fork', step: edits.length > 0 ? step + 1 : step },
    blobs,
  };
  return put;
}

/**
 * A version 6 UUID (time-ordered, as LangGraph's checkpoint ids are) for `nowMs`, or, when the
 * clock is behind the namespace's newest id, that id plus one: the fork must sort after it.
 */
export function nextCheckpointId(newest: string, nowMs: number): string {
  const fromClock = uuid6(nowMs);
  const hex = newest.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex) || fromClock > newest.toLowerCase()) return fromClock;
  const n = (BigInt('0x' + hex) + 1n).toString(16).padStart(32, '0');
  return `${n.slice(0, 8)}-${n.slice(8, 12)}-${n.slice(12, 16)}-${n.slice(16, 20)}-${n.slice(20)}`;
}

function uuid6(nowMs: number): string {
  // 100 ns intervals since 1582-10-15, the most significant bits first.
  const t = (BigInt(nowMs) + 12219292800000n) * 10000n;
  const hex = t.toString(16).padStart(15, '0');
  const rand = randomBytes(8).toString('hex');
  const variant = ((parseInt(rand.slice(0, 1), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-6${hex.slice(12, 15)}-${variant}${rand.slice(1, 4)}-${rand.slice(4, 16)}`;
}
