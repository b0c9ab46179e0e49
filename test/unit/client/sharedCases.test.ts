// clients/shared/cases.json, the behaviour both clients share (the Python runner is
// clients/python/test_shared_cases.py): the same refusals, spool lines, server errors, replay,
// unreachable-server answers and which endpoint.json is followed.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import {
  isLoopbackUrl, JarvisContextClient, JarvisContextError, JarvisContextManager, JarvisContextValidationError, RunCancelled,
} from 'jarvis-context-client';
import cases from '../../../clients/shared/cases.json';
import { spooledEvents, startServer, tempDir } from './support';

const DOWN = 'http://127.0.0.1:9'; // nothing listens on the discard port
type Case = { call: string; id?: string; args: unknown };

/** The Python call named in the table, made the TypeScript way. */
function call(cm: JarvisContextManager, c: Case): Promise<unknown> {
  const args = c.args as never;
  switch (c.call) {
    case 'update_task_progress': return cm.updateTaskProgress(c.id as string, args);
    case 'update_agent_state': return cm.updateAgentState(c.id as string, args);
    case 'log_decision': return cm.logDecision(args);
    case 'log_agent_message': return cm.logAgentMessage(args);
    case 'update_context': return cm.updateContext(args);
    case 'mark_recovery_point': return cm.markRecoveryPoint(args);
  }
  throw new Error(`unknown call ${c.call}`);
}

/** Sync refusals surface as rejections too, as an awaiting caller sees them. */
async function settle(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return await f();
  } catch (e) {
    return e;
  }
}

