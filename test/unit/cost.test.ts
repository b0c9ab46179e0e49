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

  it('keeps only well-formed entries of the setting; a non-object falls back to the defaults', function () {
    assert.deepStrictEqual(sanitizePrices({ a: { input: 1, output: 2 }, b: { input: -1, output: 2 }, c: 'x', d: { input: 1 } }), { a: { input: 1, output: 2 } });
    assert.strictEqual(sanitizePrices(undefined), DEFAULT_PRICES);
    assert.deepStrictEqual(sanitizePrices({}), {});
  });
});
