// POST, GET, DELETE /resume-point and GET /context while one is pending, each answer and each error.
import * as assert from 'assert';
import { observableState, openEngine, startHarness, type Harness } from './support';

describe('server: resume points', () => {
  let h: Harness;
  let rp: number;
  beforeEach(async () => {
    h = await startHarness();
    await h.req('PUT', '/tasks/auth', { description: 'OAuth login', status: 'in_progress', percentage: 40 });
    await h.req('PUT', '/context', { phase: 'build', retries: 3 });
    rp = (await h.req('POST', '/recovery-points', { label: 'before-deploy' })).json.checkpoint_id;
    await h.req('PUT', '/context', { phase: 'deploy', retries: 0 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('POST /resume-point with an edited state: 201, a fork checkpoint under its parent', async () => {
    const r = await h.req('POST', '/resume-point', { checkpoint_id: rp, state: { phase: 'build', retries: 1 } });
    assert.strictEqual(r.status, 201, r.text);
    assert.deepStrictEqual(Object.keys(r.json).sort(), ['checkpoint_id', 'created_at', 'edited', 'parent_id', 'resume_point_id']);
    assert.strictEqual(r.json.parent_id, rp);
    assert.strictEqual(r.json.edited, true);
    const list = (await h.req('GET', '/checkpoints')).json.checkpoints;
    assert.deepStrictEqual({ id: list[0].checkpoint_id, kind: list[0].kind, parent: list[0].parent_id }, { id: r.json.checkpoint_id, kind: 'fork', parent: rp });
    assert.strictEqual(list[1].parent_id, null);
    const snap = await h.req('GET', `/checkpoints/${r.json.checkpoint_id}`);
    assert.deepStrictEqual(snap.json.state, { phase: 'build', retries: 1 });
    assert.deepStrictEqual((await h.req('GET', `/checkpoints/${rp}`)).json.state, { phase: 'build', retries: 3 });
  });

  it('GET /resume-point: 404 when none, else the pending one with its context', async () => {
    const none = await h.req('GET', '/resume-point');
    assert.strictEqual(none.status, 404);
    assert.strictEqual(none.json.error.code, 'not_found');
    const set = (await h.req('POST', '/resume-point', { checkpoint_id: rp, state: { phase: 'edited' } })).json;
    const r = await h.req('GET', '/resume-point');
    assert.strictEqual(r.status, 200);
    for (const k of ['resume_point_id', 'checkpoint_id', 'state', 'tasks', 'agents', 'created_at']) assert.ok(k in r.json, `${k} missing`);
    assert.strictEqual(r.json.resume_point_id, set.resume_point_id);
    assert.strictEqual(r.json.checkpoint_id, set.checkpoint_id);
    assert.deepStrictEqual(r.json.state, { phase: 'edited' });
    assert.strictEqual(r.json.tasks[0].percentage, 40);
  });

  it('GET /context answers the resume point\'s context and resume_point_id while pending, the live one after DELETE', async () => {
    const set = (await h.req('POST', '/resume-point', { checkpoint_id: rp, state: { phase: 'edited' } })).json;
    let c = await h.req('GET', '/context');
    assert.strictEqual(c.json.resume_point_id, set.resume_point_id);
    assert.strictEqual(c.json.checkpoint_id, set.checkpoint_id);
    assert.deepStrictEqual(c.json.state, { phase: 'edited' });
    const del = await h.req('DELETE', '/resume-point');
    assert.strictEqual(del.status, 204);
    assert.strictEqual(del.text, '');
    assert.strictEqual(del.headers['content-length'], undefined);
    c = await h.req('GET', '/context');
    assert.strictEqual(c.json.resume_point_id, undefined);
    assert.deepStrictEqual(c.json.state, { phase: 'deploy', retries: 0 });
    const d = (await h.req('GET', '/decisions?limit=1')).json.decisions[0];
    assert.strictEqual(d.decision_type, 'resume');
    assert.match(d.decision, /^Orchestrator resumed from checkpoint/);
  });

  it('DELETE /resume-point: 404 when none; ?by=user records a cancellation; ?resume_point_id must be the pending one', async () => {
    const none = await h.req('DELETE', '/resume-point');
    assert.strictEqual(none.status, 404);
    assert.strictEqual(none.json.error.code, 'not_found');
    const set = (await h.req('POST', '/resume-point', { checkpoint_id: rp })).json;
    const other = await h.req('DELETE', `/resume-point?resume_point_id=${set.resume_point_id + 1}`);
    assert.strictEqual(other.status, 404);
    assert.strictEqual(other.json.error.field, 'resume_point_id');
    for (const bad of ['resume_point_id=0', 'resume_point_id=x', 'by=robot']) {
      const r = await h.req('DELETE', `/resume-point?${bad}`);
      assert.strictEqual(r.status, 400, bad);
      assert.strictEqual(r.json.error.field, bad.split('=')[0]);
    }
    assert.strictEqual((await h.req('GET', '/resume-point')).status, 200, 'refused deletes left it pending');
    const del = await h.req('DELETE', `/resume-point?by=user&resume_point_id=${set.resume_point_id}`);
    assert.strictEqual(del.status, 204);
    const d = (await h.req('GET', '/decisions?limit=1')).json.decisions[0];
    assert.strictEqual(d.decision_type, 'resume_cancelled');
    assert.strictEqual((await h.req('GET', '/resume-point')).status, 404);
  });

  it('POST /resume-point refuses bad input (400 naming the field, 404 for an unknown checkpoint) and changes nothing', async () => {
    const before = await observableState(h);
    const cases: [unknown, number, string][] = [
      [{ checkpoint_id: 999 }, 404, 'checkpoint_id'],
      [{ checkpoint_id: String(rp) }, 400, 'checkpoint_id'],
      [{}, 400, 'checkpoint_id'],
      [{ checkpoint_id: rp, state: [1] }, 400, 'state'],
      [{ checkpoint_id: rp, state: 'build' }, 400, 'state'],
      [[rp], 400, 'body'],
    ];
    for (const [body, status, field] of cases) {
      const r = await h.req('POST', '/resume-point', body);
      assert.strictEqual(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.strictEqual(r.json.error.field, field, JSON.stringify(body));
      assert.ok(r.json.error.message.startsWith(`${field}:`), r.json.error.message);
    }
    const malformed = await h.req('POST', '/resume-point', '{"checkpoint_id": ');
    assert.strictEqual(malformed.status, 400);
    assert.strictEqual((await h.req('PUT', '/resume-point', {})).status, 405);
    assert.deepStrictEqual(await observableState(h), before);
    assert.strictEqual((await h.req('GET', '/resume-point')).status, 404);
  });

  it('a 201 is durable: a new engine on the folder has the resume point pending', async () => {
    const set = (await h.req('POST', '/resume-point', { checkpoint_id: rp, state: { phase: 'kept' } })).json;
    await h.server.close();
    await h.engine.close();
    const engine = await openEngine(h.folder);
    try {
      assert.strictEqual(engine.getPendingResumePoint()?.resume_point_id, set.resume_point_id);
      assert.deepStrictEqual((await engine.getRestoreContext()).state, { phase: 'kept' });
    } finally {
      await engine.close();
    }
  });
});
