// A run whose root span never arrives (its process died, or the root lives in another service)
// is completed after a quiet period, and says so; a later span of it takes it back up.
import * as assert from 'assert';
import { DEFAULT_RUN_QUIET_MS } from '../../../src/otel/otlpReceiver';
import { post, startHarness, type Harness } from './support';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function chat(spanId: string, startMs: number): string {
  const ns = (ms: number) => String(ms * 1_000_000);
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans: [{
    traceId: TRACE, spanId, parentSpanId: '00f067aa0ba902b7', name: 'chat gpt-4o', kind: 3,
    startTimeUnixNano: ns(startMs), endTimeUnixNano: ns(startMs + 500),
    attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }],
  }] }] }] });
}

describe('otel: runs that go quiet', function () {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    h.receiver.dispose();
    await h.close();
  });

  it('completes a run without its root span after the quiet period, says why, and reopens it on a later span', async () => {
    assert.strictEqual((await post(h.base, chat('a1b2c3d4e5f60718', Date.now()), { 'Content-Type': 'application/json' })).status, 200);
    const id = `otel-${TRACE}`;
    assert.strictEqual(h.engine.getTask(id)!.status, 'in_progress', 'its parent (the root) has not arrived');
    assert.strictEqual(await h.receiver.closeQuietRuns(Date.now() + DEFAULT_RUN_QUIET_MS / 2), 0, 'not quiet yet');
    assert.strictEqual(await h.receiver.closeQuietRuns(Date.now() + DEFAULT_RUN_QUIET_MS + 1), 1);
    const task = h.engine.getTask(id)!;
    assert.strictEqual(task.status, 'completed');
    assert.strictEqual(task.metadata.ended_by, 'quiet');
    assert.match(String(task.metadata.ended_note), /root span never arrived/);
    assert.strictEqual(await h.receiver.closeQuietRuns(Date.now() + 2 * DEFAULT_RUN_QUIET_MS), 0, 'closed once');

    assert.strictEqual((await post(h.base, chat('b1b2c3d4e5f60718', Date.now()), { 'Content-Type': 'application/json' })).status, 200);
    assert.strictEqual(h.engine.getTask(id)!.status, 'in_progress', 'a later span takes the run back up');
    assert.strictEqual(await h.receiver.closeQuietRuns(Date.now() + DEFAULT_RUN_QUIET_MS + 1), 1, 'and it can go quiet again');
  });
});
