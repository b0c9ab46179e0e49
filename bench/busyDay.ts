// A busy day of a normal orchestrator, as a user has it: every task reported at 25, 50, 75 and
// 100 % with a recovery point at each step, three inter-agent messages and a heartbeat per step,
// two decisions and one context update per task, and the periodic checkpoint after each task (as
// the 30 s timer would). Measures bytes on disk and checkpoint times as the state grows.
import * as fs from 'fs';
import * as path from 'path';
import { ContextEngine, type JsonObject } from '../src/core';
import { readWasmBinary } from '../src/core/wasm';
import { tmp } from './engine';

const WASM = readWasmBinary(path.join(__dirname, '..', 'dist'));
const AGENTS = ['planner', 'coder', 'reviewer', 'tester'];
const r3 = (n: number) => Math.round(n * 1000) / 1000;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0;
};

export function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return n;
}

export interface DayFigures {
  tasks: number;
  writes: number;
  recovery_points: number;
  bytes_on_disk_running: number;
  bytes_on_disk_after_close: number;
  storage_bytes: JsonObject;
  live_db_bytes: number;
  live_db_cap_bytes: number;
  /** Over the whole day, and over its last 20 tasks (where the state is largest). */
  recovery_point_ms: { p50: number; max: number; p50_last_20_tasks: number };
  periodic_checkpoint_ms: { p50: number; max: number; p50_last_20_tasks: number };
  wall_s: number;
}

/**
 * One task of the busy day: assigned, reported at 25, 50, 75 and 100 % with three messages, a
 * heartbeat and a recovery point at each step, reviewed, and the context updated (23 writes).
 * Returns the recovery points' times.
 */
export async function busyTask(e: ContextEngine, i: number, history: JsonObject[]): Promise<number[]> {
  const id = `task-${String(i).padStart(4, '0')}`;
  const agent = AGENTS[i % AGENTS.length];
  await e.logDecision({
    decision_type: 'task_assignment', context: { task: id, candidates: AGENTS, load: { [agent]: i % 3 } },
    decision: `assign ${id} to ${agent}`, reasoning: `${agent} is free and has the capabilities the task needs`, agent_id: 'planner', task_id: id,
  });
  const times: number[] = [];
  for (const pct of [25, 50, 75, 100]) {
    await e.updateTaskProgress(id, {
      description: `Implement part ${i} of the plan: parse, check and store the ${id} records`, status: pct === 100 ? 'completed' : 'in_progress',
      percentage: pct, agent_id: agent, completed_subtasks: ['design', 'code', 'test', 'review'].slice(0, pct / 25),
    });
    for (let k = 1; k <= 3; k++) {
      await e.logAgentMessage({ from_agent: agent, to_agent: AGENTS[(i + k) % AGENTS.length], message_type: 'status', content: { task: id, percentage: pct, note: `step ${k} done, handing over the notes` } });
    }
    await e.updateAgentState(agent, { status: pct === 100 ? 'idle' : 'busy', current_task: pct === 100 ? null : id, capabilities: ['code', 'review', 'test'] });
    const r0 = performance.now();
    await e.markRecoveryPoint(`${id} at ${pct} %`);
    times.push(performance.now() - r0);
  }
  await e.logDecision({
    decision_type: 'review', context: { task: id, tests: 'passed' }, decision: `accept ${id}`, reasoning: 'tests pass and the reviewer approved', outcome: 'accepted', agent_id: 'reviewer', task_id: id,
  });
  history.push({ role: 'assistant', content: `Finished ${id}; next is task ${i + 1}.` });
  await e.updateContext({ phase: 'implementation', current_task: id, tasks_done: i + 1, conversation_history: history.slice(-100), settings: { model: 'large', retries: 3 } });
  return times;
}

export async function busyDay(tasks: number, log: (s: string) => void = () => undefined): Promise<DayFigures> {
  const dir = tmp(`day${tasks}`);
  const cap = 16 * 1024 * 1024;
  const e = await ContextEngine.open({ folder: dir, wasmBinary: WASM, checkpointIntervalMs: 0, liveDbLimitBytes: cap });
  const t0 = performance.now();
  const rp: number[][] = [];
  const cp: number[] = [];
  const history: JsonObject[] = [];
  let writes = 0;
  for (let i = 0; i < tasks; i++) {
    const times = await busyTask(e, i, history);
    rp.push(times);
    writes += 23;
    const c0 = performance.now();
    await e.autoCheckpoint();
    cp.push(performance.now() - c0);
    if (tasks >= 1000 && (i + 1) % 500 === 0) log(`busy day: ${i + 1} of ${tasks} tasks`);
  }
  const running = dirBytes(dir);
  const m = e.getMetrics();
  const wall = (performance.now() - t0) / 1000;
  await e.close();
  const after = dirBytes(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const all = rp.flat();
  const last = rp.slice(-20).flat();
  return {
    tasks, writes, recovery_points: all.length, bytes_on_disk_running: running, bytes_on_disk_after_close: after,
    storage_bytes: m.storage_bytes, live_db_bytes: m.memory_bytes, live_db_cap_bytes: cap,
    recovery_point_ms: { p50: r3(quantile(all, 0.5)), max: r3(Math.max(...all)), p50_last_20_tasks: r3(quantile(last, 0.5)) },
    periodic_checkpoint_ms: { p50: r3(quantile(cp, 0.5)), max: r3(Math.max(...cp)), p50_last_20_tasks: r3(quantile(cp.slice(-20), 0.5)) },
    wall_s: r3(wall),
  };
}

/** p50 of appending 300 bytes and fdatasync-ing them, alone: the disk's share of any durable write here. */
function fdatasyncFloorMs(): number {
  const dir = tmp('floor');
  const fd = fs.openSync(path.join(dir, 'floor'), 'a');
  const times: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    fs.writeSync(fd, Buffer.alloc(300, 0x61));
    fs.fdatasyncSync(fd);
    times.push(performance.now() - t0);
  }
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
  return r3(quantile(times, 0.5));
}

export async function runBusyDayBench(log: (s: string) => void): Promise<Record<string, unknown>> {
  const sizes = (process.env.JARVIS_BENCH_DAY_TASKS ?? '20,200,2000').split(',').map(Number);
  const out: Record<string, unknown> = {};
  // A first day warms the JIT, so the smallest measured day is not also the coldest.
  log('busy day: warm-up');
  await busyDay(20);
  out.fdatasync_floor_ms = fdatasyncFloorMs();
  const days: Record<number, DayFigures> = {};
  for (const n of sizes) {
    log(`busy day: ${n} tasks`);
    days[n] = await busyDay(n, log);
    out[`tasks_${n}`] = days[n];
  }
  const small = days[Math.min(...sizes)];
  const big = days[Math.max(...sizes)];
  if (small && big && small !== big) {
    // Flat means the big day's checkpoints, where its state is largest, cost what the small day's do.
    out.flatness = {
      recovery_point_p50_ratio: r3(big.recovery_point_ms.p50_last_20_tasks / small.recovery_point_ms.p50),
      periodic_checkpoint_p50_ratio: r3(big.periodic_checkpoint_ms.p50_last_20_tasks / small.periodic_checkpoint_ms.p50),
    };
  }
  out.targets = { bytes_200_tasks: '≤ 5 MB', recovery_point_p50_ms: '≤ 1', periodic_checkpoint_p50_ms: '≤ 1', flatness_ratio: '≤ 1.5' };
  return out;
}
