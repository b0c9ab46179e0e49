import * as assert from 'assert';
import type { DebugEvent } from '../../../src/debug/breakpoints';
import { DebugSessions, type DebugAnnouncement } from '../../../src/debug/debugSessions';
import type { ContextEngineApi } from '../../../src/core/engineApi';

/** An engine whose decision writes finish only when the test says: the durable trace of a hold takes its time. */
function slowEngine(): { engine: ContextEngineApi; written: unknown[]; finish(): void } {
  const written: unknown[] = [];
  const pending: (() => void)[] = [];
  const engine = {
    logDecision: (d: unknown) => new Promise<void>(resolve => pending.push(() => (written.push(d), resolve()))),
    getTask: () => null,
    getAgent: () => null,
  } as unknown as ContextEngineApi;
  return { engine, written, finish: () => pending.splice(0).forEach(f => f()) };
}

const logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const decision: DebugEvent = { kind: 'decision', agent_id: 'planner', task_id: 'deploy', name: 'retry_policy', record: {} };

describe('debug sessions: a hold is shown only once recorded', () => {
  it('the debugger sees no hold until its trace is durable, so the held call is answered before anyone can act on it', async () => {
    const { engine, written, finish } = slowEngine();
    const announced: DebugAnnouncement[] = [];
    const debug = new DebugSessions({ engine, logger, announce: a => announced.push(a) });
    debug.put('s', { breakpoints: [{ name: 'decision:retry_*' }] });
    const hold = debug.evaluate([decision], true, null);
    assert.ok(hold);
    const recorded = debug.recordHold(hold);
    await new Promise(r => setImmediate(r));
    assert.deepStrictEqual(debug.openHolds(), [], 'not listed while its trace is being written');
    assert.strictEqual(announced.filter(a => a.type === 'hold').length, 0, 'not announced on /stream either');
    assert.strictEqual(debug.get(hold.hold_id), undefined);
    finish();
    await recorded;
    assert.strictEqual(written.length, 1);
    assert.deepStrictEqual(debug.openHolds().map(h => h.hold_id), [hold.hold_id]);
    assert.strictEqual(announced.filter(a => a.type === 'hold').length, 1);
    debug.closeAll();
    finish();
  });

  it('a session ended while the hold was being recorded leaves nothing to wait on', async () => {
    const { engine, written, finish } = slowEngine();
    const debug = new DebugSessions({ engine, logger, announce: () => {} });
    debug.put('s', { breakpoints: [{ name: 'decision:*' }] });
    const hold = debug.evaluate([decision], true, null)!;
    const recorded = debug.recordHold(hold);
    assert.strictEqual(debug.end('s'), true);
    finish();
    await recorded;
    assert.strictEqual(hold.state, 'continue', 'the server sends no Jarvis-Hold for it');
    assert.strictEqual(hold.resolved_by, 'session_ended');
    assert.deepStrictEqual(debug.openHolds(), []);
    const closed = debug.closeAll();
    finish();
    await closed;
    assert.deepStrictEqual(written.map(d => (d as { decision_type: string }).decision_type), ['debug_hold', 'debug_hold_released'], 'its end is recorded too');
  });
});

describe('debug sessions: every end of a hold is recorded once', () => {
  it('continue, step and cancel by the debugger each write one debug_hold_released; resolving again writes nothing', async () => {
    const { engine, written, finish } = slowEngine();
    const debug = new DebugSessions({ engine, logger, announce: () => {} });
    debug.put('s', { breakpoints: [{ id: 'b', name: 'decision:retry_*' }] });
    const ids: string[] = [];
    for (const action of ['continue', 'step', 'cancel'] as const) {
      const hold = debug.evaluate([decision], true, { file: '/w/orch.ts', line: 3, function: 'run' })!;
      const recorded = debug.recordHold(hold);
      finish();
      await recorded;
      debug.resolve(hold.hold_id, action);
      debug.resolve(hold.hold_id, 'continue');
      ids.push(hold.hold_id);
    }
    const closed = debug.closeAll();
    finish();
    await closed;
    const rows = written as { decision_type: string; decision: string; outcome: string; context: { hold_id: string; breakpoint?: string; held?: boolean; source?: unknown } }[];
    assert.deepStrictEqual(rows.map(d => [d.decision_type, d.context.hold_id]), ids.flatMap(id => [['debug_hold', id], ['debug_hold_released', id]]));
    assert.deepStrictEqual(rows.filter(d => d.decision_type === 'debug_hold_released').map(d => d.outcome), ['continued: debugger', 'stepped: debugger', 'cancelled: debugger']);
    const opened = rows[0]!;
    assert.deepStrictEqual([opened.decision, opened.context.breakpoint, opened.context.held, opened.context.source], ['breakpoint decision:retry_*', 'decision:retry_*', true, { file: '/w/orch.ts', line: 3, function: 'run' }]);
  });
});
