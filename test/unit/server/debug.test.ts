// The debugger's hold protocol on a real server over a real engine, and the TypeScript client
// honouring it: a held call does not return until the debugger lets it go.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { JarvisContextClient, JarvisContextManager, RunCancelled } from 'jarvis-context-client';
import { openEngine, request, startHarness, tempDir, type Harness } from './support';
import { JarvisServer } from '../../../src/server/server';
import { otlpMounts } from '../../../src/otel/otlpReceiver';
import { post, TOKEN } from '../otel/support';
import { runSpans, toJson } from '../otel/scenario';
import { startServe } from '../support/serveProcess';
import { streamDebug } from '../support/debugStream';
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { JarvisSaver } from '../../../clients/typescript/src/langgraph';

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

const toolCall = (query: string) => ({ from_agent: 'coder', to_agent: 'tool:search', message_type: 'tool_call', content: { tool_name: 'search', arguments: { query } } });

describe('debug holds (REST)', function () {
  this.timeout(30_000);
  let h: Harness;
  afterEach(async () => h?.close());

  it('with no session: no header, and a matching write is just a write', async () => {
    h = await startHarness();
    const r = await h.req('POST', '/messages', toolCall('weather'));
    assert.strictEqual(r.status, 201);
    assert.strictEqual(r.headers['jarvis-debug'], undefined);
    assert.strictEqual(r.headers['jarvis-hold'], undefined);
    assert.strictEqual(h.server.debug.active, false);
  });

  it('a matching write is stored, answered 201 with Jarvis-Hold, listed, announced on /stream, resolved', async () => {
    h = await startHarness();
    const stream = await streamDebug(h.server.url, h.server.token);
    const put = await h.req('PUT', '/debug/session', { session_id: 's1', breakpoints: [{ id: 'b1', name: 'tool:search', condition: 'event.args.query contains "weather"' }] });
    assert.strictEqual(put.status, 200, put.text);
    const miss = await h.req('POST', '/messages', toolCall('news'));
    assert.strictEqual(miss.headers['jarvis-debug'], '1');
    assert.strictEqual(miss.headers['jarvis-hold'], undefined);
    const caller = `${encodeURIComponent('/work/orch.ts')}:12:runTools`;
    const hit = await h.req('POST', '/messages', toolCall('weather today'), { headers: { 'Jarvis-Caller': caller } });
    assert.strictEqual(hit.status, 201);
    const holdId = hit.headers['jarvis-hold'] as string;
    assert.ok(holdId, 'held');
    assert.deepStrictEqual(hit.json.held, { hold_id: holdId, reason: 'breakpoint', renew_within_ms: 10_000 });
    assert.ok((await h.engine.getMessages({ limit: 10 })).some(m => m.id === hit.json.id), 'stored before the answer');
    const list = await h.req('GET', '/debug/holds');
    assert.deepStrictEqual(list.json.holds.map((x: any) => [x.hold_id, x.breakpoint_id, x.event.kind, x.agent_id, x.held]), [[holdId, 'b1', 'tool', 'coder', true]]);
    assert.deepStrictEqual(list.json.holds[0].source, { file: '/work/orch.ts', line: 12, function: 'runTools' });
    await waitFor('the hold on /stream', () => stream.events.find(e => e.type === 'hold' && e.hold.hold_id === holdId));
    const waiting = h.req('GET', `/holds/${holdId}?wait=20`);
    const res = await h.req('POST', `/debug/holds/${holdId}`, { action: 'continue' });
    assert.strictEqual(res.json.state, 'continue');
    assert.deepStrictEqual((await waiting).json, { hold_id: holdId, state: 'continue', resolved_by: 'debugger' });
    await waitFor('the resolution on /stream', () => stream.events.find(e => e.type === 'resolved'));
    stream.close();
    assert.strictEqual((await h.req('DELETE', '/debug/session/s1')).status, 204);
    assert.strictEqual((await h.req('POST', '/messages', toolCall('weather'))).headers['jarvis-debug'], undefined);
  });

  it('step continues the held call; a client that went on by itself says so in its next write, and the hold is released and recorded', async () => {
    h = await startHarness();
    await h.req('PUT', '/debug/session', { session_id: 's', breakpoints: [{ name: 'tool:search' }] });
    const first = (await h.req('POST', '/messages', toolCall('a'))).headers['jarvis-hold'] as string;
    const waiting = h.req('GET', `/holds/${first}?wait=20`);
    assert.strictEqual((await h.req('POST', `/debug/holds/${first}`, { action: 'step' })).json.state, 'step');
    assert.deepStrictEqual((await waiting).json, { hold_id: first, state: 'step', resolved_by: 'debugger' });
    assert.strictEqual((await h.req('POST', `/debug/holds/${first}`, { action: 'skip' })).status, 400);

    const second = (await h.req('POST', '/messages', toolCall('b'))).headers['jarvis-hold'] as string;
    // A header of another shape is ignored; the hold stays open.
    await h.req('PUT', '/agents/x', { status: 'busy' }, { headers: { 'Jarvis-Hold-Released': `${second} <script>alert(1)</script>` } });
    assert.strictEqual(h.server.debug.get(second)!.state, 'open');
    await h.req('PUT', '/agents/x', { status: 'busy' }, { headers: { 'Jarvis-Hold-Released': second } });
    assert.deepStrictEqual([h.server.debug.get(second)!.state, h.server.debug.get(second)!.resolved_by], ['continue', 'client_gave_up']);
    await waitFor('the release recorded', async () => (await h.engine.getDecisions({ limit: 10 })).find(d => d.decision_type === 'debug_hold_released'));
  });

  it('refuses a bad breakpoint naming it and the position', async () => {
    h = await startHarness();
    const r = await h.req('PUT', '/debug/session', { session_id: 's', breakpoints: [{ name: 'tool:a' }, { name: 'tool:b', condition: 'event.x ==' }] });
    assert.strictEqual(r.status, 400);
    assert.match(r.json.error.message, /breakpoints\[1\].*condition.*position 10/);
    assert.strictEqual(h.server.debug.active, false, 'a refused PUT changes nothing');
  });

  it('a lease not renewed expires: breakpoints cleared, holds continue, an audit record written', async () => {
    h = await startHarness();
    await h.req('PUT', '/debug/session', { session_id: 's', lease_ms: 1000, filters: ['task_failed'] });
    const hit = await h.req('PUT', '/tasks/deploy', { status: 'failed', agent_id: 'ops' });
    const holdId = hit.headers['jarvis-hold'] as string;
    assert.ok(holdId);
    const r = await h.req('GET', `/holds/${holdId}?wait=10`);
    assert.deepStrictEqual([r.json.state, r.json.resolved_by], ['continue', 'lease_expired']);
    assert.strictEqual(h.server.debug.active, false);
    await waitFor('the audit record', async () => (await h.engine.getDecisions({ limit: 10 })).find(d => d.decision_type === 'debug_hold_released'));
    assert.ok((await h.engine.getDecisions({ limit: 10 })).some(d => d.decision_type === 'debug_hold' && d.task_id === 'deploy'));
  });

  it('a batch holds its caller on the first matching event; pause stops at the next event of an agent', async () => {
    h = await startHarness();
    await h.req('PUT', '/debug/session', { session_id: 's', pause: 'agent:b', breakpoints: [{ name: 'agent:a', log_message: 'a is {event.status}' }] });
    const r = await h.req('POST', '/events', { events: [{ type: 'agent', agent_id: 'a', status: 'busy' }, { type: 'decision', decision_type: 'x', context: {}, decision: 'y', reasoning: 'z', agent_id: 'b' }] });
    assert.strictEqual(r.status, 201);
    const hold = h.server.debug.get(r.headers['jarvis-hold'] as string)!;
    assert.deepStrictEqual([hold.reason, hold.event.kind, hold.agent_id], ['pause', 'decision', 'b']);
    const again = await h.req('PUT', '/agents/b', { status: 'busy' });
    assert.strictEqual(again.headers['jarvis-hold'], undefined, 'a pause stops once');
    const feed = await h.req('GET', '/debug/holds?after=0');
    assert.deepStrictEqual(feed.json.events.filter((e: any) => e.type === 'log').map((e: any) => e.log.message), ['a is busy'], 'a logpoint line, no stop');
  });

  it('a server closing releases its holds: the held client goes on, the release is recorded', async () => {
    h = await startHarness();
    await h.req('PUT', '/debug/session', { session_id: 's', breakpoints: [{ name: 'agent:coder' }] });
    const client = new JarvisContextClient({ url: h.server.url, token: h.server.token });
    const call = client.updateAgent('coder', { status: 'busy' });
    await waitFor('the hold', () => h.server.debug.openHolds()[0]);
    await h.server.close();
    assert.strictEqual((await call).status, 'busy');
    const released = (await h.engine.getDecisions({ limit: 10 })).find(d => d.decision_type === 'debug_hold_released');
    assert.strictEqual(released?.outcome, 'continued: server closed');
    client.dispose();
  });

  it('with no debug session the clients read no stack for a write; with one, each write says where it was called from', async () => {
    h = await startHarness();
    const client = new JarvisContextClient({ url: h.server.url, token: h.server.token });
    const manager = new JarvisContextManager({ url: h.server.url, token: h.server.token, spool: false, contextPath: tempDir('jarvis-debug-nostack-') });
    const saved = Error.prepareStackTrace;
    let reads = 0;
    // Every stack formatted in this process passes here (captureCaller reads one per write).
    Error.prepareStackTrace = (e, frames) => {
      reads++;
      return `${String(e)}\n${frames.map(f => `    at ${String(f)}`).join('\n')}`;
    };
    try {
      for (let i = 0; i < 10; i++) {
        await client.logDecision({ decision_type: 'plan', context: { i }, decision: 'd', reasoning: 'r' });
        await manager.updateTaskProgress(`t${i}`, { status: 'pending' });
      }
      assert.strictEqual(reads, 0, 'no stack read with no debug session');
      await h.req('PUT', '/debug/session', { session_id: 's', breakpoints: [{ name: 'decision:never' }] });
      for (let i = 0; i < 2; i++) {
        await client.logDecision({ decision_type: 'plan', context: { i }, decision: 'd', reasoning: 'r' });
        await manager.updateTaskProgress('t0', { status: 'in_progress' });
      }
      assert.strictEqual(reads, 2, 'the first answer says a session exists; each later write reads its caller');
    } finally {
      Error.prepareStackTrace = saved;
      client.dispose();
      manager.dispose();
    }
  });

  it('the TypeScript client blocks on a hold: its next write waits for continue; cancel raises RunCancelled', async () => {
    h = await startHarness();
    await h.req('PUT', '/debug/session', { session_id: 's', breakpoints: [{ name: 'tool:search' }] });
    const client = new JarvisContextClient({ url: h.server.url, token: h.server.token });
    let written = 0;
    const orchestrator = (async () => {
      await client.updateAgent('coder', { status: 'busy' });
      written++;
      await client.logMessage(toolCall('weather'));
      written++;
      await client.logDecision({ decision_type: 'after', context: {}, decision: 'd', reasoning: 'r', agent_id: 'coder' });
      written++;
    })();
    const hold = await waitFor('the hold', () => h.server.debug.openHolds()[0]);
    // The orchestrator's own line (source-mapped here), not the client's.
    assert.ok(hold.source && /debug\.test\.(js|ts)$/.test(hold.source.file), `caller captured: ${JSON.stringify(hold.source)}`);
    if (hold.source.file.endsWith('.ts')) assert.match(fs.readFileSync(hold.source.file, 'utf8').split('\n')[hold.source.line - 1]!, /client\.logMessage\(toolCall\('weather'\)\)/);
    // Held: the long poll is open, the next line not reached.
    await h.req('GET', '/debug/holds?after=0&wait=0.3');
    assert.strictEqual(written, 1);
    assert.strictEqual((await h.engine.getMessages({ limit: 10 })).length, 1, 'the held write is stored');
    assert.ok(!(await h.engine.getDecisions({ limit: 10 })).some(d => d.decision_type === 'after'));
    h.server.debug.resolve(hold.hold_id, 'continue');
    await orchestrator;
    assert.strictEqual(written, 3);

    const cancelled = client.logMessage(toolCall('again')).then(() => 'returned', (e: unknown) => e);
    const second = await waitFor('the second hold', () => h.server.debug.openHolds()[0]);
    h.server.debug.resolve(second.hold_id, 'cancel');
    const err = await cancelled;
    assert.ok(err instanceof RunCancelled, String(err));
    assert.strictEqual((await h.engine.getMessages({ limit: 10 })).length, 2, 'a cancelled call was still stored');
    await client.updateAgent('coder', { status: 'idle' }); // later calls work
    client.dispose();
  });
});

