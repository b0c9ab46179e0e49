// The journal on its own: the record format (crc, sequence, JSON), what decoding makes of torn and
// corrupt lines, and the file's append / discard / reset.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { crc32 } from '../../../src/core/crc32';
import { decodeJournal, encodeRecord, Journal } from '../../../src/core/journal';
import { nodeFileSystem } from '../../../src/core/nodeFs';
import type { JournalOp } from '../../../src/core/ops';
import type { FileSystemPort } from '../../../src/core/ports';
import { tempDir } from '../support/fixtures';

const op = (n: number): JournalOp => ({ o: 'task', t: 1_700_000_000_000 + n, id: `task-${n}`, u: { description: `step ${n} — ünïcödé`, percentage: n } });
const bytes = (...lines: string[]) => Buffer.from(lines.join(''), 'utf8');

describe('journal: records', () => {
  it('encodes one line `<crc32 hex>\\t<seq>\\t<json>\\n` whose checksum covers the rest of the line', () => {
    const line = encodeRecord(7, op(7));
    assert.ok(line.endsWith('\n'));
    assert.strictEqual(line.split('\n').length, 2, 'one line, whatever the JSON holds');
    const [crc, seq, json] = line.slice(0, -1).split('\t');
    assert.match(crc, /^[0-9a-f]{8}$/);
    assert.strictEqual(parseInt(crc, 16), crc32(Buffer.from(`${seq}\t${json}`, 'utf8')));
    assert.strictEqual(seq, '7');
    assert.deepStrictEqual(JSON.parse(json), op(7));
  });

  it('decodes what it encoded, in order, with nothing torn or corrupt', () => {
    const data = bytes(...[1, 2, 3].map(n => encodeRecord(n, op(n))));
    const d = decodeJournal(data);
    assert.deepStrictEqual(d.records, [1, 2, 3].map(n => ({ seq: n, op: op(n) })));
    assert.strictEqual(d.tornTailBytes, 0);
    assert.deepStrictEqual(d.corrupt, []);
  });

  it('drops a torn tail (a last line cut short, or a complete last line that fails its checksum) as unacknowledged', () => {
    const good = encodeRecord(1, op(1));
    const next = encodeRecord(2, op(2));
    for (const cut of [1, 12, next.length - 1]) {
      const d = decodeJournal(bytes(good, next.slice(0, cut)));
      assert.deepStrictEqual(d.records.map(r => r.seq), [1], `cut at ${cut}`);
      assert.strictEqual(d.tornTailBytes, Buffer.byteLength(next.slice(0, cut)));
      assert.deepStrictEqual(d.corrupt, [], 'a torn tail is not corruption');
    }
    const garbledLast = next.replace('step 2', 'step X');
    const d = decodeJournal(bytes(good, garbledLast));
    assert.deepStrictEqual(d.records.map(r => r.seq), [1]);
    assert.strictEqual(d.tornTailBytes, Buffer.byteLength(garbledLast));
  });

  it('skips a corrupt line in the middle and reports it, keeping the records after it', () => {
    const lines = [1, 2, 3].map(n => encodeRecord(n, op(n)));
    lines[1] = lines[1].replace('step 2', 'step Z');
    const data = bytes(...lines);
    const d = decodeJournal(data);
    assert.deepStrictEqual(d.records.map(r => r.seq), [1, 3]);
    assert.strictEqual(d.tornTailBytes, 0);
    assert.strictEqual(d.corrupt.length, 1);
    assert.strictEqual(d.corrupt[0].line, 2);
    assert.strictEqual(d.corrupt[0].offset, Buffer.byteLength(lines[0]));
    assert.ok(d.corrupt[0].preview.includes('task-2'), d.corrupt[0].preview);
  });

  it('refuses a line whose checksum field, sequence or JSON is wrong even when its crc matches', () => {
    const withCrc = (body: string) => `${crc32(Buffer.from(body, 'utf8')).toString(16).padStart(8, '0')}\t${body}\n`;
    const last = encodeRecord(9, op(9));
    for (const bad of [
      `${encodeRecord(1, op(1)).slice(0, 8).toUpperCase()}${encodeRecord(1, op(1)).slice(8)}`, // crc not lower-case hex
      withCrc(`x\t${JSON.stringify(op(1))}`), // sequence not a number
      withCrc(`\t${JSON.stringify(op(1))}`), // no sequence
      withCrc('1\t{"o":'), // JSON cut short
      'short\n',
    ]) {
      const d = decodeJournal(bytes(bad, last));
      assert.deepStrictEqual(d.records.map(r => r.seq), [9], bad);
      assert.strictEqual(d.corrupt.length, 1, bad);
    }
  });

  it('passes over empty lines without calling them corrupt', () => {
    const d = decodeJournal(bytes(encodeRecord(1, op(1)), '\n', encodeRecord(2, op(2))));
    assert.deepStrictEqual(d.records.map(r => r.seq), [1, 2]);
    assert.deepStrictEqual(d.corrupt, []);
  });

  it('decodes a view into a larger buffer (byteOffset) as the bytes it shows', () => {
    const inner = bytes(encodeRecord(4, op(4)));
    const outer = Buffer.concat([Buffer.from('garbage'), inner, Buffer.from('more')]);
    const view = new Uint8Array(outer.buffer, outer.byteOffset + 7, inner.length);
    assert.deepStrictEqual(decodeJournal(view).records.map(r => r.seq), [4]);
  });
});

