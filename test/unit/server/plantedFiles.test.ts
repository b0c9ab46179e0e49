import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { readEndpoint, TOKEN_FILE } from '../../../src/server/endpointFile';
import { JarvisServer } from '../../../src/server/server';
import { MemoryLogger } from '../support/fixtures';
import { openEngine, request, tempDir } from './support';

// Files of the folder read back as input: a planted token is never adopted, a planted endpoint
// never sends a client elsewhere.

describe('server: files planted in the folder', function () {
  this.timeout(60_000);

  async function startWith(token: string, mode: number) {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, TOKEN_FILE), token + '\n', { mode });
    fs.chmodSync(path.join(dir, TOKEN_FILE), mode);
    const engine = await openEngine(dir);
    const logger = new MemoryLogger();
    const server = await JarvisServer.start({ engine, port: 0, logger });
    return { dir, server, logger, stop: async () => { await server.close(); await engine.close(); } };
  }

  it('a planted 40×A token is replaced by a fresh one, logged; the planted one is refused', async () => {
    const planted = 'A'.repeat(40);
    const s = await startWith(planted, 0o600);
    try {
      assert.notStrictEqual(s.server.token, planted);
      assert.match(s.server.token, /^[A-Za-z0-9_-]{43}$/);
      assert.strictEqual(fs.readFileSync(path.join(s.dir, TOKEN_FILE), 'utf8').trim(), s.server.token);
      assert.ok(s.logger.lines.some(l => l.level === 'warn' && /endpoint_token replaced/.test(l.text)), JSON.stringify(s.logger.lines));
      assert.strictEqual((await request(s.server.url, '/status', planted)).status, 401);
      assert.strictEqual((await request(s.server.url, '/status', s.server.token)).status, 200);
    } finally {
      await s.stop();
    }
  });

  it('a token of the right shape in a file others can read is replaced; one private to the user is kept', async () => {
    const shaped = 'B'.repeat(43);
    const open = await startWith(shaped, 0o644);
    try {
      assert.notStrictEqual(open.server.token, shaped);
      assert.ok(open.logger.lines.some(l => /mode is 0644/.test(l.text)), JSON.stringify(open.logger.lines));
    } finally {
      await open.stop();
    }
    const kept = await startWith(shaped, 0o600);
    try {
      assert.strictEqual(kept.server.token, shaped);
    } finally {
      await kept.stop();
    }
  });

  it('endpoint.json naming anything but a loopback http address, or a bad pid or token, is ignored', () => {
    const dir = tempDir();
    const file = path.join(dir, 'endpoint.json');
    const write = (v: unknown) => {
      fs.rmSync(file, { force: true });
      fs.writeFileSync(file, JSON.stringify(v), { mode: 0o600 });
    };
    const good = { url: 'http://127.0.0.1:4321/api/jarvis/context', token: 'x'.repeat(43), pid: 1234 };
    write(good);
    assert.deepStrictEqual(readEndpoint(dir), good);
    // Only a file of this user's, private, and not a link: a planted one is not followed by the CLI.
    fs.chmodSync(file, 0o644);
    assert.strictEqual(readEndpoint(dir), undefined, 'readable by others');
    fs.chmodSync(file, 0o600);
    if (process.getuid?.() === 0) {
      fs.chownSync(file, 65534, 65534);
      assert.strictEqual(readEndpoint(dir), undefined, 'owned by another user');
    }
    write(good);
    const elsewhere = path.join(tempDir(), 'real.json');
    fs.renameSync(file, elsewhere);
    fs.symlinkSync(elsewhere, file);
    assert.strictEqual(readEndpoint(dir), undefined, 'a link');
    for (const bad of [
      { ...good, url: 'http://evil.example:4321/api/jarvis/context' },
      { ...good, url: 'https://127.0.0.1:4321/' },
      { ...good, url: 'http://user:pw@127.0.0.1:4321/' },
      { ...good, url: 'not a url' },
      { ...good, token: 'a b\r\nX-Injected: 1' },
      { ...good, pid: -1 },
      { ...good, pid: 1.5 },
    ]) {
      write(bad);
      assert.strictEqual(readEndpoint(dir), undefined, JSON.stringify(bad));
    }
  });
});
