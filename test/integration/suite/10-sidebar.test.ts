// The sidebar reads well: ages that keep moving while visible (and only then), one count for
// checkpoints in the status bar and the list, hovers without escaped text, a word for identical
// checkpoints, and the example orchestrator one click away.
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { CheckpointResult } from '../../../src/core/types';
import { activate, closeAllEditors, sleep, type TestApi, waitFor } from '../harness';

describe('a sidebar that reads well', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
  });
  after(closeAllEditors);

  it('ages tick on one clock while the view is visible, and stop while it is hidden', async function () {
    const view = api.testing.views.checkpoints;
    await vscode.commands.executeCommand('workbench.view.extension.jarvisPanel');
    await waitFor(() => view.ticking, 'the age clock of a visible Checkpoints view');
    const before = view.loadCount;
    await waitFor(() => view.loadCount > before, 'a reload on the age clock', 12_000);
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await waitFor(() => !view.ticking, 'the age clock stopped while hidden');
    await vscode.commands.executeCommand('workbench.view.extension.jarvisPanel');
    await waitFor(() => view.ticking, 'the age clock again');
  });

  it('an agent that only sends messages is drawn fresh, an idle one whose work is done is not stale', async function () {
    this.timeout(60_000);
    const agents = api.testing.views.agents;
    const config = vscode.workspace.getConfiguration('jarvis');
    await api.updateAgentState('chatter', { status: 'busy', current_task: 'chat-task' });
    await api.updateAgentState('rester', { status: 'idle', current_task: null });
    await api.updateAgentState('silent', { status: 'busy', current_task: 'silent-task' });
    await config.update('staleAgentMinutes', 0.05, vscode.ConfigurationTarget.Workspace); // 3 s
    try {
      let n = 0;
      // the chatter says something all along; the silent busy agent is the control that turns stale
      await waitFor(async () => {
        await api.logAgentMessage('chatter', 'peer', 'progress', { n: n++ });
        await vscode.commands.executeCommand('jarvis.refresh');
        return agents.describe('silent')?.stale;
      }, 'the silent busy agent drawn as stale', 30_000);
      assert.ok(n >= 3, `only ${n} messages: the threshold was not waited out`);
      const chatter = agents.describe('chatter')!;
      assert.strictEqual(chatter.stale, false);
      assert.match(chatter.description, /^chat-task · just now$/);
      const rester = agents.describe('rester')!;
      assert.strictEqual(rester.stale, false, 'an idle agent with nothing to do drawn as stale');
      assert.match(rester.description, /^no task · (just now|\d+ s ago)$/);
      assert.strictEqual(api.testing.sessions.current!.engine!.getAgents().filter(a => a.stale && ['chatter', 'rester'].includes(a.agent_id)).length, 0);
    } finally {
      await config.update('staleAgentMinutes', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('the status bar names itself and counts what the Checkpoints view lists', async function () {
    await api.updateContext({ step: 'status-bar-count' });
    const r = await vscode.commands.executeCommand<CheckpointResult>('jarvis.createCheckpoint', 'count-me');
    const view = api.testing.views.checkpoints;
    const bar = api.testing.statusBar;
    await waitFor(() => view.get(r.checkpoint_id), 'the new checkpoint listed');
    await waitFor(() => view.getChildren().length === bar.checkpointCount, `the same count (${view.getChildren().length} listed, ${bar.checkpointCount} in the status bar)`);
    assert.match(bar.tooltipText, new RegExp(`\\b${bar.checkpointCount} checkpoints?\\b`));
    // the newest listed checkpoint's age is the status bar's
    const newest = view.getChildren()[0];
    await sleep(50);
    assert.ok(bar.text.endsWith(String(view.getTreeItem(newest).description)), `"${bar.text}" vs "${String(view.getTreeItem(newest).description)}"`);
  });

  it('a checkpoint hover has no escaped text in code and explains the icons', async function () {
    const view = api.testing.views.checkpoints;
    const mine = api.testing.sessions.current!.engine!.listCheckpoints(50).find(x => x.label === 'count-me')!;
    const c = view.describe(mine.checkpoint_id)!;
    assert.doesNotMatch(c.tooltip, /`[^`]*\\[^`]*`/, 'a backslash inside a code span');
    for (const words of ['$(history) Auto checkpoint', '$(pinned) Checkpoint', '$(bookmark) Recovery point', '$(debug-stop) Shutdown checkpoint']) {
      assert.ok(c.tooltip.includes(words), `${words} not explained: ${c.tooltip}`);
    }
    assert.match(c.tooltip, /\*\*\$\(pinned\) Checkpoint: taken with Create Checkpoint\*\*/, 'its own kind is not the bold one');
  });

  it('comparing two identical checkpoints says so instead of showing an empty diff', async function () {
    const engine = api.testing.sessions.current!.engine!;
    const a = await vscode.commands.executeCommand<CheckpointResult>('jarvis.createCheckpoint', 'same-a');
    const b = await vscode.commands.executeCommand<CheckpointResult>('jarvis.createCheckpoint', 'same-b');
    const [ca, cb] = [a, b].map(r => engine.listCheckpoints(50).find(c => c.checkpoint_id === r.checkpoint_id)!);
    assert.strictEqual(ca.content_hash, cb.content_hash, 'the two checkpoints differ: the test needs identical ones');
    await closeAllEditors();
    const uris = await vscode.commands.executeCommand<vscode.Uri[]>('jarvis.compareCheckpoints', a.checkpoint_id, b.checkpoint_id);
    assert.deepStrictEqual(uris, []);
    assert.strictEqual(vscode.window.tabGroups.activeTabGroup.activeTab, undefined, 'a diff editor opened');
  });

  it('"Run the Example Orchestrator" runs the shipped example in a terminal of the folder', async function () {
    this.timeout(90_000);
    const terminal = await vscode.commands.executeCommand<vscode.Terminal>('jarvis.runExample', { stepSeconds: 0 });
    assert.ok(terminal, 'no terminal');
    assert.strictEqual(terminal.name, 'Jarvis Context: Example Orchestrator');
    const tasks = api.testing.views.tasks;
    try {
      await waitFor(async () => {
        const all = api.testing.sessions.current!.engine!.getTasks();
        return ['task-1', 'task-2', 'task-3', 'task-4', 'task-5'].every(id => all.find(t => t.task_id === id)?.status === 'completed');
      }, 'the example to complete its five tasks', 60_000);
      await waitFor(() => tasks.describe('task-5')?.description === 'done', 'task-5 drawn as done');
      const decisions = await api.testing.sessions.current!.engine!.getDecisions({ limit: 20 });
      assert.ok(decisions.some(d => d.decision === 'Assign task-5 to researcher'));
      await waitFor(() => api.testing.views.decisions.visibleDecisions().includes('Assign task-5 to researcher'), 'the decision drawn');
      const node = api.testing.views.decisions.getChildren().find(n => api.testing.views.decisions.describe(n.id)?.label.startsWith('Agent assignment: '));
      assert.ok(node, 'no decision described as "Agent assignment"');
    } finally {
      terminal.dispose();
    }
  });
});
