import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { CheckpointResult, CleanupResult, RecoveryReport } from '../../../src/core/types';
import { activate, closeAllEditors, type TestApi, waitFor } from '../harness';

const activeText = () => vscode.window.activeTextEditor?.document.getText() ?? '';

describe('commands through executeCommand', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
  });
  afterEach(closeAllEditors);

  it('Create Checkpoint stores a labelled checkpoint shown in Checkpoints', async function () {
    await api.updateContext({ goal: 'ship OAuth login', step: 'checkpoint-test' });
    const r = await vscode.commands.executeCommand<CheckpointResult>('jarvis.createCheckpoint', 'from-command');
    assert.ok(r && r.checkpoint_id > 0, 'no checkpoint result');
    const view = api.testing.views.checkpoints;
    await waitFor(() => view.get(r.checkpoint_id), 'checkpoint in the view');
    assert.strictEqual(view.getTreeItem(view.getChildren()[0]).label, 'from-command');
    await waitFor(() => /Jarvis: checkpoint (just now|\d+ s ago)/.test(api.testing.statusBar.text), 'status bar age');
  });

  it('Open Snapshot shows the checkpoint as read-only canonical JSON', async function () {
    const [latest] = api.testing.sessions.current!.engine!.listCheckpoints(1);
    await vscode.commands.executeCommand('jarvis.openCheckpoint', latest.checkpoint_id);
    const doc = vscode.window.activeTextEditor!.document;
    assert.strictEqual(doc.uri.scheme, 'jarvis-context');
    const text = doc.getText();
    assert.strictEqual(JSON.parse(text).state.step, 'checkpoint-test');
    assert.deepStrictEqual(Object.keys(JSON.parse(text)), Object.keys(JSON.parse(text)).sort(), 'keys not sorted');
  });

  it('Compare Checkpoints opens the diff editor on two snapshots', async function () {
    await api.updateContext({ goal: 'ship OAuth login', step: 'second' });
    const second = await vscode.commands.executeCommand<CheckpointResult>('jarvis.createCheckpoint', 'second');
    const first = api.testing.sessions.current!.engine!.listCheckpoints(10).find(c => c.label === 'from-command')!;
    const uris = await vscode.commands.executeCommand<vscode.Uri[]>('jarvis.compareCheckpoints', second.checkpoint_id, first.checkpoint_id);
    const tab = await waitFor(() => vscode.window.tabGroups.activeTabGroup.activeTab, 'active tab');
    assert.ok(tab.input instanceof vscode.TabInputTextDiff, 'active tab is not a diff');
    const input = tab.input as vscode.TabInputTextDiff;
    // older on the left
    assert.strictEqual(input.original.path, `/checkpoints/${first.checkpoint_id}.json`);
    assert.strictEqual(input.modified.path, `/checkpoints/${second.checkpoint_id}.json`);
    assert.deepStrictEqual(uris.map(u => u.toString()), [input.original.toString(), input.modified.toString()]);
    const right = await vscode.workspace.openTextDocument(input.modified);
    assert.ok(right.getText().includes('"second"'));
  });

  it('Compare with Previous diffs a checkpoint with the one before it', async function () {
    const [newest, previous] = api.testing.sessions.current!.engine!.listCheckpoints(2);
    await vscode.commands.executeCommand('jarvis.compareWithPrevious', { key: `c:${newest.checkpoint_id}`, id: newest.checkpoint_id });
    const input = (await waitFor(() => vscode.window.tabGroups.activeTabGroup.activeTab, 'tab')).input as vscode.TabInputTextDiff;
    assert.strictEqual(input.original.path, `/checkpoints/${previous.checkpoint_id}.json`);
    assert.strictEqual(input.modified.path, `/checkpoints/${newest.checkpoint_id}.json`);
  });

  it('Show Status and Show Metrics open one status page', async function () {
    const page = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel }>('jarvis.showStatus');
    assert.match(page.panel.title, /^Jarvis Context Status — /);
    const again = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel }>('jarvis.showMetrics');
    assert.strictEqual(again, page);
    page.panel.dispose();
  });

  it('Copy Server URL and Token puts both on the clipboard', async function () {
    const server = api.testing.sessions.current!.server!;
    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand('jarvis.copyServerInfo');
    const text = await vscode.env.clipboard.readText();
    assert.strictEqual(text, `JARVIS_CONTEXT_URL=${server.url}\nJARVIS_CONTEXT_TOKEN=${server.token}\n`);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/jarvis\/context$/);
  });

  it('Analyze Recovery Now runs the analysis and opens the report; Open Latest reopens it', async function () {
    const report = await vscode.commands.executeCommand<RecoveryReport>('jarvis.recoverFromCrash');
    assert.strictEqual(report.trigger, 'manual');
    assert.ok(report.incomplete_tasks.some(t => t.task_id === 'implement-auth'));
    const page = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel }>('jarvis.openRecoveryReport');
    assert.match(page.panel.title, /^Recovery report — /);
    page.panel.dispose();
    await vscode.commands.executeCommand('jarvis.openRecoveryReportJson');
    const json = JSON.parse(activeText()) as RecoveryReport;
    assert.strictEqual(json.file, report.file);
  });

  it('Open Storage Folder resolves to the engine folder', async function () {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('jarvis.openStorageFolder');
    assert.strictEqual(uri.fsPath, api.testing.sessions.current!.engine!.folder);
    assert.ok(fs.existsSync(uri.fsPath));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  });

  it('Show Log reveals the log channel with the engine lines', async function () {
    await vscode.commands.executeCommand('jarvis.showLog');
    const doc = await waitFor(
      () => vscode.workspace.textDocuments.find(d => d.uri.scheme === 'output' && d.getText().includes('[session] engine open')),
      'the Jarvis Context log shown',
    );
    assert.ok(doc.getText().includes('listening on http://127.0.0.1:'), 'server start not logged');
    await vscode.commands.executeCommand('workbench.action.closePanel');
  });

  it('Clean Up Old Data removes old history after the dry run', async function () {
    // Everything written so far is older than one second in a moment.
    await new Promise(r => setTimeout(r, 1200));
    const engine = api.testing.sessions.current!.engine!;
    const before = (await engine.getDecisions({ limit: 1000 })).length;
    const r = await vscode.commands.executeCommand<CleanupResult>('jarvis.cleanUp', 1 / 86_400, { confirm: true });
    assert.strictEqual(r.dry_run, false);
    assert.strictEqual(r.removed.decisions, before);
    await waitFor(() => api.testing.views.decisions.visibleDecisions().length === 0, 'Decisions emptied');
    // the recovery points survive a clean-up
    assert.ok(engine.listCheckpoints(10).some(c => c.label === 'from-command'));
  });
});
