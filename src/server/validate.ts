// What is HTTP in a request: the body's shape, path segments and query strings. The content of a
// write is checked by the core's validator (src/core/validate.ts), the one the engine uses, so a
// request and a spooled event meet the same rules. Every problem is a 400 naming the field, found
// before anything is written.
import {
  checkBatch, checkBoolean, checkCleanupDays, checkId, checkLabel, checkLimit, checkTaskStatus, checkTime, isPlainObject,
  MAX_LIST_LIMIT,
} from '../core/validate';
import type { Json, JsonObject, ListQuery, TaskStatus, BatchEvent } from '../core/types';
import { fieldError } from './http';

type Obj = { [key: string]: Json | undefined };

export function requireObject(v: Json | undefined, field: string): Obj {
  if (v === undefined) throw fieldError(field, 'a JSON object is required');
  if (!isPlainObject(v)) throw fieldError(field, 'must be a JSON object');
  return v as JsonObject;
}

/** A body that may be left out (e.g. POST /checkpoint): missing counts as `{}`. */
export function optionalObject(v: Json | undefined, field: string): Obj {
  return v === undefined ? {} : requireObject(v, field);
}

/** POST /events: `{ events: [...] }`; every entry is checked before the engine sees any of them. */
export function batch(body: Obj): BatchEvent[] {
  return checkBatch(body.events, 'events');
}

/** POST /cleanup: `{ older_than_days, dry_run? }` in the engine's terms. */
export function cleanupInput(o: Obj): { olderThanDays: number; dryRun: boolean } {
  return {
    olderThanDays: checkCleanupDays('older_than_days', o.older_than_days),
    dryRun: o.dry_run === undefined ? false : checkBoolean('dry_run', o.dry_run),
  };
}

export function optionalLabel(o: Obj): string | undefined {
  return checkLabel('label', o.label);
}

/** Query string parameters; a parameter given twice is refused rather than guessed at. */
export class Query {
  constructor(private readonly params: URLSearchParams) {}

  get(name: string): string | undefined {
    const all = this.params.getAll(name);
    if (all.length > 1) throw fieldError(name, 'given more than once');
    return all[0];
  }

  limit(defaultLimit: number, max = MAX_LIST_LIMIT): number {
    const raw = this.get('limit');
    if (raw === undefined) return defaultLimit;
    // Digits only: `1e3` or ` 5` in a query string are typing mistakes, not numbers.
    if (!/^\d{1,6}$/.test(raw)) throw fieldError('limit', `must be an integer from 1 to ${max}`);
    return checkLimit(Number(raw), 'limit', defaultLimit, max);
  }

  id(name: string): string | undefined {
    const raw = this.get(name);
    return raw === undefined ? undefined : checkId(name, raw);
  }

  since(): string | undefined {
    const raw = this.get('since');
    return raw === undefined ? undefined : checkTime('since', raw);
  }

  /** `true` or `false`; anything else is refused. */
  flag(name: string): boolean | undefined {
    const raw = this.get(name);
    if (raw === undefined) return undefined;
    if (raw !== 'true' && raw !== 'false') throw fieldError(name, 'must be true or false');
    return raw === 'true';
  }

  status(): TaskStatus | undefined {
    const raw = this.get('status');
    return raw === undefined ? undefined : checkTaskStatus('status', raw);
  }

  listQuery(defaultLimit: number, filters: ('agent_id' | 'task_id')[]): ListQuery {
    const q: ListQuery = { limit: this.limit(defaultLimit) };
    const since = this.since();
    if (since !== undefined) q.since = since;
    for (const f of filters) {
      const v = this.id(f);
      if (v !== undefined) q[f] = v;
    }
    return q;
  }
}

/** A path segment, percent-decoded, as an id. */
export function pathId(segment: string, field: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw fieldError(field, 'malformed percent-encoding');
  }
  return checkId(field, decoded);
}

export function checkpointId(segment: string): number {
  return positiveId(segment, 'checkpoint_id');
}

/** A numeric id in the path (checkpoints, alerts). */
export function positiveId(segment: string, field: string): number {
  if (!/^\d{1,15}$/.test(segment)) throw fieldError(field, 'must be a positive integer');
  const n = Number(segment);
  if (n < 1) throw fieldError(field, 'must be a positive integer');
  return n;
}
