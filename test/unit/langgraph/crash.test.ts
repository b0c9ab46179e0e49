// A real @langchain/langgraph graph with JarvisSaver, its process and the server each killed -9
// mid-run. Killing the graph: the rerun on the thread continues from the last completed step,
// with the pending writes of the step's finished tasks applied (they do not run again). Killing
// the server: the graph finishes through the spool, and every step is stored exactly once.
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { MemorySaver, type BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { JarvisSaver } from '../../../clients/typescript/src/langgraph';
import { tempDir } from '../support/fixtures';
import { startServe, type ServeProcess } from '../support/serveProcess';
import { waitFor } from '../team/support';
import { buildGraph, effects } from './graph';

interface GraphRun { child: ChildProcess; out: () => string; code: Promise<number | null> }

function runGraph(folder: string, thread: string, effectsFile: string, hold = '', resume = false): GraphRun {
  const child = spawn(process.execPath, [path.join(__dirname, 'runGraph.js'), folder, thread, effectsFile, hold, resume ? 'resume' : ''],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = new Promise<number | null>(resolve => child.once('exit', c => {
    if (c !== 0 && c !== null) process.stderr.write(err);
    resolve(c);
  }));
  return { child, out: () => out, code };
}

/** Each checkpoint of the thread as (namespace without task ids, step, source, pending writes), sorted. */
async function shape(saver: BaseCheckpointSaver, thread: string): Promise<string[]> {
  const rows: string[] = [];
  for await (const t of saver.list({ configurable: { thread_id: thread } })) {
    const ns = String(t.config.configurable?.checkpoint_ns ?? '').split('|').map(p => p.split(':')[0]).join('|');
    rows.push(JSON.stringify([ns, t.metadata?.step, t.metadata?.source, t.pendingWrites?.length ?? 0]));
  }
  return rows.sort();
}

describe('LangGraph: a real graph with JarvisSaver, killed -9 mid-run', function () {
  this.timeout(120_000);
  let folder: string;
  let server: ServeProcess;
  let reference: { log: string[]; shape: string[] };

  before(async () => {
    folder = tempDir('jarvis-lg-');
    server = await startServe(folder);
    // The same graph with LangGraph's own in-memory saver: what an uninterrupted run stores.
    const memory = new MemorySaver();
    const out = await buildGraph(memory, { effects: path.join(folder, '..', `${path.basename(folder)}.reference`) })
      .invoke({ messages: [] }, { configurable: { thread_id: 'reference' } });
    reference = { log: out.log, shape: await shape(memory, 'reference') };
  });

  after(async () => {
    server.child.kill('SIGKILL');
    await server.exited;
    fs.rmSync(folder, { recursive: true, force: true });
  });

  const reader = () => new JarvisSaver({ url: server.url, token: server.token, spool: false, env: {} });

  it('the graph killed in a step: the rerun continues from the last completed step, finished tasks are not run again', async () => {
    const eff = path.join(folder, '..', `${path.basename(folder)}.effects-1`);
    const first = runGraph(folder, 't1', eff, 'tool');
    const saver = reader();
    try {
      // The tool holds; the audit node beside it finished, its writes stored as pending writes.
      await waitFor('the tool to hold and the audit to be stored', async () => effects(eff)['tool:hold'] === 1 &&
        (await saver.getTuple({ configurable: { thread_id: 't1' } }))?.pendingWrites?.some(([, ch, v]) => ch === 'log' && JSON.stringify(v) === '["audit"]'));
      first.child.kill('SIGKILL');
      await first.code;
      assert.deepStrictEqual(effects(eff), { plan: 1, agent: 1, audit: 1, tool: 1, 'tool:hold': 1 });

      const again = runGraph(folder, 't1', eff, '', true);
      assert.strictEqual(await again.code, 0);
      assert.match(again.out(), /^done /m);
      // Checkpointed work ran once; the tool, which never finished, ran again; audit's writes were applied.
      assert.deepStrictEqual(effects(eff), { plan: 1, agent: 2, audit: 1, tool: 2, 'tool:hold': 1, s1: 1, s2: 1 });
      assert.deepStrictEqual(JSON.parse(again.out().split('\n')[0].slice(5)), reference.log);
    } finally {
      saver.dispose();
    }
  });

  it('the server killed mid-run: the graph finishes through the spool, and every step is stored exactly once', async () => {
    const eff = path.join(folder, '..', `${path.basename(folder)}.effects-2`);
    const run = runGraph(folder, 't2', eff, 's1');
    await waitFor('the subgraph to hold', async () => effects(eff)['s1:hold'] === 1);
    server.child.kill('SIGKILL');
    await server.exited;
    fs.writeFileSync(eff + '.go', '');
    await waitFor('the graph to finish without its server', async () => /^done /m.test(run.out()), 60_000);
    const spooled = fs.readdirSync(folder).filter(n => n.startsWith('langgraph.spool.'));
    assert.strictEqual(spooled.length, 1, 'the steps after the kill are in the spool');

    server = await startServe(folder);
    assert.strictEqual(await run.code, 0);
    assert.match(run.out(), /^flushed$/m);
    assert.deepStrictEqual(fs.readdirSync(folder).filter(n => n.startsWith('langgraph.spool.')), []);
    assert.deepStrictEqual(effects(eff), { plan: 1, agent: 2, audit: 1, tool: 1, s1: 1, 's1:hold': 1, s2: 1 });
    const saver = reader();
    try {
      assert.deepStrictEqual(await shape(saver, 't2'), reference.shape);
      const done = await saver.getTuple({ configurable: { thread_id: 't2' } });
      assert.deepStrictEqual(done?.checkpoint.channel_values.log, reference.log);
    } finally {
      saver.dispose();
    }
  });
});
