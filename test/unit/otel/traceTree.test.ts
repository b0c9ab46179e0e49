// The Traces view's model, built from the spans the engine stored for an ingested run.
import * as assert from 'assert';
import type { Span } from '../../../src/core/types';
import { buildTraceTree, describeTraceNode, type TraceTreeNode } from '../../../src/otel/traceTree';
import { runSpans } from './scenario';
import { exporter, exportSpans, startHarness } from './support';

function outline(n: TraceTreeNode, depth = 0): string[] {
  return [`${'  '.repeat(depth)}${n.kind} ${n.label} [${describeTraceNode(n)}]`, ...n.children.flatMap(c => outline(c, depth + 1))];
}

describe('otel: trace tree', () => {
  it('shows conversation, agent invocations, tool and model calls with duration, status and tokens', async () => {
    const h = await startHarness();
    try {
      const { spans } = runSpans();
      assert.strictEqual((await exportSpans(exporter(h.base, 'json'), spans)).code, 0);
      const tree = buildTraceTree(await h.engine.getSpans());
      assert.deepStrictEqual(tree.flatMap(n => outline(n)), [
        // The run itself succeeded: the failed tool shows its error where it happened. Without a
        // price table, tokens have no price (said so, never $0).
        'conversation conv-1 [11.0 s · 180→70 tokens · no price]',
        '  workflow invoke_workflow research [11.0 s · 180→70 tokens · no price]',
        '    agent Planner [9.0 s · 180→70 tokens · no price]',
        '      plan plan [1.0 s]',
        '      model chat gpt-4o-2024-08-06 [1.0 s · 100→20 tokens · no price]',
        '      tool search [1.0 s]',
        '      tool fetch_page [1.0 s · error]',
        '      model chat gpt-4o [1.0 s · 50→10 tokens · no price]',
        '      tool transfer_to_Writer [100 ms]',
        '      agent Writer [2.3 s · 30→40 tokens · no price]',
        '        model chat gpt-4o-mini [1.0 s · 30→40 tokens · no price]',
      ]);
      const writer = tree[0].children[0].children[0].children.find(n => n.label === 'Writer')!;
      assert.strictEqual(writer.agentId, 'writer');
      assert.match(writer.taskId!, /^otel-/);

      // With prices (dollars per million tokens), tokens become cost, summed up the tree; a model
      // the table does not know makes the sum a lower bound ("+").
      const priced = buildTraceTree(await h.engine.getSpans(), { 'gpt-4o': { input: 10_000, output: 20_000 } });
      assert.deepStrictEqual(priced.flatMap(n => outline(n)).slice(0, 5), [
        'conversation conv-1 [11.0 s · 180→70 tokens · $2.10+]',
        '  workflow invoke_workflow research [11.0 s · 180→70 tokens · $2.10+]',
        '    agent Planner [9.0 s · 180→70 tokens · $2.10+]',
        '      plan plan [1.0 s]',
        // gpt-4o-2024-08-06 is priced as gpt-4o: 100 × 0.01 + 20 × 0.02
        '      model chat gpt-4o-2024-08-06 [1.0 s · 100→20 tokens · $1.40]',
      ]);
      // gpt-4o-mini is another model, not a version of gpt-4o
      const mini = buildTraceTree(await h.engine.getSpans(), { 'gpt-4o': { input: 1, output: 1 }, 'gpt-4o-mini': { input: 10_000, output: 10_000 } });
      assert.ok(mini.flatMap(n => outline(n)).includes('        model chat gpt-4o-mini [1.0 s · 30→40 tokens · $0.70]'));
    } finally {
      await h.close();
    }
  });

  it('groups a conversation by run: a run whose top is several spans gets a node of its own', () => {
    let id = 0;
    const span = (trace: string, spanId: string, parent: string | null, name: string, op: string | null, start: number, end: number): Span => ({
      id: ++id, trace_id: trace, span_id: spanId, parent_span_id: parent, name, kind: 1,
      start_time: new Date(Date.UTC(2025, 5, 1, 10, 0, start)).toISOString(), end_time: new Date(Date.UTC(2025, 5, 1, 10, 0, end)).toISOString(),
      duration_ms: (end - start) * 1000, status: 'ok', status_message: null, operation: op, agent_id: null, agent_name: null,
      conversation_id: 'c', task_id: `otel-${trace}`, tool_name: null, model: null, input_tokens: null, output_tokens: null, attributes: {}, resource: {}, scope: null,
    });
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    const tree = buildTraceTree([
      span(a, '1'.repeat(16), null, 'invoke_agent A', 'invoke_agent', 0, 4),
      // Run b's root span never arrived: two tool calls under a parent not stored.
      span(b, '2'.repeat(16), '9'.repeat(16), 'execute_tool x', 'execute_tool', 5, 6),
      span(b, '3'.repeat(16), '9'.repeat(16), 'execute_tool y', 'execute_tool', 7, 9),
    ]);
    assert.deepStrictEqual(tree.flatMap(n => outline(n)), [
      'conversation c [9.0 s]',
      '  agent invoke_agent A [4.0 s]',
      '  workflow run bbbbbbbb [4.0 s]',
      '    tool execute_tool x [1.0 s]',
      '    tool execute_tool y [2.0 s]',
    ]);
  });
});

