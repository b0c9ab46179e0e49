// LangGraph threads as the Checkpoints view draws them: runs per (thread, namespace), steps newest
// first, each named by who wrote it; channel values as one JSON object with notes for the rest.
import * as assert from 'assert';
import type { LgSummary } from '../../src/core/langgraph';
import { channelValues, groupRuns, namespaceName, opaqueValueNote, runItem, stepItem, stepTooltipLines, taskNode, writerText } from '../../src/langgraphText';

const NOW = Date.parse('2026-12-07T20:00:00Z');
const at = (s: number) => new Date(NOW - s * 1000).toISOString();

function summary(thread: string, ns: string, id: string, parent: string | null, metadata: Record<string, unknown>, paths: string[] = []): LgSummary {
  return { thread_id: thread, checkpoint_ns: ns, checkpoint_id: id, parent_checkpoint_id: parent, created_at: at(10), metadata, task_paths: paths };
}

describe('LangGraph in the Checkpoints view (text)', () => {
  it('task paths name their node', () => {
    assert.strictEqual(taskNode('~__pregel_pull, agent'), 'agent');
    assert.strictEqual(taskNode('~__pregel_pull, __start__'), 'start');
    assert.strictEqual(taskNode('~__pregel_push, 0, tools, false'), 'tools');
    assert.strictEqual(taskNode('something else'), undefined);
  });

  it('groups runs by thread and namespace, newest first, the root namespace before its subgraphs; writers come from the parent\'s tasks', () => {
    const sub = 'sub:e215cccf-0b6f-5b5b-8d0a-f0195ce47b0f';
    // Newest first, as the engine lists them.
    const list = [
      summary('t2', '', '05', null, { source: 'input', step: -1 }),
      summary('t1', '', '04', '03', { source: 'fork', step: 2 }),
      summary('t1', sub, '03b', '03a', { source: 'loop', step: 0, parents: { '': '03' } }),
      summary('t1', sub, '03a', null, { source: 'input', step: -1, parents: { '': '03' } }, ['~__pregel_pull, s1']),
      summary('t1', '', '03', '02', { source: 'loop', step: 2 }, ['~__pregel_pull, tools', '~__pregel_pull, audit']),
      summary('t1', '', '02', '01', { source: 'loop', step: 1 }, ['~__pregel_pull, audit', '~__pregel_pull, agent']),
      summary('t1', '', '01', '00', { source: 'loop', step: 0 }, ['~__pregel_pull, plan']),
      summary('t1', '', '00', null, { source: 'input', step: -1 }, ['~__pregel_pull, __start__']),
    ];
    const runs = groupRuns(list);
    assert.deepStrictEqual(runs.map(r => [r.thread_id, r.checkpoint_ns]), [['t2', ''], ['t1', ''], ['t1', sub]]);
    const t1 = runs[1];
    assert.deepStrictEqual(t1.steps.map(s => [s.step, s.source, s.writers]), [
      [2, 'fork', []], [2, 'loop', ['audit', 'agent']], [1, 'loop', ['plan']], [0, 'loop', ['start']], [-1, 'input', []],
    ]);
    assert.deepStrictEqual(runs[2].steps.map(s => s.writers), [['s1'], []]);
    // What the rows say.
    assert.deepStrictEqual(stepItem(t1.steps[1], 1, NOW), { label: '2  audit, agent', description: 'loop · 10 s ago' });
    assert.deepStrictEqual(stepItem(t1.steps[0], 2, NOW), { label: '2  fork of step 2', description: '10 s ago' });
    assert.deepStrictEqual(stepItem(t1.steps[4], undefined, NOW), { label: '-1  input', description: '10 s ago' });
    assert.deepStrictEqual(runItem(t1, false, NOW).label, 't1');
    assert.strictEqual(runItem(t1, false, NOW).description, '10 s ago');
    assert.match(runItem(t1, false, NOW).tooltip, /^LangGraph thread t1\n5 checkpoints, the newest 10 s ago$/);
    assert.strictEqual(runItem(runs[2], false, NOW).label, 't1 › sub');
    assert.strictEqual(runItem(runs[2], true, NOW).label, 'sub');
    assert.strictEqual(runItem(runs[2], false, NOW).description, 'from step 2 · 10 s ago');
    assert.match(runItem(runs[2], false, NOW).tooltip, /Subgraph namespace sub:e215cccf-0b6f-5b5b-8d0a-f0195ce47b0f, run from step 2 of the thread/);
    assert.strictEqual(namespaceName('outer:1|inner:2'), 'outer › inner');
  });

  it('metadata.writes (LangGraph for Python before 0.3) names the writers; updates and forks say what they copy', () => {
    const [run] = groupRuns([
      summary('p', '', '02', '01', { source: 'update', step: 3 }),
      summary('p', '', '01', null, { source: 'loop', step: 2, writes: { agent: { x: 1 } }, run_id: 'run-9' }, ['~__pregel_pull, tools']),
    ]);
    assert.deepStrictEqual(run.steps[1].writers, ['agent']);
    assert.strictEqual(writerText(run.steps[0], 2), 'edit of step 2');
    assert.strictEqual(stepItem(run.steps[0], 2, NOW).description, 'update · 10 s ago');
    const lines = stepTooltipLines(run.steps[1], undefined);
    assert.strictEqual(lines[0], 'Step 2 — agent');
    assert.match(lines[1], /^Source: loop \(made by the graph as a step ran\)$/);
    assert.ok(lines.includes('Checkpoint 01') && lines.includes('Tasks that ran from it: tools') && lines.includes('Run run-9'), lines.join('\n'));
  });

  it('channel values: JSON as it is, anything else as a read-only note with its type and size', () => {
    const data = Buffer.from([0x82, 0xa1, 0x61, 0x01]).toString('base64');
    const { values, opaque } = channelValues({
      channel_values: [
        { channel: 'log', version: '3', type: 'json', data: '', json: ['plan'] },
        { channel: 'none', version: '1', type: 'json', data: '', json: null },
        { channel: 'blob', version: '2', type: 'msgpack', data },
        { channel: '__proto__', version: '1', type: 'json', data: '', json: 1 },
      ],
    });
    assert.deepStrictEqual(Object.keys(values), ['log', 'none', 'blob', '__proto__']);
    assert.deepStrictEqual([values.log, values.none, values.blob], [['plan'], null, '‹msgpack value, 4 bytes: not JSON, shown read-only and left as it is›']);
    assert.deepStrictEqual([...opaque], ['blob']);
    assert.strictEqual(opaqueValueNote('json', 'AAAA'), '‹json value, 3 bytes: too big to show here, shown read-only and left as it is›');
  });
});
