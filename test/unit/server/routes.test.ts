// Every route of shared/API.md with good input, against a real engine and server.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { listRoutes } from '../../../src/server/routes';
import { openEngine, startHarness, type Harness } from './support';

describe('server routes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('GET /status answers the session and counts', async () => {
    const r = await h.req('GET', '/status');
    assert.strictEqual(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /application\/json/);
    assert.strictEqual(r.headers['content-length'], String(Buffer.byteLength(r.text)));
    assert.strictEqual(typeof r.json.session_id, 'string');
    assert.strictEqual(r.json.recovered_from_crash, false);
    assert.strictEqual(r.json.storage_path.length > 0, true);
    assert.deepStrictEqual(Object.keys(r.json.counts).sort(), ['agents', 'decisions', 'messages', 'snapshots', 'tasks']);
  });

  it('PUT /tasks/{id} merges into the task and GET /task-progress filters by status', async () => {
    let r = await h.req('PUT', '/tasks/t-1', { description: 'parse', status: 'in_progress', percentage: 10, blockers: ['db'] });
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.json.task_id, 't-1');
    r = await h.req('PUT', '/tasks/t-1', { percentage: 55.5, completed_subtasks: ['a'] });
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.json.description, 'parse');
    assert.strictEqual(r.json.percentage, 55.5);
    assert.deepStrictEqual(r.json.blockers, ['db']);
    assert.deepStrictEqual(r.json.completed_subtasks, ['a']);
    await h.req('PUT', '/tasks/t%2F2', { description: 'slash id', status: 'completed', percentage: 100 });
    const all = await h.req('GET', '/task-progress');
    assert.deepStrictEqual(all.json.tasks.map((t: { task_id: string }) => t.task_id).sort(), ['t-1', 't/2']);
    const done = await h.req('GET', '/task-progress?status=completed');
    assert.deepStrictEqual(done.json.tasks.map((t: { task_id: string }) => t.task_id), ['t/2']);
  });

  it('PUT /agents/{id} stores the agent and GET /agent-states reports its health', async () => {
    const r = await h.req('PUT', '/agents/coder', { status: 'working', current_task: 't-1', capabilities: ['code'], metadata: { v: 1 } });
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.json.agent_id, 'coder');
    const list = await h.req('GET', '/agent-states');
    assert.strictEqual(list.json.agents.length, 1);
    const a = list.json.agents[0];
    assert.strictEqual(a.status, 'working');
    assert.strictEqual(a.current_task, 't-1');
    assert.strictEqual(a.health, 'healthy');
    assert.strictEqual(a.stale, false);
    assert.strictEqual(typeof a.seconds_since_update, 'number');
  });

  it('POST /decisions and GET /decisions, /decision-log with filters, newest first', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await h.req('POST', '/decisions', {
        decision_type: 'route', context: { i }, decision: `d${i}`, reasoning: 'r', outcome: null,
        agent_id: i === 1 ? 'a1' : 'a0', task_id: 't',
      });
      assert.strictEqual(r.status, 201);
      assert.strictEqual(typeof r.json.id, 'number');
      ids.push(r.json.id);
    }
    const all = await h.req('GET', '/decisions');
    assert.deepStrictEqual(all.json.decisions.map((d: { decision: string }) => d.decision), ['d2', 'd1', 'd0']);
    const byAgent = await h.req('GET', '/decisions?agent_id=a1');
    assert.deepStrictEqual(byAgent.json.decisions.map((d: { id: number }) => d.id), [ids[1]]);
    const limited = await h.req('GET', '/decision-log?limit=2');
    assert.deepStrictEqual(limited.json.decisions.map((d: { decision: string }) => d.decision), ['d2', 'd1']);
    const future = await h.req('GET', `/decisions?since=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`);
    assert.deepStrictEqual(future.json.decisions, []);
  });

  it('POST /messages and GET /messages', async () => {
    const r = await h.req('POST', '/messages', { from_agent: 'a', to_agent: 'b', message_type: 'ask', content: { q: 'hi' } });
    assert.strictEqual(r.status, 201);
    await h.req('POST', '/messages', { from_agent: 'c', to_agent: 'd', message_type: 'tell', content: 'x' });
    const all = await h.req('GET', '/messages');
    assert.strictEqual(all.json.messages.length, 2);
    assert.strictEqual(all.json.messages[0].from_agent, 'c');
    const byAgent = await h.req('GET', '/messages?agent_id=b');
    assert.deepStrictEqual(byAgent.json.messages.map((m: { id: number }) => m.id), [r.json.id]);
  });

  it('PUT /context replaces the state; GET /context and /conversation-history read it back', async () => {
    const history = Array.from({ length: 5 }, (_, i) => ({ role: 'user', text: `m${i}` }));
    let r = await h.req('PUT', '/context', { goal: 'ship', conversation_history: history });
    assert.strictEqual(r.status, 200);
    r = await h.req('PUT', '/context', { goal: 'ship v2', conversation_history: history });
    const ctx = await h.req('GET', '/context');
    assert.strictEqual(ctx.status, 200);
    assert.strictEqual(ctx.json.state.goal, 'ship v2');
    const hist = await h.req('GET', '/conversation-history?limit=2');
    assert.deepStrictEqual(hist.json.history, history.slice(-2));
  });

  it('POST /events writes a batch and skips event ids already stored', async () => {
    const events = [
      { event_id: 'e1', type: 'task', task_id: 'bt', description: 'batch', status: 'pending' },
      { event_id: 'e2', type: 'agent', agent_id: 'ba', status: 'idle' },
      { event_id: 'e3', type: 'decision', decision_type: 'x', context: {}, decision: 'go', reasoning: 'because' },
      { event_id: 'e4', type: 'message', from_agent: 'ba', to_agent: 'bb', message_type: 'm', content: 1 },
      { event_id: 'e5', type: 'context', context: { step: 3 } },
    ];
    let r = await h.req('POST', '/events', { events });
    assert.strictEqual(r.status, 201);
    assert.deepStrictEqual(r.json, { accepted: 5, duplicates: 0 });
    r = await h.req('POST', '/events', { events: [...events, { event_id: 'e6', type: 'message', from_agent: 'x', to_agent: 'y', message_type: 'm', content: 2 }] });
    assert.strictEqual(r.status, 201);
    assert.deepStrictEqual(r.json, { accepted: 1, duplicates: 5 });
    const status = await h.req('GET', '/status');
    assert.deepStrictEqual(
      { t: status.json.counts.tasks, a: status.json.counts.agents, d: status.json.counts.decisions, m: status.json.counts.messages },
      { t: 1, a: 1, d: 1, m: 2 },
    );
    assert.strictEqual((await h.req('GET', '/context')).json.state.step, 3);
  });

  it('POST /events keeps a given ts, as the spool does', async () => {
    const ts = '2026-01-02T03:04:05.000Z';
    const r = await h.req('POST', '/events', { events: [
      { type: 'decision', decision_type: 'late', context: {}, decision: 'sent later', reasoning: 'r', ts: '2026-01-02T04:04:05+01:00' },
      { type: 'message', from_agent: 'late-a', to_agent: 'late-b', message_type: 'm', content: 1, ts },
    ] });
    assert.strictEqual(r.status, 201, r.text);
    const d = (await h.req('GET', '/decisions')).json.decisions.find((x: { decision_type: string }) => x.decision_type === 'late');
    assert.strictEqual(d.ts, ts);
    const m = (await h.req('GET', '/messages?agent_id=late-a')).json.messages[0];
    assert.strictEqual(m.ts, ts);
  });

  it('PUT /agents/{id} without a status is a heartbeat that keeps the status', async () => {
    await h.req('PUT', '/agents/beat', { status: 'working' });
    const r = await h.req('PUT', '/agents/beat', {});
    assert.strictEqual(r.status, 200, r.text);
    assert.strictEqual(r.json.status, 'working');
    assert.strictEqual((await h.req('PUT', '/agents/new-beat', {})).json.status, 'active');
  });

  it('POST /checkpoint, /recovery-points; GET /checkpoints and /checkpoints/{id}', async () => {
    await h.req('PUT', '/context', { phase: 'one' });
    const c = await h.req('POST', '/checkpoint', { label: 'before-merge' });
    assert.strictEqual(c.status, 201);
    assert.strictEqual(typeof c.json.checkpoint_id, 'number');
    assert.strictEqual(typeof c.json.duration_ms, 'number');
    assert.strictEqual(typeof c.json.deduplicated, 'boolean');
    const bare = await h.req('POST', '/checkpoint');
    assert.strictEqual(bare.status, 201);
    const rp = await h.req('POST', '/recovery-points', { label: 'rp1' });
    assert.strictEqual(rp.status, 201);
    assert.strictEqual(typeof rp.json.checkpoint_id, 'number');
    const list = await h.req('GET', '/checkpoints');
    const ids = list.json.checkpoints.map((x: { checkpoint_id: number }) => x.checkpoint_id);
    assert.ok(ids.includes(c.json.checkpoint_id) && ids.includes(rp.json.checkpoint_id));
    assert.strictEqual(list.json.checkpoints[0].checkpoint_id, Math.max(...ids));
    const snap = await h.req('GET', `/checkpoints/${c.json.checkpoint_id}`);
    assert.strictEqual(snap.status, 200);
    assert.ok(snap.text.includes('"one"'), snap.text.slice(0, 200));
    const missing = await h.req('GET', '/checkpoints/999999');
    assert.strictEqual(missing.status, 404);
    assert.strictEqual(missing.json.error.code, 'not_found');
  });

  it('GET /recovery-report is 404 before any recovery; POST /recover writes one; /recovery-reports lists it', async () => {
    const none = await h.req('GET', '/recovery-report');
    assert.strictEqual(none.status, 404);
    await h.req('PUT', '/tasks/open', { description: 'unfinished', status: 'in_progress', percentage: 40 });
    const r = await h.req('POST', '/recover');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.json.trigger, 'manual');
    assert.ok(r.json.incomplete_tasks.some((t: { task_id: string }) => t.task_id === 'open'));
    const file = path.isAbsolute(r.json.file) ? r.json.file : path.join(h.folder, r.json.file);
    assert.ok(fs.existsSync(file), file);
    const latest = await h.req('GET', '/recovery-report');
    assert.strictEqual(latest.status, 200);
    assert.strictEqual(latest.json.file, r.json.file);
    const list = await h.req('GET', '/recovery-reports');
    assert.strictEqual(list.json.reports[0].file, r.json.file);
  });

  it('POST /cleanup counts with dry_run and removes old history otherwise', async () => {
    await h.req('POST', '/decisions', { decision_type: 'x', context: null, decision: 'd', reasoning: 'r' });
    const dry = await h.req('POST', '/cleanup', { older_than_days: 0, dry_run: true });
    assert.strictEqual(dry.status, 200);
    for (const k of ['checkpoint_files', 'decisions', 'messages', 'snapshots', 'task_events']) {
      assert.strictEqual(typeof dry.json.removed[k], 'number', `removed.${k}`);
    }
    assert.strictEqual((await h.req('GET', '/decisions')).json.decisions.length, 1, 'dry run removed nothing');
    const keep = await h.req('POST', '/cleanup', { older_than_days: 30 });
    assert.strictEqual(keep.status, 200);
    assert.strictEqual(keep.json.removed.decisions, 0);
    assert.strictEqual((await h.req('GET', '/decisions')).json.decisions.length, 1);
  });

  it('POST /cleanup removes history older than older_than_days by the engine clock', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const aged = await startHarness({}, undefined, { clock: { now: () => now } });
    try {
      await aged.req('POST', '/decisions', { decision_type: 'x', context: null, decision: 'old', reasoning: 'r' });
      await aged.req('POST', '/messages', { from_agent: 'a', to_agent: 'b', message_type: 'm', content: 'old' });
      now += 40 * 86_400_000;
      await aged.req('POST', '/decisions', { decision_type: 'x', context: null, decision: 'new', reasoning: 'r' });
      const dry = await aged.req('POST', '/cleanup', { older_than_days: 30, dry_run: true });
      assert.strictEqual(dry.json.removed.decisions, 1);
      assert.strictEqual((await aged.req('GET', '/decisions')).json.decisions.length, 2);
      const done = await aged.req('POST', '/cleanup', { older_than_days: 30 });
      assert.strictEqual(done.status, 200);
      assert.strictEqual(done.json.removed.decisions, 1);
      assert.strictEqual(done.json.removed.messages, 1);
      assert.deepStrictEqual((await aged.req('GET', '/decisions')).json.decisions.map((d: { decision: string }) => d.decision), ['new']);
    } finally {
      await aged.close();
    }
  });

  it('GET /metrics answers JSON, and Prometheus text for Accept: text/plain', async () => {
    await h.req('POST', '/decisions', { decision_type: 'x', context: null, decision: 'd', reasoning: 'r' });
    const j = await h.req('GET', '/metrics');
    assert.strictEqual(j.status, 200);
    for (const k of ['checkpoint', 'db_bytes', 'journal_bytes', 'archive_bytes', 'memory_bytes', 'events_total', 'dedup_hits', 'recovery', 'snapshot_rates', 'activity', 'storage']) {
      assert.ok(k in j.json, k);
    }
    const t = await h.req('GET', '/metrics', undefined, { headers: { Accept: 'text/plain' } });
    assert.strictEqual(t.status, 200);
    assert.match(t.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
    const lines = t.text.trimEnd().split('\n');
    const helped = new Set<string>();
    for (const line of lines) {
      if (line.startsWith('# HELP ')) helped.add(line.split(' ')[2]);
      else if (line.startsWith('# TYPE ')) assert.match(line, /^# TYPE jarvis_context_\w+ (counter|gauge)$/);
      else {
        const m = /^(jarvis_context_\w+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[\d.e+-]+|NaN)$/.exec(line);
        assert.ok(m, `not an exposition line: ${line}`);
        assert.ok(helped.has(m[1]), `sample before its HELP: ${line}`);
      }
    }
    const events = lines.find(l => l.startsWith('jarvis_context_events_total '));
    assert.strictEqual(Number(events?.split(' ')[1]), j.json.events_total);
    assert.ok(lines.some(l => l.startsWith('jarvis_context_http_responses_total{code="2xx"}')));
  });

  it('every route in the table is served (none answers 404 or 405 to its own method)', async () => {
    for (const r of listRoutes()) {
      if (r.path === '/stream') continue; // never ends; stream.test.ts
      const route = r.path.replace(':task_id', 'x').replace(':agent_id', 'x').replace(':id', '1');
      const a = await h.req(r.method, route, r.method === 'GET' ? undefined : {});
      assert.ok(a.status !== 405 && !(a.status === 404 && a.json?.error?.message?.startsWith('No route')), `${r.method} ${route}: ${a.status} ${a.text}`);
    }
  });

  it('writes answered 2xx are on disk: a new engine on the folder sees them', async () => {
    await h.req('PUT', '/tasks/durable', { description: 'd', status: 'blocked', percentage: 5 });
    const d = await h.req('POST', '/decisions', { decision_type: 'x', context: null, decision: 'keep', reasoning: 'r' });
    await h.server.close();
    await h.engine.close();
    const engine = await openEngine(h.folder);
    try {
      assert.strictEqual(engine.getTask('durable')?.status, 'blocked');
      assert.strictEqual((await engine.getDecisions()).find(x => x.id === d.json.id)?.decision, 'keep');
    } finally {
      await engine.close();
    }
  });
});
