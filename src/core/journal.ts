import { crc32 } from './crc32';
import type { FileSystemPort } from './ports';
import type { JournalOp } from './ops';

// One record a line: `<crc32 hex>\t<seq>\t<json>\n`, the checksum over the bytes of `<seq>\t<json>`
// (the rest of the line, so it is checked without copying). JSON.stringify never emits a raw
// newline, so lines split unambiguously.

export interface JournalRecord {
  seq: number;
  op: JournalOp;
}

export function encodeRecord(seq: number, op: JournalOp): string {
  const body = `${seq}\t${JSON.stringify(op)}`;
  return `${crc32(Buffer.from(body, 'utf8')).toString(16).padStart(8, '0')}\t${body}\n`;
}

export interface DecodedJournal {
  records: JournalRecord[];
  /** Bytes after the last complete, valid record that were discarded (an unacknowledged torn write). */
  tornTailBytes: number;
  /** Lines that failed their checksum or did not parse, with valid records after them. */
  corrupt: { line: number; offset: number; preview: string }[];
}

export function decodeJournal(data: Uint8Array): DecodedJournal {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const records: JournalRecord[] = [];
  const bad: { line: number; offset: number; preview: string }[] = [];
  let offset = 0;
  let line = 0;
  let lastGoodEnd = 0;
  while (offset < buf.length) {
    const nl = buf.indexOf(0x0a, offset);
    const end = nl === -1 ? buf.length : nl + 1;
    line++;
    // A line without its newline was cut short by a crash, whatever its content.
    const rec = nl === -1 ? undefined : parseLine(buf, offset, nl);
    if (rec) {
      records.push(rec);
      lastGoodEnd = end;
    } else if (end - offset > (nl === -1 ? 0 : 1)) {
      bad.push({ line, offset, preview: buf.toString('utf8', offset, Math.min(offset + 80, nl === -1 ? buf.length : nl)) });
    }
    offset = end;
  }
  // Bad lines after the last good record are the torn tail of a write that was never acknowledged.
  const corrupt = bad.filter(b => b.offset < lastGoodEnd);
  return { records, tornTailBytes: buf.length - lastGoodEnd, corrupt };
}

function parseLine(buf: Buffer, start: number, end: number): JournalRecord | undefined {
  // 8 hex digits, a tab, then the checksummed body.
  if (end - start < 12 || buf[start + 8] !== 0x09) return undefined;
  const crcText = buf.toString('latin1', start, start + 8);
  if (!/^[0-9a-f]{8}$/.test(crcText) || crc32(buf.subarray(start + 9, end)) !== parseInt(crcText, 16)) return undefined;
  const body = buf.toString('utf8', start + 9, end);
  const tab = body.indexOf('\t');
  const seq = Number(body.slice(0, tab));
  if (tab <= 0 || !Number.isSafeInteger(seq)) return undefined;
  try {
    return { seq, op: JSON.parse(body.slice(tab + 1)) as JournalOp };
  } catch {
    return undefined;
  }
}

/** The append-only journal file. Only the engine's serial queue calls it, one operation at a time. */
export class Journal {
  private fd: number | undefined;
  /** Bytes known to be durable (after the last successful fdatasync). */
  size = 0;

  constructor(private readonly fs: FileSystemPort, readonly file: string) {}

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  async open(): Promise<void> {
    this.fd = await this.fs.open(this.file, 'a');
    this.size = (await this.fs.stat(this.file)).size;
  }

  /** Appends and flushes. On failure the caller must call `discardUnsynced()` before anything else. */
  async append(text: string): Promise<void> {
    if (this.fd === undefined) throw new Error('journal is not open');
    const bytes = Buffer.from(text, 'utf8');
    await this.fs.write(this.fd, bytes);
    await this.fs.fdatasync(this.fd);
    this.size += bytes.length;
  }

  /**
   * After a failed append: cut the file back to what was durable, so a later record never follows
   * a half-written one, and never trust the failed data (it may or may not be on disk).
   */
  async discardUnsynced(): Promise<void> {
    if (this.fd === undefined) return;
    await this.fs.ftruncate(this.fd, this.size);
    await this.fs.fdatasync(this.fd);
  }

  /**
   * Empties the journal once its records are folded into a durable database file, leaving one
   * header record that says up to which sequence the database holds.
   */
  async reset(header: string): Promise<void> {
    if (this.fd === undefined) throw new Error('journal is not open');
    const bytes = Buffer.from(header, 'utf8');
    await this.fs.ftruncate(this.fd, 0);
    await this.fs.write(this.fd, bytes);
    await this.fs.fdatasync(this.fd);
    this.size = bytes.length;
  }

  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await this.fs.close(fd);
  }
}