describe('debug holds: the LangGraph saver', function () {
  this.timeout(30_000);

  it('JarvisSaver.put is held like any write: the graph step waits for continue', async () => {
    const h = await startHarness();
    const saver = new JarvisSaver({ url: h.server.url, token: h.server.token, spool: false, env: {} });
    try {
      await h.req('PUT', '/debug/session', { session_id: 's', breakpoints: [{ name: 'task:thread-7', condition: 'event.metadata.step == 2' }] });
      const put = (step: number) => saver.put({ configurable: { thread_id: 'thread-7', checkpoint_ns: '' } },
        { ...emptyCheckpoint(), id: uuid6(step), channel_values: { step }, channel_versions: { step } }, { source: 'loop', step, parents: {} }, { step });
      await put(1);
      let returned = false;
      const held = put(2).then(() => (returned = true));
      const hold = await waitFor('the hold', () => h.server.debug.openHolds()[0]);
      assert.deepStrictEqual([hold.event.kind, hold.task_id], ['checkpoint', 'thread-7']);
      await h.req('GET', '/debug/holds?after=0&wait=0.3');
      assert.strictEqual(returned, false);
      h.server.debug.resolve(hold.hold_id, 'continue');
      await held;
      assert.strictEqual(returned, true);
    } finally {
      saver.dispose();
      await h.close();
    }
  });
});

