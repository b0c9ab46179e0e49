import * as assert from 'assert';
import { AGE_STEP_MS, ago, ageNow, checkpointTitle, decisionTypeLabel, mdCode, mdEscape, visibleId } from '../../src/format';
import type { CheckpointInfo } from '../../src/core/types';

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

  it('ids show their bidi controls and zero-width characters, so one cannot pass for another', function () {
    // "admin" followed by a right-to-left override that would show "txt.exe" as "exe.txt"
    assert.strictEqual(visibleId('admin\u202Etxt.exe'), 'admin⟨U+202E⟩txt.exe');
    assert.strictEqual(visibleId('\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069'), '⟨U+202A⟩⟨U+202B⟩⟨U+202C⟩⟨U+202D⟩⟨U+2066⟩⟨U+2067⟩⟨U+2068⟩⟨U+2069⟩');
    assert.strictEqual(visibleId('plan\u200Bner\u200C\u200D\u200E\u200F\u2060\uFEFF'), 'plan⟨U+200B⟩ner⟨U+200C⟩⟨U+200D⟩⟨U+200E⟩⟨U+200F⟩⟨U+2060⟩⟨U+FEFF⟩');
    // Ordinary text in any script is left alone, right-to-left scripts included.
    for (const id of ['planner-2', 'agent.β', 'مخطط', 'עוזר', '计划者', 'café ☕', '']) assert.strictEqual(visibleId(id), id);
    // Everywhere the views show an id or a label: Markdown tooltips, decision types, checkpoint titles.
    assert.strictEqual(mdEscape('a\u202Eb'), 'a⟨U\\+202E⟩b');
    assert.strictEqual(mdEscape('see https://evil.example'), 'see https\\://evil\\.example');
    assert.strictEqual(mdCode('a\u200Bb'), '`a⟨U+200B⟩b`');
    assert.strictEqual(decisionTypeLabel('route\u202E_x'), 'Route⟨U+202E⟩ x');
    assert.strictEqual(checkpointTitle({ label: 'before\u2066 deploy', kind: 'manual' } as CheckpointInfo), 'before⟨U+2066⟩ deploy');
  });
});
