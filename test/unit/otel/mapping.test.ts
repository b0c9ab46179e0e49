// Decoding and mapping as pure functions, on payloads the real SDK's OTLP serializers produce.
import * as assert from 'assert';
import type { BatchEvent, SpanInput } from '../../../src/core/types';
import { genAiFields } from '../../../src/otel/genaiAttributes';
import { mapSpans, taskIdForTrace } from '../../../src/otel/genaiMapping';
import { decodeJsonTraces, decodeProtobufTraces, OtlpDecodeError } from '../../../src/otel/otlpDecode';
import { runSpans, toJson, toProtobuf } from './scenario';

type Ev<T extends BatchEvent['type']> = Extract<BatchEvent, { type: T }>;
const ofType = <T extends BatchEvent['type']>(events: BatchEvent[], type: T): Ev<T>[] => events.filter((e): e is Ev<T> => e.type === type);

function tokensBy(spans: SpanInput[], key: 'agent_id' | 'task_id'): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const s of spans) {
    const k = s[key];
    if (k === null) continue;
    const t = (out[k] ??= [0, 0]);
    t[0] += s.input_tokens ?? 0;
    t[1] += s.output_tokens ?? 0;
  }
  return out;
}

describe('otel: OTLP decoding', () => {
  it('reads the same spans from protobuf and from JSON', () => {
    const { spans, traceId } = runSpans();
    const pb = decodeProtobufTraces(toProtobuf(spans));
    const js = decodeJsonTraces(toJson(spans));
    assert.strictEqual(pb.rejected, 0);
    assert.strictEqual(pb.spans.length, spans.length);
    assert.deepStrictEqual(js.spans, pb.spans);
    const search = pb.spans.find(s => s.tool_name === 'search')!;
    assert.strictEqual(search.trace_id, traceId);
    assert.strictEqual(search.operation, 'execute_tool');
    assert.strictEqual(search.start_time, '2025-06-01T10:00:04.000Z');
    assert.strictEqual(search.end_time, '2025-06-01T10:00:05.000Z');
    assert.strictEqual(search.attributes['gen_ai.tool.call.id'], 'call_1');
    assert.strictEqual(search.resource['service.name'], 'research-orchestrator');
    assert.strictEqual(search.scope, 'orchestrator');
    const failed = pb.spans.find(s => s.tool_name === 'fetch_page')!;
    assert.strictEqual(failed.status, 'error');
    assert.strictEqual(failed.status_message, 'timeout after 30 s');
    const chat2 = pb.spans.find(s => s.attributes['gen_ai.usage.prompt_tokens'] === 50)!;
    assert.deepStrictEqual([chat2.input_tokens, chat2.output_tokens], [50, 10], 'older token attribute names');
    assert.deepStrictEqual(pb.spans.find(s => s.name === 'chat gpt-4o')!.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
  });

  it('accepts what OTLP/JSON allows: 64-bit integers as strings, enum names, proto field names', () => {
    const body = {
      resource_spans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scope_spans: [{
          scope: { name: 's' },
          spans: [{
            trace_id: '5B8EFFF798038103D269B633813FC60C', span_id: 'EEE19B7EC3C1B174', name: 'chat m', kind: 'SPAN_KIND_CLIENT',
            start_time_unix_nano: 1_700_000_000_000_000_000, end_time_unix_nano: '1700000001500000000',
            status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
            attributes: [
              { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
              { key: 'gen_ai.usage.input_tokens', value: { intValue: '12' } },
              { key: 'big', value: { intValue: '9007199254740993' } },
              { key: 'list', value: { arrayValue: { values: [{ boolValue: true }, { doubleValue: 1.5 }] } } },
              { key: 'map', value: { kvlistValue: { values: [{ key: 'a', value: { intValue: 1 } }] } } },
            ],
          }],
        }],
      }],
    };
    const d = decodeJsonTraces(JSON.stringify(body));
    assert.strictEqual(d.rejected, 0);
    const s = d.spans[0];
    assert.strictEqual(s.trace_id, '5b8efff798038103d269b633813fc60c');
    assert.strictEqual(s.kind, 3);
    assert.strictEqual(s.status, 'error');
    assert.strictEqual(s.start_time, '2023-11-14T22:13:20.000Z');
    assert.strictEqual(s.end_time, '2023-11-14T22:13:21.500Z');
    assert.strictEqual(s.input_tokens, 12);
    assert.strictEqual(s.attributes.big, '9007199254740993', 'beyond 2^53 kept exact as a string');
    assert.deepStrictEqual(s.attributes.list, [true, 1.5]);
    assert.deepStrictEqual(s.attributes.map, { a: 1 });
  });

  it('takes base64 ids from exporters that use the generic protobuf JSON mapping', () => {
    const { spans } = runSpans();
    const json = JSON.parse(toJson(spans));
    const first = json.resourceSpans[0].scopeSpans[0].spans[0];
    const hex = { trace: first.traceId, span: first.spanId };
    first.traceId = Buffer.from(hex.trace, 'hex').toString('base64');
    first.spanId = Buffer.from(hex.span, 'hex').toString('base64');
    const d = decodeJsonTraces(JSON.stringify(json));
    assert.strictEqual(d.rejected, 0);
    assert.strictEqual(d.spans[0].trace_id, hex.trace);
    assert.strictEqual(d.spans[0].span_id, hex.span);
  });

  it('rejects unusable spans one by one and keeps the rest', () => {
    const { spans } = runSpans();
    const json = JSON.parse(toJson(spans));
    const list = json.resourceSpans[0].scopeSpans[0].spans;
    list[0].traceId = 'not-hex';
    list[1].spanId = '0000000000000000';
    delete list[2].startTimeUnixNano;
    const d = decodeJsonTraces(JSON.stringify(json));
    assert.strictEqual(d.rejected, 3);
    assert.strictEqual(d.spans.length, spans.length - 3);
    assert.match(d.problems.join('; '), /invalid trace_id/);
    assert.match(d.problems.join('; '), /invalid span_id/);
    assert.match(d.problems.join('; '), /start_time/);
  });

  it('refuses malformed payloads as a whole', () => {
    assert.throws(() => decodeJsonTraces('{"resourceSpans": ['), OtlpDecodeError);
    assert.throws(() => decodeJsonTraces('[1,2]'), OtlpDecodeError);
    assert.throws(() => decodeJsonTraces('{"resourceSpans": {"a": 1}}'), OtlpDecodeError);
    assert.throws(() => decodeProtobufTraces(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01])), OtlpDecodeError, 'length past the end');
    // An unknown field (2) with the reserved wire type 7.
    assert.throws(() => decodeProtobufTraces(Buffer.from([0x17, 0x00])), OtlpDecodeError, 'wire type 7');
    // Valid protobuf cut in the middle of a span.
    const pb = toProtobuf(runSpans().spans);
    assert.throws(() => decodeProtobufTraces(pb.subarray(0, pb.length - 7)), OtlpDecodeError);
  });
});

