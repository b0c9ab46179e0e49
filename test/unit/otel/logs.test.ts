// POST /v1/logs: GenAI log events (message content, which instrumentations such as
// @opentelemetry/instrumentation-openai send as logs) become their span's messages, whichever
// arrives first; everything else in a log export is read past.
import * as assert from 'assert';
import * as zlib from 'zlib';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { DEFAULT_OTLP_LIMITS } from '../../../src/otel/otlpLimits';
import { decodeJsonLogs, decodeProtobufLogs } from '../../../src/otel/otlpLogs';
import { OTLP_LOGS_PATH } from '../../../src/otel/otlpReceiver';
import { post, startHarness, type Harness } from './support';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const PB = { 'Content-Type': 'application/x-protobuf' };
const JSON_CT = { 'Content-Type': 'application/json' };

type Emit = { event: string; body: unknown; spanId?: string };

/** Log records as the SDK makes them, each in the context of (TRACE, span). */
function records(emits: Emit[]) {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('test');
  for (const e of emits) {
    const ctx = trace.setSpanContext(context.active(), { traceId: TRACE, spanId: e.spanId ?? SPAN, traceFlags: TraceFlags.SAMPLED });
    logger.emit({ eventName: e.event, severityNumber: SeverityNumber.INFO, body: e.body as never, attributes: { 'gen_ai.system': 'openai' }, context: ctx });
  }
  return exporter.getFinishedLogRecords();
}

const CHOICE: Emit[] = [
  { event: 'gen_ai.user.message', body: { content: 'Weather in Paris?' } },
  { event: 'gen_ai.choice', body: { index: 0, finish_reason: 'tool_calls', message: { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] } } },
  { event: 'app.audit', body: 'not a GenAI event' },
];

function chatSpan(): string {
  const ns = (ms: number) => String(ms * 1_000_000);
  const attr = (key: string, value: object) => ({ key, value });
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [attr('service.name', { stringValue: 'bare-sdk' })] }, scopeSpans: [{ scope: { name: 'openai' }, spans: [{
    traceId: TRACE, spanId: SPAN, name: 'chat gpt-4o-mini', kind: 3, startTimeUnixNano: ns(1_765_000_000_000), endTimeUnixNano: ns(1_765_000_001_000),
    attributes: [
      attr('gen_ai.operation.name', { stringValue: 'chat' }), attr('gen_ai.request.model', { stringValue: 'gpt-4o-mini' }),
      attr('gen_ai.response.finish_reasons', { arrayValue: { values: [{ stringValue: 'tool_calls' }] } }),
      attr('gen_ai.usage.input_tokens', { intValue: 14 }), attr('gen_ai.usage.output_tokens', { intValue: 9 }),
    ],
  }] }] }] });
}

describe('otel: /v1/logs', function () {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('reads the same GenAI events from protobuf and JSON, and reads past other records', () => {
    const recs = records(CHOICE);
    const pb = decodeProtobufLogs(ProtobufLogsSerializer.serializeRequest(recs)!, DEFAULT_OTLP_LIMITS);
    const js = decodeJsonLogs(Buffer.from(JsonLogsSerializer.serializeRequest(recs)!).toString('utf8'), DEFAULT_OTLP_LIMITS);
    assert.deepStrictEqual(js, pb);
    assert.deepStrictEqual(pb.events.map(e => [e.trace_id, e.span_id, e.event]), [[TRACE, SPAN, 'gen_ai.user.message'], [TRACE, SPAN, 'gen_ai.choice']]);
    assert.strictEqual(pb.skipped, 1);
  });

  it('logs before their span: the span is stored with the messages, and the tool choice is named', async () => {
    const logs = await post(h.base, Buffer.from(ProtobufLogsSerializer.serializeRequest(records(CHOICE))!), PB, undefined, 'POST', OTLP_LOGS_PATH);
    assert.strictEqual(logs.status, 200);
    assert.strictEqual(logs.body.length, 0, 'an empty ExportLogsServiceResponse');
    assert.deepStrictEqual(await h.engine.getSpans(), [], 'nothing stored for a span not seen yet');
    assert.strictEqual((await post(h.base, chatSpan(), JSON_CT)).status, 200);
    const [span] = await h.engine.getSpans();
    assert.deepStrictEqual((span.attributes['gen_ai.input.messages'] as unknown[]).length, 1);
    const decisions = await h.engine.getDecisions();
    assert.deepStrictEqual(decisions.map(d => d.decision), ['call get_weather']);
    assert.strictEqual(h.engine.getTasks()[0].status, 'completed', 'a bare model call is a run that ends with it');
    assert.strictEqual(h.receiver.counters.logEvents, 2);
  });

  it('logs after their span (gzip JSON): the stored span gets them and a named decision follows the unnamed one', async () => {
    assert.strictEqual((await post(h.base, chatSpan(), JSON_CT)).status, 200);
    const body = zlib.gzipSync(Buffer.from(JsonLogsSerializer.serializeRequest(records(CHOICE))!));
    assert.strictEqual((await post(h.base, body, { ...JSON_CT, 'Content-Encoding': 'gzip' }, undefined, 'POST', OTLP_LOGS_PATH)).status, 200);
    const decisions = (await h.engine.getDecisions()).reverse();
    assert.deepStrictEqual(decisions.map(d => d.decision), ['call tools (not captured)', 'call get_weather']);
    const [span] = await h.engine.getSpans();
    assert.ok(Array.isArray(span.attributes['gen_ai.output.messages']));
    assert.strictEqual(span.task_id, `otel-${TRACE}`, 'the re-sent span keeps its task');
  });

  it('refuses what traces refuse; reads past records the store could not hold, and keeps the rest', async () => {
    assert.strictEqual((await post(h.base, '{}', JSON_CT, false, 'POST', OTLP_LOGS_PATH)).status, 401);
    assert.strictEqual((await post(h.base, Buffer.from([0x0a, 0xff]), PB, undefined, 'POST', OTLP_LOGS_PATH)).status, 400);
    assert.strictEqual((await post(h.base, '{"resourceLogs":', JSON_CT, undefined, 'POST', OTLP_LOGS_PATH)).status, 400);
    assert.strictEqual((await post(h.base, Buffer.alloc(5 * 1024 * 1024, 0x20), JSON_CT, undefined, 'POST', OTLP_LOGS_PATH)).status, 413);
    const hostile = records([
      { event: 'gen_ai.user.message', body: { content: 'nul \u0000 here' } },
      { event: 'gen_ai.user.message', body: { content: 'lone \ud800 surrogate' } },
      { event: 'gen_ai.choice', body: { finish_reason: 'stop', message: { content: 'fine' } } },
    ]);
    const answer = await post(h.base, Buffer.from(JsonLogsSerializer.serializeRequest(hostile)!), JSON_CT, undefined, 'POST', OTLP_LOGS_PATH);
    assert.strictEqual(answer.status, 200);
    assert.strictEqual(h.receiver.counters.logEvents, 1);
    assert.strictEqual((await post(h.base, chatSpan(), JSON_CT)).status, 200, 'the span is stored with what could be kept');
    const [span] = await h.engine.getSpans();
    assert.deepStrictEqual(span.attributes['gen_ai.output.messages'], [{ role: 'assistant', parts: [{ type: 'text', content: 'fine' }], finish_reason: 'stop' }]);
    assert.strictEqual(span.attributes['gen_ai.input.messages'], undefined);
  });
});
