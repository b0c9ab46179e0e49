// Attribute values are input: JSON inside them is parsed by the convention readers, and escapes
// can spell what the store refuses (NUL, lone surrogates). Such a value stays the string it
// arrived as; the export is stored, never refused for it.
import * as assert from 'assert';
import { post, startHarness, type Harness } from './support';

const TRACE = '7be2a1d4c3b5e6f708192a3b4c5d6e7f';
const attr = (key: string, stringValue: string) => ({ key, value: { stringValue } });

function body(spans: { spanId: string; name: string; attributes: object[] }[]): string {
  const ns = (ms: number) => String(ms * 1_000_000);
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans: spans.map((s, i) => ({
    traceId: TRACE, ...s, kind: 1, startTimeUnixNano: ns(1_765_000_000_000 + i), endTimeUnixNano: ns(1_765_000_001_000 + i),
  })) }] }] });
}

describe('otel: hostile attribute values', function () {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('JSON whose escapes spell NUL or a lone surrogate is kept as its string, and the export is stored', async () => {
    const nul = '{"q":"\\u0000 here","__proto__":{"polluted":true}}';
    const lone = '["\\ud800"]';
    const answer = await post(h.base, body([
      { spanId: 'a000000000000001', name: 'execute_tool search', attributes: [
        attr('gen_ai.operation.name', 'execute_tool'), attr('gen_ai.tool.name', 'search'),
        attr('gen_ai.tool.call.arguments', nul), attr('gen_ai.tool.call.result', lone),
      ] },
      { spanId: 'a000000000000002', name: 'ai.generateText.doGenerate', attributes: [
        attr('ai.operationId', 'ai.generateText.doGenerate'), attr('ai.response.finishReason', 'tool-calls'),
        attr('ai.response.toolCalls', '[{"toolCallId":"c1","toolName":"\\u0000x","input":"{}"}]'),
      ] },
      { spanId: 'a000000000000003', name: 'agent', attributes: [
        attr('openinference.span.kind', 'CHAIN'), attr('metadata', '{"langgraph_node":"agent\\ud800","ls_integration":"langgraph"}'),
      ] },
    ]), { 'Content-Type': 'application/json' });
    assert.strictEqual(answer.status, 200, answer.body.toString('utf8'));
    const [call] = (await h.engine.getMessages()).filter(m => m.message_type === 'tool_call');
    const content = call.content as Record<string, unknown>;
    assert.strictEqual(content.arguments, nul);
    assert.strictEqual(content.result, lone);
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
    assert.strictEqual((await h.engine.getSpans()).length, 3);
    const [decision] = await h.engine.getDecisions();
    assert.strictEqual(decision.decision, 'call tools (not captured)', 'the unreadable tool calls are not taken');
  });
});
