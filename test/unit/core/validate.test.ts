// The one validator for every write: each rule once, with the field it names.
import * as assert from 'assert';
import { ValidationError } from '../../../src/core/errors';
import {
  checkAgentUpdate, checkBatch, checkCleanupDays, checkContext, checkDecision, checkId, checkLabel, checkLimit,
  checkMessage, checkSince, checkSpans, checkTaskUpdate, checkTime, MAX_BATCH_EVENTS,
} from '../../../src/core/validate';

const long = 'x'.repeat(257);
const decision = { decision_type: 't', context: {}, decision: 'd', reasoning: 'r' };
const message = { from_agent: 'a', to_agent: 'b', message_type: 'm', content: 1 };
const span = {
  trace_id: 't', span_id: 's', name: 'n', kind: 1, start_time: '2026-01-01T00:00:00Z', end_time: null, status: 'ok',
  input_tokens: null, output_tokens: 3, attributes: {}, resource: {},
};

function refuses(check: () => unknown, field: string, problem?: RegExp): void {
  assert.throws(check, (e: unknown) => {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${String(e)}`);
    assert.strictEqual(e.field, field);
    assert.ok(e.message.startsWith(`${field}: `), e.message);
    if (problem) assert.match(e.problem, problem);
    return true;
  });
}

describe('validate: one rule each, naming its field', () => {
  it('an id is a string of 1 to 256 characters, and required', () => {
    assert.strictEqual(checkId('task_id', 'x'.repeat(256)), 'x'.repeat(256));
    refuses(() => checkId('task_id', undefined), 'task_id', /required/);
    refuses(() => checkId('task_id', 7), 'task_id', /string/);
    refuses(() => checkId('task_id', ''), 'task_id', /empty/);
    refuses(() => checkId('task_id', long), 'task_id', /256/);
  });

  it('null means "none" only where a field can be none', () => {
    assert.deepStrictEqual(checkTaskUpdate({ agent_id: null }), { agent_id: null });
    assert.deepStrictEqual(checkAgentUpdate({ current_task: null }), { current_task: null });
    assert.strictEqual(checkDecision({ ...decision, outcome: null, task_id: null }).task_id, null);
    refuses(() => checkTaskUpdate({ description: null }), 'description', /string/);
  });

  it('unknown fields are ignored, known ones are never coerced', () => {
    assert.deepStrictEqual(checkTaskUpdate({ percentage: 5, colour: 'red' }), { percentage: 5 });
    refuses(() => checkTaskUpdate({ percentage: '50' }), 'percentage', /number/);
  });

  it('a percentage is 0 to 100', () => {
    refuses(() => checkTaskUpdate({ percentage: 101 }), 'percentage', /between/);
    refuses(() => checkTaskUpdate({ percentage: Number.NaN }), 'percentage');
  });

  it('a task status is one of the six', () => {
    assert.strictEqual(checkTaskUpdate({ status: 'blocked' }).status, 'blocked');
    refuses(() => checkTaskUpdate({ status: 'done' }), 'status', /one of/);
  });

  it('an array of strings names the element at fault', () => {
    refuses(() => checkTaskUpdate({ completed_subtasks: 'a' }), 'completed_subtasks', /array/);
    refuses(() => checkTaskUpdate({ blockers: ['ok', 2] }), 'blockers[1]', /string/);
  });

  it('metadata is a JSON object', () => {
    refuses(() => checkAgentUpdate({ metadata: [1] }), 'metadata', /object/);
  });

  it('an agent update may leave out its status (a heartbeat), but not send an empty one', () => {
    assert.deepStrictEqual(checkAgentUpdate({}), {});
    refuses(() => checkAgentUpdate({ status: '' }), 'status', /empty/);
  });

  it('a decision needs its type, context, decision and reasoning', () => {
    refuses(() => checkDecision({ ...decision, context: undefined }), 'context', /required/);
    refuses(() => checkDecision({ ...decision, decision: undefined }), 'decision', /required/);
    refuses(() => checkDecision({ ...decision, reasoning: 'x'.repeat(1_000_001) }), 'reasoning', /at most/);
  });

  it('a message needs both agents, a type and content', () => {
    assert.deepStrictEqual(checkMessage(message), message);
    refuses(() => checkMessage({ ...message, content: undefined }), 'content', /required/);
  });

  it('a body that is not an object is named `body`; the context must be an object', () => {
    refuses(() => checkTaskUpdate([]), 'body', /object/);
    refuses(() => checkContext('hello'), 'body', /object/);
  });

  it('a batch is an array of at most 10,000 events, checked entirely before anything is written', () => {
    refuses(() => checkBatch(undefined), 'events', /required/);
    refuses(() => checkBatch({}), 'events', /array/);
    refuses(() => checkBatch(new Array(MAX_BATCH_EVENTS + 1).fill({ type: 'context' })), 'events', /10000/);
    refuses(() => checkBatch([{ type: 'context' }, 7]), 'events[1]', /object/);
    refuses(() => checkBatch([{ type: 'nope' }]), 'events[0].type', /one of/);
    refuses(() => checkBatch([{ type: 'agent', status: 'ok' }]), 'events[0].agent_id', /required/);
    refuses(() => checkBatch([{ type: 'task', task_id: 't', event_id: long }]), 'events[0].event_id');
    refuses(() => checkBatch([{ type: 'decision', ...decision, reasoning: 1 }]), 'events[0].reasoning');
  });

  it('an event keeps its own ts, as a time; a context event without `context` is its other fields', () => {
    const [task, ctx] = checkBatch([
      { type: 'task', task_id: 't', ts: '2026-01-02T04:04:05+01:00' },
      { type: 'context', event_id: 'e', ts: '2026-01-02T03:04:05Z', step: 3 },
    ]);
    assert.strictEqual(task.ts, '2026-01-02T03:04:05.000Z');
    assert.deepStrictEqual(ctx, { type: 'context', event_id: 'e', ts: '2026-01-02T03:04:05.000Z', context: { step: 3 } });
    refuses(() => checkBatch([{ type: 'task', task_id: 't', ts: 'yesterday-ish' }]), 'events[0].ts', /ISO 8601/);
    refuses(() => checkTime('ts', ''), 'ts');
  });

  it('a label is an id, required only for a recovery point', () => {
    assert.strictEqual(checkLabel('label', undefined), undefined);
    refuses(() => checkLabel('label', undefined, true), 'label', /required/);
    refuses(() => checkLabel('label', long), 'label', /256/);
  });

  it('a clean-up takes 0 to 36,500 days', () => {
    assert.strictEqual(checkCleanupDays('older_than_days', 0), 0);
    refuses(() => checkCleanupDays('older_than_days', undefined), 'older_than_days', /required/);
    refuses(() => checkCleanupDays('older_than_days', Infinity), 'older_than_days', /number/);
    refuses(() => checkCleanupDays('older_than_days', -1), 'older_than_days', /between/);
    refuses(() => checkCleanupDays('older_than_days', 36_501), 'older_than_days', /between/);
  });

  it('a span has ids, a name, a numeric kind, ISO times, a known status, numeric tokens and objects', () => {
    assert.strictEqual(checkSpans([span])[0].parent_span_id, null);
    refuses(() => checkSpans({}), 'spans', /array/);
    refuses(() => checkSpans([{ ...span, kind: 'server' }]), 'spans[0].kind');
    refuses(() => checkSpans([{ ...span, start_time: 'soon' }]), 'spans[0].start_time');
    refuses(() => checkSpans([{ ...span, end_time: undefined }]), 'spans[0].end_time');
    refuses(() => checkSpans([{ ...span, status: 'fine' }]), 'spans[0].status');
    refuses(() => checkSpans([{ ...span, output_tokens: '3' }]), 'spans[0].output_tokens');
    refuses(() => checkSpans([{ ...span, resource: null }]), 'spans[0].resource');
  });

  it('reads: a limit is a positive integer up to its maximum; since is a time or nothing', () => {
    assert.strictEqual(checkLimit(undefined), 100);
    refuses(() => checkLimit(0), 'limit', /positive/);
    refuses(() => checkLimit(10_001), 'limit', /at most/);
    assert.strictEqual(checkSince(''), undefined);
    refuses(() => checkSince('garbage'), 'since');
  });
});
