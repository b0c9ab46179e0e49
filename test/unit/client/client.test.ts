import * as assert from 'assert';
import * as net from 'net';
import * as fs from 'fs';
import * as path from 'path';
import { JarvisContextClient, JarvisContextError, discoverEndpoint, normalizeBaseUrl, StreamEvent } from 'jarvis-context-client';
import { Running, startServer, tempDir } from './support';

describe('client: JarvisContextClient against the real server', () => {
  let s: Running;
  beforeEach(async () => { s = await startServer(); });
  afterEach(async () => { await s.stop(); });

  it('reports and reads back through every route', async () => {
    const c = s.client;
    const task = await c.updateTask('t-1', { description: 'parse', status: 'in_progress', percentage: 40, completed_subtasks: ['read'] });
    assert.strictEqual(task.percentage, 40);
    assert.deepStrictEqual((await c.getTaskProgress({ status: 'in_progress' })).map(t => t.task_id), ['t-1']);
    assert.deepStrictEqual(await c.getTaskProgress({ status: 'completed' }), []);

    const agent = await c.updateAgent('a/1', { status: 'busy', current_task: 't-1', capabilities: ['py'] });
    assert.strictEqual(agent.agent_id, 'a/1'); // path-encoded
    assert.strictEqual((await c.getAgentStates())[0].health, 'healthy');

    const { id } = await c.logDecision({ decision_type: 'assign', context: { t: 1 }, decision: 't-1 to a/1', reasoning: 'capable', task_id: 't-1' });
    assert.ok(id > 0);
    await c.logMessage({ from_agent: 'orchestrator', to_agent: 'a/1', message_type: 'assign', content: { task: 't-1' } });
    assert.deepStrictEqual(await c.putContext({ phase: 'run', conversation_history: [{ role: 'user', text: 'go' }] }), await c.getContext().then(v => v.state));

    const batch = await c.postEvents([
      { event_id: 'e-1', type: 'decision', decision_type: 'assign', context: null, decision: 'again', reasoning: 'r' },
      { event_id: 'e-2', type: 'message', from_agent: 'a/1', to_agent: 'orchestrator', message_type: 'done', content: 'ok' },
    ]);
    assert.deepStrictEqual(batch, { accepted: 2, duplicates: 0 });
    assert.deepStrictEqual(await c.postEvents([{ event_id: 'e-1', type: 'decision', decision_type: 'assign', context: null, decision: 'again', reasoning: 'r' }]),
      { accepted: 0, duplicates: 1 });

    assert.deepStrictEqual((await c.getDecisions({ task_id: 't-1' })).map(d => d.decision), ['t-1 to a/1']);
    assert.strictEqual((await c.getDecisions({ limit: 1 }))[0].decision, 'again'); // newest first
    assert.strictEqual((await c.getDecisionLog(10)).length, 2);
    assert.strictEqual((await c.getMessages({ agent_id: 'a/1' })).length, 2);
    assert.deepStrictEqual(await c.getConversationHistory(5), [{ role: 'user', text: 'go' }]);

    const status = await c.getStatus();
    assert.deepStrictEqual(
      [status.counts.tasks, status.counts.agents, status.counts.decisions, status.counts.messages], [1, 1, 2, 2]);

    const cp = await c.checkpoint('manual one');
    const rp = await c.markRecoveryPoint('before release');
    const listed = await c.getCheckpoints();
    assert.deepStrictEqual(listed.map(x => x.checkpoint_id).sort(), [cp.checkpoint_id, rp.checkpoint_id].sort());
    const snapshot = await c.getCheckpoint(rp.checkpoint_id);
    assert.ok(snapshot && typeof snapshot === 'object');
    assert.strictEqual(await c.getCheckpoint(999_999), undefined);

    assert.strictEqual(await c.getRecoveryReport(), undefined); // no recovery yet: 404 becomes undefined
    const report = await c.recover();
    assert.strictEqual(report.trigger, 'manual');
    assert.deepStrictEqual(report.incomplete_tasks.map(t => t.task_id), ['t-1']);
    assert.strictEqual((await c.getRecoveryReports()).length, 1);

    assert.strictEqual(typeof (await c.getMetrics()).events_total, 'number');
    assert.match(await c.getMetricsText(), /^# (HELP|TYPE) /m);
    const cleaned = await c.cleanup({ older_than_days: 30, dry_run: true });
    assert.strictEqual(cleaned.dry_run, true);
  });

  it('throws JarvisContextError carrying the API error and the HTTP status', async () => {
    await assert.rejects(s.client.updateTask('t', { percentage: 150 }), (e: unknown) => {
      assert.ok(e instanceof JarvisContextError);
      assert.strictEqual(e.status, 400);
      assert.strictEqual(e.field, 'percentage');
      assert.match(e.message, /percentage/);
      assert.strictEqual(e.unreachable, false);
      return true;
    });
    const wrongToken = new JarvisContextClient({ url: s.server.url, token: 'nope' });
    await assert.rejects(wrongToken.getStatus(), (e: unknown) => e instanceof JarvisContextError && e.status === 401 && e.code !== '');
    wrongToken.dispose();
    await assert.rejects(s.client.request('GET', '/nowhere'), (e: unknown) => e instanceof JarvisContextError && e.status === 404);
    assert.strictEqual((await s.client.getStatus()).counts.tasks, 0); // a rejected request changed nothing
  });

  it('streams changes as server-sent events', async () => {
    const seen: StreamEvent[] = [];
    let wake = () => {};
    const stream = await s.client.stream(e => { seen.push(e); wake(); });
    const arrived = new Promise<void>(resolve => { wake = resolve; });
    await s.client.logMessage({ from_agent: 'a', to_agent: 'b', message_type: 'ping', content: null });
    await arrived;
    stream.close();
    assert.strictEqual(seen[0].kind, 'message');
  });
});

describe('client: finding the server', () => {
  it('takes JARVIS_CONTEXT_URL / JARVIS_CONTEXT_TOKEN first, then endpoint.json under JARVIS_CONTEXT_PATH', () => {
    const folder = tempDir();
    fs.writeFileSync(path.join(folder, 'endpoint.json'), JSON.stringify({ url: 'http://127.0.0.1:1234', token: 'tf', pid: 1 }));
    assert.deepStrictEqual(
      discoverEndpoint({ JARVIS_CONTEXT_URL: 'http://127.0.0.1:9/api/jarvis/context/', JARVIS_CONTEXT_TOKEN: 'te', JARVIS_CONTEXT_PATH: folder }),
      { url: 'http://127.0.0.1:9/api/jarvis/context', token: 'te', source: 'env' });
    const fromFile = discoverEndpoint({ JARVIS_CONTEXT_PATH: folder });
    assert.strictEqual(fromFile?.url, 'http://127.0.0.1:1234/api/jarvis/context');
    assert.strictEqual(fromFile?.token, 'tf');
    assert.strictEqual(discoverEndpoint({ JARVIS_CONTEXT_PATH: tempDir() }), undefined);
    assert.strictEqual(normalizeBaseUrl('http://h:1/api/jarvis/context'), 'http://h:1/api/jarvis/context');
  });

  it('says how to start a server when none is advertised', async () => {
    const c = new JarvisContextClient({ env: { JARVIS_CONTEXT_PATH: tempDir() } });
    await assert.rejects(c.getStatus(), (e: unknown) =>
      e instanceof JarvisContextError && e.code === 'no_endpoint' && e.unreachable && /jarvis-context serve/.test(e.message));
  });

  it('follows endpoint.json to a server restarted on another port', async () => {
    const folder = tempDir();
    let s = await startServer(folder);
    const c = new JarvisContextClient({ env: { JARVIS_CONTEXT_PATH: folder } });
    // Another program takes the port while the server is down (and hangs up on anyone who calls),
    // so the restart has to move.
    const squatter = net.createServer(socket => socket.destroy());
    try {
      await c.logDecision({ decision_type: 'a', context: null, decision: 'first', reasoning: '' });
      const firstUrl = c.getEndpoint()?.url;
      await s.stop();
      await assert.rejects(c.getStatus(), (e: unknown) => e instanceof JarvisContextError && e.unreachable);
      await new Promise<void>(r => squatter.listen(Number(new URL(firstUrl!).port), '127.0.0.1', r));
      s = await startServer(folder);
      assert.notStrictEqual(s.server.url, firstUrl);
      assert.strictEqual((await c.getStatus()).counts.decisions, 1);
    } finally {
      c.dispose();
      await s.stop();
      await new Promise(r => squatter.close(r));
    }
  });
});
