// The LangGraph routes: a checkpoint is stored as LangGraph's serializer wrote it, only changed
// channels are stored, writes are idempotent, the thread operations are real, and a put that was
// answered survives a kill -9 of the server.
import * as assert from 'assert';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { startServe } from '../support/serveProcess';
import { FakeClock } from '../support/fixtures';
import { openEngine, request, startHarness, tempDir, type Harness } from './support';

const b64 = (v: string | Buffer): string => (typeof v === 'string' ? Buffer.from(v) : v).toString('base64');
const json = (v: unknown) => ({ type: 'json', data: b64(JSON.stringify(v)) });

/** A put body: `values` are the changed channels (all at `versions`' version). */
function put(thread: string, id: string, versions: Record<string, number>, values: Record<string, unknown>, extra: object = {}): object {
  return {
    thread_id: thread, checkpoint_ns: '', checkpoint_id: id, parent_checkpoint_id: null,
    checkpoint: json({ v: 4, id, ts: '2026-01-01T00:00:00Z', channel_versions: versions, versions_seen: {} }),
    channel_versions: versions, metadata: { source: 'loop', step: 1, parents: {} },
    blobs: Object.entries(values).map(([channel, v]) => ({ channel, version: JSON.stringify(versions[channel]), ...json(v) })),
    ...extra,
  };
}

const decode = (t: { data: string }): unknown => JSON.parse(Buffer.from(t.data, 'base64').toString('utf8'));
const valuesOf = (tuple: { channel_values: { channel: string; data: string }[] }) =>
  Object.fromEntries(tuple.channel_values.map(b => [b.channel, decode(b)]));

