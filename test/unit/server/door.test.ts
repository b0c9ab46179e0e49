// What can be stored: what the local store accepts, PostgreSQL (jsonb, timestamptz) must accept
// too. NUL, lone surrogates (in values and keys, at any depth) and times outside the years 1 to
// 9999 are refused at the door with a 400 naming the exact place; nothing is written. Astral
// characters (surrogate pairs) and other control characters are accepted and read back identical.
import * as assert from 'assert';
import { ValidationError } from '../../../src/core';
import type { SpanInput } from '../../../src/core/types';
import { observableState, startHarness, type Harness } from './support';

interface Refused {
  name: string;
  method: string;
  route: string;
  /** Raw JSON text, so the escapes reach the server exactly as written here. */
  body: string;
  message: string;
}

const decision = (context: string) => `{"decision_type":"t","context":${context},"decision":"d","reasoning":"r"}`;

const refused: Refused[] = [
  { name: 'lone high surrogate in a decision\'s context', method: 'POST', route: '/decisions', body: decision('{"note":"abc\\ud800"}'), message: 'context.note: lone surrogate at index 3' },
  { name: 'lone low surrogate deep in arrays', method: 'POST', route: '/decisions', body: decision('{"a":[{"b":["ok","\\udc00x"]}]}'), message: 'context.a[0].b[1]: lone surrogate at index 0' },
  { name: 'surrogates in the wrong order', method: 'POST', route: '/decisions', body: decision('"\\ude00\\ud83d"'), message: 'context: lone surrogate at index 0' },
  { name: 'lone surrogate in a key', method: 'POST', route: '/decisions', body: decision('{"ok":{"a\\udc00b":1}}'), message: 'context.ok["a\\udc00b"]: key has a lone surrogate at index 1' },
  { name: 'lone surrogate in the decision text', method: 'POST', route: '/decisions', body: '{"decision_type":"t","context":{},"decision":"\\ud800","reasoning":"r"}', message: 'decision: lone surrogate at index 0' },
  { name: 'lone surrogate in an outcome', method: 'POST', route: '/decisions', body: '{"decision_type":"t","context":{},"decision":"d","reasoning":"r","outcome":{"x":"\\ud800"}}', message: 'outcome.x: lone surrogate at index 0' },
  { name: 'NUL in a context value', method: 'PUT', route: '/context', body: '{"s":"a\\u0000"}', message: 'body.s: NUL (U+0000) at index 1' },
  { name: 'NUL in a context key', method: 'PUT', route: '/context', body: '{"deep":{"k\\u0000":1}}', message: 'body.deep["k\\u0000"]: key has a NUL (U+0000) at index 1' },
  { name: 'lone surrogate in a message\'s content', method: 'POST', route: '/messages', body: '{"from_agent":"a","to_agent":"b","message_type":"m","content":["\\udbff"]}', message: 'content[0]: lone surrogate at index 0' },
  { name: 'NUL in agent metadata key', method: 'PUT', route: '/agents/a', body: '{"status":"ok","metadata":{"\\u0000":1}}', message: 'metadata["\\u0000"]: key has a NUL (U+0000) at index 0' },
  { name: 'NUL in a task blocker', method: 'PUT', route: '/tasks/t', body: '{"blockers":["ok","x\\u0000"]}', message: 'blockers[1]: NUL (U+0000) at index 1' },
  { name: 'NUL in a task id (path)', method: 'PUT', route: '/tasks/a%00', body: '{}', message: 'task_id: NUL (U+0000) at index 1' },
  { name: 'lone surrogate in a batch task id', method: 'POST', route: '/events', body: '{"events":[{"type":"task","task_id":"ok"},{"type":"task","task_id":"\\ud800"}]}', message: 'events[1].task_id: lone surrogate at index 0' },
  { name: 'NUL in a batch context given inline', method: 'POST', route: '/events', body: '{"events":[{"type":"context","phase":"x\\u0000"}]}', message: 'events[0].phase: NUL (U+0000) at index 1' },
  { name: 'batch event in the year 0', method: 'POST', route: '/events', body: '{"events":[{"type":"task","task_id":"ok"},{"type":"task","task_id":"t","ts":"0000-06-01T00:00:00Z"}]}', message: 'events[1].ts: must be a time in the years 1 to 9999' },
  { name: 'batch event in the year 10000', method: 'POST', route: '/events', body: '{"events":[{"type":"task","task_id":"t","ts":"10000-01-01T00:00:00Z"}]}', message: 'events[0].ts: must be an ISO 8601 time' },
  { name: 'batch event in the year +010000', method: 'POST', route: '/events', body: '{"events":[{"type":"task","task_id":"t","ts":"+010000-01-01T00:00:00Z"}]}', message: 'events[0].ts: must be a time in the years 1 to 9999' },
  { name: 'batch event before the year 1', method: 'POST', route: '/events', body: '{"events":[{"type":"task","task_id":"t","ts":"-000001-12-31T00:00:00Z"}]}', message: 'events[0].ts: must be a time in the years 1 to 9999' },
  { name: 'NUL in a recovery point label', method: 'POST', route: '/recovery-points', body: '{"label":"\\u0000"}', message: 'label: NUL (U+0000) at index 0' },
];

