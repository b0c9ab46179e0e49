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
import type { SpanInput } from '../../src/core/types';
import { buildTimeline, LANGGRAPH_LANE, readTimeline, RUN_LANE, UNASSIGNED_LANE } from '../../src/timeline/model';
import type { ScriptCall } from './support/crashWriter';
import { openEngine, tempDir } from './support/fixtures';

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
      assert.ok(tasks.find(b => b.label === 'Build it')!.open && !tasks.find(b => b.label === 'Fix the parser')!.open);
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
