// The Team view's words for an origin and its recovery report (src/views/teamText.ts).
import * as assert from 'assert';
import type { TeamOriginInfo } from '../../../src/team/teamMode';
import { lostText, orderedOrigins, originDescription, originLabel, placeName, recoveryItem, recoveryText } from '../../../src/views/teamText';

const NOW = Date.parse('2026-12-01T15:10:00.000Z');
const at = (msAgo: number): string => new Date(NOW - msAgo).toISOString();
const time = (iso: string): string => {
  const d = new Date(iso);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map(n => String(n).padStart(2, '0')).join(':');
};
const origin = (over: Partial<TeamOriginInfo> = {}): TeamOriginInfo => ({
  id: 'o1', host: 'build-box', user: 'alice', folder: '/home/alice/shop', epoch: '', last_seen: at(12_000), lost: false, last_recovery: null, ...over,
});

describe('team view text', function () {
  it('a live origin: user and age; with a crash report, when it recovered', function () {
    assert.strictEqual(originDescription(origin(), NOW), 'alice · seen 10 s ago');
    const crash = { file: 'recovery_report_1.json', created_at: at(8 * 60_000), trigger: 'crash' as const, incomplete_tasks: 2 };
    assert.strictEqual(originDescription(origin({ last_recovery: crash }), NOW), `alice · seen 10 s ago · recovered from a crash ${time(crash.created_at)}`);
    // A manual analysis is not news on the origin's line, only under it.
    const manual = { ...crash, trigger: 'manual' as const };
    assert.strictEqual(originDescription(origin({ last_recovery: manual }), NOW), 'alice · seen 10 s ago');
    assert.strictEqual(recoveryText(manual, NOW), `recovery analysis ${time(crash.created_at)}`);
  });

  it('a lost origin says so, and why, naming the threshold and the setting', function () {
    assert.strictEqual(originDescription(origin({ lost: true, last_seen: at(7 * 60_000) }), NOW), 'alice · lost, seen 7 min ago');
    assert.match(lostText(90_000), /^Not seen for over 1 min 30 s \(the staleness threshold, setting jarvis\.staleAgentMinutes\)/);
    assert.match(lostText(5 * 60_000), /over 5 min /);
  });

  it('the report row: kind, time and incomplete tasks counted', function () {
    const r = { file: 'f.json', created_at: at(60_000), trigger: 'crash' as const, incomplete_tasks: 1 };
    const item = recoveryItem(r, NOW);
    assert.strictEqual(item.label, 'Recovered from a crash');
    assert.strictEqual(item.description, `${time(r.created_at)} · 1 incomplete task`);
    assert.match(item.tooltip, /1 min ago.*read-only/);
    assert.strictEqual(recoveryItem({ ...r, trigger: 'manual', incomplete_tasks: 0 }, NOW).description, `${time(r.created_at)} · 0 incomplete tasks`);
  });

  it('an origin whose host or user hides characters shows them: a spoofed name cannot pass for another', function () {
    // U+202E shows "build-box" + reversed text; U+200B makes "alice" and "al\u200Bice" look the same.
    const spoofed = origin({ host: 'ci\u202Exob-dliub', user: 'al\u200Bice' });
    assert.strictEqual(originLabel(spoofed, false), 'ci⟨U+202E⟩xob-dliub: shop');
    assert.strictEqual(originLabel(origin(), true), 'build-box: shop (this folder)');
    assert.strictEqual(originLabel(origin({ folder: 'C:\\work\\shop-copy' }), false), 'build-box: shop-copy', 'two folders on one host told apart');
    assert.strictEqual(originLabel(origin({ folder: null }), false), 'build-box');
    assert.strictEqual(originDescription(spoofed, NOW), 'al⟨U+200B⟩ice · seen 10 s ago');
    assert.doesNotMatch(originLabel(spoofed, false) + originDescription(spoofed, NOW), /[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/);
  });

  it('a store is named by the project it serves: <project>/memory/context/jarvis reads as the project', function () {
    assert.strictEqual(placeName('/home/alice/shop/memory/context/jarvis'), 'shop');
    assert.strictEqual(placeName('C:\\work\\shop\\memory\\context\\jarvis\\'), 'shop');
    assert.strictEqual(placeName('/home/alice/shop'), 'shop');
    assert.strictEqual(placeName('/memory/context/jarvis'), 'jarvis', 'no project above it: the folder itself');
    assert.strictEqual(placeName('/'), undefined);
    assert.strictEqual(originLabel(origin({ folder: '/srv/api/memory/context/jarvis' }), false), 'build-box: api');
  });

  it('origins in a stable order, this folder first, then by name; two that read the same are told apart by their id', function () {
    const a = origin({ id: 'self-origin', host: 'vm', folder: '/root/zeta' });
    const b = origin({ id: 'bbbbbbbb-2', host: 'vm', folder: '/root/alpha/memory/context/jarvis' });
    const c = origin({ id: 'cccccccc-3', host: 'vm', folder: '/other/alpha' });
    const d = origin({ id: 'dddddddd-4', host: 'laptop', folder: '/home/bob/alpha' });
    const expected = [
      ['self-origin', 'vm: zeta (this folder)'],
      ['dddddddd-4', 'laptop: alpha'],
      ['bbbbbbbb-2', 'vm: alpha [bbbbbbbb]'],
      ['cccccccc-3', 'vm: alpha [cccccccc]'],
    ];
    // whatever order the database gave them in (it moves with when each was last seen)
    for (const given of [[a, b, c, d], [d, c, b, a], [c, a, d, b]]) {
      assert.deepStrictEqual(orderedOrigins(given, 'self-origin').map(r => [r.origin.id, r.label]), expected);
    }
  });
});
