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
  /** Where the last valid record ends: new records are written from here. */
  end: number;
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
  // Bad lines after the last good record are the torn tail of a write that was never acknowledged;
  // the zeros the journal is extended with (Journal.append) are not.
  const corrupt = bad.filter(b => b.offset < lastGoodEnd);
  let dataEnd = buf.length;
  while (dataEnd > lastGoodEnd && buf[dataEnd - 1] === 0) dataEnd--;
  return { records, tornTailBytes: dataEnd - lastGoodEnd, end: lastGoodEnd, corrupt };
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

/** Zeros the journal is extended by at a time, unless the engine asks for less. */
export const JOURNAL_EXTENT_BYTES = 1024 * 1024;

/**
 * The journal file. Only the engine's serial queue calls it, one operation at a time.
 *
 * Records are written in place over zeros written ahead of them: an fdatasync that has to record a
 * new file size commits the file system's own journal too (on ext4 that doubled the time to
 * acknowledge), one that only flushes data over allocated blocks does not. So the file is extended
 * by `extent` zero bytes at a time, in the same write as the record that needs the room; the
 * decoder stops at the zeros.
 */
export class Journal {
  private fd: number | undefined;
  /** Bytes of records known to be durable (after the last successful fdatasync): where the next record goes. */
  size = 0;
  /** Length of the file: records, then zeros. */
  fileBytes = 0;

  constructor(private readonly fs: FileSystemPort, readonly file: string, private readonly extent = JOURNAL_EXTENT_BYTES) {}

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /** Opens the file; records are written from `end`, where the decoder found the last one ends (read again when not given). */
  async open(end?: number): Promise<void> {
    this.fd = await this.fs.open(this.file, 'rw');
    this.fileBytes = (await this.fs.stat(this.file)).size;
    const at = end ?? (this.fileBytes > 0 ? decodeJournal(await this.fs.readFile(this.file)).end : 0);
    this.size = Math.min(at, this.fileBytes);
  }

  /** Writes after the last record and flushes. On failure the caller must call `discardUnsynced()` before anything else. */
  async append(text: string): Promise<void> {
    if (this.fd === undefined) throw new Error('journal is not open');
    const data = Buffer.from(text, 'utf8');
    const end = this.size + data.length;
    // Short of room: the zeros go with the record, one write, one flush.
    const bytes = end <= this.fileBytes ? data : Buffer.concat([data, Buffer.alloc(this.extent)]);
    await this.fs.write(this.fd, bytes, this.size);
    await this.fs.fdatasync(this.fd);
    this.size = end;
    this.fileBytes = Math.max(this.fileBytes, this.size - data.length + bytes.length);
  }

  /**
   * After a failed append: cut the file back to what was durable, so a later record never follows
   * a half-written one, and never trust the failed data (it may or may not be on disk).
   */
  async discardUnsynced(): Promise<void> {
    if (this.fd === undefined) return;
    await this.fs.ftruncate(this.fd, this.size);
    await this.fs.fdatasync(this.fd);
    this.fileBytes = this.size;
  }

  /**
   * Empties the journal once its records are folded into a durable database file, leaving one
   * header record that says up to which sequence the database holds. Cut to nothing first, so no
   * record of before can show after a torn write of the new zeros.
   */
  async reset(header: string): Promise<void> {
    if (this.fd === undefined) throw new Error('journal is not open');
    const data = Buffer.from(header, 'utf8');
    await this.fs.ftruncate(this.fd, 0);
    await this.fs.write(this.fd, Buffer.concat([data, Buffer.alloc(this.extent)]), 0);
    await this.fs.fdatasync(this.fd);
    this.size = data.length;
    this.fileBytes = data.length + this.extent;
  }

  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await this.fs.close(fd);
  }
}