describe('server: what can be stored (the door)', () => {
  let h: Harness;
  let baseline: unknown;
  before(async () => {
    h = await startHarness();
    await h.req('PUT', '/tasks/t', { description: 'keep', status: 'in_progress', percentage: 30 });
    await h.req('PUT', '/agents/a', { status: 'idle' });
    await h.req('PUT', '/context', { keep: true });
    baseline = await observableState(h);
  });
  after(async () => {
    await h.close();
  });

  for (const c of refused) {
    it(`${c.name}: 400 naming the place, nothing written`, async () => {
      const counts = h.engine.getStatus().counts;
      const r = await h.req(c.method, c.route, c.body);
      assert.strictEqual(r.status, 400, r.text);
      assert.strictEqual(r.json.error.code, 'invalid_field');
      assert.strictEqual(r.json.error.message, c.message);
      assert.deepStrictEqual(h.engine.getStatus().counts, counts);
      assert.deepStrictEqual(await observableState(h), baseline);
    });
  }

  it('a resume point\'s edited state with a lone surrogate: 400, no fork checkpoint', async () => {
    const cp = await h.req('POST', '/checkpoint', { label: 'door' });
    assert.strictEqual(cp.status, 201);
    const before = await observableState(h);
    const r = await h.req('POST', '/resume-point', `{"checkpoint_id":${cp.json.checkpoint_id},"state":{"x":{"\\ud800":1}}}`);
    assert.strictEqual(r.status, 400, r.text);
    assert.strictEqual(r.json.error.message, 'state.x["\\ud800"]: key has a lone surrogate at index 0');
    assert.deepStrictEqual(await observableState(h), before);
    assert.strictEqual((await h.req('GET', '/resume-point')).status, 404);
  });
});

