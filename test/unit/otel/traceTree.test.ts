// The Traces view's model, built from the spans the engine stored for an ingested run.
import * as assert from 'assert';
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
        // The run itself succeeded: the failed tool shows its error where it happened.
        'conversation conv-1 [11.0 s · 180→70 tokens]',
        '  workflow invoke_workflow research [11.0 s · 180→70 tokens]',
        '    agent Planner [9.0 s · 180→70 tokens]',
        '      plan plan [1.0 s]',
        '      model chat gpt-4o-2024-08-06 [1.0 s · 100→20 tokens]',
        '      tool search [1.0 s]',
        '      tool fetch_page [1.0 s · error]',
        '      model chat gpt-4o [1.0 s · 50→10 tokens]',
        '      tool transfer_to_Writer [100 ms]',
        '      agent Writer [2.3 s · 30→40 tokens]',
        '        model chat gpt-4o-mini [1.0 s · 30→40 tokens]',
      ]);
      const writer = tree[0].children[0].children[0].children.find(n => n.label === 'Writer')!;
      assert.strictEqual(writer.agentId, 'writer');
      assert.match(writer.taskId!, /^otel-/);
    } finally {
      await h.close();
    }
  });
});
