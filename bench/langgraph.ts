// LangGraph checkpointers (`npm run bench`; JARVIS_BENCH_ONLY=langgraph for this part alone):
// JarvisSaver against LangGraph's stock SQLite saver (@langchain/langgraph-checkpoint-sqlite) in
// the same run, rounds alternating. The stock saver runs with synchronous=FULL (durable on power
// loss, as our acknowledgement is) and with its default (WAL, NORMAL after a fsync-less commit:
// not durable on power loss). Our server runs as `jarvis-context serve` in its own process.
// Figures: put + getTuple p50 with ~20 KB of state (every channel changed each step: the stock
// saver's case; and one small channel changed beside 20 KB that stay, where only what changed is
// stored); a 1,000-step graph's steps/s. Target: put + getTuple at most half the FULL saver's time.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { emptyCheckpoint, uuid6, type BaseCheckpointSaver, type Checkpoint } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { JarvisSaver } from '../clients/typescript/src/langgraph';
import { startServe } from '../test/unit/support/serveProcess';

const ROUNDS = 3;
const PAIRS = 200;
const GRAPH_STEPS = 1000;

type Contender = 'jarvis' | 'sqlite_full' | 'sqlite_default';

/** ~20 KB of state in four channels: messages (16 KB), documents (4 KB), a counter and a phase. */
function state(step: number, changeAll: boolean): Record<string, unknown> {
  const text = (n: number, seed: number) => Array.from({ length: n }, (_, i) => `message ${seed}-${i}: ${'lorem ipsum dolor sit amet '.repeat(2)}`);
  const fixed = changeAll ? step : 0;
  return { messages: text(256, fixed), documents: text(64, fixed + 1), counter: step, phase: `step-${step}` };
}

/** put + getTuple, one pair at a time; the milliseconds of each pair. */
async function pairs(saver: BaseCheckpointSaver, thread: string, changeAll: boolean): Promise<number[]> {
  let config: RunnableConfig = { configurable: { thread_id: thread, checkpoint_ns: '' } };
  const times: number[] = [];
  const versions: Record<string, number> = {};
  for (let i = 0; i < PAIRS + 20; i++) {
    const values = state(i, changeAll);
    const changed = i === 0 || changeAll ? Object.keys(values) : ['counter', 'phase'];
    const newVersions: Record<string, number> = {};
    for (const k of changed) newVersions[k] = versions[k] = (versions[k] ?? 0) + 1;
    const checkpoint: Checkpoint = { ...emptyCheckpoint(), id: uuid6(i), channel_values: values, channel_versions: { ...versions } };
    const t0 = performance.now();
    config = await saver.put(config, checkpoint, { source: 'loop', step: i, parents: {} }, newVersions);
    const back = await saver.getTuple(config);
    const ms = performance.now() - t0;
    if (back?.checkpoint.channel_values.counter !== i) throw new Error(`${thread}: step ${i} did not read back`);
    if (i >= 20) times.push(ms); // the first ones warm up
  }
  return times;
}

