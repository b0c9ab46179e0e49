// The run timeline on a day of work: what one refresh costs the extension host (reading the engine
// and building the model) and how much it sends to the webview, at half a day and at a whole day,
// so a cost that grows faster than the day shows as a ratio above 2.
import * as path from 'path';
import { ContextEngine, type BatchEvent, type SpanInput } from '../src/core';
import { readWasmBinary } from '../src/core/wasm';
import { DEFAULT_PRICES } from '../src/cost';
import { readTimeline } from '../src/timeline/model';
import { tmp } from './engine';

const WASM = readWasmBinary(path.join(__dirname, '..', 'dist'));
const AGENTS = ['planner', 'coder-1', 'coder-2', 'reviewer', 'tester', 'researcher', 'writer', 'ops'];
const r1 = (n: number) => Math.round(n * 10) / 10;

/** `tasks` tasks of a day: four progress steps each with a recovery point, messages, decisions and traced model and tool calls. */
async function fill(e: ContextEngine, from: number, to: number, t0: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const agent = AGENTS[i % AGENTS.length];
    const at = (k: number) => new Date(t0 + i * 60_000 + k * 10_000).toISOString();
    const events: BatchEvent[] = [];
    for (let step = 1; step <= 4; step++) {
      events.push({ type: 'task', task_id: `task-${i}`, ts: at(step), description: `Task ${i} of the day`, status: step === 4 ? 'completed' : 'in_progress', percentage: step * 25, agent_id: agent });
      events.push({ type: 'message', ts: at(step), from_agent: agent, to_agent: AGENTS[(i + 1) % AGENTS.length], message_type: 'progress', content: { task: `task-${i}`, step } });
    }
    events.push({ type: 'decision', ts: at(0), decision_type: 'agent_assignment', context: { task: `task-${i}` }, decision: `Give task-${i} to ${agent}`, reasoning: 'free', agent_id: 'planner', task_id: `task-${i}` });
    await e.writeBatch(events);
    const spans: SpanInput[] = [];
    for (let k = 0; k < 8; k++) {
      spans.push({
        trace_id: (i + 1).toString(16).padStart(32, '0'), span_id: (k + 1).toString(16).padStart(16, '0'), parent_span_id: null,
        name: k % 2 ? 'execute_tool search' : 'chat gpt-4o', kind: 1, start_time: at(k / 2), end_time: at(k / 2 + 0.3), status: 'ok', status_message: null,
        operation: k % 2 ? 'execute_tool' : 'chat', agent_id: agent, agent_name: null, conversation_id: `c${i}`, task_id: `task-${i}`,
        tool_name: k % 2 ? 'search' : null, model: k % 2 ? null : 'gpt-4o', input_tokens: k % 2 ? null : 1200, output_tokens: k % 2 ? null : 300, attributes: {}, resource: {}, scope: null,
      });
    }
    await e.writeSpans(spans, []);
    await e.markRecoveryPoint(`after task-${i}`);
  }
}

async function refresh(e: ContextEngine): Promise<{ ms: number; bytes: number; bars: number; markers: number }> {
  const times: number[] = [];
  let bytes = 0;
  let bars = 0;
  let markers = 0;
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    const m = await readTimeline(e, DEFAULT_PRICES);
    bytes = JSON.stringify(m).length; // what postMessage carries
    times.push(performance.now() - t);
    bars = m.bars.length;
    markers = m.markers.length;
  }
  times.sort((a, b) => a - b);
  return { ms: r1(times[2]), bytes, bars, markers };
}

export async function runTimelineBench(log: (s: string) => void): Promise<Record<string, unknown>> {
  const tasks = Number(process.env.JARVIS_BENCH_TIMELINE_TASKS ?? 480);
  const e = await ContextEngine.open({ folder: tmp('timeline'), wasmBinary: WASM, checkpointIntervalMs: 0 });
  const t0 = Date.now() - tasks * 60_000;
  try {
    log(`timeline: half a day (${tasks / 2} tasks)`);
    await fill(e, 0, tasks / 2, t0);
    const half = await refresh(e);
    log(`timeline: a whole day (${tasks} tasks)`);
    await fill(e, tasks / 2, tasks, t0);
    const day = await refresh(e);
    return {
      tasks,
      refresh_ms_half_day: half.ms,
      refresh_ms_day: day.ms,
      refresh_ratio_day_to_half: r1(day.ms / half.ms),
      model_kb_half_day: Math.round(half.bytes / 1024),
      model_kb_day: Math.round(day.bytes / 1024),
      items_day: { bars: day.bars, markers: day.markers },
    };
  } finally {
    await e.close();
  }
}