describe('server: LangGraph checkpoints', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('stores the bytes exactly, keeps only changed channels, and reads the newest or a named one', async () => {
    const bytes = randomBytes(20_000);
    let r = await h.req('POST', '/langgraph/checkpoints', put('t1', '0001', { a: 1, b: 1 }, { a: 'first', b: { n: 1 } }));
    assert.strictEqual(r.status, 201, r.text);
    assert.deepStrictEqual(r.json, { thread_id: 't1', checkpoint_ns: '', checkpoint_id: '0001' });
    const second = put('t1', '0002', { a: 2, b: 1, c: 1 }, {}, { parent_checkpoint_id: '0001' }) as { blobs: object[] };
    second.blobs = [{ channel: 'a', version: '2', type: 'msgpack', data: b64(bytes) }, { channel: 'c', version: '1', type: 'empty', data: '' }];
    assert.strictEqual((await h.req('POST', '/langgraph/checkpoints', second)).status, 201);

    const latest = (await h.req('GET', '/langgraph/checkpoint?thread_id=t1&checkpoint_ns=')).json;
    assert.strictEqual(latest.checkpoint_id, '0002');
    assert.strictEqual(latest.parent_checkpoint_id, '0001');
    assert.deepStrictEqual(latest.channel_versions, { a: 2, b: 1, c: 1 });
    // a from this put, b from the parent's, c empty: nothing else.
    assert.deepStrictEqual(latest.channel_values.map((b: { channel: string }) => b.channel), ['a', 'b']);
    assert.ok(Buffer.from(latest.channel_values[0].data, 'base64').equals(bytes));
    assert.strictEqual(latest.channel_values[0].type, 'msgpack');
    assert.deepStrictEqual(decode(latest.channel_values[1]), { n: 1 });
    const first = (await h.req('GET', '/langgraph/checkpoint?thread_id=t1&checkpoint_id=0001')).json;
    assert.deepStrictEqual(valuesOf(first), { a: 'first', b: { n: 1 } });
    assert.deepStrictEqual(first.metadata, { source: 'loop', step: 1, parents: {} });
    // Asked for, JSON values come parsed beside their bytes; others as bytes only.
    const readable = (await h.req('GET', '/langgraph/checkpoint?thread_id=t1&readable=true')).json;
    assert.deepStrictEqual(readable.channel_values.map((b: { json?: unknown }) => b.json), [undefined, { n: 1 }]);
    assert.strictEqual(readable.checkpoint.json.id, '0002');
    assert.strictEqual(latest.channel_values[1].json, undefined);
    assert.strictEqual((await h.req('GET', '/langgraph/checkpoint?thread_id=t1&checkpoint_id=0009')).status, 404);
    assert.strictEqual((await h.req('GET', '/langgraph/checkpoint?thread_id=nobody')).status, 404);
  });

  it('pending writes: idempotent per (task, idx), special channels (negative idx) overwrite, ordered by task path', async () => {
    await h.req('POST', '/langgraph/checkpoints', put('t', '0001', {}, {}));
    const w = (task: string, path: string, writes: [number, string, unknown][]) => h.req('POST', '/langgraph/writes', {
      thread_id: 't', checkpoint_ns: '', checkpoint_id: '0001', task_id: task, task_path: path,
      writes: writes.map(([idx, channel, v]) => ({ idx, channel, ...json(v) })),
    });
    assert.strictEqual((await w('task-b', '~a', [[0, 'x', 1], [1, 'y', 2]])).status, 204);
    await w('task-b', '~a', [[0, 'x', 'retried'], [-1, '__error__', 'boom']]);
    await w('task-b', '~a', [[-1, '__error__', 'boom again']]);
    await w('task-a', '~b', [[0, 'z', 3]]);
    const t = (await h.req('GET', '/langgraph/checkpoint?thread_id=t')).json;
    assert.deepStrictEqual(t.pending_writes.map((p: { task_id: string; idx: number; channel: string; data: string }) => [p.task_id, p.idx, p.channel, decode(p)]),
      [['task-b', -1, '__error__', 'boom again'], ['task-b', 0, 'x', 1], ['task-b', 1, 'y', 2], ['task-a', 0, 'z', 3]]);
  });

  it('list: newest first, by namespace, before, limit and metadata filter', async () => {
    for (const [id, ns, step] of [['0001', '', 0], ['0002', '', 1], ['0003', 'sub:1', 2], ['0004', '', 3]] as const) {
      await h.req('POST', '/langgraph/checkpoints', { ...put('t', id, {}, {}), checkpoint_ns: ns, metadata: { source: 'loop', step, tags: { k: [step] } } });
    }
    await h.req('POST', '/langgraph/checkpoints', put('other', '0005', {}, {}));
    const ids = async (q: string) => (await h.req('GET', `/langgraph/checkpoints?${q}`)).json.checkpoints.map((c: { checkpoint_id: string }) => c.checkpoint_id);
    assert.deepStrictEqual(await ids('thread_id=t'), ['0004', '0003', '0002', '0001']);
    assert.deepStrictEqual(await ids('thread_id=t&checkpoint_ns='), ['0004', '0002', '0001']);
    assert.deepStrictEqual(await ids('thread_id=t&before=0004&limit=2'), ['0003', '0002']);
    assert.deepStrictEqual(await ids(`filter=${encodeURIComponent(JSON.stringify({ tags: { k: [2] } }))}`), ['0003']);
    assert.deepStrictEqual(await ids(`thread_id=t&filter=${encodeURIComponent(JSON.stringify({ step: 1, source: 'loop' }))}`), ['0002']);
    assert.deepStrictEqual(await ids('limit=1'), ['0005']);
    const bad = await h.req('GET', '/langgraph/checkpoints?filter=%7B');
    assert.strictEqual(bad.status, 400);
    assert.match(bad.json.error.message, /filter/);
  });

  it('delete a thread, delete for runs, copy a thread with its writes, prune to the newest per namespace', async () => {
    const runPut = (thread: string, id: string, run: string, ns = '') =>
      h.req('POST', '/langgraph/checkpoints', { ...put(thread, id, { a: Number(id) }, { a: `v${id}` }), checkpoint_ns: ns, metadata: { run_id: run } });
    await runPut('t', '0001', 'r1');
    await runPut('t', '0002', 'r2');
    await runPut('t', '0003', 'r2', 'sub');
    await runPut('u', '0004', 'r1');
    await h.req('POST', '/langgraph/writes', { thread_id: 't', checkpoint_ns: '', checkpoint_id: '0002', task_id: 'k', writes: [{ idx: 0, channel: 'c', ...json(1) }] });
    const ids = async (thread: string) => (await h.req('GET', `/langgraph/checkpoints?thread_id=${thread}`)).json.checkpoints.map((c: { checkpoint_id: string }) => c.checkpoint_id);

    assert.strictEqual((await h.req('POST', '/langgraph/copy-thread', { source_thread_id: 't', target_thread_id: 'copy' })).status, 204);
    assert.deepStrictEqual(await ids('copy'), ['0003', '0002', '0001']);
    const copied = (await h.req('GET', '/langgraph/checkpoint?thread_id=copy&checkpoint_id=0002')).json;
    assert.deepStrictEqual([valuesOf(copied), copied.pending_writes.length], [{ a: 'v0002' }, 1]);

    assert.strictEqual((await h.req('POST', '/langgraph/delete-for-runs', { run_ids: ['r1'] })).status, 204);
    assert.deepStrictEqual([await ids('t'), await ids('u')], [['0003', '0002'], []]);

    assert.strictEqual((await h.req('POST', '/langgraph/prune', { thread_ids: ['copy'], strategy: 'keep_latest' })).status, 204);
    assert.deepStrictEqual(await ids('copy'), ['0003', '0002']);
    const kept = (await h.req('GET', '/langgraph/checkpoint?thread_id=copy')).json;
    assert.deepStrictEqual([valuesOf(kept), kept.pending_writes.length], [{ a: 'v0002' }, 1]);

    assert.strictEqual((await h.req('DELETE', '/langgraph/threads/t')).status, 204);
    assert.deepStrictEqual(await ids('t'), []);
    assert.strictEqual((await h.req('POST', '/langgraph/prune', { thread_ids: ['copy'], strategy: 'delete' })).status, 204);
    assert.deepStrictEqual(await ids('copy'), []);
  });

  it('refuses malformed input with a 400 naming the field, and stores nothing', async () => {
    const cases: [object, string][] = [
      [{ ...put('t', '0001', {}, {}), checkpoint: { type: 'json', data: 'not base64!' } }, 'checkpoint.data'],
      [{ ...put('t', '0001', {}, {}), thread_id: '' }, 'thread_id'],
      [{ ...put('t', '0001', {}, {}), channel_versions: { a: { no: 1 } } }, 'channel_versions.a'],
      [{ ...put('t', '0001', {}, {}), blobs: [{ channel: 'a', version: '{', type: 'json', data: '' }] }, 'blobs[0].version'],
      [{ ...put('t', '0001', {}, {}), metadata: [] }, 'metadata'],
    ];
    for (const [body, field] of cases) {
      const r = await h.req('POST', '/langgraph/checkpoints', body);
      assert.strictEqual(r.status, 400, r.text);
      assert.ok(r.json.error.message.startsWith(field), `${field}: ${r.json.error.message}`);
    }
    const dup = await h.req('POST', '/langgraph/writes', { thread_id: 't', checkpoint_id: '1', task_id: 'k', writes: [{ idx: 0, channel: 'c', ...json(1) }, { idx: 0, channel: 'd', ...json(1) }] });
    assert.strictEqual(dup.status, 400);
    assert.strictEqual((await h.req('POST', '/langgraph/prune', { thread_ids: ['t'], strategy: 'all' })).status, 400);
    assert.deepStrictEqual((await h.req('GET', '/langgraph/checkpoints')).json.checkpoints, []);
  });

  it('fork: refuses what it cannot rewrite, with the field named; an unknown checkpoint is a 404', async () => {
    const msgpack = put('py', '0001', {}, {}) as { checkpoint: object };
    msgpack.checkpoint = { type: 'msgpack', data: b64('\x80') };
    await h.req('POST', '/langgraph/checkpoints', msgpack);
    await h.req('POST', '/langgraph/checkpoints', put('s', '0001', { a: '0001.5' } as unknown as Record<string, number>, { a: 1 }));
    const bytes = put('b', '0001', { a: 1, raw: 1 }, { a: 1 }) as { blobs: object[] };
    bytes.blobs.push({ channel: 'raw', version: '1', type: 'bytes', data: b64('x') });
    await h.req('POST', '/langgraph/checkpoints', bytes);
    const cases: [object, number, string][] = [
      [{ thread_id: 'py', checkpoint_id: '0001' }, 400, 'checkpoint_id'],
      [{ thread_id: 's', checkpoint_id: '0001', values: { a: 2 } }, 400, 'values'],
      [{ thread_id: 'b', checkpoint_id: '0001', values: { raw: 'y' } }, 400, 'values.raw'],
      [{ thread_id: 'b', checkpoint_id: '0009' }, 404, 'checkpoint_id'],
    ];
    for (const [body, status, field] of cases) {
      const r = await h.req('POST', '/langgraph/fork', body);
      assert.strictEqual(r.status, status, r.text);
      assert.ok(r.json.error.message.startsWith(field), `${field}: ${r.json.error.message}`);
    }
    const ok = await h.req('POST', '/langgraph/fork', { thread_id: 'b', checkpoint_id: '0001', values: { a: { edited: true } } });
    assert.strictEqual(ok.status, 201, ok.text);
    const t = (await h.req('GET', '/langgraph/checkpoint?thread_id=b')).json;
    const a = t.channel_values.find((b: { channel: string }) => b.channel === 'a');
    assert.deepStrictEqual([t.checkpoint_id, t.parent_checkpoint_id, t.channel_versions, decode(a)], [ok.json.checkpoint_id, '0001', { a: 2, raw: 1 }, { edited: true }]);
    assert.strictEqual(Buffer.from(t.channel_values.find((b: { channel: string }) => b.channel === 'raw').data, 'base64').toString(), 'x');
  });

  it('a metadata key named __proto__ is data, not a prototype', async () => {
    const body = put('t', '0001', {}, {}) as { metadata: object };
    body.metadata = JSON.parse('{"__proto__": {"polluted": true}, "step": 1}');
    assert.strictEqual((await h.req('POST', '/langgraph/checkpoints', body)).status, 201);
    const got = await h.req('GET', `/langgraph/checkpoints?filter=${encodeURIComponent('{"__proto__":{"polluted":true}}')}`);
    assert.strictEqual(got.json.checkpoints.length, 1);
    assert.strictEqual(({} as { polluted?: boolean }).polluted, undefined);
  });
});

