// Resume and fork in the real workbench: Edit and Fork… opens the checkpoint's state as a JSON
// draft; saving bad JSON gives a diagnostic and stores nothing; saving an edit shows the diff
// against the checkpoint; confirming records the fork, which the Checkpoints view draws under its
// parent, with the pending resume point on top and in the status bar.
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { CheckpointResult, ResumePointInfo } from '../../../src/core/types';
import { parseDraftUri } from '../../../src/forkDraftDocuments';
import { RESUME_NODE_KEY } from '../../../src/views/checkpointsView';
import { activate, closeAllEditors, diffTabOf, replaceAll, rest, saveDraft as save, screenshot, sleep, type TestApi, waitFor } from '../harness';

describe('resume and fork', function () {
  let api: TestApi;
  let rp: CheckpointResult;

  before(async function () {
    api = await activate();
    await closeAllEditors();
  });
  after(async function () {
    if (api.testing.sessions.current?.engine?.getPendingResumePoint()) await vscode.commands.executeCommand('jarvis.cancelResumePoint');
    await vscode.commands.executeCommand('notifications.clearAll');
    await closeAllEditors();
  });

  it('Edit and Fork…: bad JSON is a diagnostic and stores nothing; an edit shows its diff, and confirming forks under the parent', async function () {
    const engine = api.testing.sessions.current!.engine!;
    for (const [id, status, percentage] of [['task-1', 'completed', 100], ['task-2', 'completed', 100], ['task-3', 'in_progress', 40]] as const) {
      await api.updateTaskProgress(id, { description: `Fork test ${id}`, status, percentage, agent_id: 'coder' });
    }
    await api.updateAgentState('coder', { status: 'busy', current_task: 'task-3' });
    await api.updateContext({ phase: 'review', queue: ['task-3', 'task-4', 'task-5'], retries: 2 });
    rp = await api.markRecoveryPoint('before-review');
    await api.updateContext({ phase: 'deploy', queue: [], retries: 0 });
    // Automatic checkpoints may come meanwhile (the 30 s timer): count forks.
    const forks = () => engine.listCheckpoints(10_000).filter(c => c.kind === 'fork').length;
    const count = forks();

    const uri = await vscode.commands.executeCommand<vscode.Uri>('jarvis.editAndFork', rp.checkpoint_id);
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.toString() === uri.toString() ? vscode.window.activeTextEditor : undefined), 'the draft editor');
    assert.strictEqual(editor.document.languageId, 'json');
    assert.strictEqual(uri.path, `/${rp.checkpoint_id}/Edit and fork #${rp.checkpoint_id} — before-review.json`);
    assert.deepStrictEqual(JSON.parse(editor.document.getText()), { phase: 'review', queue: ['task-3', 'task-4', 'task-5'], retries: 2 });

    // Bad JSON: saved as text, refused as a state.
    await replaceAll(editor, '{\n  "phase": "review",\n  "queue": ["task-5" "task-3"],\n  "retries": 0\n}\n');
    await save(editor.document);
    const problem = await waitFor(() => vscode.languages.getDiagnostics(uri).find(d => d.source === 'Jarvis Context'), 'the diagnostic on bad JSON');
    assert.match(problem.message, /^Not valid JSON: .+ Nothing was stored/);
    assert.deepStrictEqual([problem.range.start.line, problem.range.start.character], [2, 21]);
    assert.strictEqual(await vscode.commands.executeCommand('jarvis.confirmFork', uri), undefined, 'a bad draft was forked');
    await sleep(300);
    assert.strictEqual(forks(), count, 'a fork was stored for bad JSON');
    assert.strictEqual(engine.getPendingResumePoint(), undefined);
    assert.strictEqual(diffTabOf(uri), undefined, 'a diff for bad JSON');

    // The edit: task-4 dropped, task-5 first.
    await replaceAll(editor, '{\n  "phase": "review",\n  "queue": ["task-5", "task-3"],\n  "retries": 0\n}\n');
    await save(editor.document);
    await waitFor(() => vscode.languages.getDiagnostics(uri).every(d => d.source !== 'Jarvis Context'), 'the diagnostic cleared');
    const diff = await waitFor(() => diffTabOf(uri), 'the diff against the checkpoint');
    assert.strictEqual(parseDraftUri(diff.original)?.original, true);
    assert.strictEqual(parseDraftUri(diff.original)?.checkpointId, rp.checkpoint_id);
    assert.strictEqual(forks(), count, 'forked before the confirmation');
    assert.strictEqual(engine.getPendingResumePoint(), undefined, 'a resume point before the confirmation');

    // Confirmed (the check in the diff editor's title).
    const r = await vscode.commands.executeCommand<ResumePointInfo>('jarvis.confirmFork', uri);
    assert.ok(r, 'the confirmation did not fork');
    assert.deepStrictEqual([r.parent_id, r.edited], [rp.checkpoint_id, true]);
    await waitFor(() => !vscode.window.tabGroups.all.flatMap(g => g.tabs).some(t => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === uri.toString()), 'the draft closed');

    const view = api.testing.views.checkpoints;
    await waitFor(() => view.forksOf(rp.checkpoint_id).includes(r.checkpoint_id), 'the fork drawn under its parent');
    const top = view.getChildren();
    assert.strictEqual(top[0].key, RESUME_NODE_KEY, 'the resume point is not on top');
    assert.ok(!top.some(n => n.id === r.checkpoint_id && n.key !== RESUME_NODE_KEY), 'the fork is also drawn at the top level');
    assert.strictEqual(String(view.getTreeItem(top[0]).label), 'Next start: before-review');
    const forkNode = view.getChildren(top.find(n => n.id === rp.checkpoint_id && n.key !== RESUME_NODE_KEY)!)[0];
    assert.strictEqual(String(view.getTreeItem(forkNode).description), 'next start');
    assert.strictEqual(String(view.getTreeItem(forkNode).label), `edited fork of #${rp.checkpoint_id}`);
    // Alone, or beside the alerts this suite's short staleness raises for its idle agents.
    await waitFor(() => api.testing.statusBar.text.endsWith(`Jarvis: resume from #${rp.checkpoint_id}`) ||
      api.testing.statusBar.text.endsWith(` · resume from #${rp.checkpoint_id}`), 'the status bar', 5000)
      .catch(() => assert.fail(`status bar: ${api.testing.statusBar.text}`));

    // What a restarted orchestrator gets.
    const ctx = await rest(api, 'GET', '/context');
    assert.strictEqual(ctx.json.resume_point_id, r.resume_point_id);
    assert.deepStrictEqual(ctx.json.state, { phase: 'review', queue: ['task-5', 'task-3'], retries: 0 });

    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('workbench.view.extension.jarvis');
    await vscode.commands.executeCommand('jarvis.checkpoints.focus');
    // The branch beside what it changed: the checkpoint and its fork differ in the edited state alone.
    await vscode.commands.executeCommand('jarvis.compareCheckpoints', rp.checkpoint_id, r.checkpoint_id);
    await sleep(800);
    const png = await screenshot('fork');
    if (png) assert.ok(fs.statSync(png).size > 10_000, 'screenshot too small');
  });

  it('Cancel Resume Point, and Resume from the Last Recovery Point', async function () {
    const engine = api.testing.sessions.current!.engine!;
    const pending = engine.getPendingResumePoint();
    assert.ok(pending, 'the first test left no resume point');
    await vscode.commands.executeCommand('jarvis.cancelResumePoint');
    assert.strictEqual(engine.getPendingResumePoint(), undefined);
    assert.strictEqual((await engine.getDecisions({ limit: 1 }))[0].decision_type, 'resume_cancelled');
    await waitFor(() => !api.testing.statusBar.text.includes('resume from'), 'the status bar without the resume point');
    await waitFor(() => api.testing.views.checkpoints.getChildren()[0]?.key !== RESUME_NODE_KEY, 'the resume point gone from the view');

    const last = await vscode.commands.executeCommand<ResumePointInfo>('jarvis.resumeFromLastRecoveryPoint');
    assert.ok(last);
    assert.strictEqual(last.parent_id, engine.getLastRecoveryPointId());
    assert.strictEqual(last.edited, false);
    const restored = await api.restoreContext();
    assert.strictEqual(restored.resume_point_id, last.resume_point_id);
    assert.strictEqual(engine.getPendingResumePoint(), undefined, 'restoreContext() of the API did not clear it');
  });
});
