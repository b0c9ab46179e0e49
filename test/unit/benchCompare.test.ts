// The pass/fail logic of `npm run bench -- --against <ref>` (bench/compare.ts, bench/against.ts).
import * as assert from 'assert';
import { parseAgainstArgs } from '../../bench/against';
import { compareRounds, direction, flatten, formatVerdicts } from '../../bench/compare';

const rounds = (values: number[], figure = 'single_writes_16_clients.writes_per_s') => values.map(v => ({ [figure]: v }));

describe('bench --against: figures and verdicts', () => {
  it('flattens a section into dotted numeric figures', () => {
    assert.deepStrictEqual(flatten({ a: { b: 1, c: 'x', d: [1] }, e: 2 }), { 'a.b': 1, e: 2 });
  });

  it('knows which way a figure is better; targets, counts and bare-server figures are not gated', () => {
    assert.strictEqual(direction('single_writes_1_client.writes_per_s'), 'higher');
    assert.strictEqual(direction('share_of_bare.otlp_spans'), 'higher');
    assert.strictEqual(direction('batched_events.p99_ms'), 'lower');
    assert.strictEqual(direction('single_writes_1_client.writes'), undefined);
    assert.strictEqual(direction('targets.single_writes_per_s'), undefined);
    const [bare] = compareRounds(rounds([100], 'bare_node_http_ceiling.x.writes_per_s'), rounds([50], 'bare_node_http_ceiling.x.writes_per_s'), 0.1);
    assert.strictEqual(bare.gated, false);
    assert.strictEqual(bare.regressed, false);
  });

  it('fails a figure worse by more than the threshold in every round (the last round: 2,571 -> 1,858 writes/s)', () => {
    const [v] = compareRounds(rounds([2571, 2500, 2600]), rounds([1858, 1900, 2000]), 0.1);
    assert.strictEqual(v.regressed, true);
    assert.ok(v.median > 0.72 && v.median < 0.77);
    assert.match(formatVerdicts([v], 0.1), /WORSE/);
  });

  it('passes when one round reaches back within the threshold: the spread covers it', () => {
    const [v] = compareRounds(rounds([100, 100, 100]), rounds([70, 95, 75]), 0.1);
    assert.strictEqual(v.regressed, false);
    assert.strictEqual(v.min, 0.7);
    assert.strictEqual(v.max, 0.95);
  });

  it('passes small losses and gains, and honours another threshold', () => {
    assert.strictEqual(compareRounds(rounds([100, 100, 100]), rounds([93, 95, 120]), 0.1)[0].regressed, false);
    assert.strictEqual(compareRounds(rounds([100, 100, 100]), rounds([93, 94, 92]), 0.05)[0].regressed, true);
  });

  it('prints latencies but never fails on them', () => {
    const [v] = compareRounds(rounds([1, 1, 1], 'x.p99_ms'), rounds([5, 5, 5], 'x.p99_ms'), 0.1);
    assert.strictEqual(v.gated, false);
    assert.strictEqual(v.regressed, false);
  });

  it('skips figures one side lacks (an older bench without OTLP)', () => {
    const olds = [{ 'a.writes_per_s': 10 }];
    const news = [{ 'a.writes_per_s': 10, 'b.spans_per_s': 5 }];
    assert.deepStrictEqual(compareRounds(olds, news, 0.1).map(v => v.figure), ['a.writes_per_s']);
  });

  it('parses its arguments, defaulting to the HTTP section, 3 rounds, 10 %', () => {
    assert.strictEqual(parseAgainstArgs(['--rounds', '3']), undefined);
    assert.deepStrictEqual(parseAgainstArgs(['--against', '1c13ffc']), { ref: '1c13ffc', sections: ['http'], rounds: 3, threshold: 0.1, reuseNodeModules: false });
    assert.deepStrictEqual(parseAgainstArgs(['--against', 'main', '--sections', 'http,engine', '--rounds', '5', '--threshold', '0.2']),
      { ref: 'main', sections: ['http', 'engine'], rounds: 5, threshold: 0.2, reuseNodeModules: false });
    assert.throws(() => parseAgainstArgs(['--against']), /needs a git ref/);
    assert.throws(() => parseAgainstArgs(['--against', 'x', '--sections', 'nope']), /unknown section/);
    assert.throws(() => parseAgainstArgs(['--against', 'x', '--threshold', '10']), /between 0 and 1/);
  });
});
