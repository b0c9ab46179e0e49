// The watchdogs, rule by rule: threshold, window, one episode raised once, cleared, raised again.
// A real engine on a temp folder with a fake clock; the time-based checks run by checkAlerts().
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ContextEngine, type AlertSettings, type EngineOptions, type SpanInput } from '../../../src/core';
import { LoopDetector } from '../../../src/core/loopDetector';
import { renderReportBody } from '../../../src/views/pages/reportHtml';
import type { ScriptCall } from '../support/crashWriter';
import { FakeClock, openEngine, tempDir } from '../support/fixtures';

const MIN = 60_000;
/** The timer never fires during a test: checks run when the test says. */
const QUIET: Partial<AlertSettings> = { checkIntervalMs: 3_600_000 };

async function open(clock: FakeClock, alerts: Partial<AlertSettings> = {}, folder = tempDir(), more: Partial<EngineOptions> = {}): Promise<ContextEngine> {
  return openEngine(folder, { clock, alerts: { ...QUIET, ...alerts }, ...more });
}

const say = (e: ContextEngine, from = 'writer', content: unknown = { q: 'same' }, to = 'searcher', type = 'request') =>
  e.logAgentMessage({ from_agent: from, to_agent: to, message_type: type, content: content as never });

function journalAlertRecords(folder: string): number {
  return fs.readFileSync(path.join(folder, 'journal.jsonl'), 'utf8').split('\n').filter(l => l.includes('"o":"alert"')).length;
}

function toolSpan(n: number, args: string, extra: Partial<SpanInput> = {}): SpanInput {
  const t = new Date(Date.parse('2026-11-26T09:00:00.000Z') + n * 1000).toISOString();
  return {
    trace_id: 'a'.repeat(32), span_id: n.toString(16).padStart(16, '0'), parent_span_id: null, name: 'execute_tool search', kind: 1,
    start_time: t, end_time: t, status: 'ok', status_message: null, operation: 'execute_tool', agent_id: 'coder', agent_name: null,
    conversation_id: null, task_id: null, tool_name: 'search', model: null, input_tokens: null, output_tokens: null,
    attributes: { 'gen_ai.tool.call.arguments': args, 'gen_ai.tool.call.id': `call_${n}` }, resource: {}, scope: null, ...extra,
  };
}