describe('server: what can be stored is read back identical', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  // Astral characters sent raw and as escaped pairs, control characters other than NUL, a
  // backslash-u sequence that is text, and astral keys.
  const context = '{"emoji":"😀 ok","pair":"\\ud83d\\ude00","controls":"\\u0001\\u001f\\u007f\\t\\n","text":"\\\\u0000 \\\\ud800","k😀":{"\\ud83d\\udca9":["\\u0002"]}}';
  const expected = JSON.parse(context);

  it('a decision, the context and a batch with astral and control characters: accepted, identical', async () => {
    const d = await h.req('POST', '/decisions', decision(context));
    assert.strictEqual(d.status, 201, d.text);
    const c = await h.req('PUT', '/context', context);
    assert.strictEqual(c.status, 200, c.text);
    const b = await h.req('POST', '/events', `{"events":[{"type":"message","from_agent":"a😀","to_agent":"b","message_type":"m","content":${context},"ts":"0001-01-01T00:00:00Z"},{"type":"task","task_id":"t","ts":"9999-12-31T23:59:59.999Z"}]}`);
    assert.strictEqual(b.status, 201, b.text);

    const decisions = await h.req('GET', '/decisions');
    assert.deepStrictEqual(decisions.json.decisions[0].context, expected);
    const messages = await h.req('GET', '/messages');
    assert.deepStrictEqual(messages.json.messages[0].content, expected);
    assert.strictEqual(messages.json.messages[0].from_agent, 'a😀');
    assert.strictEqual(messages.json.messages[0].ts, '0001-01-01T00:00:00.000Z');
    const tasks = await h.req('GET', '/task-progress');
    assert.strictEqual(tasks.json.tasks[0].updated_at, '9999-12-31T23:59:59.999Z');
    const ctx = await h.req('GET', '/context');
    for (const k of Object.keys(expected)) assert.deepStrictEqual(ctx.json.state[k], expected[k], k);

    const cp = await h.req('POST', '/checkpoint', {});
    const snap = await h.req('GET', `/checkpoints/${cp.json.checkpoint_id}`);
    for (const k of Object.keys(expected)) assert.deepStrictEqual(snap.json.state[k], expected[k], k);
  });

  it('PUT /context with __proto__ and constructor keys: GET /context and the next checkpoint hold every key', async () => {
    // A checkpoint before: the next one is stored as a delta from it.
    await h.req('PUT', '/context', { normal: 0 });
    assert.strictEqual((await h.req('POST', '/checkpoint', {})).status, 201);
    const body = '{"__proto__":{"x":1},"constructor":{"y":2},"normal":1}';
    assert.strictEqual((await h.req('PUT', '/context', body)).status, 200);
    // Own keys and their values, in any order (a delta appends new keys after the old ones).
    const stateOf = (r: { text: string }) => Object.entries(JSON.parse(r.text).state as object).map(([k, v]) => `${k}=${JSON.stringify(v)}`).sort();
    const expected = ['__proto__={"x":1}', 'constructor={"y":2}', 'normal=1'];
    assert.deepStrictEqual(stateOf(await h.req('GET', '/context')), expected);
    const cp = await h.req('POST', '/checkpoint', {});
    assert.deepStrictEqual(stateOf(await h.req('GET', `/checkpoints/${cp.json.checkpoint_id}`)), expected);
  });
});

describe('engine: the same door without HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const span = (over: Partial<SpanInput>): SpanInput => ({
    trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), parent_span_id: null, name: 'chat', kind: 1,
    start_time: '2026-12-01T00:00:00.000Z', end_time: null, status: 'ok', status_message: null,
    operation: null, agent_id: null, agent_name: null, conversation_id: null, task_id: null, tool_name: null,
    model: null, scope: null, input_tokens: null, output_tokens: null, attributes: {}, resource: {}, ...over,
  } as SpanInput);

  const refusedBy = async (p: Promise<unknown>, message: string) => {
    await assert.rejects(p, (e: unknown) => e instanceof ValidationError && e.message === message);
  };

  it('refuses the API call with a ValidationError naming the place; nothing is written', async () => {
    const counts = h.engine.getStatus().counts;
    await refusedBy(h.engine.logDecision({ decision_type: 't', context: { note: 'abc\ud800' }, decision: 'd', reasoning: 'r' }), 'context.note: lone surrogate at index 3');
    await refusedBy(h.engine.updateContext({ ['x\u0000']: 1 }), 'body["x\\u0000"]: key has a NUL (U+0000) at index 1');
    await refusedBy(h.engine.updateTaskProgress('t', { metadata: { a: { b: '\udfff' } } }), 'metadata.a.b: lone surrogate at index 0');
    await refusedBy(h.engine.writeBatch([{ type: 'task', task_id: 't', ts: '0000-06-01T00:00:00Z' }]), 'events[0].ts: must be a time in the years 1 to 9999');
    await refusedBy(h.engine.writeSpans([span({ attributes: { 'gen_ai.prompt': 'x\ud800' } })], []), 'spans[0].attributes["gen_ai.prompt"]: lone surrogate at index 1');
    await refusedBy(h.engine.writeSpans([span({ model: 'm\u0000' })], []), 'spans[0].model: NUL (U+0000) at index 1');
    await refusedBy(h.engine.writeSpans([span({ start_time: '0000-01-01T00:00:00.000Z' })], []), 'spans[0].start_time: must be a time in the years 1 to 9999');
    assert.deepStrictEqual(h.engine.getStatus().counts, counts);
    assert.deepStrictEqual(await h.engine.getSpans({ limit: 10 }), []);
  });
});
