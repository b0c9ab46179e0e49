// What the Checkpoints view reads of a real @langchain/langgraph run: one run per (thread,
// namespace), each step named by the node that wrote it (the tasks stored against its parent).
import * as assert from 'assert';
import * as path from 'path';
import { JarvisSaver } from '../../../clients/typescript/src/langgraph';
import { groupRuns } from '../../../src/langgraphText';
import { startServer } from '../client/support';
import { buildGraph } from './graph';

describe('LangGraph: the runs and steps the Checkpoints view shows', function () {
  this.timeout(60_000);

  it('a run of the drill graph: its steps by node, the subgraph as a run of its own; a limit keeps the newest', async () => {
    const s = await startServer();
    const saver = new JarvisSaver({ url: s.server.url, token: s.server.token, spool: false, env: {} });
    try {
      await buildGraph(saver, { effects: path.join(s.folder, 'effects') }).invoke({ messages: [] }, { configurable: { thread_id: 'v' } });
      const runs = groupRuns(s.engine.langgraph.summaries(500));
      assert.deepStrictEqual(runs.map(r => [r.thread_id, r.checkpoint_ns.split(':')[0]]), [['v', ''], ['v', 'sub']]);
      const steps = (i: number) => runs[i].steps.map(x => `${x.step} ${x.source} ${x.writers.join('+')}`);
      assert.deepStrictEqual(steps(0), ['5 loop sub', '4 loop agent', '3 loop audit+tools', '2 loop agent', '1 loop plan', '0 loop start', '-1 input ']);
      assert.deepStrictEqual(steps(1), ['2 loop s2', '1 loop s1', '0 loop start', '-1 input ']);
      assert.strictEqual(runs[1].fromStep, 4, 'the subgraph ran from step 4 (its tasks: sub)');
      const newest = s.engine.langgraph.summaries(3);
      assert.deepStrictEqual(newest.map(x => x.metadata.step), [5, 2, 1]);
      assert.deepStrictEqual(newest[0].task_paths, []);
    } finally {
      saver.dispose();
      await s.stop();
    }
  });
});
