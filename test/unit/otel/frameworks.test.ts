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
});
