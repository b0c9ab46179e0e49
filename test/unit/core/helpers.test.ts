// The one helper per chore: serial queue, error text, time format, change-id merging, atomic writes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomicSync } from '../../../src/core/atomicFile';
import { addChangeIds } from '../../../src/core/changeIds';
import { errorText, errorWithStack } from '../../../src/core/errorText';
import { SerialQueue } from '../../../src/core/serialQueue';
import { iso } from '../../../src/core/time';
import { tempDir } from '../support/fixtures';

describe('core helpers', () => {
  it('SerialQueue runs one job at a time in order; a failure reaches its caller and does not stop the next', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const job = (name: string, ms: number, fail = false) => () => new Promise<string>((resolve, reject) => {
      log.push(`start ${name}`);
      setTimeout(() => {
        log.push(`end ${name}`);
        if (fail) reject(new Error(name));
        else resolve(name);
      }, ms);
    });
    const a = q.run(job('a', 20));
    const b = q.run(job('b', 1, true));
    const c = q.run(job('c', 1));
    await assert.rejects(b, /b/);
    assert.strictEqual(await a, 'a');
    assert.strictEqual(await c, 'c');
    await q.idle();
    assert.deepStrictEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('errorText is one line led by the errno code; errorWithStack keeps the stack', () => {
    assert.strictEqual(errorText(Object.assign(new Error('no space left'), { code: 'ENOSPC' })), 'ENOSPC: no space left');
    assert.strictEqual(errorText(Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' })), 'ENOSPC: no space left');
    assert.strictEqual(errorText('plain'), 'plain');
    assert.strictEqual(errorText(undefined), 'undefined');
    assert.match(errorWithStack(new Error('boom')), /^Error: boom\n\s+at /);
    assert.strictEqual(errorWithStack(42), '42');
  });

  it('iso is ISO 8601 UTC to the millisecond, a fraction rounded down, the same answer for the same millisecond', () => {
    assert.strictEqual(iso(0), '1970-01-01T00:00:00.000Z');
    assert.strictEqual(iso(1_700_000_000_123.9), '2023-11-14T22:13:20.123Z');
    assert.strictEqual(iso(1_700_000_000_123), '2023-11-14T22:13:20.123Z');
    assert.strictEqual(iso(-0.5), '1969-12-31T23:59:59.999Z');
  });

  it('addChangeIds merges ids per kind, each once', () => {
    const m = new Map<string, Set<string>>();
    addChangeIds(m, 'task', ['a', 'b']);
    addChangeIds(m, 'task', ['b', 'c']);
    addChangeIds(m, 'agent', []);
    assert.deepStrictEqual([...m].map(([k, s]) => [k, [...s]]), [['task', ['a', 'b', 'c']], ['agent', []]]);
  });

  it('writeFileAtomicSync replaces a file whole, mode 0600, and leaves no temporary file', () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'endpoint.json');
      fs.writeFileSync(file, 'old');
      writeFileAtomicSync(file, 'new');
      assert.strictEqual(fs.readFileSync(file, 'utf8'), 'new');
      if (process.platform !== 'win32') assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
      assert.deepStrictEqual(fs.readdirSync(dir), ['endpoint.json']);
      assert.throws(() => writeFileAtomicSync(path.join(dir, 'missing', 'x'), 'y'), /ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