describe('watchdogs: loop', () => {
  it('the same message four times is no loop; the fifth raises one alert on the sending agent', async () => {
    const clock = new FakeClock();
    const e = await open(clock);
    try {
      for (let i = 0; i < 4; i++) { await say(e); clock.advance(1000); }
      assert.deepStrictEqual(e.getAlerts({ active: true }), []);
      await say(e);
      const [a] = e.getAlerts({ active: true });
      assert.strictEqual(a.kind, 'loop');
      assert.deepStrictEqual(a.subject, { type: 'agent', id: 'writer' });
      assert.strictEqual(a.count, 5);
      assert.strictEqual(a.active, true);
      assert.match(a.message, /writer sent the same request to searcher 5 times within 120 s/);
    } finally {
      await e.close();
    }
  });

  it('different content, target or type is not a repetition', async () => {
    const clock = new FakeClock();
    const e = await open(clock);
    try {
      for (let i = 0; i < 6; i++) await say(e, 'writer', { q: i });
      for (let i = 0; i < 6; i++) await say(e, 'writer', { q: 'x' }, `to-${i}`);
      for (let i = 0; i < 6; i++) await say(e, 'writer', { q: 'y' }, 'searcher', `type-${i}`);
      // The same call from five different agents is five agents, not one loop.
      for (let i = 0; i < 6; i++) await say(e, `agent-${i}`, { q: 'z' });
      assert.deepStrictEqual(e.getAlerts(), []);
    } finally {
      await e.close();
    }
  });

  it('five repetitions spread over more than the window are no loop; within it they are', async () => {
    const clock = new FakeClock();
    const e = await open(clock, { loopWindowMs: 120_000 });
    try {
      for (let i = 0; i < 5; i++) { await say(e, 'slow'); clock.advance(31_000); } // first to fifth: 124 s
      assert.deepStrictEqual(e.getAlerts(), []);
      for (let i = 0; i < 5; i++) { await say(e, 'fast'); clock.advance(29_000); } // 116 s
      assert.deepStrictEqual(e.getAlerts().map(a => a.subject.id), ['fast']);
    } finally {
      await e.close();
    }
  });

  it('one episode is raised once and counted in memory; the journal gets the raise, not every repetition', async () => {
    const clock = new FakeClock();
    const folder = tempDir();
    const e = await open(clock, {}, folder);
    try {
      for (let i = 0; i < 40; i++) { await say(e); clock.advance(500); }
      const alerts = e.getAlerts();
      assert.strictEqual(alerts.length, 1);
      assert.strictEqual(alerts[0].count, 40);
      assert.strictEqual(alerts[0].last_seen, new Date(clock.ms - 500).toISOString());
      assert.strictEqual(journalAlertRecords(folder), 1, 'one record: the raise');
      // The count reaches the journal at the next check after the persist interval.
      clock.advance(10_000);
      e.checkAlerts();
      await e.logDecision({ decision_type: 'x', context: null, decision: 'flush', reasoning: 'r' });
      assert.strictEqual(journalAlertRecords(folder), 2);
    } finally {
      await e.close();
    }
  });

  it('ends when the window passes without a repetition, and a new loop is a new alert', async () => {
    const clock = new FakeClock();
    const e = await open(clock);
    try {
      for (let i = 0; i < 5; i++) await say(e);
      const first = e.getAlerts({ active: true })[0];
      clock.advance(119_000);
      e.checkAlerts();
      assert.strictEqual(e.getAlerts({ active: true }).length, 1, 'still within the window');
      clock.advance(2_000);
      e.checkAlerts();
      assert.deepStrictEqual(e.getAlerts({ active: true }), []);
      await e.logDecision({ decision_type: 'x', context: null, decision: 'flush', reasoning: 'r' });
      const ended = e.getAlerts()[0];
      assert.strictEqual(ended.id, first.id);
      assert.strictEqual(ended.active, false);
      assert.strictEqual(ended.cleared_by, 'condition');
      for (let i = 0; i < 5; i++) await say(e);
      const again = e.getAlerts({ active: true });
      assert.strictEqual(again.length, 1);
      assert.notStrictEqual(again[0].id, first.id);
      assert.strictEqual(again[0].count, 5);
    } finally {
      await e.close();
    }
  });

  it('tool calls from OpenTelemetry spans loop on the same tool and arguments, whatever their call ids', async () => {
    const clock = new FakeClock();
    const e = await open(clock);
    try {
      for (let i = 1; i <= 4; i++) await e.writeSpans([toolSpan(i, '{"q":"weather"}')], []);
      await e.writeSpans([toolSpan(5, '{"q":"other"}')], []);
      assert.deepStrictEqual(e.getAlerts(), []);
      await e.writeSpans([toolSpan(6, '{"q":"weather"}')], []);
      const [a] = e.getAlerts({ active: true });
      assert.strictEqual(a.kind, 'loop');
      assert.deepStrictEqual(a.subject, { type: 'agent', id: 'coder' });
      assert.strictEqual(a.detail.target, 'tool:search');
    } finally {
      await e.close();
    }
  });

  it('a dismissed loop stays quiet while it goes on, and a later loop is raised again', async () => {
    const clock = new FakeClock();
    const e = await open(clock);
    try {
      for (let i = 0; i < 5; i++) await say(e);
      const [a] = e.getAlerts({ active: true });
      const d = await e.dismissAlert(a.id);
      assert.strictEqual(d?.active, false);
      assert.strictEqual(d?.cleared_by, 'dismissed');
      for (let i = 0; i < 10; i++) { await say(e); clock.advance(1000); }
      assert.deepStrictEqual(e.getAlerts({ active: true }), [], 'the same episode is not raised again');
      clock.advance(121_000);
      e.checkAlerts();
      for (let i = 0; i < 5; i++) await say(e);
      assert.strictEqual(e.getAlerts({ active: true }).length, 1);
      assert.strictEqual(await e.dismissAlert(9999), undefined);
    } finally {
      await e.close();
    }
  });

  it('the sliding window keeps a bounded ring per call and forgets calls gone quiet', () => {
    const d = new LoopDetector(3, 1000);
    assert.strictEqual(d.observe('a', 'k', 0), false);
    assert.strictEqual(d.observe('a', 'k', 10), false);
    assert.strictEqual(d.observe('a', 'k', 1000), true);
    assert.strictEqual(d.observe('a', 'k', 1011), false, 'the oldest of the last three is 10, 1001 ms before');
    assert.strictEqual(d.observe('a', 'k', 1012), true);
    for (let i = 0; i < 1000; i++) d.observe('a', `k${i}`, 2000);
    assert.ok(d.size <= 512, `bounded: ${d.size}`);
    d.sweep(5000);
    assert.strictEqual(d.size, 0);
  });
});

