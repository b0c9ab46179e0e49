// The run timeline's model from a real engine that lived through a SIGKILL: agents as lanes in the
// order they started, tasks and spans as bars that never overlap within a lane, markers for
// decisions, messages, checkpoints and the crash, the outage between the last write and the
// recovery, and cost from the price table. The drawing itself is tested in the real workbench
// (test/integration/suite/14-timeline).
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_PRICES } from '../../src/cost';
import type { CheckpointInfo, Decision, RecoveryReport, SpanInput, Task, TaskEvent, TaskStatus } from '../../src/core/types';
import { buildTimeline, LANGGRAPH_LANE, readTimeline, RUN_LANE, UNASSIGNED_LANE } from '../../src/timeline/model';
import type { ScriptCall } from './support/crashWriter';
import { FakeClock, openEngine, tempDir } from './support/fixtures';

const WRITER = path.join(__dirname, 'support', 'crashWriter.js');

function runScript(folder: string, calls: ScriptCall[]): Promise<string | null> {
  const file = path.join(tempDir('jarvis-script-'), 'calls.json');
  fs.writeFileSync(file, JSON.stringify(calls));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', WRITER, folder, 'script', file], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve(signal));
  });
}

function span(n: number, over: Partial<SpanInput>): SpanInput {
  const t = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
  return {
    trace_id: 'b'.repeat(32), span_id: n.toString(16).padStart(16, '0'), parent_span_id: null, name: 'chat gpt-4o', kind: 3,
    start_time: t(n), end_time: t(n + 4), status: 'ok', status_message: null, operation: 'chat', agent_id: 'planner', agent_name: null,
    conversation_id: 'c1', task_id: 'plan', tool_name: null, model: 'gpt-4o', input_tokens: 1_000_000, output_tokens: 0, attributes: {}, resource: {}, scope: null, ...over,
  };
}

