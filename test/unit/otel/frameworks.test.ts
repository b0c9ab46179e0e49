// What real frameworks export, as their own instrumentation sends it (recorded by the scripts in
// test/frameworks with fake models), mapped through the real receiver and engine.
import * as assert from 'assert';
import { loadFixture, replay, type Replayed } from './frameworkFixtures';

const ids = (r: Replayed): string[] => r.agents.map(a => a.agent_id).sort();
const ended = (r: Replayed): boolean => r.tasks.every(t => t.status === 'completed' || t.status === 'failed');

describe('otel: real frameworks (recorded fixtures)', function () {
  this.timeout(60_000);

  it('Vercel AI SDK (experimental_telemetry): the functionId as agent, its tool calls by name, one run ended', async () => {
    const f = loadFixture('vercel-ai');
    const r = await replay(f);
    assert.deepStrictEqual(ids(r), ['weather-agent']);
    assert.strictEqual(r.tasks.length, 1);
    assert.ok(ended(r), 'the run ended with its root span');
    assert.strictEqual(r.tasks[0].status, 'completed');
    assert.strictEqual(r.tasks[0].percentage, 100);
    assert.deepStrictEqual(r.toolCalls, [['weather-agent', 'getWeather'], ['weather-agent', 'getWeather']]);
    const paris = r.messages.find(m => (m.content as { tool_call_id?: string }).tool_call_id === 'call_1')!.content as Record<string, unknown>;
    assert.deepStrictEqual(paris.arguments, { city: 'Paris' });
    assert.deepStrictEqual(paris.result, { city: 'Paris', weather: 'sunny' });
    // The model's choice ("tool-calls"), with the agent and both calls.
    assert.deepStrictEqual(r.decisions.map(d => [d.decision_type, d.decision, d.agent_id]), [['tool_choice', 'call getWeather, getWeather', 'weather-agent']]);
    // Tokens of the two model calls, not again the run's total.
    assert.deepStrictEqual(r.tokens, { input: 320, output: 52 });
    assert.ok(r.cost > 0, 'gpt-4o-mini has a price');
  });

  it('OpenAI Node SDK + instrumentation-openai: each bare model call a run that ends; the tool chosen, named from the log events', async () => {
    const f = loadFixture('openai-sdk');
    assert.deepStrictEqual(f.requests.map(x => x.path), ['/v1/traces', '/v1/logs'], 'as recorded: spans flushed first');
    const r = await replay(f);
    assert.deepStrictEqual(ids(r), [], 'the bare SDK names no agent');
    assert.strictEqual(r.tasks.length, 2, 'two traces, two runs');
    assert.ok(ended(r), 'each run ended with its (only) span');
    // The span said "tool_calls"; the names came after it, in the logs: a second decision says them.
    assert.deepStrictEqual(r.decisions.map(d => d.decision), ['call tools (not captured)', 'call get_weather']);
    const named = r.decisions[1].context as { tool_calls: { name: string; arguments: unknown }[] };
    assert.deepStrictEqual(named.tool_calls[0].arguments, { city: 'Paris' });
    assert.deepStrictEqual(r.tokens, { input: 91, output: 50 });
    assert.ok(r.cost > 0);
    const first = r.spans.find(s => s.attributes['gen_ai.response.finish_reasons'] !== undefined && (s.attributes['gen_ai.output.messages'] as unknown[] | undefined)?.length)!;
    assert.ok(first, 'the log content is kept on its span');

    // Logs first (their default batch delay is shorter than the spans'): one decision, named.
    const logsFirst = await replay({ ...f, requests: [...f.requests].reverse() });
    assert.deepStrictEqual(logsFirst.decisions.map(d => d.decision), ['call get_weather']);
  });

  it('LangGraph JS + OpenInference: the named graph as agent, its nodes as steps, the tool by name, the run ended', async () => {
    const r = await replay(loadFixture('langgraph-openinference'));
    assert.deepStrictEqual(ids(r), ['weather_agent']);
    assert.strictEqual(r.tasks.length, 1);
    const task = r.tasks[0];
    assert.strictEqual(task.status, 'completed');
    assert.strictEqual(task.percentage, 100);
    assert.deepStrictEqual(task.completed_subtasks, ['step agent', 'tool get_weather (call_1)', 'step tools', 'step agent']);
    assert.deepStrictEqual(r.toolCalls, [['weather_agent', 'get_weather']]);
    const call = r.messages.find(m => m.message_type === 'tool_call')!.content as Record<string, unknown>;
    assert.deepStrictEqual(call.result, { city: 'Paris', weather: 'sunny' });
    assert.deepStrictEqual(r.decisions.map(d => [d.decision, d.agent_id]), [['call get_weather', 'weather_agent']]);
    assert.deepStrictEqual(r.tokens, { input: 14 + 87, output: 38 + 12 }, 'the two model calls, as the fake model counted them');
    assert.ok(r.cost > 0);
    assert.ok(r.spans.every(s => s.conversation_id === 'thread-1'), 'the thread is the conversation');
  });

  it('OpenAI Agents JS + OpenInference: both agents, the handoff as a message, the tool by name, decisions with their agent', async () => {
    const r = await replay(loadFixture('openai-agents'));
    assert.deepStrictEqual(ids(r), ['triage_agent', 'weather_agent']);
    assert.strictEqual(r.tasks.length, 1);
    assert.strictEqual(r.tasks[0].status, 'completed');
    assert.strictEqual(r.tasks[0].description, 'Agent workflow');
    const between = r.messages.filter(m => m.message_type !== 'tool_call').map(m => [m.message_type, m.from_agent, m.to_agent]);
    // A handoff, not a delegation: the weather agent runs beside the triage agent, not under it.
    assert.deepStrictEqual(between, [['handoff', 'triage_agent', 'weather_agent']]);
    assert.deepStrictEqual(r.toolCalls, [['weather_agent', 'get_weather']]);
    assert.deepStrictEqual(r.decisions.map(d => [d.decision, d.agent_id]), [
      ['call transfer_to_weather_agent', 'triage_agent'],
      ['call get_weather', 'weather_agent'],
    ]);
    assert.ok(r.tokens.input > 0 && r.tokens.output === 38 + 39 + 12);
    assert.ok(r.cost > 0);
  });

  it('Mastra (its own exporter): the agent, the tool with arguments and result, the decision from a JSON-string finish reason', async () => {
    const f = loadFixture('mastra');
    const r = await replay(f);
    assert.deepStrictEqual(ids(r), ['weather-agent']);
    assert.strictEqual(r.agents[0].metadata.name, 'Weather Agent');
    assert.strictEqual(r.tasks.length, 1);
    assert.strictEqual(r.tasks[0].status, 'completed');
    assert.deepStrictEqual(r.toolCalls, [['weather-agent', 'get_weather']]);
    const call = r.messages.find(m => m.message_type === 'tool_call')!.content as Record<string, unknown>;
    assert.deepStrictEqual([call.arguments, call.result], [{ city: 'Paris' }, { city: 'Paris', weather: 'sunny' }]);
    // finish_reasons arrive as '["tool-calls"]'; the call is named by the tool span that followed.
    assert.deepStrictEqual(r.decisions.map(d => [d.decision, d.agent_id]), [['call get_weather', 'weather-agent']]);
    assert.deepStrictEqual(r.tokens, { input: 28 + 91, output: 38 + 12 });
    assert.ok(r.cost > 0);
    assert.ok(f.requests.some(x => x.path === '/v1/logs'), 'its logs (no GenAI events) are read past');
  });

  it('Google ADK JS (native): call_llm as model calls, transfer_to_agent as a handoff to the named agent, arguments and results, Gemini priced', async () => {
    const r = await replay(loadFixture('google-adk'));
    assert.deepStrictEqual(ids(r), ['coordinator', 'weather_agent'], 'no agent named "agent"');
    assert.strictEqual(r.tasks.length, 1);
    assert.strictEqual(r.tasks[0].status, 'completed');
    const handoffs = r.messages.filter(m => m.message_type === 'handoff').map(m => [m.from_agent, m.to_agent]);
    assert.deepStrictEqual(handoffs, [['coordinator', 'weather_agent']]);
    assert.deepStrictEqual(r.toolCalls, [['coordinator', 'transfer_to_agent'], ['weather_agent', 'get_weather']]);
    const weather = r.messages.find(m => m.to_agent === 'tool:get_weather')!.content as Record<string, unknown>;
    assert.deepStrictEqual([weather.arguments, weather.result], [{ city: 'Paris' }, { city: 'Paris', weather: 'sunny' }]);
    // Gemini finishes with STOP even when it calls functions: the choice is read from the response's parts.
    // (The coordinator's model call ends last: the weather agent runs inside it.)
    assert.deepStrictEqual(r.decisions.map(d => [d.decision, d.agent_id]).sort(), [
      ['call get_weather', 'weather_agent'],
      ['call transfer_to_agent', 'coordinator'],
    ]);
    assert.ok(r.tokens.input > 0 && r.tokens.output === 30);
    assert.ok(r.cost > 0, 'gemini-2.5-flash has a price');
  });

  it('VoltAgent 2 (native, no gen_ai.*): supervisor and sub-agent, the delegation, tools by name and agent, tokens', async () => {
    const r = await replay(loadFixture('voltagent'));
    assert.deepStrictEqual(ids(r), ['supervisor', 'weather_agent']);
    assert.strictEqual(r.tasks.length, 1);
    assert.strictEqual(r.tasks[0].status, 'completed');
    assert.deepStrictEqual(r.toolCalls.sort(), [['supervisor', 'delegate_task'], ['weather_agent', 'get_weather']]);
    const between = r.messages.filter(m => m.message_type !== 'tool_call').map(m => [m.message_type, m.from_agent, m.to_agent]).sort();
    assert.deepStrictEqual(between, [['delegation', 'supervisor', 'weather_agent'], ['handoff', 'supervisor', 'weather_agent']]);
    const weather = r.messages.find(m => m.to_agent === 'tool:get_weather')!.content as Record<string, unknown>;
    assert.deepStrictEqual([weather.arguments, weather.result], [{ city: 'Paris' }, { city: 'Paris', weather: 'sunny' }]);
    // Its model spans cover a whole tool loop and end with "stop": no choice of tools is visible.
    assert.deepStrictEqual(r.decisions, []);
    assert.deepStrictEqual(r.tokens, { input: 832 + 91, output: 12 + 12 });
    assert.ok(r.cost > 0);
  });

  it('LangGraph JS + OpenLLMetry (Traceloop): spans the instrumentation leaves unlinked still end as runs; the tool by its name, not its class', async () => {
    const r = await replay(loadFixture('langgraph-traceloop'));
    // Every span is a root of its own trace (the instrumentation links none): a run each, all ended.
    assert.strictEqual(r.tasks.length, 14);
    assert.ok(ended(r));
    assert.deepStrictEqual(ids(r), [], 'no agent spans');
    assert.deepStrictEqual(r.toolCalls, [['langgraph-weather', 'get_weather']], 'named get_weather, not DynamicStructuredTool; from the service');
    const call = r.messages.find(m => m.message_type === 'tool_call')!.content as Record<string, unknown>;
    assert.deepStrictEqual([call.arguments, call.result, call.tool_call_id], [{ city: 'Paris' }, { city: 'Paris', weather: 'sunny' }, 'call_1']);
    // "tool_call" as the finish reason; the model span does not say which.
    assert.deepStrictEqual(r.decisions.map(d => d.decision), ['call tools (not captured)']);
    assert.deepStrictEqual(r.tokens, { input: 14 + 87, output: 38 + 12 });
  });

  it('OpenAI Node SDK + OpenLLMetry (Traceloop): the chosen tool named from the span itself (gen_ai.output.messages), each call a run', async () => {
    const f = loadFixture('openai-sdk-traceloop');
    assert.deepStrictEqual(f.requests.map(x => x.path), ['/v1/traces'], 'content on the spans, no log events');
    const r = await replay(f);
    assert.deepStrictEqual(ids(r), [], 'the bare SDK names no agent');
    assert.strictEqual(r.tasks.length, 2, 'two traces, two runs');
    assert.ok(ended(r));
    assert.deepStrictEqual(r.toolCalls, [], 'the tool ran outside any instrumentation');
    // "tool_call" as the finish reason, the call in the output messages' parts: one decision, named.
    assert.deepStrictEqual(r.decisions.map(d => [d.decision_type, d.decision]), [['tool_choice', 'call get_weather']]);
    const named = r.decisions[0].context as { tool_calls: { name: string; arguments: unknown }[] };
    assert.deepStrictEqual(named.tool_calls[0].arguments, { city: 'Paris' });
    assert.deepStrictEqual(r.tokens, { input: 14 + 77, output: 38 + 12 });
    assert.ok(r.cost > 0);
  });

  it('Genkit (its own genkit:* spans, no gen_ai.*): a flow and a bare generate as runs, tools with arguments and results, choices read from toolRequest parts', async () => {
    const r = await replay(loadFixture('genkit'));
    assert.deepStrictEqual(ids(r), [], 'Genkit has flows, not agents');
    assert.deepStrictEqual(r.tasks.map(t => [t.description, t.status, t.completed_subtasks]).sort(), [
      ['generate', 'completed', ['tool get_weather']],
      ['weatherFlow', 'completed', ['tool get_weather']],
    ]);
    assert.deepStrictEqual(r.toolCalls, [['genkit-weather', 'get_weather'], ['genkit-weather', 'get_weather']]);
    const call = r.messages.find(m => m.message_type === 'tool_call')!.content as Record<string, unknown>;
    assert.deepStrictEqual([call.arguments, call.result], [{ city: 'Paris' }, { city: 'Paris', weather: 'sunny' }]);
    // Genkit finishes with "stop" even when the model asks for tools: the choice comes from its toolRequest parts.
    assert.deepStrictEqual(r.decisions.map(d => [d.decision_type, d.decision]), [['tool_choice', 'call get_weather'], ['tool_choice', 'call get_weather']]);
    // The model spans' usage only (the generate spans around them repeat it); "fake/gpt-4o-mini" priced as gpt-4o-mini.
    assert.deepStrictEqual(r.tokens, { input: 2 * (120 + 160), output: 2 * (20 + 8) });
    assert.ok(r.cost > 0);
  });
});
