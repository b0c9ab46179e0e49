import * as path from 'path';
import { listDir, readFileIfExists, writeFileAtomic } from '../core/atomicFile';
import { decodeJournal, encodeRecord, type JournalRecord } from '../core/journal';
import type { JournalTap } from '../core/journalTap';
import { nodeFileSystem } from '../core/nodeFs';
import type { JournalOp } from '../core/ops';
import type { FileSystemPort } from '../core/ports';

// The outbox: every acknowledged journal record, in order, until PostgreSQL has it. Records come
// from memory while replication keeps up; when the journal is about to be emptied (compaction),
// the records not yet replicated are copied into segment files under team/outbox/ first, so
// compaction never discards them. After a crash, a long outage or a restart the same records are
// read back from those segments and the journal file. The position (the last record PostgreSQL
// committed) is kept in team/position.json and only moves after PostgreSQL's commit. Every file
// goes through the engine's file system port, so the power-cut simulator can cut them too.

export const TEAM_DIR = 'team';
export const OUTBOX_DIR = 'outbox';
export const POSITION_FILE = 'position.json';
/** Records PostgreSQL refused for their content: kept, counted, shown, and sent again after an upgrade. */
export const ASIDE_FILE = 'aside.jsonl';

export interface AsideRecord {
  epoch: string;
  seq: number;
  op: JournalOp;
  error: string;
  at: string;
  /** The replication format that refused it (a later one tries again). */
  format: number;
}

export interface OutRecord {
  seq: number;
  op: JournalOp;
  /** When it was acknowledged (ms since the epoch); undefined when read back from a file. */
  at?: number;
}

/** Records kept in memory at most; beyond, they are read back from the files. */
const MEMORY_LIMIT = 100_000;

const SEGMENT_NAME = /^(\d{16})-(\d{16})\.jsonl$/;
const segmentName = (first: number, last: number): string =>
  `${String(first).padStart(16, '0')}-${String(last).padStart(16, '0')}.jsonl`;

export interface FetchResult {
  records: OutRecord[];
  /** The first record after `from` that exists, when records from `from` on are missing. */
  gapTo?: number;
}

export class Outbox implements JournalTap {
  /** The last acknowledged record. */
  acked = 0;
  /** The last record PostgreSQL committed, as durable here (read by `ready`). */
  position = 0;
  /** team/position.json exists: the folder has replicated before (else its history is backfilled). */
  hasPosition = false;
  private loaded: Promise<void> | undefined;
  private dirsMade = false;
  private memory: OutRecord[] = [];
  private readonly dir: string;
  private readonly segDir: string;
  private journalFile: string | undefined;
  /** The first record of the last read from the files: its time when memory no longer has it. */
  private fileOldest: { seq: number; at: number } | undefined;
  /** Called after each group commit (the replicator wakes up). */
  onCommitted: (() => void) | undefined;

  constructor(readonly folder: string, readonly fs: FileSystemPort = nodeFileSystem) {
    this.dir = path.join(folder, TEAM_DIR);
    this.segDir = path.join(this.dir, OUTBOX_DIR);
  }

  /** Reads the durable position once; everything that needs it waits for this. */
  ready(): Promise<void> {
    return (this.loaded ??= (async () => {
      const bytes = await readFileIfExists(this.fs, path.join(this.dir, POSITION_FILE));
      this.hasPosition = bytes !== undefined;
      this.position = Math.max(this.position, bytes ? parsePosition(bytes) : 0);
    })());
  }

  /** The highest sequence the team files know (the engine continues past it, see history.ts). */
  async highestSeq(): Promise<number> {
    await this.ready();
    return Math.max(this.position, await this.lastSegmentSeq());
  }

  /** The folder takes a new origin: PostgreSQL has nothing of it, so its state is sent first. */
  forgetPosition(): void {
    this.hasPosition = false;
  }

  committed(firstSeq: number, ops: readonly JournalOp[]): void {
    const at = Date.now();
    const last = this.memory[this.memory.length - 1];
    if (last && last.seq + 1 !== firstSeq) this.memory = [];
    for (let i = 0; i < ops.length; i++) this.memory.push({ seq: firstSeq + i, op: ops[i], at });
    this.acked = Math.max(this.acked, firstSeq + ops.length - 1);
    // Bounded: during a long outage the records wait in the journal and the segments instead.
    if (this.memory.length > MEMORY_LIMIT) this.memory = [];
    this.onCommitted?.();
  }

  async beforeReset(journalFile: string, throughSeq: number): Promise<void> {
    this.journalFile = journalFile;
    await this.ready();
    const start = Math.max(this.position, await this.lastSegmentSeq()) + 1;
    if (start > throughSeq) return;
    const keep = (await this.readRecords(journalFile)).filter(r => r.seq >= start && r.seq <= throughSeq);
    if (keep.length === 0) return;
    const text = keep.map(r => encodeRecord(r.seq, r.op)).join('');
    await this.makeDirs();
    await writeFileAtomic(this.fs, path.join(this.segDir, segmentName(keep[0].seq, keep[keep.length - 1].seq)), text);
  }

