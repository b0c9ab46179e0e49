// An orchestrator run as the real OpenTelemetry JS SDK records it, with GenAI attributes the way
// instrumentations set them: a workflow, a planning agent that plans, asks the model, calls tools
// (one fails) and hands off to a writer agent. Times are explicit so the run is the same each time.
import { context, trace, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

export const T0 = Date.parse('2025-06-01T10:00:00.000Z');

export function provider(processor: SpanProcessor): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'research-orchestrator' }),
    spanProcessors: [processor],
  });
}

function child(tracer: Tracer, parent: Span | undefined, name: string, at: number, attributes: Attributes): Span {
  const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
  return tracer.startSpan(name, { startTime: at, attributes }, ctx);
}

export interface RunOptions {
  conversationId?: string;
  /** Leave the workflow and planner spans open (the run is still going, or crashed). */
  unfinished?: boolean;
}

/**
 * Records one run. Spans end children first, as in a real run, so an exporter batches them in
 * that order. Returns the trace id.
 */
export function recordRun(tracer: Tracer, opts: RunOptions = {}): string {
  const conv = opts.conversationId ?? 'conv-1';
  const t = (s: number): number => T0 + s * 1000;
  const workflow = child(tracer, undefined, 'invoke_workflow research', t(0), {
    'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': 'research', 'gen_ai.conversation.id': conv,
  });
  const planner = child(tracer, workflow, 'invoke_agent Planner', t(1), {
    'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'planner', 'gen_ai.agent.name': 'Planner',
    'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.conversation.id': conv,
    // An agent span summing its model calls: must not be counted twice.
    'gen_ai.usage.input_tokens': 150, 'gen_ai.usage.output_tokens': 30,
  });
  const plan = child(tracer, planner, 'plan', t(2), {
    'gen_ai.operation.name': 'plan',
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [
      { type: 'reasoning', content: 'Need sources first, then a draft.' },
      { type: 'text', content: '1. search 2. read 3. hand off to Writer' },
    ] }]),
  });
  plan.end(t(3));
  const chat1 = child(tracer, planner, 'chat gpt-4o', t(3), {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20,
    'gen_ai.response.finish_reasons': ['tool_calls'],
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', finish_reason: 'tool_calls', parts: [
      { type: 'text', content: 'Searching for recent papers.' },
      { type: 'tool_call', id: 'call_1', name: 'search', arguments: { q: 'agent memory' } },
    ] }]),
  });
  chat1.end(t(4));
  const search = child(tracer, planner, 'execute_tool search', t(4), {
    'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'gen_ai.tool.call.id': 'call_1',
    'gen_ai.tool.call.arguments': '{"q":"agent memory"}', 'gen_ai.tool.call.result': '{"hits":3}',
  });
  // An instrumented HTTP call under the tool: not GenAI, kept as it is.
  const http = child(tracer, search, 'GET', t(4.1), { 'http.request.method': 'GET', 'url.full': 'https://example.test/search' });
  http.end(t(4.5));
  search.end(t(5));
  const fetchPage = child(tracer, planner, 'execute_tool fetch_page', t(5), {
    'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'fetch_page', 'gen_ai.tool.call.id': 'call_2',
  });
  fetchPage.recordException(new Error('timeout after 30 s'));
  fetchPage.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout after 30 s' });
  fetchPage.end(t(6));
  // Older attribute names, still emitted by some instrumentations.
  const chat2 = child(tracer, planner, 'chat gpt-4o', t(6), {
    'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o',
    'gen_ai.usage.prompt_tokens': 50, 'gen_ai.usage.completion_tokens': 10, 'gen_ai.response.finish_reasons': ['tool_calls'],
  });
  chat2.end(t(7));
  const transfer = child(tracer, planner, 'execute_tool transfer_to_Writer', t(7), {
    'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'transfer_to_Writer', 'gen_ai.tool.call.id': 'call_3',
  });
  transfer.end(t(7.1));
  const writer = child(tracer, planner, 'invoke_agent Writer', t(7.2), {
    'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'writer', 'gen_ai.agent.name': 'Writer',
  });
  const chat3 = child(tracer, writer, 'chat gpt-4o-mini', t(8), {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.usage.input_tokens': 30, 'gen_ai.usage.output_tokens': 40, 'gen_ai.response.finish_reasons': ['stop'],
  });
  chat3.end(t(9));
  writer.end(t(9.5));
  if (!opts.unfinished) {
    planner.end(t(10));
    workflow.end(t(11));
  }
  return workflow.spanContext().traceId;
}

/** The run's spans as ReadableSpans, in the order they ended. */
export function runSpans(opts: RunOptions = {}): { spans: ReadableSpan[]; traceId: string } {
  const exporter = new InMemorySpanExporter();
  const p = provider(new SimpleSpanProcessor(exporter as SpanExporter));
  const traceId = recordRun(p.getTracer('orchestrator'), opts);
  return { spans: exporter.getFinishedSpans(), traceId };
}

export function toProtobuf(spans: ReadableSpan[]): Uint8Array {
  return ProtobufTraceSerializer.serializeRequest(spans)!;
}

export function toJson(spans: ReadableSpan[]): string {
  return Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8');
}
