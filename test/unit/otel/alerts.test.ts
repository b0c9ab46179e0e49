// Loop detection from OpenTelemetry: the SDK's own exporter sends an agent calling the same tool
// with the same arguments again and again; the alert names the agent the mapping resolved.
import * as assert from 'assert';
import { context, trace, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { provider, T0 } from './scenario';
import { exporter, exportSpans, startHarness, type Harness } from './support';

function loopingRun(calls: number, args: (i: number) => string) {
  const memory = new InMemorySpanExporter();
  const tracer = provider(new SimpleSpanProcessor(memory)).getTracer('test');
  const t = (s: number) => T0 + s * 1000;
  const agent = tracer.startSpan('invoke_agent Researcher', { startTime: t(0), attributes: {
    'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'researcher', 'gen_ai.agent.name': 'Researcher',
  } });
  const tools: Span[] = [];
  for (let i = 0; i < calls; i++) {
    const s = tracer.startSpan('execute_tool web_search', { startTime: t(1 + i), attributes: {
      'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'web_search', 'gen_ai.tool.call.id': `call_${i}`,
      'gen_ai.tool.call.arguments': args(i),
    } }, trace.setSpan(context.active(), agent));
    s.end(t(1 + i) + 500);
    tools.push(s);
  }
  agent.end(t(calls + 2));
  return memory.getFinishedSpans();
}

describe('otel: loop alerts from tool spans', function () {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('six calls of one tool with the same arguments, whatever their call ids, raise one loop alert on the agent', async () => {
    h = await startHarness();
    const r = await exportSpans(exporter(h.base, 'protobuf'), loopingRun(6, () => '{"query":"agent loops"}'));
    assert.strictEqual(r.code, 0, String(r.error));
    const alerts = h.engine.getAlerts({ active: true });
    assert.deepStrictEqual(alerts.map(a => [a.kind, a.subject.id, a.count, a.detail.target]), [['loop', 'researcher', 6, 'tool:web_search']]);
  });

  it('different arguments are different calls: no alert', async () => {
    h = await startHarness();
    const r = await exportSpans(exporter(h.base, 'json'), loopingRun(6, i => JSON.stringify({ query: `page ${i}` })));
    assert.strictEqual(r.code, 0, String(r.error));
    assert.deepStrictEqual(h.engine.getAlerts(), []);
  });
});