describe('debug holds: the server dies while a client is held', function () {
  this.timeout(60_000);

  it('SIGKILL: the TypeScript client continues within its hold timeout, nothing acknowledged lost, the report names the held breakpoint', async () => {
    const folder = tempDir('jarvis-debug-kill-');
    const live = await startServe(folder);
    const client = new JarvisContextClient({ url: live.url, token: live.token, holdTimeoutMs: 1500 });
    const api = async (base: string, token: string, route: string, init: { method?: string; body?: unknown } = {}): Promise<any> => {
      const r = await fetch(base + route, {
        method: init.method ?? 'GET', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      assert.ok(r.status < 300, `${route}: ${r.status}`);
      return r.status === 204 ? null : r.json();
    };
    try {
      await api(live.url, live.token, '/debug/session', { method: 'PUT', body: { session_id: 's', breakpoints: [{ name: 'task:deploy' }, { name: 'decision:approve' }] } });
      const acked: number[] = [];
      for (let i = 0; i < 3; i++) acked.push((await client.logDecision({ decision_type: 'plan', context: { i }, decision: `step ${i}`, reasoning: 'r' })).id);
      // A hold the debugger continues is recorded as ended: the report must not list it.
      const approving = client.logDecision({ decision_type: 'approve', context: {}, decision: 'ok', reasoning: 'r' });
      const first = await waitFor('the first hold', async () => (await api(live.url, live.token, '/debug/holds')).holds[0]);
      await api(live.url, live.token, `/debug/holds/${first.hold_id}`, { method: 'POST', body: { action: 'continue' } });
      acked.push((await approving).id);
      await waitFor('the continue recorded', async () =>
        (await api(live.url, live.token, '/decisions?limit=50')).decisions.find((d: any) => d.decision_type === 'debug_hold_released' && d.context.hold_id === first.hold_id));

      let returned = false;
      const call = client.updateTask('deploy', { status: 'in_progress', percentage: 10 }).then(t => { returned = true; return t; });
      const held = await waitFor('the hold', async () => (await api(live.url, live.token, '/debug/holds')).holds[0]);
      await waitFor('the hold recorded', async () =>
        (await api(live.url, live.token, '/decisions?limit=50')).decisions.find((d: any) => d.decision_type === 'debug_hold' && d.context.hold_id === held.hold_id));
      assert.strictEqual(returned, false);
      const killedAt = Date.now();
      live.child.kill('SIGKILL');
      await live.exited;
      const task = await call;
      const waited = Date.now() - killedAt;
      assert.strictEqual(task.percentage, 10);
      assert.ok(waited < 1500 + 2000, `continued ${waited} ms after the kill`);
      // Back on the same port: the client's next write says it went on by itself from that hold.
      const again = await startServe(folder, { JARVIS_LOG_LEVEL: 'info' }, ['--port', new URL(live.url).port]);
      assert.strictEqual(again.url, live.url);
      await client.updateTask('after', { status: 'pending' });
      await waitFor('the server told of it', () => again.stderr().includes(`went on by itself from hold ${held.hold_id}`) || undefined);
      const tasks = (await api(again.url, again.token, '/task-progress')).tasks as { task_id: string; percentage: number }[];
      assert.deepStrictEqual(tasks.filter(t => t.task_id === 'deploy').map(t => [t.task_id, t.percentage]), [['deploy', 10]]);
      const decisions = (await api(again.url, again.token, '/decisions?limit=100')).decisions as { id: number; decision_type: string }[];
      const ours = decisions.filter(d => d.decision_type === 'plan' || d.decision_type === 'approve').map(d => d.id).sort((a, b) => a - b);
      assert.deepStrictEqual(ours, [...acked].sort((a, b) => a - b), 'every acknowledged write present once');

      const report = await api(again.url, again.token, '/recovery-report');
      assert.strictEqual(report.trigger, 'crash');
      const open = report.breakpoint_holds_at_crash as any[];
      assert.deepStrictEqual(open.map(x => [x.hold_id, x.breakpoint, x.event_kind, x.task_id]), [[held.hold_id, 'task:deploy', 'task', 'deploy']]);
      assert.match(open[0].source.file, /debug\.test\.(ts|js)$/, 'where the orchestrator called from');
      assert.strictEqual(open[0].since, held.created_at);
      const md = fs.readFileSync(path.join(folder, report.file.replace(/\.json$/, '.md')), 'utf8');
      assert.match(md, /## Breakpoint holds open at the crash \(1\)/);
      assert.ok(md.includes('breakpoint **task:deploy** at task') && md.includes('went on by itself'), md);
      again.child.kill('SIGTERM');
      await again.exited;
    } finally {
      client.dispose();
      if (live.child.exitCode === null) live.child.kill('SIGKILL');
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('debug holds: OpenTelemetry-only runs and alerts', function () {
  this.timeout(30_000);

  it('a tool span hitting a breakpoint is announced with held: false; the exporter is answered at once', async () => {
    const engine = await openEngine(tempDir('jarvis-debug-otel-'));
    const server = await JarvisServer.start({ engine, port: 0, token: TOKEN, writeEndpointFile: false, mounts: otlpMounts({ engine, token: TOKEN }) });
    try {
      const base = new URL(server.url).origin;
      const put = await request(server.url, '/debug/session', TOKEN, { method: 'PUT', body: { session_id: 's', breakpoints: [{ name: 'tool:search', condition: 'event.args.q == "agent memory"' }] } });
      assert.strictEqual(put.status, 200, put.text);
      const r = await post(base, toJson(runSpans().spans), { 'Content-Type': 'application/json' });
      assert.strictEqual(r.status, 200);
      const feed = await request(server.url, '/debug/holds?after=0&wait=5', TOKEN);
      const hit = feed.json.events.filter((e: any) => e.type === 'hold').map((e: any) => e.hold);
      assert.deepStrictEqual(hit.map((x: any) => [x.held, x.event.kind, x.event.name, x.agent_id, x.state]), [[false, 'tool', 'search', 'planner', 'continue']]);
      assert.deepStrictEqual(feed.json.holds, [], 'nothing open: the run kept going');
      assert.ok(feed.json.seq >= 1);
    } finally {
      await server.close();
      await engine.close();
    }
  });
});