describe('server: LangGraph checkpoints under the retention of POST /cleanup', () => {
  it('removes checkpoints older than the cutoff with their writes and values, keeping the newest of each namespace', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const h = await startHarness({}, tempDir(), { clock });
    try {
      for (const id of ['0001', '0002', '0003']) {
        await h.req('POST', '/langgraph/checkpoints', put('old', id, { a: Number(id) }, { a: `v${id}` }));
        await h.req('POST', '/langgraph/writes', { thread_id: 'old', checkpoint_id: id, task_id: 'k', writes: [{ idx: 0, channel: 'x', ...json(id) }] });
      }
      await h.req('POST', '/langgraph/checkpoints', { ...put('old', '0004', { a: 4 }, { a: 'sub' }), checkpoint_ns: 'sub:1' });
      clock.advance(10 * 86_400_000);
      await h.req('POST', '/langgraph/checkpoints', put('new', '0005', { a: 1 }, { a: 'new' }));
      const dry = await h.req('POST', '/cleanup', { older_than_days: 5, dry_run: true });
      assert.strictEqual(dry.json.removed.langgraph_checkpoints, 2, dry.text);
      assert.strictEqual((await h.req('POST', '/cleanup', { older_than_days: 5 })).json.removed.langgraph_checkpoints, 2);
      const ids = async (thread: string) => (await h.req('GET', `/langgraph/checkpoints?thread_id=${thread}`)).json.checkpoints.map((c: { checkpoint_id: string }) => c.checkpoint_id);
      assert.deepStrictEqual([await ids('old'), await ids('new')], [['0004', '0003'], ['0005']]);
      const kept = (await h.req('GET', '/langgraph/checkpoint?thread_id=old')).json;
      assert.deepStrictEqual([valuesOf(kept), kept.pending_writes.map(decode)], [{ a: 'v0003' }, ['0003']]);
      // The values of the removed checkpoints are gone too: nothing names them any more.
      await h.req('POST', '/langgraph/checkpoints', { ...put('old', '0009', { a: 1 }, {}), parent_checkpoint_id: '0003' });
      assert.deepStrictEqual(valuesOf((await h.req('GET', '/langgraph/checkpoint?thread_id=old&checkpoint_id=0009')).json), {});
    } finally {
      await h.close();
    }
  });
});