/** A graph of GRAPH_STEPS super-steps (one node looping on itself); steps per second. */
async function graphRate(saver: BaseCheckpointSaver, thread: string): Promise<number> {
  const State = Annotation.Root({ n: Annotation<number>(), notes: Annotation<string[]>({ reducer: (a, b) => a.concat(b).slice(-20), default: () => [] }) });
  const graph = new StateGraph(State)
    .addNode('work', (s: typeof State.State) => ({ n: s.n + 1, notes: [`step ${s.n}`] }))
    .addEdge(START, 'work')
    .addConditionalEdges('work', (s: typeof State.State) => (s.n >= GRAPH_STEPS ? END : 'work'))
    .compile({ checkpointer: saver });
  const t0 = performance.now();
  const out = await graph.invoke({ n: 0 }, { configurable: { thread_id: thread }, recursionLimit: GRAPH_STEPS + 10 });
  if (out.n !== GRAPH_STEPS) throw new Error(`the graph stopped at ${out.n}`);
  return GRAPH_STEPS / ((performance.now() - t0) / 1000);
}

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The stock saver's native SQLite binding, when this machine has one (npm may not have run its install script). */
function sqliteMissing(): string | undefined {
  try {
    SqliteSaver.fromConnString(':memory:').db.close();
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

export async function runLangGraphBench(log: (s: string) => void): Promise<object> {
  const missing = sqliteMissing();
  if (missing) {
    log(`langgraph: skipped, the stock SQLite saver does not load here (${missing}); \`npm rebuild better-sqlite3\` builds its binding`);
    return { skipped: `the stock SQLite saver does not load: ${missing}` };
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-bench-lg-'));
  const folder = path.join(root, 'jarvis');
  const server = await startServe(folder);
  const savers: Record<Contender, BaseCheckpointSaver> = {
    jarvis: new JarvisSaver({ url: server.url, token: server.token, spool: false, env: {} }),
    sqlite_full: SqliteSaver.fromConnString(path.join(root, 'full.sqlite')),
    sqlite_default: SqliteSaver.fromConnString(path.join(root, 'default.sqlite')),
  };
  const full = savers.sqlite_full as SqliteSaver;
  const stock = savers.sqlite_default as SqliteSaver;
  (full as unknown as { setup(): void }).setup();
  full.db.pragma('synchronous = FULL');
  (stock as unknown as { setup(): void }).setup();
  const defaultSync = ['OFF', 'NORMAL', 'FULL', 'EXTRA'][Number(stock.db.pragma('synchronous', { simple: true }))];
  const contenders = Object.keys(savers) as Contender[];
  const allChanged: Record<Contender, number[]> = { jarvis: [], sqlite_full: [], sqlite_default: [] };
  const oneChanged: Record<Contender, number[]> = { jarvis: [], sqlite_full: [], sqlite_default: [] };
  const steps: Record<Contender, number[]> = { jarvis: [], sqlite_full: [], sqlite_default: [] };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      // Alternating, so a busy moment of the machine falls on every contender alike.
      for (const c of r % 2 ? [...contenders].reverse() : contenders) {
        log(`langgraph round ${r + 1}/${ROUNDS}: ${c}`);
        allChanged[c].push(p50(await pairs(savers[c], `all-${r}`, true)));
        oneChanged[c].push(p50(await pairs(savers[c], `one-${r}`, false)));
        steps[c].push(await graphRate(savers[c], `graph-${r}`));
      }
    }
  } finally {
    (savers.jarvis as JarvisSaver).dispose();
    full.db.close();
    stock.db.close();
    server.child.kill('SIGTERM');
    await server.exited;
    fs.rmSync(root, { recursive: true, force: true });
  }
  const med = (xs: number[]) => p50(xs);
  const figures = (m: Record<Contender, number[]>) => ({
    jarvis_ms: round3(med(m.jarvis)), sqlite_full_ms: round3(med(m.sqlite_full)), sqlite_default_ms: round3(med(m.sqlite_default)),
    ratio_to_full: round3(med(m.jarvis) / med(m.sqlite_full)), ratio_to_default: round3(med(m.jarvis) / med(m.sqlite_default)),
  });
  return {
    state_bytes: Buffer.byteLength(JSON.stringify(state(0, true))),
    sqlite_default_synchronous: defaultSync,
    put_get_p50_all_channels_changed: figures(allChanged),
    put_get_p50_one_channel_changed: figures(oneChanged),
    graph_1000_steps: {
      jarvis_steps_per_s: Math.round(med(steps.jarvis)), sqlite_full_steps_per_s: Math.round(med(steps.sqlite_full)),
      sqlite_default_steps_per_s: Math.round(med(steps.sqlite_default)),
      ratio_to_full: round3(med(steps.jarvis) / med(steps.sqlite_full)), ratio_to_default: round3(med(steps.jarvis) / med(steps.sqlite_default)),
    },
  };
}