describe('run timeline model', function () {
  this.timeout(60_000);

  it('draws a run that crashed: lanes, bars, markers, the crash and its outage, cost', async () => {
    const dir = tempDir();
    const signal = await runScript(dir, [
      { call: 'agent', id: 'planner', u: { status: 'busy' } },
      { call: 'task', id: 'plan', u: { description: 'Plan the release', status: 'in_progress', percentage: 30, agent_id: 'planner' } },
      { call: 'agent', id: 'coder', u: { status: 'busy' } },
      { call: 'task', id: 'build', u: { description: 'Build it', status: 'in_progress', percentage: 10, agent_id: 'coder' } },
      { call: 'task', id: 'fix', u: { description: 'Fix the parser', status: 'completed', percentage: 100, agent_id: 'coder' } },
      { call: 'task', id: 'orphan', u: { description: 'Nobody owns this', status: 'pending', percentage: 0 } },
      { call: 'decision', d: { decision_type: 'agent_assignment', context: {}, decision: 'Give build to coder', reasoning: 'free', agent_id: 'planner', task_id: 'build' } },
      { call: 'message', d: { from_agent: 'planner', to_agent: 'coder', message_type: 'handoff', content: { task: 'build' } } },
      { call: 'recovery', label: 'before-build' },
    ]);
    assert.strictEqual(signal, 'SIGKILL');
    await new Promise(r => setTimeout(r, 30)); // the outage lasts a moment
    const engine = await openEngine(dir);
    try {
      assert.ok(engine.recoveryReport, 'the reopen found the crash');
      await engine.writeSpans([span(1, {}), span(2, { span_id: '00000000000000ff', name: 'execute_tool search', operation: 'execute_tool', tool_name: 'search', model: null, input_tokens: null })], []);
      const m = await readTimeline(engine, DEFAULT_PRICES);

      assert.deepStrictEqual(m.lanes.map(l => l.key), [RUN_LANE, 'planner', 'coder', UNASSIGNED_LANE]);
      const tasks = m.bars.filter(b => b.kind === 'task');
      assert.deepStrictEqual(tasks.map(b => `${b.lane}/${b.ref.kind === 'task' && b.ref.id}/${b.state}`).sort(),
        ['coder/build/running', 'coder/fix/done', 'planner/plan/running', 'unassigned/orphan/waiting']);
      // Not heard of since the crash: drawn up to it, never across the outage.
      const build = tasks.find(b => b.label === 'Build it')!;
      assert.deepStrictEqual([build.open, build.part, build.end], [false, 'before', m.outages[0].start]);
      assert.ok(!tasks.find(b => b.label === 'Fix the parser')!.open);
      // Spans sit below the lane's tasks; a tool call reads as its tool.
      const spans = m.bars.filter(b => b.kind === 'span');
      const planTaskRows = m.bars.filter(b => b.lane === 'planner' && b.kind === 'task').map(b => b.row);
      assert.ok(spans.every(s => s.lane === 'planner' && s.row > Math.max(...planTaskRows)), JSON.stringify(spans.map(s => s.row)));
      assert.ok(spans.some(s => s.label === 'execute_tool search'));
      // No two bars of a lane overlap on one row.
      for (const a of m.bars) for (const b of m.bars) {
        if (a !== b && a.lane === b.lane && a.row === b.row) assert.ok(a.end <= b.start || b.end <= a.start, `${a.key} overlaps ${b.key}`);
      }
      const kinds = (k: string) => m.markers.filter(x => x.kind === k);
      assert.strictEqual(kinds('decision')[0].lane, 'planner');
      assert.match(kinds('decision')[0].detail[0], /^Decision #\d+ · Agent assignment$/);
      assert.strictEqual(kinds('message')[0].label, 'handoff → coder');
      assert.ok(kinds('checkpoint').some(c => c.lane === RUN_LANE && /before-build/.test(c.label)));
      const crash = kinds('crash');
      assert.strictEqual(crash.length, 1);
      assert.deepStrictEqual(crash[0].ref, { kind: 'report', file: engine.recoveryReport!.file });
      assert.strictEqual(m.outages.length, 1);
      assert.ok(m.outages[0].start === crash[0].t && m.outages[0].end > m.outages[0].start);
      // A million input tokens of gpt-4o at the default price: the planner's lane and the run say so.
      const price = DEFAULT_PRICES['gpt-4o'].input;
      assert.ok(m.lanes.find(l => l.key === 'planner')!.detail.endsWith(`$${price.toFixed(2)}`), m.lanes[1].detail);
      assert.match(m.summary, /^2 agents · 4 tasks · 2 spans · 1 decision · 1 message · \d+ checkpoints? · 1 crash · cost \$\d+\.\d\d$/);
      assert.ok(m.start <= Math.min(...m.bars.map(b => b.start)) && m.end >= Math.max(...m.bars.map(b => b.end)));
    } finally {
      await engine.close();
    }
  });

  describe('after a crash and a resume', function () {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const t = (minutesAgo: number) => now - minutesAgo * 60_000;
    let nextEvent = 1;
    /** A task with its updates: [minutes ago, status, percentage]. */
    function task(id: string, updates: [number, TaskStatus, number][]): { task: Task; events: TaskEvent[] } {
      const last = updates[updates.length - 1];
      return {
        task: { task_id: id, description: id, status: last[1], percentage: last[2], completed_subtasks: [], blockers: [], agent_id: 'coder', metadata: {}, created_at: at(updates[0][0]), updated_at: at(last[0]) },
        events: updates.map(([m, status, percentage]) => ({ id: nextEvent++, ts: at(m), task_id: id, changes: { status, percentage } })),
      };
    }
    // The engine's last write 10 minutes ago, the recovery 5 minutes ago.
    const crash = { file: 'recovery_report_1.json', created_at: at(5), trigger: 'crash', incomplete_tasks: [], crash_frontier: { last_activity_at: at(10) } } as unknown as RecoveryReport;
    const checkpoint = (id: number, minutesAgo: number, kind: CheckpointInfo['kind'], label: string | null, parent_id: number | null = null): CheckpointInfo =>
      ({ checkpoint_id: id, created_at: at(minutesAgo), label, kind, snapshot_id: id, content_hash: '', size: 0, file: null, parent_id });
    const resume = (minutesAgo: number, context: unknown): Decision =>
      ({ id: 40, ts: at(minutesAgo), decision_type: 'resume', context, decision: 'Orchestrator resumed from checkpoint #7 (fork #9)', reasoning: '' } as Decision);
    const build = (tasks: { task: Task; events: TaskEvent[] }[], decisions: Decision[] = [], checkpoints: CheckpointInfo[] = []) => buildTimeline({
      now, tasks: tasks.map(x => x.task), agents: [], decisions, messages: [], spans: [], checkpoints, alerts: [], reports: [crash], prices: DEFAULT_PRICES,
      taskEvents: new Map(tasks.map(x => [x.task.task_id, x.events])),
    });
    const barsOf = (m: ReturnType<typeof buildTimeline>, id: string) => m.bars.filter(b => b.ref.kind === 'task' && b.ref.id === id);
    const noBarAcross = (m: ReturnType<typeof buildTimeline>) => {
      for (const b of m.bars) for (const o of m.outages) assert.ok(b.end <= o.start || b.start >= o.end, `${b.key} spans the outage`);
    };

    it('draws the fork: where the run branched, the task cut at the crash, and its steps run again after the resume, drawn apart', () => {
      const oauth = task('oauth', [[20, 'in_progress', 10], [15, 'in_progress', 40], [10, 'in_progress', 60], [3, 'in_progress', 40], [1, 'completed', 100]]);
      const m = build([oauth], [resume(4, { resume_point_id: 1, checkpoint_id: 9, parent_id: 7, edited: false, by: 'orchestrator' })],
        [checkpoint(7, 16, 'recovery', 'before-login'), checkpoint(9, 4.5, 'fork', 'fork of #7', 7)]);
      const [before, again] = barsOf(m, 'oauth');
      assert.deepStrictEqual(barsOf(m, 'oauth').map(b => [b.key, b.part, b.state, b.open]),
        [['task:oauth~0', 'before', 'running', false], ['task:oauth', 'rerun', 'done', false]]);
      // Up to the engine's last write, then from the first update after the resume.
      assert.deepStrictEqual([before.start, before.end, again.start, again.end], [t(20), t(10), t(3), t(1)]);
      assert.strictEqual(before.detail[1], 'in progress · 60% when the engine crashed');
      assert.strictEqual(again.label, '↻ oauth');
      assert.strictEqual(again.detail[0], 'Task oauth — ran again');
      assert.ok(again.detail.includes('after the resume from checkpoint #7 (fork #9)'), again.detail.join(' | '));
      noBarAcross(m);
      // The resume is a marker of its own (its decision is not drawn twice), branching from #7.
      const fork = m.markers.find(k => k.kind === 'fork')!;
      assert.deepStrictEqual([fork.t, fork.label, fork.ref], [t(4), 'Resumed from #7', { kind: 'checkpoint', id: 9 }]);
      assert.match(fork.detail[0], /^Resumed from .*before-login/);
      assert.strictEqual(fork.detail.at(-1), 'ran again: oauth');
      assert.strictEqual(m.markers.filter(k => k.kind === 'decision').length, 0);
      assert.deepStrictEqual(m.forks, [{ key: fork.key, from: t(16), at: t(4) }]);
      assert.match(m.summary, / · 1 crash · 1 resume · 1 task ran again$/);
    });

    it('after a crash alone: a task that went on, one that started over, one not heard of since, one done before it', () => {
      const m = build([
        task('went-on', [[20, 'in_progress', 20], [12, 'in_progress', 50], [3, 'in_progress', 70]]),
        task('over', [[20, 'in_progress', 20], [11, 'in_progress', 80], [2, 'in_progress', 10]]),
        task('silent', [[19, 'in_progress', 30], [14, 'in_progress', 45]]),
        task('done', [[30, 'in_progress', 0], [25, 'completed', 100]]),
        task('new', [[4, 'in_progress', 5]]),
      ]);
      const parts = (id: string) => barsOf(m, id).map(b => b.part ?? 'whole');
      assert.deepStrictEqual(parts('went-on'), ['before', 'continued']);
      assert.deepStrictEqual(parts('over'), ['before', 'rerun']);
      assert.deepStrictEqual(parts('silent'), ['before']);
      assert.deepStrictEqual(parts('done'), ['whole']);
      assert.deepStrictEqual(parts('new'), ['whole']);
      assert.ok(barsOf(m, 'went-on')[1].detail.includes('after the crash, from where it was'));
      assert.ok(barsOf(m, 'over')[1].detail.includes('after the crash, starting over (it had reached 80%)'));
      // Not heard of since the crash: drawn up to it, not across the outage to now.
      const silent = barsOf(m, 'silent')[0];
      assert.deepStrictEqual([silent.key, silent.end, silent.open], ['task:silent', t(10), false]);
      assert.ok(barsOf(m, 'new')[0].open && barsOf(m, 'new')[0].end === now);
      noBarAcross(m);
      // Each task's stretches share its lane row where they fit, one after the other.
      for (const id of ['went-on', 'over']) assert.ok(barsOf(m, id)[0].end <= barsOf(m, id)[1].start);
    });

    it('reads a resume decision of another shape as a resume with no fork to name', () => {
      const m = build([task('x', [[20, 'in_progress', 10], [2, 'in_progress', 20]])], [resume(4, ['not', 'an', 'object'])]);
      const fork = m.markers.find(k => k.kind === 'fork')!;
      assert.deepStrictEqual([fork.label, fork.ref], ['Resumed', { kind: 'decision', id: 40 }]);
      assert.deepStrictEqual(m.forks, [{ key: fork.key, from: null, at: t(4) }]);
      assert.deepStrictEqual(barsOf(m, 'x').map(b => b.part), ['before', 'rerun']);
    });
  });

  it('reads the updates of the tasks a resume cut from the engine', async () => {
    const clock = new FakeClock();
    const engine = await openEngine(tempDir(), { clock });
    try {
      await engine.updateTaskProgress('index', { description: 'Index the docs', status: 'in_progress', percentage: 30 });
      const cp = await engine.checkpoint('half-way');
      clock.advance(60_000);
      await engine.updateTaskProgress('index', { percentage: 70 });
      clock.advance(60_000);
      await engine.setResumePoint({ checkpoint_id: cp.checkpoint_id });
      clock.advance(60_000);
      await engine.clearResumePoint('orchestrator');
      clock.advance(60_000);
      await engine.updateTaskProgress('index', { percentage: 40 });
      const m = await readTimeline(engine, DEFAULT_PRICES, clock.now());
      const bars = m.bars.filter(b => b.ref.kind === 'task' && b.ref.id === 'index');
      assert.deepStrictEqual(bars.map(b => [b.part, (b.end - b.start) / 60_000]), [['before', 1], ['rerun', 0]]);
      const fork = m.markers.find(k => k.kind === 'fork');
      assert.ok(fork, JSON.stringify(m.markers.map(k => k.kind)));
      assert.strictEqual(fork.label, `Resumed from #${cp.checkpoint_id}`);
      assert.strictEqual(m.forks[0].from, Date.parse(cp.created_at));
    } finally {
      await engine.close();
    }
  });

  it('opens on the newest run: history before a long pause is left to zooming out, a task spanning the pause is not', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const iso = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const task = (id: string, from: number, to: number) => ({
      task_id: id, description: id, status: 'completed' as const, percentage: 100, completed_subtasks: [], blockers: [], agent_id: 'a', metadata: {}, created_at: iso(from), updated_at: iso(to),
    });
    const empty = { now, agents: [], decisions: [], messages: [], spans: [], checkpoints: [], alerts: [], reports: [], prices: DEFAULT_PRICES };
    // Last week's run, then today's: 10 and 5 minutes ago.
    const apart = buildTimeline({ ...empty, tasks: [task('old', 7 * 1440 + 10, 7 * 1440), task('today', 10, 5)] });
    assert.strictEqual(apart.start, Date.parse(iso(7 * 1440 + 10)));
    assert.strictEqual(apart.runStart, Date.parse(iso(10)));
    // A task that ran through two hours of quiet keeps its start in the run.
    const long = buildTimeline({ ...empty, tasks: [task('long', 150, 2), task('today', 10, 5)] });
    assert.strictEqual(long.runStart, Date.parse(iso(150)));
  });

  it('an empty store still has a window and the run lane', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const m = buildTimeline({ now, tasks: [], agents: [], decisions: [], messages: [], spans: [], checkpoints: [], alerts: [], reports: [], prices: DEFAULT_PRICES });
    assert.deepStrictEqual(m.lanes.map(l => l.key), [RUN_LANE]);
    assert.ok(m.end > m.start && m.end === now);
    assert.strictEqual(m.summary, '0 agents · 0 tasks · 0 spans · 0 decisions · 0 messages · 0 checkpoints');
  });
  it('a LangGraph thread is a lane, its steps bars from the parent checkpoint to the one the nodes wrote; a subgraph on rows of its own', () => {
    const now = Date.parse('2026-12-07T20:00:00Z');
    const at = (s: number) => new Date(now - 60_000 + s * 1000).toISOString();
    const c = (ns: string, id: string, parent: string | null, step: number, t: number, paths: string[] = [], parents = {}) =>
      ({ thread_id: 'bot', checkpoint_ns: ns, checkpoint_id: id, parent_checkpoint_id: parent, created_at: at(t), metadata: { source: step < 0 ? 'input' : 'loop', step, parents }, task_paths: paths });
    const m = buildTimeline({
      now, tasks: [], agents: [], decisions: [], messages: [], spans: [], checkpoints: [], alerts: [], reports: [], prices: DEFAULT_PRICES,
      langgraph: [
        c('sub:1', 's1', 's0', 0, 9, [], { '': '02' }), c('sub:1', 's0', null, -1, 8, ['~__pregel_pull, s1'], { '': '02' }),
        { ...c('', '05', '04', 2, 40), metadata: { source: 'loop', step: 2 } }, { ...c('', '04', '02', 1, 30), metadata: { source: 'fork', step: 1 } },
        c('', '03', '02', 2, 10), c('', '02', '01', 1, 7, ['~__pregel_pull, sub']), c('', '01', '00', 0, 2, ['~__pregel_pull, agent']), c('', '00', null, -1, 1, ['~__pregel_pull, __start__']),
      ],
    });
    const lane = m.lanes.find(l => l.key === LANGGRAPH_LANE('bot'));
    assert.ok(lane, m.lanes.map(l => l.key).join(','));
    assert.deepStrictEqual([lane.label, lane.detail], ['bot', 'LangGraph thread']);
    const bars = m.bars.filter(b => b.lane === lane.key);
    // The inputs are where the first bars begin.
    // A fork, and the step after it (its invoke's start is not recorded), are drawn at their moment.
    assert.deepStrictEqual(bars.map(b => [b.label, b.kind, (b.end - b.start) / 1000]), [
      ['start', 'step', 1], ['agent', 'step', 5], ['sub', 'step', 3], ['sub: s1', 'step', 1], ['fork of step 1', 'step', 0], ['—', 'step', 0],
    ]);
    assert.match(bars[5].detail.at(-1)!, /start is not recorded/);
    // The subgraph ran inside the "sub" step: its bars sit on a row below.
    assert.strictEqual(lane.rows, 2);
    assert.deepStrictEqual(bars.find(b => b.label === 'agent')!.ref, { kind: 'langgraph', thread_id: 'bot', checkpoint_ns: '', checkpoint_id: '02' });
    assert.deepStrictEqual(bars.map(b => b.row), [0, 0, 0, 1, 0, 0]);
    assert.match(m.summary, /^0 agents · .* · 6 LangGraph steps$/);
  });
});
