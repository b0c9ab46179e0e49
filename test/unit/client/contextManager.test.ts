import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { JarvisContextManager } from 'jarvis-context-client';
import { managerFixture, startServer, statusHistory, tempDir } from './support';

describe('client: JarvisContextManager (the seed API in camelCase)', () => {
  const f = managerFixture();

  it('records tasks, decisions, agents, messages and context, and reads them back', async () => {
    await f.manager.updateTaskProgress('task-001', { description: 'Process data files', status: 'in_progress', percentage: 50, completed_subtasks: ['validation'], blockers: [] });
    await f.manager.logDecision('agent_assignment', 'High priority task', 'Assign to agent-001', 'Agent has required capabilities', 'success');
    await f.manager.logDecision({ decision_type: 'retry', context: null, decision: 'retry task-001', reasoning: 'flaky', task_id: 'task-001' });
    await f.manager.updateAgentState('agent-001', { status: 'busy', current_task: 'task-001' });
    await f.manager.logAgentMessage('orchestrator', 'agent-001', 'task_assignment', { task_id: 'task-001' });
    await f.manager.logAgentMessage({ from_agent: 'agent-001', to_agent: 'orchestrator', message_type: 'ack', content: null });
    await f.manager.updateContext({ phase: 'processing' });
    const rp = await f.manager.markRecoveryPoint('Critical phase completed');
    assert.ok(rp && rp.checkpoint_id > 0);

    const status = await f.manager.getContextStatus();
    assert.deepStrictEqual(status.counts, { ...status.counts, tasks: 1, agents: 1, decisions: 2, messages: 2 });
    const view = (await f.manager.restoreContext())!;
    assert.deepStrictEqual(view.state, { phase: 'processing' });
    assert.strictEqual(view.tasks[0].percentage, 50);
    assert.deepStrictEqual(view.recent_decisions.map(d => d.decision_type).sort(), ['agent_assignment', 'retry']);
    const report = await f.manager.recoverFromCrash();
    assert.deepStrictEqual(report.incomplete_tasks.map(t => t.task_id), ['task-001']);
  });

  it('mergeContext keeps the state a previous run left', async () => {
    await f.manager.updateContext({ queue: ['a', 'b'], phase: 'one' });
    const fresh = new JarvisContextManager({ url: f.s.server.url, token: f.s.server.token, contextPath: f.s.folder }); // a restarted orchestrator
    await fresh.mergeContext({ phase: 'two' });
    fresh.dispose();
    assert.deepStrictEqual((await f.manager.restoreContext())!.state, { queue: ['a', 'b'], phase: 'two' });
  });

  it('record() sends batches in order and never rejects', async () => {
    const errors: Error[] = [];
    const down = new JarvisContextManager({ url: 'http://127.0.0.1:9', token: 'x', spool: false, contextPath: tempDir(), onRecordError: e => errors.push(e) });
    await down.record([{ type: 'decision', decision_type: 'a', context: null, decision: 'd', reasoning: '' }]);
    down.dispose();
    assert.strictEqual(errors.length, 1);

    void f.manager.record([{ type: 'task', task_id: 't', status: 'pending' }], { step: 1 });
    void f.manager.record([{ type: 'task', task_id: 't', status: 'in_progress' }], { step: 2 });
    await f.manager.flush();
    assert.deepStrictEqual(statusHistory(f.s, 't'), ['pending', 'in_progress']);
    assert.deepStrictEqual((await f.manager.restoreContext())!.state, { step: 2 });
  });

  it('restoreContext() resumes from a pending resume point, clears it, and goes on from its state', async () => {
    await f.manager.updateContext({ phase: 'plan', step: 1 });
    const rp = (await f.manager.markRecoveryPoint('planned'))!.checkpoint_id;
    await f.manager.updateContext({ phase: 'code', step: 2 });
    const set = await f.manager.client.setResumePoint(rp, { phase: 'plan', step: 1, hint: 'cache it' });
    assert.strictEqual((await f.manager.client.getResumePoint())?.resume_point_id, set.resume_point_id);

    const fresh = new JarvisContextManager({ url: f.s.server.url, token: f.s.server.token, contextPath: f.s.folder }); // a restarted orchestrator
    try {
      const view = (await fresh.restoreContext())!;
      assert.strictEqual(view.resume_point_id, set.resume_point_id);
      assert.deepStrictEqual(view.state, { phase: 'plan', step: 1, hint: 'cache it' });
      assert.strictEqual(await fresh.client.getResumePoint(), undefined, 'the resume point was not cleared');
      assert.strictEqual(f.s.engine.getPendingResumePoint(), undefined);
      const d = (await f.s.engine.getDecisions({ limit: 1 }))[0];
      assert.strictEqual(d.decision_type, 'resume');
      // Context writes after the restore build on the resumed state, not on the one it replaced.
      await fresh.mergeContext({ step: 3 });
      assert.deepStrictEqual(f.s.engine.getContext().state, { phase: 'plan', step: 3, hint: 'cache it' });
      // Restored once: the next restore is the live context.
      assert.strictEqual((await fresh.restoreContext())!.resume_point_id, undefined);
      assert.strictEqual(await fresh.client.clearResumePoint(), false);
    } finally {
      fresh.dispose();
    }
  });
});