describe('watchdogs: stuck agent', () => {
  it('a busy agent not seen for the staleness threshold is stuck; a heartbeat ends it; it can be stuck again', async () => {
    const clock = new FakeClock();
    const e = await open(clock, {}, tempDir(), { staleAfterMs: 5 * MIN });
    try {
      await e.updateAgentState('w', { status: 'working', current_task: 't' });
      await e.updateAgentState('idle-one', { status: 'idle' });
      clock.advance(5 * MIN - 1000);
      e.checkAlerts();
      assert.deepStrictEqual(e.getAlerts(), []);
      clock.advance(2000);
      e.checkAlerts();
      const [a] = e.getAlerts({ active: true });
      assert.strictEqual(a.kind, 'stuck_agent');
      assert.deepStrictEqual(a.subject, { type: 'agent', id: 'w' });
      assert.match(a.message, /w is working but has not been seen for 5 min/);
      clock.advance(2000);
      e.checkAlerts();
      assert.strictEqual(e.getAlerts().length, 1, 'one episode');
      assert.strictEqual(e.getAlerts()[0].count, 2);
      await e.updateAgentState('w', {});
      e.checkAlerts();
      assert.deepStrictEqual(e.getAlerts({ active: true }), []);
      clock.advance(6 * MIN);
      e.checkAlerts();
      const again = e.getAlerts({ active: true });
      assert.strictEqual(again.length, 1);
      assert.notStrictEqual(again[0].id, a.id);
    } finally {
      await e.close();
    }
  });

  it('an agent that only sends messages is alive, never stuck; one at rest with its work done is never stuck', async () => {
    const clock = new FakeClock();
    const e = await open(clock, {}, tempDir(), { staleAfterMs: 5 * MIN });
    try {
      await e.updateAgentState('chatty', { status: 'busy', current_task: 't' });
      await e.updateAgentState('done', { status: 'idle', current_task: null });
      // nothing but messages, one every 3 s, for twice the staleness threshold
      for (let s = 0; s < 200; s++) {
        clock.advance(3000);
        await e.logAgentMessage({ from_agent: 'chatty', to_agent: 'peer', message_type: 'progress', content: { s } });
        if (s % 10 === 0) e.checkAlerts();
      }
      e.checkAlerts();
      assert.deepStrictEqual(e.getAlerts(), []);
      assert.strictEqual(e.getAgent('chatty')!.seconds_since_update, 0);
      assert.strictEqual(e.getAgent('done')!.stale, false);
    } finally {
      await e.close();
    }
  });
});

describe('watchdogs: stalled task', () => {
  it('an in-progress task without progress for stalled_task_minutes is stalled; progress ends it; it can stall again', async () => {
    const clock = new FakeClock();
    const e = await open(clock, { stalledTaskMs: 15 * MIN });
    try {
      await e.updateTaskProgress('t', { status: 'in_progress', percentage: 40 });
      await e.updateTaskProgress('done', { status: 'completed' });
      e.checkAlerts();
      clock.advance(10 * MIN);
      // An update that moves nothing is no progress.
      await e.updateTaskProgress('t', { percentage: 40 });
      clock.advance(5 * MIN - 1000);
      e.checkAlerts();
      assert.deepStrictEqual(e.getAlerts(), []);
      clock.advance(2000);
      e.checkAlerts();
      const [a] = e.getAlerts({ active: true });
      assert.strictEqual(a.kind, 'stalled_task');
      assert.deepStrictEqual(a.subject, { type: 'task', id: 't' });
      e.checkAlerts();
      assert.strictEqual(e.getAlerts().length, 1);
      await e.updateTaskProgress('t', { percentage: 50 });
      e.checkAlerts();
      assert.deepStrictEqual(e.getAlerts({ active: true }), []);
      clock.advance(15 * MIN + 1000);
      e.checkAlerts();
      assert.strictEqual(e.getAlerts({ active: true }).length, 1);
      assert.notStrictEqual(e.getAlerts({ active: true })[0].id, a.id);
    } finally {
      await e.close();
    }
  });
});

