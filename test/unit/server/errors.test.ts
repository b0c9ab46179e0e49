// Bad input, table-driven: each case gets its status, the error shape naming the field, and leaves
// every readable piece of state exactly as it was.
import * as assert from 'assert';
import { observableState, startHarness, type Harness } from './support';

interface Case {
  name: string;
  method: string;
  route: string;
  body?: unknown;
  status: number;
  code: string;
  /** Text the message must contain (the field). */
  field?: string;
}

const long = 'x'.repeat(257);
const decision = { decision_type: 't', context: {}, decision: 'd', reasoning: 'r' };
const message = { from_agent: 'a', to_agent: 'b', message_type: 'm', content: 1 };
const goodTask = { event_id: 'ok-1', type: 'task', task_id: 'batch-task', description: 'x' };

const cases: Case[] = [
  // malformed JSON, wrong body shapes
  { name: 'malformed JSON', method: 'PUT', route: '/tasks/t', body: '{"status": "pending"', status: 400, code: 'invalid_json', field: 'body' },
  { name: 'body is an array', method: 'PUT', route: '/tasks/t', body: [], status: 400, code: 'invalid_field', field: 'body' },
  { name: 'body is a string', method: 'PUT', route: '/context', body: '"hello"', status: 400, code: 'invalid_field', field: 'body' },
  { name: 'empty body where one is required', method: 'POST', route: '/decisions', body: '', status: 400, code: 'invalid_field', field: 'body' },
  { name: 'number too large for JSON', method: 'PUT', route: '/context', body: '{"a": 1e400}', status: 400, code: 'invalid_field', field: 'body' },
  { name: 'nesting too deep', method: 'PUT', route: '/context', body: `{"a":${'['.repeat(100)}${']'.repeat(100)}}`, status: 400, code: 'invalid_field', field: 'body' },
  // tasks
  { name: 'percentage over 100', method: 'PUT', route: '/tasks/t', body: { percentage: 101 }, status: 400, code: 'invalid_field', field: 'percentage' },
  { name: 'negative percentage', method: 'PUT', route: '/tasks/t', body: { percentage: -1 }, status: 400, code: 'invalid_field', field: 'percentage' },
  { name: 'percentage as string', method: 'PUT', route: '/tasks/t', body: { percentage: '50' }, status: 400, code: 'invalid_field', field: 'percentage' },
  { name: 'unknown status', method: 'PUT', route: '/tasks/t', body: { status: 'done' }, status: 400, code: 'invalid_field', field: 'status' },
  { name: 'blockers not strings', method: 'PUT', route: '/tasks/t', body: { blockers: [1] }, status: 400, code: 'invalid_field', field: 'blockers[0]' },
  { name: 'completed_subtasks not an array', method: 'PUT', route: '/tasks/t', body: { completed_subtasks: 'a' }, status: 400, code: 'invalid_field', field: 'completed_subtasks' },
  { name: 'metadata not an object', method: 'PUT', route: '/tasks/t', body: { metadata: [1] }, status: 400, code: 'invalid_field', field: 'metadata' },
  { name: 'description not a string', method: 'PUT', route: '/tasks/t', body: { description: 5 }, status: 400, code: 'invalid_field', field: 'description' },
  { name: 'task id over 256 chars', method: 'PUT', route: `/tasks/${long}`, body: {}, status: 400, code: 'invalid_field', field: 'task_id' },
  { name: 'empty task id', method: 'PUT', route: '/tasks/', body: {}, status: 400, code: 'invalid_field', field: 'task_id' },
  { name: 'bad percent-encoding in id', method: 'PUT', route: '/tasks/%E0%A4%A', body: {}, status: 400, code: 'invalid_field', field: 'task_id' },
  { name: 'status filter unknown', method: 'GET', route: '/task-progress?status=nope', status: 400, code: 'invalid_field', field: 'status' },
  // agents
  { name: 'agent status empty', method: 'PUT', route: '/agents/a', body: { status: '' }, status: 400, code: 'invalid_field', field: 'status' },
  { name: 'agent status not a string', method: 'PUT', route: '/agents/a', body: { status: 1 }, status: 400, code: 'invalid_field', field: 'status' },
  { name: 'agent capabilities wrong', method: 'PUT', route: '/agents/a', body: { status: 'ok', capabilities: 'all' }, status: 400, code: 'invalid_field', field: 'capabilities' },
  { name: 'agent id over 256 chars', method: 'PUT', route: `/agents/${long}`, body: { status: 'ok' }, status: 400, code: 'invalid_field', field: 'agent_id' },
  // decisions, messages
  { name: 'decision without decision_type', method: 'POST', route: '/decisions', body: { ...decision, decision_type: undefined }, status: 400, code: 'invalid_field', field: 'decision_type' },
  { name: 'decision without context', method: 'POST', route: '/decisions', body: { ...decision, context: undefined }, status: 400, code: 'invalid_field', field: 'context' },
  { name: 'decision reasoning not a string', method: 'POST', route: '/decisions', body: { ...decision, reasoning: [] }, status: 400, code: 'invalid_field', field: 'reasoning' },
  { name: 'decision agent_id empty', method: 'POST', route: '/decisions', body: { ...decision, agent_id: '' }, status: 400, code: 'invalid_field', field: 'agent_id' },
  { name: 'message without to_agent', method: 'POST', route: '/messages', body: { ...message, to_agent: undefined }, status: 400, code: 'invalid_field', field: 'to_agent' },
  { name: 'message from_agent too long', method: 'POST', route: '/messages', body: { ...message, from_agent: long }, status: 400, code: 'invalid_field', field: 'from_agent' },
  { name: 'message without content', method: 'POST', route: '/messages', body: { ...message, content: undefined }, status: 400, code: 'invalid_field', field: 'content' },
  // batches: one bad entry after good ones rejects the whole batch
  { name: 'batch without events', method: 'POST', route: '/events', body: {}, status: 400, code: 'invalid_field', field: 'events' },
  { name: 'batch events not an array', method: 'POST', route: '/events', body: { events: {} }, status: 400, code: 'invalid_field', field: 'events' },
  { name: 'batch: bad type in 2nd entry', method: 'POST', route: '/events', body: { events: [goodTask, { type: 'nope' }] }, status: 400, code: 'invalid_field', field: 'events[1].type' },
  { name: 'batch: bad percentage in 3rd entry', method: 'POST', route: '/events', body: { events: [goodTask, { type: 'message', ...message }, { type: 'task', task_id: 'x', percentage: 300 }] }, status: 400, code: 'invalid_field', field: 'events[2].percentage' },
  { name: 'batch: event_id too long', method: 'POST', route: '/events', body: { events: [goodTask, { ...goodTask, event_id: long }] }, status: 400, code: 'invalid_field', field: 'events[1].event_id' },
  { name: 'batch: entry not an object', method: 'POST', route: '/events', body: { events: [goodTask, 7] }, status: 400, code: 'invalid_field', field: 'events[1]' },
  { name: 'batch: agent without id', method: 'POST', route: '/events', body: { events: [goodTask, { type: 'agent', status: 'ok' }] }, status: 400, code: 'invalid_field', field: 'events[1].agent_id' },
  // checkpoints, recovery points, cleanup
  { name: 'checkpoint label not a string', method: 'POST', route: '/checkpoint', body: { label: 3 }, status: 400, code: 'invalid_field', field: 'label' },
  { name: 'recovery point without label', method: 'POST', route: '/recovery-points', body: {}, status: 400, code: 'invalid_field', field: 'label' },
  { name: 'recovery point label too long', method: 'POST', route: '/recovery-points', body: { label: long }, status: 400, code: 'invalid_field', field: 'label' },
  { name: 'cleanup without older_than_days', method: 'POST', route: '/cleanup', body: { dry_run: false }, status: 400, code: 'invalid_field', field: 'older_than_days' },
  { name: 'cleanup negative days', method: 'POST', route: '/cleanup', body: { older_than_days: -1 }, status: 400, code: 'invalid_field', field: 'older_than_days' },
  { name: 'cleanup dry_run not boolean', method: 'POST', route: '/cleanup', body: { older_than_days: 1, dry_run: 'yes' }, status: 400, code: 'invalid_field', field: 'dry_run' },
  // reading back
  { name: 'limit zero', method: 'GET', route: '/decisions?limit=0', status: 400, code: 'invalid_field', field: 'limit' },
  { name: 'limit over 10000', method: 'GET', route: '/messages?limit=10001', status: 400, code: 'invalid_field', field: 'limit' },
  { name: 'limit not a number', method: 'GET', route: '/decision-log?limit=ten', status: 400, code: 'invalid_field', field: 'limit' },
  { name: 'since not a time', method: 'GET', route: '/decisions?since=yesterday-ish', status: 400, code: 'invalid_field', field: 'since' },
  { name: 'limit given twice', method: 'GET', route: '/conversation-history?limit=1&limit=2', status: 400, code: 'invalid_field', field: 'limit' },
  { name: 'checkpoint id not a number', method: 'GET', route: '/checkpoints/abc', status: 400, code: 'invalid_field', field: 'checkpoint_id' },
  { name: 'unknown checkpoint', method: 'GET', route: '/checkpoints/424242', status: 404, code: 'not_found', field: 'checkpoint_id' },
  // routing
  { name: 'unknown route', method: 'GET', route: '/nope', status: 404, code: 'not_found' },
  { name: 'route outside the base path', method: 'GET', route: '/../../other', status: 404, code: 'not_found' },
  { name: 'wrong method', method: 'DELETE', route: '/tasks/t', status: 405, code: 'method_not_allowed' },
  { name: 'GET on a write-only route', method: 'GET', route: '/events', status: 405, code: 'method_not_allowed' },
];

