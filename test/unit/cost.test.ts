import * as assert from 'assert';
import { costTotals, costUsd, DEFAULT_PRICES, formatCost, priceFor, sanitizePrices } from '../../src/cost';

describe('cost', function () {
  it('prices a model by the longest table name it starts with, case-insensitively', function () {
    assert.deepStrictEqual(priceFor('gpt-4o-2024-08-06', DEFAULT_PRICES), DEFAULT_PRICES['gpt-4o']);
    assert.deepStrictEqual(priceFor('GPT-4o-mini', DEFAULT_PRICES), DEFAULT_PRICES['gpt-4o-mini']);
    assert.strictEqual(priceFor('llama-3', DEFAULT_PRICES), undefined);
    assert.strictEqual(priceFor('gpt-4o-mini', { 'gpt-4o': { input: 1, output: 1 } }), undefined, 'another model, not a version');
    assert.deepStrictEqual(priceFor('claude-3-5-sonnet-latest', DEFAULT_PRICES), DEFAULT_PRICES['claude-3-5-sonnet']);
    assert.strictEqual(priceFor(null, DEFAULT_PRICES), undefined);
  });

  it('knows the models people use, under the names their providers and hosts give them', function () {
    const same = (model: string, name: string) => assert.deepStrictEqual(priceFor(model, DEFAULT_PRICES), DEFAULT_PRICES[name], `${model} as ${name}`);
    same('gpt-5-mini-2025-08-07', 'gpt-5-mini');
    same('o4-mini', 'o4-mini');
    same('claude-sonnet-4-5-20250929', 'claude-sonnet-4-5');
    same('us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'claude-3-5-sonnet');
    same('models/gemini-2.5-flash', 'gemini-2.5-flash');
    same('gemini-2.5-flash-lite', 'gemini-2.5-flash-lite');
    same('gemini-2.5-flash-preview-05-20', 'gemini-2.5-flash');
    same('mistral-large-latest', 'mistral-large');
    same('mistral-small-2503', 'mistral-small');
    same('llama-3.3-70b-versatile', 'llama-3.3-70b');
    same('meta-llama/Llama-3.3-70B-Instruct-Turbo', 'llama-3.3-70b');
    same('meta-llama/Meta-Llama-3.1-8B-Instruct', 'llama-3.1-8b');
    same('deepseek-ai/DeepSeek-V3', 'deepseek-v3');
    same('openai/gpt-oss-120b', 'gpt-oss-120b');
    // Unknown models have no price (the views say so), never a price of 0.
    for (const m of ['my-finetune-v1', 'gpt-4o-mini-tts-ish', 'gemini-9-ultra', 'llama-3.3-70b-mini']) assert.strictEqual(priceFor(m, DEFAULT_PRICES), undefined, m);
    for (const p of Object.values(DEFAULT_PRICES)) assert.ok(p.input > 0 && p.output > 0);
  });

  it('turns tokens into dollars and dollars into text', function () {
    assert.strictEqual(costUsd(1_000_000, 500_000, { input: 2.5, output: 10 }), 7.5);
    assert.strictEqual(formatCost(7.5), '$7.50');
    assert.strictEqual(formatCost(0.004), '<$0.01');
    assert.strictEqual(formatCost(0), '$0');
    assert.strictEqual(formatCost(1234.4), '$1,234');
  });

  it('sums the cost of traced model calls per agent and per task', function () {
    const span = (agent: string | null, task: string | null, model: string | null, i: number, o: number) =>
      ({ agent_id: agent, task_id: task, model, input_tokens: i, output_tokens: o });
    const t = costTotals([span('a', 't1', 'm', 1_000_000, 0), span('a', 't2', 'm-2025-01-01', 0, 1_000_000), span('b', 't1', 'unknown', 5, 5), span(null, 't1', 'm', 0, 0)],
      { m: { input: 1, output: 2 } });
    assert.deepStrictEqual([...t.agents], [['a', 3]]);
    assert.deepStrictEqual([...t.tasks], [['t1', 1], ['t2', 2]]);
  });

  it('adds the well-formed entries of the setting to the built-in table, replacing those of the same name', function () {
    const t = sanitizePrices({ a: { input: 1, output: 2 }, b: { input: -1, output: 2 }, c: 'x', d: { input: 1 }, 'gpt-4o': { input: 9, output: 9 } });
    assert.deepStrictEqual(t.a, { input: 1, output: 2 });
    assert.deepStrictEqual([t.b, t.c, t.d], [undefined, undefined, undefined]);
    assert.deepStrictEqual(t['gpt-4o'], { input: 9, output: 9 });
    assert.deepStrictEqual(t['claude-3-5-haiku'], DEFAULT_PRICES['claude-3-5-haiku'], 'the rest of the table stays');
    assert.strictEqual(sanitizePrices(undefined), DEFAULT_PRICES);
    assert.deepStrictEqual(sanitizePrices({}), DEFAULT_PRICES);
  });
});
