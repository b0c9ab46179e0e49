// GET /spans: what arrived over OTLP, filtered and paged, with the convention that read each span;
// and spans in `export`.
import * as assert from 'assert';
import * as http from 'http';
import { exporter, exportSpans, startHarness, TOKEN, type Harness } from './support';
import { runSpans } from './scenario';

interface Page { spans: { id: number; span_id: string; trace_id: string; agent_id: string | null; task_id: string | null; convention: string | null; name: string }[]; next_before: number | null }

function get(h: Harness, route: string): Promise<{ status: number; json: Page & { error?: { message: string } } }> {
  return new Promise((resolve, reject) => {
    http.get(`${h.base}/api/jarvis/context${route}`, { headers: { Authorization: `Bearer ${TOKEN}` } }, res => {
      let text = '';
      res.on('data', d => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    }).on('error', reject);
  });
}

describe('otel: GET /spans', function () {
  let h: Harness;
  let traces: string[];
  before(async () => {
    h = await startHarness();
    traces = [];
    for (const conversationId of ['conv-1', 'conv-2']) {
      const { spans, traceId } = runSpans({ conversationId });
      traces.push(traceId);
      assert.strictEqual((await exportSpans(exporter(h.base, 'protobuf'), spans)).code, 0);
    }
  });
  after(async () => {
    await h.close();
  });

  it('lists what arrived, newest first, with its agent, task and the convention that read it', async () => {
    const all = await get(h, '/spans?limit=1000');
    assert.strictEqual(all.status, 200);
    const total = all.json.spans.length;
    assert.strictEqual(total, (await h.engine.getSpans({ limit: 1000 })).length);
    assert.ok(total > 10);
    assert.deepStrictEqual(all.json.spans.map(s => s.id), [...all.json.spans.map(s => s.id)].sort((a, b) => b - a));
    assert.strictEqual(all.json.next_before, null);
    const search = all.json.spans.find(s => s.name === 'execute_tool search')!;
    assert.strictEqual(search.convention, 'gen_ai');
    assert.strictEqual(search.agent_id, 'planner');
    assert.strictEqual(all.json.spans.find(s => s.name === 'GET')!.convention, null, 'an HTTP span no convention reads');
  });

  it('filters by trace, agent, task and time', async () => {
    const one = await get(h, `/spans?trace_id=${traces[0].toUpperCase()}&limit=1000`);
    assert.ok(one.json.spans.length > 0 && one.json.spans.every(s => s.trace_id === traces[0]));
    const writer = await get(h, '/spans?agent_id=writer&limit=1000');
    assert.ok(writer.json.spans.length >= 2 && writer.json.spans.every(s => s.agent_id === 'writer'));
    const task = await get(h, `/spans?task_id=otel-${traces[1]}&limit=1000`);
    assert.deepStrictEqual(new Set(task.json.spans.map(s => s.trace_id)), new Set([traces[1]]));
    const future = await get(h, '/spans?since=2999-01-01T00:00:00Z');
    assert.deepStrictEqual(future.json.spans, []);
  });

  it('pages back with before: every span once, in order', async () => {
    const seen: number[] = [];
    let route = '/spans?limit=4';
    for (let guard = 0; guard < 100; guard++) {
      const page = await get(h, route);
      assert.strictEqual(page.status, 200);
      seen.push(...page.json.spans.map(s => s.id));
      if (page.json.next_before === null) break;
      route = `/spans?limit=4&before=${page.json.next_before}`;
    }
    const all = (await get(h, '/spans?limit=1000')).json.spans.map(s => s.id);
    assert.deepStrictEqual(seen, all);
  });

  it('refuses malformed filters (400, naming the field)', async () => {
    for (const [q, field] of [['trace_id=xyz', 'trace_id'], ['before=0', 'before'], ['before=-1', 'before'], ['limit=0', 'limit'], ['since=yesterday', 'since'], ['agent_id=a&agent_id=b', 'agent_id']]) {
      const a = await get(h, `/spans?${q}`);
      assert.strictEqual(a.status, 400, q);
      assert.match(JSON.stringify(a.json), new RegExp(field), q);
    }
  });

  it('export has the spans', async () => {
    const data = await h.engine.exportAll() as { spans: unknown[] };
    assert.strictEqual(data.spans.length, (await h.engine.getSpans({ limit: 1000 })).length);
  });
});
