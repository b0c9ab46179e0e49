// GET /alerts, POST /alerts/{id}/dismiss, the `alert` event of /stream and the Prometheus gauge,
// against a real engine and server; every error answer of these routes.
import * as assert from 'assert';
import * as http from 'http';
import { startHarness, type Harness } from './support';
import { onSseBlocks } from '../support/sseBlocks';

const loop = async (h: Harness, from = 'writer', times = 5): Promise<void> => {
  for (let i = 0; i < times; i++) {
    const r = await h.req('POST', '/messages', { from_agent: from, to_agent: 'tool:search', message_type: 'tool_call', content: { tool_name: 'search', arguments: { q: 'same' }, tool_call_id: `c${i}` } });
    assert.strictEqual(r.status, 201);
  }
};

describe('server: alerts', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({}, undefined, { alerts: { checkIntervalMs: 3_600_000 } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('GET /alerts is empty, then lists the loop raised by five identical tool calls, newest first', async () => {
    let r = await h.req('GET', '/alerts');
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(r.json, { alerts: [] });
    await loop(h, 'first');
    await loop(h, 'second');
    r = await h.req('GET', '/alerts?active=true');
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(r.json.alerts.map((a: { subject: { id: string } }) => a.subject.id), ['second', 'first']);
    const a = r.json.alerts[1];
    for (const k of ['id', 'kind', 'subject', 'message', 'first_seen', 'last_seen', 'count', 'active']) assert.ok(k in a, k);
    assert.strictEqual(a.kind, 'loop');
    assert.deepStrictEqual(a.subject, { type: 'agent', id: 'first' });
    assert.strictEqual(a.count, 5);
    assert.strictEqual(a.active, true);
    assert.strictEqual((await h.req('GET', '/alerts?limit=1')).json.alerts.length, 1);
  });

  it('POST /alerts/{id}/dismiss answers the alert, inactive; it leaves ?active=true and stays in GET /alerts', async () => {
    await loop(h);
    const [a] = (await h.req('GET', '/alerts?active=true')).json.alerts;
    const r = await h.req('POST', `/alerts/${a.id}/dismiss`);
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.json.id, a.id);
    assert.strictEqual(r.json.active, false);
    assert.strictEqual(r.json.cleared_by, 'dismissed');
    assert.deepStrictEqual((await h.req('GET', '/alerts?active=true')).json.alerts, []);
    const all = (await h.req('GET', '/alerts?active=false')).json.alerts;
    assert.deepStrictEqual(all.map((x: { id: number; active: boolean }) => [x.id, x.active]), [[a.id, false]]);
    // Dismissing again changes nothing and answers the same.
    assert.strictEqual((await h.req('POST', `/alerts/${a.id}/dismiss`)).json.cleared_by, 'dismissed');
  });

  it('errors: unknown id 404, bad id or active 400 naming the field, wrong method 405 with Allow', async () => {
    let r = await h.req('POST', '/alerts/999/dismiss');
    assert.strictEqual(r.status, 404);
    assert.strictEqual(r.json.error.code, 'not_found');
    assert.match(r.json.error.message, /no alert 999/);
    r = await h.req('POST', '/alerts/abc/dismiss');
    assert.strictEqual(r.status, 400);
    assert.match(r.json.error.message, /^id: /);
    r = await h.req('GET', '/alerts?active=yes');
    assert.strictEqual(r.status, 400);
    assert.match(r.json.error.message, /^active: must be true or false/);
    r = await h.req('GET', '/alerts?limit=0');
    assert.strictEqual(r.status, 400);
    r = await h.req('GET', '/alerts/1/dismiss');
    assert.strictEqual(r.status, 405);
    assert.strictEqual(r.headers.allow, 'POST');
    r = await h.req('POST', '/alerts', {});
    assert.strictEqual(r.status, 405);
    assert.strictEqual(r.headers.allow, 'GET');
  });

  it('the Prometheus text has a gauge of active alerts by kind', async () => {
    await loop(h);
    const r = await h.req('GET', '/metrics', undefined, { headers: { Accept: 'text/plain' } });
    assert.strictEqual(r.status, 200);
    assert.match(r.text, /# TYPE jarvis_context_alerts_active gauge/);
    assert.match(r.text, /^jarvis_context_alerts_active\{kind="loop"\} 1$/m);
    assert.match(r.text, /^jarvis_context_alerts_active\{kind="stuck_agent"\} 0$/m);
  });

  it('/stream sends an `alert` event with the alert when one is raised and when it is dismissed', async () => {
    const blocks: string[] = [];
    const req = http.get(h.server.url + '/stream', { headers: { Authorization: `Bearer ${h.server.token}` } });
    const res = await new Promise<http.IncomingMessage>(resolve => req.on('response', resolve));
    onSseBlocks(res, b => blocks.push(b));
    const alertEvents = () => blocks.filter(b => b.includes('\nevent: alert\n')).map(b => JSON.parse(b.split('\ndata: ')[1]));
    const waitFor = async (n: number) => {
      for (let i = 0; i < 300 && alertEvents().length < n; i++) await new Promise(r => setTimeout(r, 10));
      assert.ok(alertEvents().length >= n, `expected ${n} alert events; got ${blocks.join(' | ')}`);
    };
    try {
      await new Promise(r => setTimeout(r, 50));
      await loop(h);
      await waitFor(1);
      assert.strictEqual(alertEvents()[0].kind, 'loop');
      assert.strictEqual(alertEvents()[0].active, true);
      await h.req('POST', `/alerts/${alertEvents()[0].id}/dismiss`);
      await waitFor(2);
      assert.strictEqual(alertEvents()[1].active, false);
      assert.ok(blocks.some(b => b.includes('event: change') && b.includes('"kind":"alert"')), 'a change event of kind alert too');
    } finally {
      req.destroy();
    }
  });
});
