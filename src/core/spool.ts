import * as path from 'path';
import { listDir, readFileIfExists, unlinkDurable, writeFileAtomic } from './atomicFile';
import { defaultIsProcessAlive } from './crashMarker';
import type { ContextEngineApi } from './engineApi';
import { ValidationError } from './errors';
import type { FileSystemPort, Logger } from './ports';
import { privateFileProblem } from './privateFile';
import { parseSpoolLine } from './spoolTrust';
import type { SpoolResult } from './intake';
import type { BatchEvent } from './types';
import { MAX_BATCH_EVENTS } from './validate';

// Clients that cannot reach the server append events to spool.jsonl (one POST /events entry a
// line, each with an event_id; see clients/python/README.md). The server takes them in at start.

export const SPOOL_FILE = 'spool.jsonl';
const REPLAYING = 'spool.replaying.jsonl';
const REJECTED = 'spool.rejected.jsonl';
/** Where a spool not taken in (another user's, or open to others) is moved, kept for a look; no client reads it. */
const untrustedName = (name: string, ms: number) => `untrusted.${ms}.${name}`;
/** Lines refused one by one in the log, per file; the rest are counted. */
const LOGGED_LINES = 10;
/** A spool a client took by rename to send it (clients/python, clients/typescript): spool.sending.<pid>.jsonl. */
const SENDING = /^spool\.sending\.(\d+)\.jsonl$/;

export type { SpoolResult } from './intake';

/**
 * Moves the spool aside (a client that appends meanwhile sees the rename and writes to a new
 * spool), stores its events (event ids make a second delivery harmless), sets refused ones aside
 * in spool.rejected.jsonl, and deletes the file only once everything in it is durable.
 */
export async function ingestSpool(
  engine: ContextEngineApi, fs: FileSystemPort, log: Logger, isAlive: (pid: number) => boolean = defaultIsProcessAlive,
): Promise<SpoolResult> {
  const folder = engine.folder;
  const result: SpoolResult = { accepted: 0, duplicates: 0, rejected: 0, unreadable_lines: 0 };
  const replaying = path.join(folder, REPLAYING);
  // A client killed while sending leaves the spool it took; a live one is still sending it.
  const orphans = (await listDir(fs, folder)).filter(f => {
    const m = SENDING.exec(f);
    return m !== null && !isAlive(Number(m[1]));
  });
  // A spool left half-ingested by a crash comes first; then those of dead senders; then the current one.
  for (const source of [REPLAYING, ...orphans, SPOOL_FILE]) {
    const from = path.join(folder, source);
    if (!(await trusted(fs, log, folder, source))) continue;
    if (source !== REPLAYING) {
      if (!(await readFileIfExists(fs, from))) continue;
      await fs.rename(from, replaying);
      await fs.syncDir(folder);
    }
    const bytes = await readFileIfExists(fs, replaying);
    if (!bytes) continue;
    const events: BatchEvent[] = [];
    const rejected: string[] = [];
    let n = 0;
    for (const line of Buffer.from(bytes).toString('utf8').split('\n')) {
      n++;
      if (!line.trim()) continue;
      const parsed = parseSpoolLine(line);
      if (parsed.kind === 'event') events.push(parsed.event);
      else if (parsed.kind === 'torn') result.unreadable_lines++;
      else {
        if (rejected.length < LOGGED_LINES) log.warn(`[spool] ${source} line ${n} refused: ${parsed.reason}`);
        rejected.push(JSON.stringify({ event: parsed.raw, error: { code: 'invalid', field: parsed.field, message: parsed.reason } }));
      }
    }
    for (let i = 0; i < events.length; i += MAX_BATCH_EVENTS) {
      const chunk = events.slice(i, i + MAX_BATCH_EVENTS);
      try {
        const r = await engine.writeBatch(chunk);
        result.accepted += r.accepted;
        result.duplicates += r.duplicates;
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        // One bad line must not hold back the rest: store the chunk one event at a time.
        for (const ev of chunk) {
          try {
            const r = await engine.writeBatch([ev]);
            result.accepted += r.accepted;
            result.duplicates += r.duplicates;
          } catch (e2) {
            if (!(e2 instanceof ValidationError)) throw e2;
            rejected.push(JSON.stringify({ event: ev, error: { code: 'invalid', field: e2.field, message: e2.message } }));
          }
        }
      }
    }
    if (rejected.length) {
      const file = path.join(folder, REJECTED);
      const before = (await readFileIfExists(fs, file)) ?? new Uint8Array();
      await writeFileAtomic(fs, file, Buffer.concat([Buffer.from(before), Buffer.from(rejected.join('\n') + '\n')]));
      result.rejected += rejected.length;
      log.warn(`[spool] ${rejected.length} spooled events were refused; they are kept in ${REJECTED}`);
    }
    await unlinkDurable(fs, replaying);
  }
  if (result.accepted || result.duplicates || result.rejected) {
    log.info(`[spool] took in ${result.accepted} spooled events (${result.duplicates} already stored, ${result.rejected} refused)`);
  }
  return result;
}

/**
 * Whether a spool file may be taken in: only one private to this user (clients create it 0600).
 * Another is moved aside, never deleted, so the name is free for a genuine client's spool; the
 * log says why.
 */
async function trusted(fs: FileSystemPort, log: Logger, folder: string, name: string): Promise<boolean> {
  const file = path.join(folder, name);
  let reason: string | undefined;
  try {
    reason = privateFileProblem(await fs.stat(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  if (reason === undefined) return true;
  const aside = untrustedName(name, Date.now());
  try {
    await fs.rename(file, path.join(folder, aside));
    log.warn(`[spool] ${name} not taken in: ${reason}; moved to ${aside}`);
  } catch (e) {
    log.warn(`[spool] ${name} not taken in: ${reason}; left in place (${(e as Error).message})`);
  }
  return false;
}