describe('client: the shared behaviour table (same as the Python client)', () => {
  it('refuses invalid input naming the field, and spools nothing', async () => {
    const folder = tempDir();
    const cm = new JarvisContextManager({ url: DOWN, token: 'x', contextPath: folder });
    for (const c of cases.invalid) {
      const e = await call(cm, c).then(() => undefined, (err: unknown) => err); // a rejection, never a sync throw
      assert.ok(e instanceof JarvisContextValidationError, `${c.call} ${c.field}: ${String(e)}`);
      assert.deepStrictEqual([e.status, e.code, e.field], [400, 'bad_request', c.field], `${c.call} ${c.field}`);
    }
    assert.deepStrictEqual(spooledEvents(folder), []);
    cm.dispose();
  });

  it('spools writes to an unreachable server as these lines', async () => {
    const folder = tempDir();
    const cm = new JarvisContextManager({ url: DOWN, token: 'x', contextPath: folder });
    for (const c of cases.spooled) assert.strictEqual(await call(cm, c), undefined, c.call);
    const lines = spooledEvents(folder);
    assert.strictEqual(lines.length, cases.spooled.length);
    lines.forEach((line, i) => {
      const { event_id, ...event } = line;
      assert.match(String(event_id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.deepStrictEqual(event, cases.spooled[i].event, cases.spooled[i].call);
    });
    cm.dispose();
  });

  it("answers a dead server's endpoint file and a missing one alike", async () => {
    const folder = tempDir();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    fs.writeFileSync(path.join(folder, 'endpoint.json'), JSON.stringify({ url: DOWN, token: 'x', pid: dead }));
    const expected = cases.unreachable;
    for (const [dir, want] of [[folder, expected.no_spool_error], [tempDir(), expected.no_endpoint_error]] as const) {
      const cm = new JarvisContextManager({ contextPath: dir, env: { JARVIS_CONTEXT_PATH: dir }, spool: false });
      const e = await settle(() => cm.logDecision('a', null, 'd', 'r'));
      assert.ok(e instanceof JarvisContextError, String(e));
      assert.deepStrictEqual([e.status, e.code], [want.status, want.code]);
      assert.ok(e.message.includes(want.message_contains), e.message);
      cm.dispose();
    }
    const spooling = new JarvisContextManager({ contextPath: folder, env: { JARVIS_CONTEXT_PATH: folder } });
    assert.strictEqual(await spooling.logDecision('a', null, 'd', 'r'), undefined);
    assert.strictEqual(spooledEvents(folder).length, 1);
  });

  it('holds a call at a breakpoint until the debugger continues or cancels it', async () => {
    const s = await startServer();
    const cm = new JarvisContextManager({ url: s.server.url, token: s.server.token, spool: false, env: {} });
    try {
      for (const c of cases.holds) {
        s.server.debug.put('shared', { breakpoints: [c.breakpoint] });
        let settled = false;
        const outcome = settle(() => call(cm, c)).then(r => ((settled = true), r));
        const end = Date.now() + 10_000;
        let hold = s.server.debug.openHolds()[0];
        while (!hold && Date.now() < end) {
          await new Promise(r => setTimeout(r, 10));
          hold = s.server.debug.openHolds()[0];
        }
        assert.ok(hold, `${c.breakpoint.name}: held`);
        assert.strictEqual(hold.event.kind, c.event_kind, c.breakpoint.name);
        assert.strictEqual(settled, false, `${c.breakpoint.name}: the call waits`);
        s.server.debug.resolve(hold.hold_id, c.resolve as 'continue' | 'cancel');
        const r = await outcome;
        if (c.expect === 'RunCancelled') assert.ok(r instanceof RunCancelled, `${c.breakpoint.name}: ${String(r)}`);
        else assert.ok(!(r instanceof Error), `${c.breakpoint.name}: ${String(r)}`);
        s.server.debug.end('shared');
      }
    } finally {
      cm.dispose();
      await s.stop();
    }
  });

  it('carries the status, code and field of server errors', async () => {
    const s = await startServer();
    try {
      for (const c of cases.server_errors) {
        const client = new JarvisContextClient({ url: s.server.url, token: 'token' in c ? c.token : s.server.token });
        const e = await settle(() => client.request(c.method, c.route, 'body' in c ? c.body : undefined));
        client.dispose();
        assert.ok(e instanceof JarvisContextError, String(e));
        assert.strictEqual(e.status, c.status, c.route);
        assert.ok(e.code && e.code !== 'bad_response', e.code);
        if ('field' in c) assert.strictEqual(e.field, c.field);
      }
    } finally {
      await s.stop();
    }
  });

  it('replays a spool with a torn line and a refused event', async () => {
    const s = await startServer();
    const folder = tempDir(); // not the server's: only the client replays it
    const replay = cases.replay;
    fs.writeFileSync(path.join(folder, 'spool.jsonl'), replay.spool.join('\n') + '\n');
    const cm = new JarvisContextManager({ url: s.server.url, token: s.server.token, contextPath: folder });
    try {
      assert.strictEqual(await cm.flushSpool(), replay.sent);
      assert.strictEqual(cm.pendingSpooled(), 0);
      assert.deepStrictEqual((await s.engine.getDecisions()).map(d => d.decision).sort(), replay.decisions);
      assert.strictEqual((await s.engine.getMessages()).length, replay.messages);
      const rejected = fs.readFileSync(path.join(folder, 'spool.rejected.jsonl'), 'utf8').trim().split('\n')
        .map(l => JSON.parse(l) as { event: { event_id: string }; error: { field: string } });
      assert.deepStrictEqual(rejected.map(r => r.event.event_id), replay.rejected.map(r => r.event_id));
      rejected.forEach((r, i) => assert.ok(r.error.field.includes(replay.rejected[i].field_contains), r.error.field));
      assert.deepStrictEqual(fs.readdirSync(folder), ['spool.rejected.jsonl']); // nothing left to send
    } finally {
      cm.dispose();
      await s.stop();
    }
  });
});

/** A server on 127.0.0.1 that answers everything, as a planted endpoint.json's would, and records what reached it. */
async function fakeServer(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: 1, state: { planted: true } }));
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise(r => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('client: the shared discovery table (same as the Python client)', () => {
  const table = cases.discovery;

  it('takes only http on a loopback host from a file', () => {
    assert.deepStrictEqual(table.loopback.accepted.filter(u => !isLoopbackUrl(u)), []);
    assert.deepStrictEqual(table.loopback.refused.filter(u => isLoopbackUrl(u)), []);
  });

  it('never follows an endpoint.json a cloned repository could plant in place of the named server', async () => {
    const real = await startServer();
    const fake = await fakeServer();
    const cwd = process.cwd();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (const [n, c] of table.cases.entries()) {
        const spec = c.file as { url: string; token: string; mode: string; owner?: string; symlink?: boolean; fifo?: boolean };
        if (spec.owner === 'other' && process.geteuid?.() !== 0) continue; // chown to another user needs root
        const base = tempDir();
        const folder = c.folder === 'default' ? path.join(base, 'memory', 'context', 'jarvis') : base;
        fs.mkdirSync(folder, { recursive: true });
        const values: Record<string, string> = { real: real.server.url, fake: fake.url, down: DOWN };
        const target = spec.symlink ? path.join(base, 'elsewhere.json') : path.join(folder, 'endpoint.json');
        fs.writeFileSync(target, JSON.stringify({
          url: values[spec.url] ?? spec.url, token: spec.token === 'real' ? real.server.token : 'planted-token', pid: process.pid,
        }));
        fs.chmodSync(target, parseInt(spec.mode, 8));
        if (spec.owner === 'other') fs.chownSync(target, 65534, 65534);
        if (spec.symlink) fs.symlinkSync(target, path.join(folder, 'endpoint.json'));
        if (spec.fifo) {
          fs.unlinkSync(target);
          assert.strictEqual(spawnSync('mkfifo', ['-m', spec.mode, target]).status, 0, 'mkfifo');
        }
        const env: NodeJS.ProcessEnv = {};
        if ('env_url' in c) env.JARVIS_CONTEXT_URL = values[c.env_url as string];
        if ('env_token' in c) env.JARVIS_CONTEXT_TOKEN = real.server.token;
        if (c.folder === 'env') env.JARVIS_CONTEXT_PATH = folder;
        warnings.length = 0;
        fake.requests.length = 0;
        const decision = `discovery case ${n}`;
        let restored: { state?: Record<string, unknown> } | undefined;
        process.chdir(base);
        try {
          const cm = new JarvisContextManager({
            env,
            ...(c.folder === 'option' ? { contextPath: folder } : {}),
            ...('url_option' in c ? { url: real.server.url, token: real.server.token } : {}),
          });
          await cm.logDecision('discovery', null, decision, 'r');
          restored = await cm.restoreContext();
          cm.dispose();
        } finally {
          process.chdir(cwd);
        }
        await new Promise(r => setImmediate(r)); // warnings are emitted on the next tick
        const stored = (await real.engine.getDecisions({ limit: 1000 })).map(d => d.decision);
        const spooled = spooledEvents(folder).map(e => e.decision);
        assert.deepStrictEqual(fake.requests, [], c.name);
        if (c.reaches === 'real') {
          assert.ok(stored.includes(decision), c.name);
          assert.deepStrictEqual(spooled, [], c.name);
          assert.ok(restored && !('planted' in (restored.state ?? {})), c.name);
        } else {
          assert.ok(!stored.includes(decision), c.name);
          assert.deepStrictEqual(spooled, [decision], c.name);
          assert.strictEqual(restored, undefined, c.name);
        }
        if ('warning' in c) assert.ok(warnings.some(w => w.includes(c.warning as string)), `${c.name}: ${JSON.stringify(warnings)}`);
      }
    } finally {
      process.off('warning', onWarning);
      await fake.close();
      await real.stop();
    }
  });
});
