// OTLP ingestion benchmark: spans per second acknowledged (durable) through POST /v1/traces, with
// protobuf and JSON bodies as the SDK's serializers make them (512-span batches, the
// BatchSpanProcessor's default, 4 exporters sending at once), and the time to decode and map
// one 10,000-span trace. Target: >= 20,000 spans/s. bench/bench.ts calls runOtelBench(); alone:
// node -e "require('./out/bench/otel.js').runOtelBench().then(r => console.log(JSON.stringify(r, null, 2)))"
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { context, trace, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ContextEngine } from '../src/core/engine';
import { readWasmBinary } from '../src/core/wasm';
import { mapSpans } from '../src/otel/genaiMapping';
import { decodeProtobufTraces } from '../src/otel/otlpDecode';
import { otlpTracesMount, OTLP_TRACES_PATH } from '../src/otel/otlpReceiver';
import { JarvisServer } from '../src/server/server';

const BATCH = 512;
const CLIENTS = 4;
const TOKEN = 'bench-token';

function tracer(): { tracer: Tracer; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-orchestrator' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { tracer: provider.getTracer('bench'), exporter };
}

function start(t: Tracer, parent: Span | undefined, name: string, attributes: Record<string, string | number>): Span {
  return t.startSpan(name, { attributes }, parent ? trace.setSpan(context.active(), parent) : context.active());
}

/** One agent run: workflow, agent, a plan, then `steps` x (model call, tool call with an HTTP call under it). */
function recordRun(t: Tracer, n: number, agents: number, steps: number): void {
  const wf = start(t, undefined, 'invoke_workflow bench', { 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': 'bench', 'gen_ai.conversation.id': `conv-${n}` });
  for (let a = 0; a < agents; a++) {
    const agent = start(t, wf, `invoke_agent Agent${a}`, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': `agent-${a}`, 'gen_ai.agent.name': `Agent${a}` });
    start(t, agent, 'plan', { 'gen_ai.operation.name': 'plan' }).end();
    for (let s = 0; s < steps; s++) {
      start(t, agent, 'chat gpt-4o', {
        'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 120 + s, 'gen_ai.usage.output_tokens': 30, 'gen_ai.response.finish_reasons': 'tool_calls',
      }).end();
      const tool = start(t, agent, 'execute_tool search', {
        'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'gen_ai.tool.call.id': `call_${n}_${a}_${s}`,
        'gen_ai.tool.call.arguments': `{"q":"query ${s}"}`,
      });
      start(t, tool, 'GET', { 'http.request.method': 'GET', 'url.full': 'https://example.test/search' }).end();
      if (s % 7 === 6) tool.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
      tool.end();
    }
    agent.end();
  }
  wf.end();
}

export function runs(count: number): ReadableSpan[] {
  const { tracer: t, exporter } = tracer();
  for (let i = 0; i < count; i++) recordRun(t, i, 1, 6);
  return exporter.getFinishedSpans();
}

interface Target {
  engine: ContextEngine;
  base: string;
  close(): Promise<void>;
}

/** The REST server with the OTLP mount, as `serve` and the extension run it (in this process). */
async function startServer(folder: string): Promise<Target> {
  const engine = await ContextEngine.open({ folder, wasmBinary: readWasmBinary(), checkpointIntervalMs: 0 });
  const server = await JarvisServer.start({
    engine, port: 0, token: TOKEN, writeEndpointFile: false, mounts: [otlpTracesMount({ engine, token: TOKEN })],
  });
  return {
    engine,
    base: `http://127.0.0.1:${server.port}`,
    close: async () => {
      await server.close();
      await engine.close();
    },
  };
}

function postBody(agent: http.Agent, base: string, body: Buffer, type: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${OTLP_TRACES_PATH}`, {
      method: 'POST', agent,
      headers: { 'Content-Type': type, 'Content-Length': String(body.length), Authorization: `Bearer ${TOKEN}` },
    }, res => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function ingest(encoding: 'protobuf' | 'json', spans: ReadableSpan[]): Promise<object> {
  const batches: Buffer[] = [];
  for (let i = 0; i < spans.length; i += BATCH) {
    const part = spans.slice(i, i + BATCH);
    batches.push(Buffer.from(encoding === 'protobuf' ? ProtobufTraceSerializer.serializeRequest(part)! : JsonTraceSerializer.serializeRequest(part)!));
  }
  const type = encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json';
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-otel-bench-'));
  const server = await startServer(folder);
  try {
    let next = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (next < batches.length) await postBody(agent, server.base, batches[next++], type);
      agent.destroy();
    }));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const stored = (await server.engine.getSpans({ limit: 1 })).length;
    if (stored !== 1) throw new Error('nothing stored');
    return {
      spans: spans.length, batches: batches.length, batch_spans: BATCH, clients: CLIENTS,
      body_bytes_per_span: Math.round(batches.reduce((a, b) => a + b.length, 0) / spans.length),
      seconds: +seconds.toFixed(3), spans_per_s: Math.round(spans.length / seconds),
    };
  } finally {
    await server.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

function mapLargeTrace(): object {
  const { tracer: t, exporter } = tracer();
  recordRun(t, 0, 50, 66); // 1 + 50 x (1 + 1 + 66 x 3) = 10,051 spans
  const spans = exporter.getFinishedSpans();
  const body = ProtobufTraceSerializer.serializeRequest(spans)!;
  const t0 = process.hrtime.bigint();
  const decoded = decodeProtobufTraces(body);
  const t1 = process.hrtime.bigint();
  const mapped = mapSpans(decoded.spans, { remoteParents: decoded.remoteParents });
  const t2 = process.hrtime.bigint();
  return {
    spans: decoded.spans.length, events: mapped.events.length,
    decode_ms: +(Number(t1 - t0) / 1e6).toFixed(1), map_ms: +(Number(t2 - t1) / 1e6).toFixed(1),
  };
}

/** Where the time goes, without HTTP: decode, map, and the engine's durable write, per span. */
async function phases(spans: ReadableSpan[]): Promise<object> {
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < spans.length; i += BATCH) bodies.push(ProtobufTraceSerializer.serializeRequest(spans.slice(i, i + BATCH))!);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-otel-bench-'));
  const engine = await ContextEngine.open({ folder, wasmBinary: readWasmBinary(), checkpointIntervalMs: 0 });
  const ms = { decode: 0, map: 0, write: 0 };
  let events = 0;
  const now = (): number => Number(process.hrtime.bigint()) / 1e6;
  try {
    for (const body of bodies) {
      let t = now();
      const d = decodeProtobufTraces(body);
      ms.decode += now() - t;
      t = now();
      const m = mapSpans(d.spans, { remoteParents: d.remoteParents });
      ms.map += now() - t;
      events += m.events.length;
      t = now();
      await engine.writeSpans(m.spans, m.events);
      ms.write += now() - t;
    }
  } finally {
    await engine.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
  const per = (x: number): number => +((x * 1000) / spans.length).toFixed(1);
  return { spans: spans.length, derived_events: events, decode_us_per_span: per(ms.decode), map_us_per_span: per(ms.map), engine_write_us_per_span: per(ms.write) };
}

export async function runOtelBench(): Promise<object> {
  const spans = runs(2_500); // 21 spans a run: 52,500 spans
  return {
    protobuf: await ingest('protobuf', spans),
    json: await ingest('json', spans),
    phases_protobuf: await phases(spans.slice(0, 20_480)),
    map_10k_span_trace: mapLargeTrace(),
    target_spans_per_s: 20_000,
  };
}
