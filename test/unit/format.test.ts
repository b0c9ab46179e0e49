import * as assert from 'assert';
import { AGE_STEP_MS, ago, ageNow, decisionTypeLabel, mdCode, mdEscape } from '../../src/format';

describe('format', function () {
  it('ages move in 5-second steps from one shared clock, so two places agree', function () {
    const t = Date.parse('2026-12-01T12:00:00.000Z');
    const at = (ms: number) => ago(new Date(t).toISOString(), ageNow(t + ms));
    assert.strictEqual(at(0), 'just now');
    assert.strictEqual(at(4_999), 'just now');
    assert.strictEqual(at(5_000), '5 s ago');
    assert.strictEqual(at(21_000), '20 s ago');
    assert.strictEqual(at(59_999), '55 s ago');
    assert.strictEqual(at(61_000), '1 min ago');
    assert.strictEqual(at(3 * 3_600_000), '3 h ago');
    assert.strictEqual(at(5 * 86_400_000), '5 d ago');
    // the same moment read twice within a step: the same text
    assert.strictEqual(ageNow(t + 12_001), ageNow(t + 14_999));
    assert.strictEqual(AGE_STEP_MS, 5_000);
  });

  it('names known decision types and turns unknown ones into words', function () {
    assert.strictEqual(decisionTypeLabel('agent_assignment'), 'Agent assignment');
    assert.strictEqual(decisionTypeLabel('retry_policy'), 'Retry policy');
    assert.strictEqual(decisionTypeLabel('tool_choice'), 'Tool choice');
    assert.strictEqual(decisionTypeLabel('cache_warmup'), 'Cache warmup');
    assert.strictEqual(decisionTypeLabel('loadBalancing'), 'Load balancing');
    assert.strictEqual(decisionTypeLabel('___'), '___');
  });

  it('code spans hold text as it is; escaping is for prose only', function () {
    const file = 'checkpoints/recovery_2026-12-01T12-00-00.db.gz';
    assert.strictEqual(mdCode(file), '`' + file + '`');
    assert.strictEqual(mdCode('a `b` c'), '``a `b` c``');
    assert.strictEqual(mdCode('`x'), '`` `x ``');
    assert.strictEqual(mdEscape('retry_policy'), 'retry\\_policy');
  });
});
