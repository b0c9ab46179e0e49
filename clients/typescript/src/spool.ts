// spool.jsonl: where writes go while the server cannot be reached, in the format and with the
// protocol the Python client uses (clients/python/README.md, "Spool format"); the server takes a
// spool in at start, clients send it before their next request.
//
// Appends: one write() with O_APPEND, fsync, then a check that the path still names the file
// written to (a flush renames the spool away; a line that may have been missed is written again,
// its event_id makes a second copy harmless). A flush renames spool.jsonl to
// spool.sending.<pid>.jsonl, sends it in batches and deletes it once every batch got a 2xx.
import * as fs from 'fs';
import * as path from 'path';
import type { BatchEvent } from './types.js';

export const SPOOL_FILE = 'spool.jsonl';
export const REJECTED_FILE = 'spool.rejected.jsonl';
const SENDING = /^spool\.sending\.(\d+)\.jsonl$/;
const BATCH_MAX_EVENTS = 500;
const BATCH_MAX_BYTES = 512 * 1024;

export type SpooledEvent = BatchEvent & { event_id: string };

export class Spool {
  readonly file: string;
  readonly rejectedFile: string;

  constructor(readonly folder: string) {
    this.file = path.join(folder, SPOOL_FILE);
    this.rejectedFile = path.join(folder, REJECTED_FILE);
  }

  /** Appends the lines (one batch, one write) durably. */
  append(text: string): void {
    appendDurably(this.folder, this.file, text);
  }

  /** Spool files to send, oldest first: those left by a failed flush (ours, or a dead process's). */
  leftovers(): string[] {
    return filesOfGoneProcesses(this.folder, SENDING);
  }

  hasPending(): boolean {
    return this.leftovers().length > 0 || size(this.file) > 0;
  }

  /** Events waiting, in every spool file. */
  pending(): number {
    return [...this.leftovers(), this.file].reduce((n, f) => n + readEvents(f).events.length, 0);
  }

  /** Renames spool.jsonl aside for sending; undefined when there is none (or another took it). */
  take(): string | undefined {
    const mine = path.join(this.folder, `spool.sending.${process.pid}.jsonl`);
    try {
      fs.renameSync(this.file, mine);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    syncDir(this.folder);
    return mine;
  }

  /** Sends one taken file batch by batch and deletes it once all are acknowledged. */
  async send(file: string, post: (events: SpooledEvent[]) => Promise<void>, onRefused: RefusedHandler): Promise<number> {
    const { events, exists } = readEvents(file);
    if (!exists) return 0; // sent by another manager of this process
    for (const batch of batches(events)) {
      try {
        await post(batch);
      } catch (e) {
        if (!isBadRequest(e)) throw e; // unreachable or failing: the file stays for next time
        // One bad event must not block the rest forever: keep it aside, with the reason.
        for (const event of batch) {
          try {
            await post([event]);
          } catch (e2) {
            if (!isBadRequest(e2)) throw e2;
            this.reject(event, e2 as RefusedError);
            onRefused(event, e2 as RefusedError);
          }
        }
      }
    }
    try {
      fs.unlinkSync(file);
    } catch {
      // removed by another manager of this process
    }
    syncDir(this.folder);
    return events.length;
  }

  private reject(event: SpooledEvent, e: RefusedError): void {
    const line = JSON.stringify({ event, error: { code: e.code, field: e.field ?? null, message: e.message } }) + '\n';
    const fd = fs.openSync(this.rejectedFile, 'a', 0o600);
    try {
      writeAll(fd, Buffer.from(line));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

interface RefusedError { status: number; code: string; field?: string; message: string }
type RefusedHandler = (event: SpooledEvent, error: RefusedError) => void;

function isBadRequest(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { status?: unknown }).status === 400;
}

function readEvents(file: string): { events: SpooledEvent[]; exists: boolean } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { events: [], exists: false };
  }
  const events: SpooledEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as SpooledEvent;
      if (e && typeof e === 'object' && e.type) events.push(e);
    } catch {
      // A torn line from a process killed mid-append: that call never returned, skip it.
    }
  }
  return { events, exists: true };
}

function* batches(events: SpooledEvent[]): Generator<SpooledEvent[]> {
  let current: SpooledEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    const n = Buffer.byteLength(JSON.stringify(e));
    if (current.length && (current.length >= BATCH_MAX_EVENTS || bytes + n > BATCH_MAX_BYTES)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += n;
  }
  if (current.length) yield current;
}

/**
 * Creates the folder (and missing parents) as 0700 whatever the umask: it holds the orchestrator's
 * records. Folders that exist are left as they are.
 */
export function ensurePrivateDir(folder: string): void {
  const first = fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  // mkdir's mode is masked by the umask: set it on each folder made here, from the first one down.
  for (let dir = path.resolve(folder); ; dir = path.dirname(dir)) {
    fs.chmodSync(dir, 0o700);
    if (dir === path.resolve(first) || path.dirname(dir) === dir) break;
  }
}

function size(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function writeAll(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length;) off += fs.writeSync(fd, data, off);
}

/**
 * Appends `text` to `file` in `folder` durably: one write() with O_APPEND, fsync, then a check that
 * the path still names the file written to (a flush may have renamed it away meanwhile).
 */
export function appendDurably(folder: string, file: string, text: string): void {
  ensurePrivateDir(folder);
  for (;;) {
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
    let same: boolean;
    try {
      let data = Buffer.from(text, 'utf8');
      // A process killed mid-append left a torn line: end it, so ours parses.
      const size = fs.fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        fs.readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) data = Buffer.concat([Buffer.from('\n'), data]);
      }
      writeAll(fd, data);
      fs.fsyncSync(fd);
      const mine = fs.fstatSync(fd);
      try {
        const now = fs.statSync(file);
        same = now.ino === mine.ino && now.dev === mine.dev;
      } catch {
        same = false;
      }
    } finally {
      fs.closeSync(fd);
    }
    if (same) break;
  }
  syncDir(folder);
}

export function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Files in `folder` whose name (`pattern`, the pid its first group) is this process's or a dead one's, oldest first. */
export function filesOfGoneProcesses(folder: string, pattern: RegExp): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return [];
  }
  const found: { at: number; file: string }[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || (Number(m[1]) !== process.pid && pidAlive(Number(m[1])))) continue;
    try {
      found.push({ at: fs.statSync(path.join(folder, name)).mtimeMs, file: path.join(folder, name) });
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a.at - b.at).map(f => f.file);
}

export function pidAlive(pid: number): boolean {
  if (process.platform === 'win32') return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
