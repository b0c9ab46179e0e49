// Time travel chosen outside the graph (POST /langgraph/fork): after a finished run, a fork of the
// checkpoint at step 2 makes the thread's next invoke(null) continue from that step; a fork with an
// edited channel value makes it continue from the edit. A real @langchain/langgraph graph with
// JarvisSaver, both times.
import * as assert from 'assert';
import * as path from 'path';
import { MemorySaver, uuid6, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import { JarvisSaver } from '../../../clients/typescript/src/langgraph';
import { startServer, type Running } from '../client/support';
import { buildGraph, effects } from './graph';

describe('LangGraph: resume from a chosen checkpoint, and fork it with an edit', function () {
  this.timeout(60_000);
  let s: Running;
  let saver: JarvisSaver;
  beforeEach(async () => {
    s = await startServer();
    saver = new JarvisSaver({ url: s.server.url, token: s.server.token, spool: false, env: {} });
  });
  afterEach(async () => {
    saver.dispose();
    await s.stop();
  });

  /** The edited checkpoint put into LangGraph's MemorySaver beside a run of the same graph, and run on. */
  async function sameForkInMemory(fork: CheckpointTuple): Promise<string[]> {
    const memory = new MemorySaver();
    const graph = buildGraph(memory, { effects: path.join(s.folder, 'memory-effects') });
    await graph.invoke({ messages: [] }, { configurable: { thread_id: 'm' } });
    let parent: string | undefined;
    for await (const t of memory.list({ configurable: { thread_id: 'm', checkpoint_ns: '' } })) {
      if (t.metadata?.step === 2 && t.metadata.source === 'loop') parent = String(t.config.configurable?.checkpoint_id);
    }
    // A new id: the fork must be the newest checkpoint of this thread too.
    await memory.put({ configurable: { thread_id: 'm', checkpoint_ns: '', checkpoint_id: parent } }, { ...fork.checkpoint, id: uuid6(-1) }, fork.metadata!);
    return (await graph.invoke(null, { configurable: { thread_id: 'm' } })).log;
  }

  async function stepTwo(thread: string): Promise<string> {
    for await (const t of saver.list({ configurable: { thread_id: thread, checkpoint_ns: '' } })) {
      if (t.metadata?.step === 2 && t.metadata.source === 'loop') return String(t.config.configurable?.checkpoint_id);
    }
    throw new Error('no checkpoint at step 2');
  }

  it('resume: the next invoke(null) continues from step 2', async () => {
    const eff = path.join(s.folder, 'effects');
    const graph = buildGraph(saver, { effects: eff });
    const first = await graph.invoke({ messages: [] }, { configurable: { thread_id: 'f' } });
    const id = await stepTwo('f');
    const fork = await s.client.request<{ checkpoint_id: string }>('POST', '/langgraph/fork', { thread_id: 'f', checkpoint_ns: '', checkpoint_id: id });
    assert.ok(fork.checkpoint_id > id);
    const latest = await saver.getTuple({ configurable: { thread_id: 'f' } });
    assert.deepStrictEqual([latest?.config.configurable?.checkpoint_id, latest?.parentConfig?.configurable?.checkpoint_id, latest?.metadata?.source], [fork.checkpoint_id, id, 'fork']);

    const again = await graph.invoke(null, { configurable: { thread_id: 'f' } });
    assert.deepStrictEqual(again.log, first.log);
    // Exactly as LangGraph's own saver runs the same fork.
    assert.deepStrictEqual(again.log, await sameForkInMemory(latest!));
    // Step 2's tasks (the tool and the audit) and what came after ran again; what came before did not.
    assert.deepStrictEqual(effects(eff), { plan: 1, agent: 3, tool: 2, audit: 2, s1: 2, s2: 2 });
  });

  it('edit and fork: the next invoke(null) continues from the edited value', async () => {
    const eff = path.join(s.folder, 'effects');
    const graph = buildGraph(saver, { effects: eff });
    await graph.invoke({ messages: [] }, { configurable: { thread_id: 'e' } });
    const id = await stepTwo('e');
    const fork = await s.client.request<{ checkpoint_id: string }>('POST', '/langgraph/fork',
      { thread_id: 'e', checkpoint_ns: '', checkpoint_id: id, values: { log: ['edited'] } });
    const forked = await saver.getTuple({ configurable: { thread_id: 'e', checkpoint_id: fork.checkpoint_id } });
    assert.deepStrictEqual(forked?.checkpoint.channel_values.log, ['edited']);
    assert.deepStrictEqual([forked?.metadata?.source, forked?.metadata?.step, forked?.pendingWrites], ['update', 3, []]);

    const again = await graph.invoke(null, { configurable: { thread_id: 'e' } });
    // The run follows the edit: what came before step 2 is gone from the log, the step's tasks ran again.
    assert.deepStrictEqual(again.log.slice(0, 3), ['edited', 'audit', 'agent']);
    assert.ok(!again.log.includes('plan'), JSON.stringify(again.log));
    assert.deepStrictEqual(effects(eff), { plan: 1, agent: 3, tool: 2, audit: 2, s1: 2, s2: 2 });
    // And exactly as LangGraph's own saver runs the same fork (a copy of step 2, the edit at a new version).
    assert.deepStrictEqual(again.log, await sameForkInMemory(forked!));
  });
});
