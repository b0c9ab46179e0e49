// GET /search through REST: every kind of record, words in any language, live and archived history.
import * as assert from 'assert';
import { queryTerms } from '../../../src/server/search';
import { startHarness, type Harness } from './support';

describe('server: GET /search', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const find = async (q: string) => {
    const r = await h.req('GET', `/search?q=${encodeURIComponent(q)}`);
    assert.strictEqual(r.status, 200, r.text);
    return r.json.results as { kind: string; id: string; ts: string; title: string; snippet: string }[];
  };

  it('cuts queries into words in any script', () => {
    assert.deepStrictEqual(queryTerms('Ошибка  соединения!'), ['ошибка', 'соединения']);
    assert.deepStrictEqual(queryTerms('データベース接続'), ['データベース', '接続']);
    assert.deepStrictEqual(queryTerms('ＡＢＣ Datenbank'), ['abc', 'datenbank']); // full-width folded (NFKC)
    assert.deepStrictEqual(queryTerms(' ,.; '), []);
  });

  it('finds decisions, messages, tasks, agents, spans and checkpoint labels, best match first', async () => {
    h = await startHarness();
    const e = h.engine;
    await e.logDecision({ decision_type: 'routing', context: { queue: 'blue' }, decision: 'Route invoices to the blue queue', reasoning: 'fewer retries' });
    await e.logAgentMessage({ from_agent: 'planner', to_agent: 'coder', message_type: 'handoff', content: { note: 'blue queue is empty' } });
    await e.updateTaskProgress('invoices', { description: 'Drain the blue queue', status: 'in_progress', percentage: 10 });
    await e.updateAgentState('blue-worker', { status: 'busy', capabilities: ['queues'] });
    await e.markRecoveryPoint('before the blue migration');
    const results = await find('blue');
    assert.deepStrictEqual([...new Set(results.map(r => r.kind))].sort(), ['agent', 'checkpoint', 'decision', 'message', 'task']);
    // every word must match
    assert.deepStrictEqual((await find('blue invoices')).map(r => r.kind).sort(), ['decision', 'task']);
    // a title match ranks above a match in the body
    assert.strictEqual(results[results.length - 1].kind, 'message');
    const d = results.find(r => r.kind === 'decision')!;
    assert.strictEqual(d.title, 'Route invoices to the blue queue');
    assert.ok(d.snippet.includes('blue'), d.snippet);
    assert.strictEqual((await find('nothing-like-this')).length, 0);
  });

  it('matches Cyrillic in any case, German compounds by their parts, and Japanese without spaces', async () => {
    h = await startHarness();
    const e = h.engine;
    await e.logDecision({ decision_type: 'retry_policy', context: null, decision: 'Повторить загрузку после ошибки соединения', reasoning: 'сеть нестабильна' });
    await e.logDecision({ decision_type: 'escalation', context: null, decision: 'Datenbankverbindungsfehler an den Menschen melden', reasoning: 'Zugangsdaten fehlen' });
    await e.logDecision({ decision_type: 'plan', context: null, decision: 'データベース接続を再試行する', reasoning: 'ネットワークが不安定' });
    assert.deepStrictEqual((await find('ОШИБКИ')).map(r => r.title), ['Повторить загрузку после ошибки соединения']);
    assert.deepStrictEqual((await find('ошибки соединения')).length, 1);
    assert.deepStrictEqual((await find('Datenbank')).map(r => r.title), ['Datenbankverbindungsfehler an den Menschen melden']);
    assert.deepStrictEqual((await find('verbindung fehler')).length, 1);
    assert.deepStrictEqual((await find('接続')).map(r => r.title), ['データベース接続を再試行する']);
    assert.deepStrictEqual((await find('データベース接続')).length, 1);
    assert.deepStrictEqual((await find('ネットワーク')).length, 1, 'the reasoning is searched too');
  });

  it('reaches into archived history, and refuses an empty query', async () => {
    h = await startHarness({}, undefined, { liveDbLimitBytes: 48 * 1024 });
    const e = h.engine;
    await e.logDecision({ decision_type: 'plan', context: null, decision: 'Quarantine the flaky zebra test', reasoning: 'old' });
    const filler = 'x'.repeat(600);
    for (let i = 0; i < 300; i++) await e.logDecision({ decision_type: 'plan', context: { i }, decision: `step ${i}`, reasoning: filler });
    await e.autoCheckpoint();
    assert.ok(e.getMetrics().archive_bytes > 0, 'nothing was archived');
    const r = await find('zebra');
    assert.deepStrictEqual(r.map(x => x.title), ['Quarantine the flaky zebra test']);
    const bad = await h.req('GET', '/search?q=%20');
    assert.strictEqual(bad.status, 400);
    assert.strictEqual(bad.json.error.code, 'invalid_field');
  });
});
