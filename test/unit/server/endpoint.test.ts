import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { readEndpoint } from '../../../src/server/endpointFile';
import { JarvisServer } from '../../../src/server/server';
import { MemoryLogger } from '../support/fixtures';
import { startServe } from '../support/serveProcess';
import { openEngine, request, tempDir } from './support';

// A folder's server comes back where it was, so an orchestrator holding its URL keeps reporting
// across a restart or a crash; a port taken by another program moves it, said in the log and in
// endpoint.json.

describe('server: a stable endpoint per folder', function () {
  this.timeout(60_000);

  it('a restarted server listens on the same port with the same token', async () => {
    const dir = tempDir();
    const engine = await openEngine(dir);
    const first = await JarvisServer.start({ engine, port: 0 });
    const { url, token } = first;
    await first.close();
    const second = await JarvisServer.start({ engine, port: 0 });
    try {
      assert.strictEqual(second.url, url);
      assert.strictEqual(second.token, token);
      assert.strictEqual(second.movedFrom, undefined);
      assert.strictEqual((await request(url, '/status', token)).status, 200, 'the old address answers again');
    } finally {
      await second.close();
      await engine.close();
    }
  });

  it('a server killed with SIGKILL comes back on the same port, and the old address answers', async () => {
    const dir = tempDir();
    const a = await startServe(dir);
    assert.strictEqual((await request(a.url, '/tasks/t1', a.token, { method: 'PUT', body: { percentage: 10 } })).status, 200);
    a.child.kill('SIGKILL');
    await a.exited;
    const b = await startServe(dir);
    try {
      assert.strictEqual(b.url, a.url);
      const t = await request(a.url, '/task-progress', a.token);
      assert.strictEqual(t.status, 200);
      assert.strictEqual(t.json.tasks[0].percentage, 10);
    } finally {
      b.child.kill('SIGTERM');
      await b.exited;
    }
  });

  it('when another program holds the port, listens elsewhere, says so, and endpoint.json names the new address', async () => {
    const dir = tempDir();
    const engine = await openEngine(dir);
    const first = await JarvisServer.start({ engine, port: 0 });
    const oldPort = Number(new URL(first.url).port);
    await first.close();
    const squatter = net.createServer();
    await new Promise<void>(r => squatter.listen(oldPort, '127.0.0.1', r));
    const log = new MemoryLogger();
    const moved = await JarvisServer.start({ engine, port: 0, logger: log });
    try {
      const newPort = Number(new URL(moved.url).port);
      assert.notStrictEqual(newPort, oldPort);
      assert.strictEqual(moved.movedFrom, oldPort);
      assert.ok(log.lines.some(l => l.level === 'warn' && l.text.includes(`port ${oldPort}`) && l.text.includes(`listening on ${newPort}`)), log.lines.map(l => l.text).join('\n'));
      assert.strictEqual(readEndpoint(dir)!.url, moved.url);
      assert.strictEqual(fs.readFileSync(path.join(dir, 'endpoint_port'), 'utf8').trim(), String(newPort), 'the next start tries the new port first');
    } finally {
      await moved.close();
      await new Promise(r => squatter.close(r));
      await engine.close();
    }
  });

  it('an explicit port stays explicit: taken means a clear refusal, not another port', async () => {
    const dir = tempDir();
    const engine = await openEngine(dir);
    const squatter = net.createServer();
    await new Promise<void>(r => squatter.listen(0, '127.0.0.1', r));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      await assert.rejects(() => JarvisServer.start({ engine, port }), new RegExp(`Port ${port} on 127.0.0.1 is already in use`));
    } finally {
      await new Promise(r => squatter.close(r));
      await engine.close();
    }
  });
});