describe('journal: the file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'journal.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes records over zeros written ahead of them, counts their size, and picks it up again when reopened', async () => {
    const j = new Journal(nodeFileSystem, file, 4096);
    assert.strictEqual(j.isOpen, false);
    await assert.rejects(() => j.append(encodeRecord(1, op(1))), /not open/);
    await j.open();
    const texts = [encodeRecord(1, op(1)), encodeRecord(2, op(2))];
    for (const t of texts) await j.append(t);
    const size = Buffer.byteLength(texts.join(''));
    assert.strictEqual(j.size, size);
    // The first record brought 4096 zeros with it; the second was written over them.
    assert.strictEqual(fs.statSync(file).size, Buffer.byteLength(texts[0]) + 4096);
    assert.strictEqual(j.fileBytes, fs.statSync(file).size);
    await j.close();
    const again = new Journal(nodeFileSystem, file, 4096);
    await again.open();
    assert.strictEqual(again.size, size);
    // Past the zeros: the record that needs the room brings the next ones.
    const big = encodeRecord(3, { o: 'task', t: 1_700_000_000_003, id: 'task-3', u: { description: 'x'.repeat(5000) } });
    await again.append(big);
    await again.append(encodeRecord(4, op(4)));
    assert.strictEqual(again.size, size + Buffer.byteLength(big) + Buffer.byteLength(encodeRecord(4, op(4))));
    assert.strictEqual(fs.statSync(file).size, size + Buffer.byteLength(big) + 4096);
    await again.close();
    const d = decodeJournal(fs.readFileSync(file));
    assert.deepStrictEqual(d.records.map(r => r.seq), [1, 2, 3, 4]);
    assert.strictEqual(d.tornTailBytes, 0, 'zeros ahead of records are not a torn write');
    assert.strictEqual(d.end, again.size);
  });

  it('after a failed flush, cuts the file back to what was durable', async () => {
    let failSync = false;
    const failing: FileSystemPort = {
      ...nodeFileSystem,
      fdatasync: fd => (failSync ? Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })) : nodeFileSystem.fdatasync(fd)),
    };
    const j = new Journal(failing, file);
    await j.open();
    await j.append(encodeRecord(1, op(1)));
    const durable = j.size;
    failSync = true;
    await assert.rejects(() => j.append(encodeRecord(2, op(2))), /EIO/);
    assert.strictEqual(j.size, durable, 'a failed append is not counted');
    assert.deepStrictEqual(decodeJournal(fs.readFileSync(file)).records.map(r => r.seq), [1, 2], 'the failed bytes reached the file');
    failSync = false;
    await j.discardUnsynced();
    assert.strictEqual(fs.statSync(file).size, durable);
    await j.append(encodeRecord(3, op(3)));
    await j.close();
    assert.deepStrictEqual(decodeJournal(fs.readFileSync(file)).records.map(r => r.seq), [1, 3]);
  });

  it('reset leaves only the header record', async () => {
    const j = new Journal(nodeFileSystem, file);
    await j.open();
    for (let n = 1; n <= 3; n++) await j.append(encodeRecord(n, op(n)));
    const header = encodeRecord(3, { o: 'context', t: 0, d: { header: true } });
    await j.reset(header);
    assert.strictEqual(j.size, Buffer.byteLength(header));
    await j.append(encodeRecord(4, op(4)));
    await j.close();
    const d = decodeJournal(fs.readFileSync(file));
    assert.deepStrictEqual(d.records.map(r => r.seq), [3, 4]);
    assert.deepStrictEqual(d.records[0].op, { o: 'context', t: 0, d: { header: true } });
  });
});
