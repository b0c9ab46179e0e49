import { randomUUID } from 'crypto';
import type { IdCounters } from './store';

// A store's history. Sequence numbers and row ids are unique only within one history: a store
// loaded from an older image, started empty over an older history, or found restored from a copy
// starts a new one (an epoch), recorded in the journal before its first record. Replication keys
// every record by its epoch, so nothing written after a fork can collide with what came before.

export interface Epoch {
  /** '' is the history every store starts with (and every record written before epochs existed). */
  id: string;
  /** The last sequence number before the epoch's first record. */
  after: number;
  at: string;
  reason: string;
}

export const INITIAL_EPOCH = '';

export const newEpochId = (): string => randomUUID();

/** Epochs as kept in the meta table; a damaged value reads as none (the initial history). */
export function parseEpochs(text: string | undefined): Epoch[] {
  if (!text) return [];
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter((e): e is Epoch => !!e && typeof e === 'object' && typeof (e as Epoch).id === 'string'
      && Number.isSafeInteger((e as Epoch).after) && (e as Epoch).after >= 0
      && typeof (e as Epoch).at === 'string' && typeof (e as Epoch).reason === 'string');
  } catch {
    return [];
  }
}

/**
 * The epoch record `seq` belongs to: the newest epoch that starts before it. Sequence numbers are
 * never reused within one folder (a fork continues past the highest one seen), so this is exact.
 */
export function epochOf(epochs: readonly Epoch[], seq: number): string {
  for (let i = epochs.length - 1; i >= 0; i--) if (epochs[i].after < seq) return epochs[i].id;
  return INITIAL_EPOCH;
}

/** Id high-water marks as carried by a journal's base record; anything else reads as unknown. */
export function parseIds(v: unknown): IdCounters | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const keys: (keyof IdCounters)[] = ['span', 'decision', 'message', 'task_event', 'snapshot', 'checkpoint'];
  const out = {} as IdCounters;
  for (const k of keys) {
    const n = o[k];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return undefined;
    out[k] = n;
  }
  return out;
}
