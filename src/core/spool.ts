import * as path from 'path';
import { listDir, readFileIfExists, unlinkDurable, writeFileAtomic } from './atomicFile';
import { defaultIsProcessAlive } from './crashMarker';
import type { ContextEngineApi } from './engineApi';
import { ValidationError } from './errors';
import type { FileSystemPort, Logger } from './ports';
import type { SpoolResult } from './intake';
import type { BatchEvent } from './types';
import { MAX_BATCH_EVENTS } from './validate';

// Clients that cannot reach the server append events to spool.jsonl (one POST /events entry a
// line, each with an event_id; see clients/python/README.md). The server takes them in at start.

export const SPOOL_FILE = 'spool.jsonl';
const REPLAYING = 'spool.replaying.jsonl';
const REJECTED = 'spool.rejected.jsonl';
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
    if (source !== REPLAYING) {
      if (!(await readFileIfExists(fs, from))) continue;
      await fs.rename(from, replaying);
      await fs.syncDir(folder);
    }
    const bytes = await readFileIfExists(fs, replaying);
    if (!bytes) continue;
    const events: BatchEvent[] = [];
    for (const line of Buffer.from(bytes).toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as BatchEvent);
      } catch {
        result.unreadable_lines++; // a client killed mid-append: its call never returned
      }
    }
    const rejected: string[] = [];
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
