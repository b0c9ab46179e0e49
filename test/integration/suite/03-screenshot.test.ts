import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { activate, closeAllEditors, screenshot, sleep, type TestApi, waitFor } from '../harness';

describe('sidebar screenshot', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
  });

  after(async function () {
    await vscode.workspace.getConfiguration('jarvis').update('staleAgentMinutes', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('draws agents (one stale), tasks with blockers and decisions', async function () {
    // Make "reviewer" stale: a tiny threshold, then heartbeats from everyone else.
    await vscode.workspace.getConfiguration('jarvis').update('staleAgentMinutes', 0.02, vscode.ConfigurationTarget.Workspace);
    await sleep(1500);
    for (const id of ['planner', 'coder-1', 'coder-2']) {
      const a = api.testing.sessions.current!.engine!.getAgent(id)!;
      await api.updateAgentState(id, { status: a.status, current_task: a.current_task });
    }
    const agents = api.testing.views.agents;
    await waitFor(() => ['planner', 'coder-1', 'coder-2'].every(id => agents.describe(id)?.stale === false), 'heartbeats drawn');
    // The new threshold reaches the engine through a configuration event: wait for it, not for a time.
    await waitFor(async () => {
      await vscode.commands.executeCommand('jarvis.refresh');
      return agents.describe('reviewer')?.stale === true;
    }, 'reviewer drawn as stale');
    // stale shows as the group and the icon; the text keeps to what fits the default width
    assert.match(agents.describe('reviewer')!.description, /^review-pr-118 · (just now|\d+ s ago)$/);
    await api.markRecoveryPoint('before-deploy');
    await vscode.commands.executeCommand('jarvis.createCheckpoint', '');
    await closeAllEditors();
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('workbench.view.extension.jarvis');
    // the side bar at its default width: what a new user sees
    await vscode.commands.executeCommand('jarvis.refresh');
    const retry = (await api.testing.sessions.current!.engine!.getDecisions({ limit: 10 })).find(d => d.decision_type === 'retry_policy')!;
    await vscode.commands.executeCommand('jarvis.openDecision', retry.id);
    const png = await screenshot('sidebar');
    if (png) assert.ok(fs.statSync(png).size > 10_000, 'screenshot too small');
    // The walkthrough's picture: the side bar alone, at its size, so its text reads at the walkthrough's
    // scale; at the default staleness, where a new user's agents are.
    await vscode.workspace.getConfiguration('jarvis').update('staleAgentMinutes', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor(async () => {
      await vscode.commands.executeCommand('jarvis.refresh');
      return ['planner', 'coder-1', 'coder-2', 'reviewer'].every(id => agents.describe(id)?.stale === false);
    }, 'every agent drawn fresh at the default threshold');
    const side = await screenshot('walkthrough-sidebar', undefined, { x: 0, y: 32, width: 348, height: 560 });
    if (side) assert.ok(fs.statSync(side).size > 10_000, 'walkthrough screenshot too small');
  });
});
