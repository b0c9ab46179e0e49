// clients/shared/cases.json, the behaviour both clients share (the Python runner is
// clients/python/test_shared_cases.py): the same refusals, spool lines, server errors, replay and
// unreachable-server answers.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { JarvisContextClient, JarvisContextError, JarvisContextManager, JarvisContextValidationError } from 'jarvis-context-client';
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