describe('otel: GenAI mapping', () => {
  const run = (): { spans: SpanInput[]; traceId: string } => {
    const r = runSpans();
    return { spans: decodeProtobufTraces(toProtobuf(r.spans)).spans, traceId: r.traceId };
  };

  it('maps a whole run to agents, a task, decisions and messages', () => {
    const { spans, traceId } = run();
    const m = mapSpans(spans);
    const task = taskIdForTrace(traceId);
    assert.strictEqual(m.spans.length, spans.length);

    const agents = ofType(m.events, 'agent');
    assert.deepStrictEqual(agents.map(a => [a.agent_id, a.status]), [['writer', 'idle'], ['planner', 'idle']]);
    assert.strictEqual(agents[1].metadata!.last_seen_at, '2025-06-01T10:00:10.000Z');
    assert.strictEqual(agents[1].metadata!.name, 'Planner');

    const tasks = ofType(m.events, 'task');
    const final = tasks[tasks.length - 1];
    assert.strictEqual(final.task_id, task);
    assert.strictEqual(final.status, 'completed');
    assert.strictEqual(final.percentage, 100);
    assert.strictEqual(final.description, 'research');
    assert.strictEqual(final.agent_id, null, 'the workflow span itself has no agent');
    assert.deepStrictEqual(final.completed_subtasks, [
      'plan ' + spans.find(s => s.operation === 'plan')!.span_id.slice(0, 8), 'tool search (call_1)', 'tool transfer_to_Writer (call_3)',
      'agent Writer', 'agent Planner',
    ]);
    assert.deepStrictEqual(final.blockers, ['tool fetch_page (call_2) failed: timeout after 30 s']);
    assert.strictEqual(final.metadata!.conversation_id, 'conv-1');
    // Before it, one small event per finished subtask: the task's history.
    const steps = tasks.slice(0, -1);
    assert.deepStrictEqual(steps.map(t => t.metadata!.last_step), [
      final.completed_subtasks![0], 'tool search (call_1)', 'tool fetch_page (call_2)', 'tool transfer_to_Writer (call_3)', 'agent Writer', 'agent Planner',
    ]);
    assert.deepStrictEqual(steps.map(t => t.metadata!.last_step_status), ['unset', 'unset', 'error', 'unset', 'unset', 'unset']);
    assert.strictEqual(final.metadata!.subtasks_completed, 5);
    assert.strictEqual(final.metadata!.subtasks_failed, 1);

    const messages = ofType(m.events, 'message').map(x => [x.from_agent, x.to_agent, x.message_type]);
    assert.deepStrictEqual(messages, [
      ['planner', 'tool:search', 'tool_call'],
      ['planner', 'tool:fetch_page', 'tool_call'],
      ['planner', 'tool:transfer_to_Writer', 'tool_call'],
      ['planner', 'writer', 'handoff'],
      ['planner', 'writer', 'delegation'],
    ]);
    const search = ofType(m.events, 'message')[0].content as Record<string, unknown>;
    assert.deepStrictEqual(search.arguments, { q: 'agent memory' });
    assert.deepStrictEqual(search.result, { hits: 3 });
    assert.strictEqual(search.tool_call_id, 'call_1');
    const failed = ofType(m.events, 'message')[1].content as Record<string, unknown>;
    assert.strictEqual(failed.status, 'error');
    assert.strictEqual(failed.error, 'timeout after 30 s');

    const decisions = ofType(m.events, 'decision');
    assert.deepStrictEqual(decisions.map(d => [d.decision_type, d.decision, d.agent_id]), [
      ['plan', '1. search 2. read 3. hand off to Writer', 'planner'],
      ['tool_choice', 'call search', 'planner'],
      ['tool_choice', 'call transfer_to_Writer', 'planner'],
    ]);
    assert.strictEqual(decisions[0].reasoning, 'Need sources first, then a draft.');
    assert.strictEqual(decisions[1].reasoning, 'Searching for recent papers.');
    assert.ok(decisions.every(d => d.task_id === task));

    // Tokens: model calls only; the planner span's own summary is not counted again.
    assert.deepStrictEqual(tokensBy(m.spans, 'agent_id'), { planner: [150, 30], writer: [30, 40] });
    assert.deepStrictEqual(tokensBy(m.spans, 'task_id'), { [task]: [180, 70] });

    // Unknown spans are kept, in the task, with no operation.
    const http = m.spans.find(s => s.name === 'GET')!;
    assert.strictEqual(http.operation, null);
    assert.strictEqual(http.task_id, task);
    assert.strictEqual(http.agent_id, 'planner');
    assert.ok(m.spans.every(s => s.conversation_id === 'conv-1'));
  });

  it('gives every derived event a stable id, so a re-sent batch maps to the same ids', () => {
    const { spans } = run();
    const a = mapSpans(spans).events.map(e => e.event_id);
    const b = mapSpans(spans).events.map(e => e.event_id);
    assert.deepStrictEqual(a, b);
    assert.strictEqual(new Set(a).size, a.length, 'no two events share an id');
    assert.ok(a.every(id => typeof id === 'string' && id.startsWith('otel:')));
  });

  it('resolves tool calls sent before their agent span when the agent arrives later', () => {
    const { spans } = run();
    // As a batch processor exports: what ended first goes first; the agent spans come later.
    const late = new Set(['invoke_agent Planner', 'invoke_workflow research']);
    const first = spans.filter(s => !late.has(s.name));
    const second = spans.filter(s => late.has(s.name));
    const m1 = mapSpans(first);
    // Without the planner, nobody is known to have called the tools: nothing about them yet.
    assert.deepStrictEqual(ofType(m1.events, 'message').map(x => x.to_agent), []);
    assert.ok(ofType(m1.events, 'task').every(t => t.status === 'in_progress'), 'the task is running');
    assert.strictEqual(m1.spans.find(s => s.tool_name === 'search')!.agent_id, null);
    assert.strictEqual(m1.spans.find(s => s.tool_name === 'search')!.task_id, m1.spans[0].task_id, 'task known at once');

    const m2 = mapSpans(second, { known: m1.spans });
    const whole = mapSpans(spans);
    const kinds = (evs: BatchEvent[]) => evs.filter(e => e.type === 'message' || e.type === 'decision').map(e => e.event_id).sort();
    assert.deepStrictEqual([...kinds(m1.events), ...kinds(m2.events)].sort(), kinds(whole.events));
    const resent = m2.spans.find(s => s.tool_name === 'search')!;
    assert.strictEqual(resent.agent_id, 'planner', 'the stored span is re-sent with its agent');
    // The final task state is the same as with one batch.
    const last = (evs: BatchEvent[]) => ofType(evs, 'task').pop()!;
    assert.deepStrictEqual({ ...last(m2.events), event_id: '' }, { ...last(whole.events), event_id: '' });
  });

  it('leaves the task in progress while its root span has not ended', () => {
    const r = runSpans({ unfinished: true });
    const spans = decodeProtobufTraces(toProtobuf(r.spans)).spans;
    const m = mapSpans(spans);
    const tasks = ofType(m.events, 'task');
    assert.ok(tasks.length > 0);
    assert.ok(tasks.every(t => t.status === 'in_progress'));
    assert.ok(tasks.every(t => (t.percentage ?? 0) < 100));
    // The writer's work is known even though its caller has not reported.
    assert.deepStrictEqual(ofType(m.events, 'agent').map(a => a.agent_id), ['writer']);
  });

  it('treats a span whose parent is in another process as complete', () => {
    const spans: SpanInput[] = [{
      trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), parent_span_id: 'c'.repeat(16), name: 'execute_tool lookup', kind: 1,
      start_time: '2025-01-01T00:00:00.000Z', end_time: '2025-01-01T00:00:01.000Z', status: 'ok', status_message: null,
      operation: 'execute_tool', agent_id: null, agent_name: null, conversation_id: null, task_id: null, tool_name: 'lookup',
      model: null, input_tokens: null, output_tokens: null, attributes: {}, resource: { 'service.name': 'tools-svc' }, scope: null,
    }];
    assert.deepStrictEqual(ofType(mapSpans(spans).events, 'message'), []);
    const remote = mapSpans(spans, { remoteParents: new Set([`${'a'.repeat(32)}:${'b'.repeat(16)}`]) });
    assert.deepStrictEqual(ofType(remote.events, 'message').map(x => [x.from_agent, x.to_agent]), [['tools-svc', 'tool:lookup']]);
  });

  it('derives the events of a stored span once its ancestry is known, even with no agent above it', () => {
    const base = {
      trace_id: 'f'.repeat(32), kind: 1, status: 'ok' as const, status_message: null, agent_id: null, agent_name: null,
      conversation_id: null, task_id: null, model: null, input_tokens: null, output_tokens: null, resource: { 'service.name': 'svc' }, scope: null,
    };
    const tool: SpanInput = {
      ...base, span_id: '1'.repeat(16), parent_span_id: '2'.repeat(16), name: 'execute_tool lookup', operation: 'execute_tool', tool_name: 'lookup',
      start_time: '2025-01-01T00:00:01.000Z', end_time: '2025-01-01T00:00:02.000Z', attributes: { 'gen_ai.tool.call.id': 'c1' },
    };
    const root: SpanInput = {
      ...base, span_id: '2'.repeat(16), parent_span_id: null, name: 'invoke_workflow w', operation: 'invoke_workflow', tool_name: null,
      start_time: '2025-01-01T00:00:00.000Z', end_time: '2025-01-01T00:00:03.000Z', attributes: {},
    };
    const m1 = mapSpans([tool]);
    assert.deepStrictEqual(ofType(m1.events, 'message'), [], 'waits for its parent');
    const m2 = mapSpans([root], { known: m1.spans });
    assert.deepStrictEqual(ofType(m2.events, 'message').map(x => [x.from_agent, x.to_agent, x.event_id]), [['svc', 'tool:lookup', `otel:${'f'.repeat(32)}:${'1'.repeat(16)}:tool`]]);
    const final = ofType(m2.events, 'task').pop()!;
    assert.strictEqual(final.status, 'completed');
    assert.deepStrictEqual(final.completed_subtasks, ['tool lookup (c1)']);
  });

  it('turns handoff spans (OpenAI Agents SDK) into messages between the agents', () => {
    const span = (id: string, name: string, attributes: SpanInput['attributes'] = {}): SpanInput => ({
      trace_id: 'e'.repeat(32), span_id: id.repeat(16), parent_span_id: null, name, kind: 1, start_time: '2025-01-01T00:00:00.000Z',
      end_time: '2025-01-01T00:00:00.100Z', status: 'unset', status_message: null, operation: null, agent_id: null, agent_name: null,
      conversation_id: null, task_id: null, tool_name: null, model: null, input_tokens: null, output_tokens: null, attributes, resource: {}, scope: null,
    });
    const batch = [span('1', 'Handoff: Triage -> Billing'), span('2', 'handoff', { from_agent: 'Billing', to_agent: 'Refunds' })];
    const decoded = batch.map(s => ({ ...s, ...genAiFields(s.attributes, s.name) }));
    const m = mapSpans(decoded);
    assert.deepStrictEqual(ofType(m.events, 'message').map(x => [x.from_agent, x.to_agent, x.message_type]), [
      ['Triage', 'Billing', 'handoff'], ['Billing', 'Refunds', 'handoff'],
    ]);
  });

  it('stores spans of traces without GenAI operations untouched', () => {
    const spans: SpanInput[] = [{
      trace_id: 'd'.repeat(32), span_id: 'e'.repeat(16), parent_span_id: null, name: 'GET /', kind: 2,
      start_time: '2025-01-01T00:00:00.000Z', end_time: '2025-01-01T00:00:01.000Z', status: 'unset', status_message: null,
      operation: null, agent_id: null, agent_name: null, conversation_id: null, task_id: null, tool_name: null,
      model: null, input_tokens: null, output_tokens: null, attributes: { 'http.route': '/' }, resource: {}, scope: null,
    }];
    const m = mapSpans(spans);
    assert.deepStrictEqual(m.events, []);
    assert.deepStrictEqual(m.spans, spans);
  });
});
