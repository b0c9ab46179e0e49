import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../core/atomicFile';
import { decodeJournal, encodeRecord, type JournalRecord } from '../core/journal';
import type { JournalTap } from '../core/journalTap';
import { nodeFileSystem } from '../core/nodeFs';
import type { JournalOp } from '../core/ops';

// The outbox: every acknowledged journal record, in order, until PostgreSQL has it. Records come
// from memory while replication keeps up; when the journal is about to be emptied (compaction),
// the records not yet replicated are copied into segment files under team/outbox/ first, so
// compaction never discards them. After a crash, a long outage or a restart the same records are
// read back from those segments and the journal file. The position (the last record PostgreSQL
// committed) is kept in team/position.json and only moves after PostgreSQL's commit.

export const TEAM_DIR = 'team';
export const OUTBOX_DIR = 'outbox';
export const POSITION_FILE = 'position.json';

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
  /** The last record PostgreSQL committed, as durable here. */
  position: number;
  private memory: OutRecord[] = [];
  private readonly dir: string;
  private readonly segDir: string;
  private journalFile: string | undefined;
  /** Called after each group commit (the replicator wakes up). */
  onCommitted: (() => void) | undefined;

  constructor(readonly folder: string) {
    this.dir = path.join(folder, TEAM_DIR);
    this.segDir = path.join(this.dir, OUTBOX_DIR);
    this.position = readPosition(path.join(this.dir, POSITION_FILE));
  }

  get hasPosition(): boolean {
    return fs.existsSync(path.join(this.dir, POSITION_FILE));
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
    const start = Math.max(this.position, this.lastSegmentSeq()) + 1;
    if (start > throughSeq) return;
    const keep = readJournalRecords(journalFile).filter(r => r.seq >= start && r.seq <= throughSeq);
    if (keep.length === 0) return;
    const text = keep.map(r => encodeRecord(r.seq, r.op)).join('');
    await fs.promises.mkdir(this.segDir, { recursive: true });
    await writeFileAtomic(nodeFileSystem, path.join(this.segDir, segmentName(keep[0].seq, keep[keep.length - 1].seq)), text);
  }

  /** Up to `max` records from `from` on, in order and without holes, acknowledged ones only. */
  fetch(from: number, max: number, journalFile: string): FetchResult {
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
    for (const seg of this.segments()) {
      if (seg.last < from || seg.first > upTo) continue;
      for (const r of readJournalRecords(path.join(this.segDir, seg.name))) {
        if (r.seq >= from && r.seq <= upTo && !found.has(r.seq)) found.set(r.seq, { seq: r.seq, op: r.op });
      }
    }
    for (const r of readJournalRecords(this.journalFile)) {
      if (r.seq >= from && r.seq <= upTo && !found.has(r.seq)) found.set(r.seq, { seq: r.seq, op: r.op });
    }
    const seqs = [...found.keys()].sort((a, b) => a - b);
    if (seqs.length === 0) return m.length ? { records: [], gapTo: m[0].seq } : { records: [] };
    if (seqs[0] !== from) return { records: [], gapTo: seqs[0] };
    const records: OutRecord[] = [];
    for (let s = from; found.has(s) && records.length < max; s++) records.push(found.get(s)!);
    return { records };
  }

  /** PostgreSQL committed through `seq`: keep that durably, then drop what is no longer needed. */
  async advance(seq: number, writeAnyway = false): Promise<void> {
    if (seq <= this.position && !(writeAnyway && !this.hasPosition)) return;
    await fs.promises.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(nodeFileSystem, path.join(this.dir, POSITION_FILE), JSON.stringify({ seq }) + '\n');
    this.position = Math.max(this.position, seq);
    const m = this.memory;
    if (m.length && m[0].seq <= seq) this.memory = m.slice(Math.min(m.length, seq - m[0].seq + 1));
    for (const s of this.segments()) {
      if (s.last <= seq) await fs.promises.rm(path.join(this.segDir, s.name), { force: true });
    }
  }

  /** Acknowledged time of record `shipped + 1` (the oldest not yet replicated), when it is in memory. */
  oldestPendingAt(shipped: number): number | undefined {
    const m = this.memory;
    const i = m.length ? shipped + 1 - m[0].seq : -1;
    return i >= 0 && i < m.length ? m[i].at : undefined;
  }

  private segments(): { name: string; first: number; last: number }[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.segDir);
    } catch {
      return [];
    }
    return names.flatMap(name => {
      const mm = SEGMENT_NAME.exec(name);
      return mm ? [{ name, first: Number(mm[1]), last: Number(mm[2]) }] : [];
    }).sort((a, b) => a.first - b.first);
  }

  private lastSegmentSeq(): number {
    return this.segments().reduce((n, s) => Math.max(n, s.last), 0);
  }
}

function readPosition(file: string): number {
  try {
    const v = (JSON.parse(fs.readFileSync(file, 'utf8')) as { seq?: unknown }).seq;
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0;
  } catch {
    return 0;
  }
}

/** The valid records of a journal-format file, base records left out; a missing file has none. */
function readJournalRecords(file: string | undefined): JournalRecord[] {
  if (!file) return [];
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return [];
  }
  return decodeJournal(bytes).records.filter(r => r.op.o !== 'base');
}
