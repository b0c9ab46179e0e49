// End to end over HTTP: the SDK's own OTLP exporters (protobuf and JSON, plain and gzip) send an
// orchestrator's run to /v1/traces; the engine then holds its agents, task, decisions, messages
// and token totals.
import * as assert from 'assert';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { taskIdForTrace } from '../../../src/otel/genaiMapping';
import { runSpans, toJson } from './scenario';
import { exporter, exportSpans, post, startHarness, type Encoding, type Harness } from './support';

describe('otel: OTLP/HTTP ingestion', function () {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  for (const encoding of ['protobuf', 'json'] as Encoding[]) {
    for (const compression of ['none', 'gzip'] as const) {
      it(`stores a run sent by the ${encoding} exporter (${compression === 'gzip' ? 'gzip' : 'uncompressed'})`, async () => {
        h = await startHarness();
        const { spans, traceId } = runSpans();
        const r = await exportSpans(exporter(h.base, encoding, compression), spans);
        assert.strictEqual(r.code, 0, String(r.error));
        assert.deepStrictEqual(h.seen, [{
          type: encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
          encoding: compression === 'gzip' ? 'gzip' : '',
        }]);
        const e = h.engine;

        assert.strictEqual((await e.getSpans({ trace_id: traceId })).length, spans.length);
        const agents = Object.fromEntries(e.getAgents().map(a => [a.agent_id, a]));
        assert.deepStrictEqual(Object.keys(agents).sort(), ['planner', 'writer']);
        assert.strictEqual(agents.planner.status, 'idle');
        assert.strictEqual(agents.planner.metadata.name, 'Planner');

        const task = e.getTask(taskIdForTrace(traceId))!;
        assert.strictEqual(task.status, 'completed');
        assert.strictEqual(task.percentage, 100);
        assert.strictEqual(task.description, 'research');
        assert.strictEqual(task.metadata.conversation_id, 'conv-1');
        assert.ok(task.completed_subtasks.includes('tool search (call_1)'));
        assert.deepStrictEqual(task.blockers, ['tool fetch_page (call_2) failed: timeout after 30 s']);

        const decisions = await e.getDecisions({ task_id: task.task_id });
        assert.deepStrictEqual(decisions.map(d => d.decision_type).sort(), ['plan', 'tool_choice', 'tool_choice']);
        const messages = await e.getMessages({ agent_id: 'planner' });
        assert.deepStrictEqual(messages.map(m => `${m.from_agent}>${m.to_agent}:${m.message_type}`).sort(), [
          'planner>tool:fetch_page:tool_call', 'planner>tool:search:tool_call', 'planner>tool:transfer_to_Writer:tool_call',
          'planner>writer:delegation', 'planner>writer:handoff',
        ]);

        const usage = e.getTokenUsage();
        assert.deepStrictEqual(usage.agents.planner, { input_tokens: 150, output_tokens: 30 });
        assert.deepStrictEqual(usage.agents.writer, { input_tokens: 30, output_tokens: 40 });
        assert.deepStrictEqual(usage.tasks[task.task_id], { input_tokens: 180, output_tokens: 70 });
      });
    }
  }

  it('builds the same picture from batches that arrive children first, and ignores a re-sent batch', async () => {
    h = await startHarness();
    const { spans, traceId } = runSpans();
    const exp = exporter(h.base, 'protobuf');
    const late = new Set(['invoke_agent Planner', 'invoke_workflow research']);
    assert.strictEqual((await exportSpans(exp, spans.filter(s => !late.has(s.name)))).code, 0);
    assert.strictEqual(h.engine.getTask(taskIdForTrace(traceId))!.status, 'in_progress', 'running while its root has not ended');
    assert.deepStrictEqual(await h.engine.getMessages(), [], 'who called the tools is not known yet');
    const batch2 = spans.filter(s => late.has(s.name));
    assert.strictEqual((await exportSpans(exp, batch2)).code, 0);
    assert.strictEqual((await exportSpans(exp, batch2)).code, 0, 'sent again, as a retrying exporter would');

    assert.strictEqual((await h.engine.getSpans({ trace_id: traceId })).length, spans.length, 'a re-sent span replaces its copy');
    assert.strictEqual((await h.engine.getMessages()).length, 5);
    assert.strictEqual((await h.engine.getDecisions()).length, 3);
    const task = h.engine.getTask(taskIdForTrace(traceId))!;
    assert.strictEqual(task.status, 'completed');
    assert.strictEqual(task.completed_subtasks.length, 5);
    assert.deepStrictEqual(h.engine.getTokenUsage().agents.planner, { input_tokens: 150, output_tokens: 30 });
  });

  it('answers partial success for spans it cannot use, in the request\'s encoding', async () => {
    h = await startHarness();
    const { spans } = runSpans();
    const json = JSON.parse(toJson(spans));
    json.resourceSpans[0].scopeSpans[0].spans[0].spanId = 'xyz';
    const r = await post(h.base, JSON.stringify(json), { 'Content-Type': 'application/json' });
    assert.strictEqual(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const body = JSON.parse(r.body.toString('utf8'));
    assert.strictEqual(body.partialSuccess.rejectedSpans, '1');
    assert.match(body.partialSuccess.errorMessage, /invalid span_id/);
    assert.strictEqual((await h.engine.getSpans()).length, spans.length - 1);

    const ok = await post(h.base, Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), { 'Content-Type': 'application/x-protobuf' });
    assert.strictEqual(ok.status, 200);
    assert.strictEqual(ok.headers['content-type'], 'application/x-protobuf');
    assert.deepStrictEqual(ProtobufTraceSerializer.deserializeResponse(ok.body), {}, 'full success: no partialSuccess');
  });
});