describe('client: the spool drains in the background', function () {
  this.timeout(60_000);

  it('sends what was spooled as soon as a server answers, without another call, in order and once', async () => {
    // The spool lives in a folder of its own, so only the client can send it (a server takes its
    // own folder's spool in by itself at start).
    const port = await freePort();
    // The shape of a token the server makes (43 characters of base64url), in a file private to this user.
    const token = 'spool-drain-test-token-0123456789abcdef-012';
    const manager = new JarvisContextManager({ url: `http://127.0.0.1:${port}`, token, contextPath: tempDir('jarvis-drain-client-') });
    let s: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      for (let i = 0; i < 20; i++) {
        assert.strictEqual(await manager.logAgentMessage('a1', 'planner', 'progress', { i }), undefined);
      }
      assert.strictEqual(manager.pendingSpooled(), 20);
      const folder = tempDir('jarvis-drain-server-');
      fs.writeFileSync(path.join(folder, 'endpoint_token'), token + '\n', { mode: 0o600 });
      s = await startServer(folder, port);
      const deadline = Date.now() + 30_000;
      while (manager.pendingSpooled() > 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
      assert.strictEqual(manager.pendingSpooled(), 0);
      const messages = await s.engine.getMessages({ limit: 100 });
      assert.deepStrictEqual(messages.map(m => (m.content as { i: number }).i).reverse(), [...Array(20).keys()]);
      const since = s.engine.getStatus().since_start;
      assert.strictEqual(since.spool_from_clients.accepted, 20);
      assert.ok(since.clients.some(c => c.client.startsWith(`typescript pid=${process.pid} `)), JSON.stringify(since.clients));
    } finally {
      manager.dispose();
      await s?.stop();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

describe('client: the store folder is private', () => {
  it('makes the folder (and parents it makes) 0700, spool files 0600, whatever the umask', async () => {
    const root = tempDir();
    const folder = path.join(root, 'made', 'here', 'store');
    const s = await startServer();
    const old = process.umask(0);
    const down = new JarvisContextManager({ url: 'http://127.0.0.1:9', token: 'x', contextPath: folder });
    const up = new JarvisContextManager({ url: s.server.url, token: s.server.token, contextPath: folder });
    try {
      assert.strictEqual(await down.logDecision('a', null, 'd', 'r'), undefined);
      down.dispose(); // its background drain would take the spool
      fs.appendFileSync(path.join(folder, 'spool.jsonl'), JSON.stringify({ event_id: 'bad', type: 'task', task_id: 't', percentage: 900 }) + '\n');
      assert.strictEqual(fs.statSync(path.join(folder, 'spool.jsonl')).mode & 0o777, 0o600);
      assert.strictEqual(await up.flushSpool(), 2);
    } finally {
      process.umask(old);
      down.dispose();
      up.dispose();
      await s.stop();
    }
    for (const dir of [folder, path.dirname(folder), path.dirname(path.dirname(folder))]) {
      assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o700, dir);
    }
    assert.strictEqual(fs.statSync(path.join(folder, 'spool.rejected.jsonl')).mode & 0o777, 0o600);
  });
});
