// "Search Context…" in the real workbench: the same search as GET /search, results that jump.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import type { SearchResult } from '../../../src/server/search';
import { activate, closeAllEditors, rest, type TestApi, waitFor } from '../harness';

describe('Search Context', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
  });
  after(closeAllEditors);

  it('finds a decision in any language and jumps to it; GET /search answers the same', async function () {
    await api.logDecision({ decision_type: 'escalation', context: null, decision: 'Сообщить о сбое базы данных', reasoning: 'нет доступа' });
    const results = await vscode.commands.executeCommand<SearchResult[]>('jarvis.search', 'сбое БАЗЫ');
    assert.deepStrictEqual(results.map(r => [r.kind, r.title]), [['decision', 'Сообщить о сбое базы данных']]);
    const viaRest = await rest(api, 'GET', `/search?q=${encodeURIComponent('сбое БАЗЫ')}`);
    assert.strictEqual(viaRest.status, 200);
    assert.deepStrictEqual(viaRest.json.results, JSON.parse(JSON.stringify(results)));
    await vscode.commands.executeCommand('jarvis.openSearchResult', results[0]);
    const uri = await waitFor(() => vscode.window.activeTextEditor?.document.uri, 'the decision editor');
    assert.strictEqual(path.posix.basename(uri.path), `Decision #${results[0].id} — Сообщить о сбое базы данных.json`);
  });

  it('finds other forms of a word: "ошибки" finds "Ошибка"', async function () {
    await api.logDecision({ decision_type: 'escalation', context: null, decision: 'Ошибка подключения к очереди', reasoning: 'брокер недоступен' });
    const results = await vscode.commands.executeCommand<SearchResult[]>('jarvis.search', 'ошибки очереди');
    assert.deepStrictEqual(results.map(r => [r.kind, r.title]), [['decision', 'Ошибка подключения к очереди']]);
  });

  it('finds tasks and agents too', async function () {
    await api.updateTaskProgress('search-task', { description: 'Datenbankmigration vorbereiten', status: 'pending', percentage: 0 });
    const results = await vscode.commands.executeCommand<SearchResult[]>('jarvis.search', 'migration');
    assert.ok(results.some(r => r.kind === 'task' && r.id === 'search-task'), JSON.stringify(results));
    await vscode.commands.executeCommand('workbench.view.extension.jarvis');
    await vscode.commands.executeCommand('jarvis.openSearchResult', results.find(r => r.id === 'search-task'));
  });
});
