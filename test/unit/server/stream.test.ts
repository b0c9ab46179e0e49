// GET /stream (Server-Sent Events) and the 503 answer when the store cannot write.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import { ContextEngine } from '../../../src/core/engine';
import type { ContextEngineApi, Disposable } from '../../../src/core/engineApi';
import { nodeFileSystem } from '../../../src/core/nodeFs';
import type { FileSystemPort } from '../../../src/core/ports';
import type { ChangeEvent } from '../../../src/core/types';
import { readWasmBinary } from '../../../src/core/wasm';
import { JarvisServer } from '../../../src/server/server';
import { observableState, openEngine, request, startHarness, tempDir, type Harness } from './support';
import { onSseBlocks } from '../support/sseBlocks';

interface Stream {
  res: http.IncomingMessage;
  /** Resolves with the next `count` SSE blocks (events or comments). */
  next(count: number): Promise<string[]>;
  close(): void;
}

function openStream(url: string, token: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url + '/stream', { headers: { Authorization: `Bearer ${token}` } }, res => {
      const blocks: string[] = [];
      let waiter: (() => void) | undefined;
      onSseBlocks(res, b => {
        blocks.push(b);
        waiter?.();
      });
      resolve({
        res,
        next: count =>
          new Promise(done => {
            const check = (): void => {
              if (blocks.length >= count) {
                waiter = undefined;
                done(blocks.splice(0, count));
              }
            };
            waiter = check;
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

/** Runs each call of a stream's change listener (tests wrap it to see what happens inside). */
let around: (call: () => void) => void = call => call();

/** Counts live onDidChange subscriptions of the real engine. */
function countingEngine(engine: ContextEngineApi): { engine: ContextEngineApi; live: () => number } {
  let live = 0;
  const proxy = new Proxy(engine, {
    get(target, prop, receiver) {
      if (prop === 'onDidChange') {
        return (listener: (e: ChangeEvent) => void): Disposable => {
          const sub = target.onDidChange(e => around(() => listener(e)));
          live++;
          let disposed = false;
          return { dispose: () => { if (!disposed) { disposed = true; live--; sub.dispose(); } } };
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { engine: proxy, live: () => live };
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise(r => setTimeout(r, 10));
  assert.ok(cond(), what);
}

describe('server: /stream', () => {
  let h: Harness;
  let live: () => number;
  beforeEach(async () => {
    const folder = tempDir();
    const engine = await openEngine(folder);
    const counted = countingEngine(engine);
    live = counted.live;
    const server = await JarvisServer.start({ engine: counted.engine, port: 0, heartbeatMs: 50 });
    h = {
      folder, engine, server,
      req: (method, route, body) => request(server.url, route, server.token, { method, body }),
      close: async () => { await server.close(); await engine.close(); fs.rmSync(folder, { recursive: true, force: true }); },
    };
  });
  afterEach(async () => {
    await h.close();
  });

  it('sends one event per change with kind, ids and time', async () => {
    const s = await openStream(h.server.url, h.server.token);
    assert.strictEqual(s.res.statusCode, 200);
    assert.match(String(s.res.headers['content-type']), /^text\/event-stream/);
    assert.deepStrictEqual(await s.next(1), [': connected']);
    await h.req('PUT', '/tasks/s1', { description: 'x' });
    await h.req('PUT', '/agents/ag', { status: 'busy' });
    const events: ChangeEvent[] = [];
    while (events.length < 2) {
      for (const b of await s.next(1)) {
        if (b.startsWith(':')) continue; // heartbeat
        const lines = b.split('\n');
        assert.match(lines[0], /^id: \d+$/);
        assert.strictEqual(lines[1], 'event: change');
        events.push(JSON.parse(lines[2].slice('data: '.length)));
      }
    }
    assert.deepStrictEqual(events.map(e => [e.kind, e.ids]), [['task', ['s1']], ['agent', ['ag']]]);
    assert.ok(!Number.isNaN(Date.parse(events[0].at)));
    s.close();
  });

  it('sends heartbeat comments and drops its listener when the client goes away', async () => {
    const s = await openStream(h.server.url, h.server.token);
    await waitFor(() => live() === 1, 'subscribed');
    const blocks = await s.next(3);
    assert.deepStrictEqual(blocks, [': connected', ': heartbeat', ': heartbeat']);
    s.close();
    await waitFor(() => live() === 0 && h.server.openStreams === 0, 'listener disposed after disconnect');
  });

  it('drops a client that stops reading once its unsent bytes pass the bound; a reading client keeps receiving', async () => {
    const reader = await openStream(h.server.url, h.server.token);
    assert.deepStrictEqual(await reader.next(1), [': connected']);
    // A client that connects and never reads: its socket is paused, so the server's buffer fills.
    const idle = await new Promise<http.ClientRequest>((resolve, reject) => {
      const req = http.get(h.server.url + '/stream', { headers: { Authorization: `Bearer ${h.server.token}` } }, res => {
        res.pause();
        resolve(req);
      });
      req.on('error', reject);
    });
    idle.on('error', () => undefined); // reset by the server when dropped
    await waitFor(() => h.server.openStreams === 2, 'both streams open');
    // Each batch is one ~400 KB event (2,000 task ids); a few megabytes fill the idle socket's kernel buffers and then the bound.
    const ids = Array.from({ length: 2000 }, (_, i) => `stream-drop-${i}-${'x'.repeat(180)}`);
    let batches = 0;
    while (h.server.openStreams === 2 && batches < 200) {
      const r = await h.req('POST', '/events', { events: ids.map(task_id => ({ type: 'task', task_id, percentage: batches % 100 })) });
      assert.strictEqual(r.status, 201, r.text);
      batches++;
    }
    await waitFor(() => h.server.openStreams === 1, `the idle client dropped (after ${batches} batches)`);
    assert.strictEqual(h.server.droppedStreams, 1);
    assert.strictEqual(live(), 1, 'the reader still subscribed');
    // The reader had every batch, and still gets what comes next.
    await h.req('PUT', '/tasks/after-drop', { description: 'x' });
    let changes = 0;
    for (;;) {
      const [b] = await reader.next(1);
      if (b!.startsWith(':')) continue;
      const event = JSON.parse(b!.split('\n')[2]!.slice('data: '.length)) as ChangeEvent;
      if (event.ids.includes('after-drop')) break;
      assert.strictEqual(event.ids.length, 2000);
      changes++;
    }
    assert.strictEqual(changes, batches);
    reader.close();
  });

  it('a change only queues its event: no stream is written while the engine tells its listeners', async () => {
    const streams = await Promise.all(Array.from({ length: 20 }, () => openStream(h.server.url, h.server.token)));
    await waitFor(() => h.server.openStreams === 20, 'all open');
    let writesInListener = 0;
    const write = http.ServerResponse.prototype.write;
    let inListener = false;
    http.ServerResponse.prototype.write = function (this: http.ServerResponse, ...args: unknown[]) {
      if (inListener) writesInListener++;
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof write;
    around = call => {
      inListener = true;
      try { call(); } finally { inListener = false; }
    };
    try {
      await h.req('PUT', '/tasks/queued', { description: 'x' });
      for (const s of streams) {
        for (;;) {
          const [b] = await s.next(1);
          if (b!.includes('"queued"')) break;
        }
      }
    } finally {
      http.ServerResponse.prototype.write = write;
      around = call => call();
      streams.forEach(s => s.close());
    }
    assert.strictEqual(writesInListener, 0);
  });

  it('close() ends open streams', async () => {
    const s = await openStream(h.server.url, h.server.token);
    await waitFor(() => live() === 1, 'subscribed');
    const ended = new Promise<void>(resolve => s.res.on('end', () => resolve()).on('close', () => resolve()));
    await h.server.close();
    await ended;
    assert.strictEqual(live(), 0);
  });
});

describe('server: store cannot write', () => {
  it('answers 503 with the reason, acknowledges nothing, and recovers when the disk does', async () => {
    const folder = tempDir();
    let failing = false;
    const fail = (): never => {
      const e = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException;
      e.code = 'ENOSPC';
      throw e;
    };
    const diskFull: FileSystemPort = {
      ...nodeFileSystem,
      write: (fd, data, position) => (failing ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })) : nodeFileSystem.write(fd, data, position)),
      fdatasync: fd => (failing ? Promise.resolve().then(fail) : nodeFileSystem.fdatasync(fd)),
      fsync: fd => (failing ? Promise.resolve().then(fail) : nodeFileSystem.fsync(fd)),
    };
    const engine = await ContextEngine.open({ folder, wasmBinary: readWasmBinary(), checkpointIntervalMs: 0, fs: diskFull });
    const server = await JarvisServer.start({ engine, port: 0 });
    const h: Harness = {
      folder, engine, server,
      req: (method, route, body) => request(server.url, route, server.token, { method, body }),
      close: async () => { await server.close(); await engine.close(); },
    };
    try {
      await h.req('PUT', '/tasks/before', { description: 'kept' });
      const before = await observableState(h);
      failing = true;
      const r = await h.req('POST', '/decisions', { decision_type: 't', context: {}, decision: 'lost?', reasoning: 'r' });
      assert.strictEqual(r.status, 503, r.text);
      assert.strictEqual(r.json.error.code, 'store_unavailable');
      assert.match(r.json.error.message, /ENOSPC|space/i);
      const batch = await h.req('POST', '/events', { events: [{ type: 'task', task_id: 'b', description: 'x' }] });
      assert.strictEqual(batch.status, 503);
      // Reads still work, and show nothing of the refused writes.
      const during = (await observableState(h)) as { decisions: unknown; tasks: unknown };
      const was = before as { decisions: unknown; tasks: unknown };
      assert.deepStrictEqual([during.decisions, during.tasks], [was.decisions, was.tasks]);
      failing = false;
      const ok = await h.req('POST', '/decisions', { decision_type: 't', context: {}, decision: 'after', reasoning: 'r' });
      assert.strictEqual(ok.status, 201, ok.text);
    } finally {
      failing = false;
      await h.close();
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
