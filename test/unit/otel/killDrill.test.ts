// Kill drill for OTLP: `jarvis-context serve` in a child process, SDK exporters sending batches to
// /v1/traces, SIGKILL at a random moment, restart on the same folder. Every span of a batch that
// was answered 200 must be there afterwards, and so must what it mapped to. JARVIS_OTEL_KILLS sets
// the number of kills (default 3).
import * as assert from 'assert';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { taskIdForTrace } from '../../../src/otel/genaiMapping';
import { OTLP_TRACES_PATH } from '../../../src/otel/otlpReceiver';
import { recordRun } from './scenario';
import { startServe, type ServeProcess } from '../support/serveProcess';
import { exportSpans, openEngine, tempDir } from './support';

const EXPORTERS = 2;

type Live = ServeProcess;

const startServer = (folder: string) => startServe(folder, { JARVIS_CHECKPOINT_INTERVAL: '0.3' });

/** Whether this build's `serve` has the OTLP receiver mounted: an empty export is a 200, else a 404. */
async function servesOtlp(live: Live): Promise<boolean> {
  const r = await fetch(`${live.origin}${OTLP_TRACES_PATH}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${live.token}` }, body: '{}',
  });
  if (r.status !== 200 && r.status !== 404) throw new Error(`unexpected ${r.status} from ${OTLP_TRACES_PATH}`);
  return r.status === 200;
}

interface Acked {
  spans: Set<string>;
  /** Traces whose every span (root included) was acknowledged. */
  wholeRuns: Set<string>;
}

async function exporterLoop(live: Live, k: number, acked: Acked, stop: { now: boolean }): Promise<void> {
  const exp = new OTLPTraceExporter({ url: `${live.origin}${OTLP_TRACES_PATH}`, headers: { Authorization: `Bearer ${live.token}` }, timeoutMillis: 3_000 });
  const mem = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(mem)] }).getTracer(`drill-${k}`);
  for (let n = 0; !stop.now; n++) {
    mem.reset();
    const traceId = recordRun(tracer, { conversationId: `c${k}-${n}` });
    const spans = mem.getFinishedSpans();
    // Two batches a run, children first, as a batch processor would cut them.
    const cut = Math.floor(spans.length / 2);
    let whole = true;
    for (const part of [spans.slice(0, cut), spans.slice(cut)]) {
      if (stop.now) return;
      const r = await exportSpans(exp, part);
      if (r.code !== 0) {
        whole = false;
        continue;
      }
      for (const s of part) acked.spans.add(`${s.spanContext().traceId}:${s.spanContext().spanId}`);
    }
    if (whole) acked.wholeRuns.add(traceId);
  }
}

describe('otel: kill drill (SIGKILL while exporters send)', function () {
  const kills = Number(process.env.JARVIS_OTEL_KILLS ?? 3);
  this.timeout(60_000 + kills * 20_000);

  it('keeps every span answered 200, and what it mapped to', async () => {
    const folder = tempDir('jarvis-otel-drill-');
    const acked: Acked = { spans: new Set(), wholeRuns: new Set() };
    for (let round = 0; round < kills; round++) {
      const live = await startServer(folder);
      if (round === 0) assert.ok(await servesOtlp(live), '`serve` mounts POST /v1/traces');
      const stop = { now: false };
      const loops = Array.from({ length: EXPORTERS }, (_, k) => exporterLoop(live, round * 10 + k, acked, stop));
      await new Promise(resolve => setTimeout(resolve, 300 + Math.random() * 900));
      live.child.kill('SIGKILL');
      stop.now = true;
      await live.exited;
      await Promise.all(loops);
    }
    assert.ok(acked.spans.size > 0, 'the exporters got some batches acknowledged');
    if (process.env.JARVIS_DRILL_VERBOSE) process.stderr.write(`acked ${acked.spans.size} spans, ${acked.wholeRuns.size} whole runs\n`);

    // One more start recovers the last crash; then read the folder directly.
    const last = await startServer(folder);
    last.child.kill('SIGTERM');
    await last.exited;
    const engine = await openEngine(folder);
    try {
      const stored = new Set<string>();
      for (const s of await engine.getSpans({ limit: 10_000 })) stored.add(`${s.trace_id}:${s.span_id}`);
      const missing = [...acked.spans].filter(k => !stored.has(k));
      assert.deepStrictEqual(missing, [], `${missing.length} acknowledged span(s) lost`);
      for (const traceId of acked.wholeRuns) {
        const task = engine.getTask(taskIdForTrace(traceId));
        assert.strictEqual(task?.status, 'completed', `task of run ${traceId}`);
      }
      const tools = (await engine.getMessages({ limit: 10_000 })).filter(m => m.message_type === 'tool_call');
      assert.ok(tools.length >= acked.wholeRuns.size * 3, 'the tool calls of every acknowledged run');
    } finally {
      await engine.close();
    }
  });
});
