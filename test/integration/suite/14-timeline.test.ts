// The run timeline in the real workbench: the webview draws the lanes of a known run in the order
// its agents started, follows the run live, and a click on an item (dispatched as a DOM click in
// the webview, through the page's own handler) reveals that item in the sidebar.
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { Pages } from '../../../src/views/pages/pages';
import type { TimelinePage } from '../../../src/views/pages/timelinePage';
import { activate, closeAllEditors, screenshot, type TestApi, waitFor } from '../harness';

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);

type Trees = Record<'agents' | 'tasks' | 'decisions' | 'checkpoints', vscode.TreeView<Record<string, unknown>>>;

describe('run timeline', function () {
  let api: TestApi;
  let pages: Pages;
  let trees: Trees;
  let page: TimelinePage;
  let decisionId: number;

  before(async function () {
    api = await activate();
    const testing = api.testing as unknown as { pages: Pages; trees: Trees };
    pages = testing.pages;
    trees = testing.trees;
    await closeAllEditors();
    // A known run: the planner starts, hands the build to the coder, who works on two tasks.
    await api.updateAgentState('tl-planner', { status: 'busy', current_task: 'tl-plan' });
    await api.updateTaskProgress('tl-plan', { description: 'Plan the timeline release', status: 'in_progress', percentage: 60, agent_id: 'tl-planner' });
    decisionId = (await api.logDecision({ decision_type: 'agent_assignment', context: null, decision: 'Give the build to tl-coder', reasoning: 'it is free', agent_id: 'tl-planner', task_id: 'tl-build' })).id;
    await api.logAgentMessage({ from_agent: 'tl-planner', to_agent: 'tl-coder', message_type: 'handoff', content: { task: 'tl-build' } });
    await api.updateAgentState('tl-coder', { status: 'busy', current_task: 'tl-build' });
    await api.updateTaskProgress('tl-build', { description: 'Build the bundle', status: 'in_progress', percentage: 20, agent_id: 'tl-coder' });
    await api.updateTaskProgress('tl-lint', { description: 'Lint the sources', status: 'completed', percentage: 100, agent_id: 'tl-coder' });
    await api.markRecoveryPoint('tl-before-bundle');
  });
  after(closeAllEditors);

  it('draws the lanes of the run in the order its agents started, with bars and markers', async function () {
    await vscode.commands.executeCommand('jarvis.showTimeline');
    page = await waitFor(() => pages.open.timelines[0], 'the timeline page');
    assert.match(page.panel.title, /^Timeline — /);
    const r = await within(page.whenRendered(x => x.lanes.includes('tl-planner') && x.lanes.includes('tl-coder')), 20_000, 'the lanes drawn by the webview');
    assert.strictEqual(r.lanes[0], 'Run');
    assert.ok(r.lanes.indexOf('tl-planner') < r.lanes.indexOf('tl-coder'), r.lanes.join(', '));
    const engine = api.testing.sessions.current!.engine!;
    // Fitted to the run: every task is a bar on screen, and the decision, message and checkpoint markers too.
    assert.ok(r.bars >= engine.getTasks().length, `${r.bars} bars for ${engine.getTasks().length} tasks`);
    assert.ok(r.markers >= 3, `${r.markers} markers`);
    assert.ok(r.viewEnd > r.viewStart && r.width > 200, JSON.stringify(r));
    // The command again reveals the same page.
    await vscode.commands.executeCommand('jarvis.showTimeline');
    assert.strictEqual(pages.open.timelines.length, 1);
  });

  it('follows the run live', async function () {
    const before = page.rendered!.bars;
    await api.updateTaskProgress('tl-test', { description: 'Test the bundle', status: 'in_progress', percentage: 5, agent_id: 'tl-coder' });
    const r = await within(page.whenRendered(x => x.bars > before), 20_000, 'the new task drawn');
    assert.strictEqual(r.bars, before + 1);
  });

  it('a click reveals the item in the sidebar: a task, a decision, an agent', async function () {
    await vscode.commands.executeCommand('workbench.view.extension.jarvis');
    await page.click('task:tl-build');
    await waitFor(() => trees.tasks.selection[0]?.taskId === 'tl-build', 'tl-build selected in Tasks');
    assert.strictEqual(page.rendered!.selected, 'task:tl-build');

    await page.click(`decision:${decisionId}`);
    await waitFor(() => trees.decisions.selection[0]?.id === decisionId, 'the decision selected in Decisions');

    await page.click('lane:tl-coder');
    await waitFor(() => trees.agents.selection[0]?.agentId === 'tl-coder', 'tl-coder selected in Agents');
  });

  it('the keyboard zooms, moves between items and reveals', async function () {
    await page.click('task:tl-build');
    const r0 = await within(page.whenRendered(x => x.selected === 'task:tl-build'), 10_000, 'tl-build selected');
    await page.press('+');
    const zoomed = await within(page.whenRendered(x => x.viewEnd - x.viewStart < r0.viewEnd - r0.viewStart), 10_000, 'zoomed in');
    assert.ok((zoomed.viewEnd - zoomed.viewStart) / (r0.viewEnd - r0.viewStart) < 0.9);
    await page.press('0'); // fit the run again
    await within(page.whenRendered(x => x.viewEnd - x.viewStart >= r0.viewEnd - r0.viewStart - 1), 10_000, 'fitted');
    // Along the coder's lane: tl-build started before tl-lint, so Right moves to tl-lint; Enter reveals it.
    await page.press('ArrowRight');
    const moved = await within(page.whenRendered(x => x.selected !== 'task:tl-build'), 10_000, 'the selection moved');
    assert.strictEqual(moved.selected, 'task:tl-lint');
    await page.press('Enter');
    await waitFor(() => trees.tasks.selection[0]?.taskId === 'tl-lint', 'tl-lint selected in Tasks');
    // Up goes to the planner's lane.
    await page.press('ArrowUp');
    const up = await within(page.whenRendered(x => x.selected !== 'task:tl-lint'), 10_000, 'the selection on the lane above');
    assert.match(up.selected!, /^(task:tl-plan|decision:\d+|message:\d+)$/);
    await page.click('task:tl-build');
  });

  it('is drawn for people (screenshot)', async function () {
    await vscode.commands.executeCommand('workbench.action.closePanel');
    page.show();
    await page.click('task:tl-build');
    await within(page.whenRendered(x => x.selected === 'task:tl-build'), 10_000, 'the selection drawn');
    const png = await screenshot('timeline');
    if (png) assert.ok(fs.statSync(png).size > 10_000, 'screenshot too small');
  });
});