  /** Up to `max` records from `from` on, in order and without holes, acknowledged ones only. */
  async fetch(from: number, max: number, journalFile: string): Promise<FetchResult> {
    this.journalFile ??= journalFile;
    const m = this.memory;
    if (m.length && m[0].seq <= from) {
      const i = from - m[0].seq;
      return { records: m.slice(i, i + max) };
    }
    // Behind what memory holds: read the segments, then the journal.
    const upTo = m.length ? m[0].seq - 1 : this.acked;
    if (from > upTo) return { records: [] };
    const found = new Map<number, OutRecord>();
    for (const seg of await this.segments()) {
      if (seg.last < from || seg.first > upTo) continue;
      for (const r of await this.readRecords(path.join(this.segDir, seg.name))) {
        if (r.seq >= from && r.seq <= upTo && !found.has(r.seq)) found.set(r.seq, { seq: r.seq, op: r.op });
      }
    }
    for (const r of await this.readRecords(this.journalFile)) {
      if (r.seq >= from && r.seq <= upTo && !found.has(r.seq)) found.set(r.seq, { seq: r.seq, op: r.op });
    }
    const seqs = [...found.keys()].sort((a, b) => a - b);
    if (seqs.length === 0) return m.length ? { records: [], gapTo: m[0].seq } : { records: [] };
    const first = found.get(seqs[0])!;
    if (Number.isFinite(first.op.t)) this.fileOldest = { seq: first.seq, at: first.op.t };
    if (seqs[0] !== from) return { records: [], gapTo: seqs[0] };
    const records: OutRecord[] = [];
    for (let s = from; found.has(s) && records.length < max; s++) records.push(found.get(s)!);
    return { records };
  }

  /** PostgreSQL committed through `seq`: keep that durably, then drop what is no longer needed. */
  async advance(seq: number, writeAnyway = false): Promise<void> {
    await this.ready();
    if (seq <= this.position && !(writeAnyway && !this.hasPosition)) return;
    await this.makeDirs();
    await writeFileAtomic(this.fs, path.join(this.dir, POSITION_FILE), JSON.stringify({ seq }) + '\n');
    this.hasPosition = true;
    this.position = Math.max(this.position, seq);
    const m = this.memory;
    if (m.length && m[0].seq <= seq) this.memory = m.slice(Math.min(m.length, seq - m[0].seq + 1));
    // Removals need no folder sync: a segment that comes back holds records at or below the
    // position, which are never read again.
    for (const s of await this.segments()) {
      if (s.last > seq) continue;
      try {
        await this.fs.unlink(path.join(this.segDir, s.name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }

  /** Acknowledged time of record `shipped + 1` (the oldest not yet replicated), when it is in memory. */
  oldestPendingAt(shipped: number): number | undefined {
    const m = this.memory;
    const i = m.length ? shipped + 1 - m[0].seq : -1;
    if (i >= 0 && i < m.length) return m[i].at;
    // Read back from a file (after a restart, a long outage): its own time, at most that old.
    const f = this.fileOldest;
    return f && f.seq <= shipped + 1 ? f.at : undefined;
  }

  async readAside(): Promise<AsideRecord[]> {
    const bytes = await readFileIfExists(this.fs, path.join(this.dir, ASIDE_FILE));
    if (!bytes) return [];
    return Buffer.from(bytes).toString('utf8').split('\n').flatMap(line => {
      try {
        const r = JSON.parse(line) as AsideRecord;
        return r && typeof r === 'object' && typeof r.epoch === 'string' && Number.isSafeInteger(r.seq) && r.op && typeof r.op === 'object'
          && typeof r.error === 'string' && typeof r.format === 'number' ? [r] : [];
      } catch {
        return [];
      }
    });
  }

  /** Replaces the set-aside records, durably (the position moves past them only after this). */
  async writeAside(records: AsideRecord[]): Promise<void> {
    await this.makeDirs();
    await writeFileAtomic(this.fs, path.join(this.dir, ASIDE_FILE), records.map(r => JSON.stringify(r) + '\n').join(''));
  }

  /** team/ and team/outbox/, their entries in their parents made durable (a file in a folder that vanishes is lost). */
  private async makeDirs(): Promise<void> {
    if (this.dirsMade) return;
    await this.fs.mkdir(this.segDir);
    await this.fs.syncDir(this.folder);
    await this.fs.syncDir(this.dir);
    this.dirsMade = true;
  }

  private async segments(): Promise<{ name: string; first: number; last: number }[]> {
    const names = await listDir(this.fs, this.segDir);
    return names.flatMap(name => {
      const mm = SEGMENT_NAME.exec(name);
      return mm ? [{ name, first: Number(mm[1]), last: Number(mm[2]) }] : [];
    }).sort((a, b) => a.first - b.first);
  }

  private async lastSegmentSeq(): Promise<number> {
    return (await this.segments()).reduce((n, s) => Math.max(n, s.last), 0);
  }

  /** The valid records of a journal-format file, base records left out; a missing file has none. */
  private async readRecords(file: string | undefined): Promise<JournalRecord[]> {
    const bytes = file ? await readFileIfExists(this.fs, file) : undefined;
    return bytes ? decodeJournal(bytes).records.filter(r => r.op.o !== 'base') : [];
  }
}

function parsePosition(bytes: Uint8Array): number {
  try {
    const v = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { seq?: unknown }).seq;
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0;
  } catch {
    return 0;
  }
}