describe('server: bad input', () => {
  let h: Harness;
  let baseline: unknown;
  before(async () => {
    h = await startHarness();
    // Some state to keep intact.
    await h.req('PUT', '/tasks/t', { description: 'keep', status: 'in_progress', percentage: 30 });
    await h.req('PUT', '/agents/a', { status: 'idle' });
    await h.req('POST', '/decisions', decision);
    await h.req('POST', '/messages', message);
    await h.req('PUT', '/context', { keep: true });
    baseline = await observableState(h);
  });
  after(async () => {
    await h.close();
  });

  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}, nothing changed`, async () => {
      const r = await h.req(c.method, c.route, c.body);
      assert.strictEqual(r.status, c.status, r.text);
      assert.match(r.headers['content-type'] ?? '', /application\/json/);
      assert.strictEqual(r.json.error.code, c.code, r.text);
      assert.strictEqual(typeof r.json.error.message, 'string');
      if (c.field !== undefined) assert.ok(r.json.error.message.includes(c.field), `message should name ${c.field}: ${r.json.error.message}`);
      if (c.status === 405) assert.ok(/\b(GET|PUT|POST)\b/.test(String(r.headers.allow)), `Allow: ${r.headers.allow}`);
      assert.deepStrictEqual(await observableState(h), baseline);
    });
  }

  it('405 names the allowed methods of the path', async () => {
    const r = await h.req('DELETE', '/decisions');
    assert.strictEqual(r.status, 405);
    assert.deepStrictEqual(String(r.headers.allow).split(', ').sort(), ['GET', 'POST']);
  });
});