describe('watchdogs: budget', () => {
  const usage = (n: number, tokens: number, who: Partial<SpanInput>) =>
    ({ ...toolSpan(100 + n, `{"n":${n}}`), operation: 'chat', tool_name: null, name: 'chat gpt-4o', model: 'gpt-4o', input_tokens: tokens, output_tokens: 0, ...who });

  it('tokens of a task over its budget raise one alert; raising the budget ends it; lowering it raises it again', async () => {
    const clock = new FakeClock();
    const e = await open(clock, { taskTokenBudget: 1000 });
    try {
      await e.writeSpans([usage(1, 600, { task_id: 't' })], []);
      assert.deepStrictEqual(e.getAlerts(), []);
      await e.writeSpans([usage(2, 600, { task_id: 't' })], []);
      const [a] = e.getAlerts({ active: true });
      assert.strictEqual(a.kind, 'budget');
      assert.deepStrictEqual(a.subject, { type: 'task', id: 't' });
      assert.deepStrictEqual(a.detail, { tokens: 1200, budget: 1000 });
      await e.writeSpans([usage(3, 100, { task_id: 't' })], []);
      assert.strictEqual(e.getAlerts().length, 1);
      assert.strictEqual(e.getAlerts()[0].count, 2);
      assert.strictEqual(e.getAlerts()[0].detail.tokens, 1300);
      await e.setAlertSettings({ ...QUIET, taskTokenBudget: 5000 });
      assert.deepStrictEqual(e.getAlerts({ active: true }), []);
      await e.setAlertSettings({ ...QUIET, taskTokenBudget: 1000 });
      const again = e.getAlerts({ active: true });
      assert.strictEqual(again.length, 1);
      assert.notStrictEqual(again[0].id, a.id);
    } finally {
      await e.close();
    }
  });

  it("an agent's own budget overrides the default; no budget, no alert", async () => {
    const clock = new FakeClock();
    const e = await open(clock, { agentBudgets: { planner: 50 } });
    try {
      await e.writeSpans([usage(1, 100, { agent_id: 'coder' }), usage(2, 100, { agent_id: 'planner' })], []);
      assert.deepStrictEqual(e.getAlerts().map(a => [a.kind, a.subject.type, a.subject.id]), [['budget', 'agent', 'planner']]);
    } finally {
      await e.close();
    }
  });

  it('bad thresholds are refused naming the setting', async () => {
    const e = await open(new FakeClock());
    try {
      await assert.rejects(e.setAlertSettings({ loopRepeats: 1 }), /alerts\.loopRepeats/);
      await assert.rejects(e.setAlertSettings({ taskBudgets: { t: -1 } }), /alerts\.taskBudgets\.t/);
    } finally {
      await e.close();
    }
  });
});

describe('watchdogs: durable alerts', function () {
  this.timeout(60_000);

  it('an alert survives a clean restart with its count, and the watchdogs go on with it', async () => {
    const clock = new FakeClock();
    const folder = tempDir();
    let e = await open(clock, {}, folder);
    for (let i = 0; i < 7; i++) await say(e);
    await e.close();
    e = await open(clock, {}, folder);
    try {
      const [a] = e.getAlerts({ active: true });
      assert.strictEqual(a.count, 7);
      await say(e);
      assert.strictEqual(e.getAlerts()[0].count, 7, 'the window starts empty after a restart');
      clock.advance(121_000);
      e.checkAlerts();
      assert.deepStrictEqual(e.getAlerts({ active: true }), []);
    } finally {
      await e.close();
    }
  });

  it('after kill -9 the alert raised before is back and in the recovery report', async () => {
    const folder = tempDir();
    const calls: ScriptCall[] = [];
    for (let i = 0; i < 6; i++) calls.push({ call: 'message', d: { from_agent: 'looper', to_agent: 'tool:search', message_type: 'tool_call', content: { tool_name: 'search', arguments: { q: 'x' }, tool_call_id: `c${i}` } } });
    const script = path.join(tempDir('jarvis-script-'), 'calls.json');
    fs.writeFileSync(script, JSON.stringify(calls));
    const writer = path.join(__dirname, '..', 'support', 'crashWriter.js');
    const signal = await new Promise<string | null>((resolve, reject) => {
      const child = spawn(process.execPath, [writer, folder, 'script', script], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', (_c, s) => resolve(s));
    });
    assert.strictEqual(signal, 'SIGKILL');
    const e = await openEngine(folder, { alerts: QUIET });
    try {
      const report = e.recoveryReport!;
      assert.ok(report, 'a crash was detected');
      assert.deepStrictEqual(report.alerts?.map(a => [a.kind, a.subject.id, a.active]), [['loop', 'looper', true]]);
      assert.match(e.renderRecoveryReport(report), /## Alerts \(1 active\)[\s\S]*\*\*active\*\* loop agent \*\*looper\*\*/);
      assert.match(String(renderReportBody(report)), /<h2>Alerts \(1 active\)<\/h2>[\s\S]*<code>loop<\/code> agent <strong>looper<\/strong>/);
      assert.strictEqual(e.getAlerts({ active: true })[0].subject.id, 'looper');
    } finally {
      await e.close();
    }
  });
});