describe('server: a LangGraph put answered is durable', () => {
  it('survives a kill -9 of the server the next instant, with its writes', async function () {
    this.timeout(60_000);
    const folder = tempDir();
    try {
      const s = await startServe(folder);
      const payload = randomBytes(5000);
      const body = put('t', '0001', { a: 1 }, {}) as { blobs: object[] };
      body.blobs = [{ channel: 'a', version: '1', type: 'bytes', data: b64(payload) }];
      assert.strictEqual((await request(s.url, '/langgraph/checkpoints', s.token, { method: 'POST', body })).status, 201);
      const w = await request(s.url, '/langgraph/writes', s.token, { method: 'POST', body: { thread_id: 't', checkpoint_id: '0001', task_id: 'k', writes: [{ idx: 0, channel: 'x', ...json('w') }] } });
      assert.strictEqual(w.status, 204);
      s.child.kill('SIGKILL');
      await s.exited;
      const engine = await openEngine(folder);
      try {
        assert.ok(engine.recoveryReport, 'the kill was seen as a crash');
        const t = engine.langgraph.getTuple('t', '');
        assert.ok(t);
        assert.ok(Buffer.from(t.channel_values[0].data, 'base64').equals(payload));
        assert.deepStrictEqual(t.pending_writes.map(p => decode(p)), ['w']);
      } finally {
        await engine.close();
      }
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
