import * as assert from 'assert';
import * as vscode from 'vscode';
import type { AgentNode } from '../../../src/views/agentsView';
import type { TaskNode } from '../../../src/views/tasksView';
import { activate, type TestApi, waitFor } from '../harness';

/** Realistic orchestrator activity, written through the extension's exported API. */
export async function writeDemoData(api: TestApi): Promise<void> {
  await api.updateAgentState('planner', { status: 'busy', current_task: 'plan-sprint', capabilities: ['planning', 'delegation'], metadata: { model: 'gpt-4o', pid: 4242 } });
  await api.updateAgentState('coder-1', { status: 'busy', current_task: 'implement-auth', capabilities: ['python', 'typescript'], metadata: { model: 'claude', worktree: 'wt/auth' } });
  await api.updateAgentState('coder-2', { status: 'idle', current_task: null, capabilities: ['python'] });
  await api.updateAgentState('reviewer', { status: 'busy', current_task: 'review-pr-118', capabilities: ['code-review'] });
  await api.updateTaskProgress('plan-sprint', { description: 'Plan sprint 14', status: 'completed', percentage: 100, completed_subtasks: ['collect issues', 'estimate', 'assign'], agent_id: 'planner' });
  await api.updateTaskProgress('implement-auth', {
    description: 'Implement OAuth login', status: 'in_progress', percentage: 60,
    completed_subtasks: ['schema migration', 'login endpoint'], blockers: ['waiting for OAuth client secret'], agent_id: 'coder-1',
  });
  await api.updateTaskProgress('deploy-staging', { description: 'Deploy to staging', status: 'blocked', percentage: 20, blockers: ['staging cluster quota exceeded', 'implement-auth not done'], agent_id: 'coder-2' });
  await api.updateTaskProgress('write-tests', { description: 'Write integration tests', status: 'pending', percentage: 0 });
  await api.updateTaskProgress('review-pr-118', { description: 'Review PR #118', status: 'in_progress', percentage: 35, agent_id: 'reviewer' });
  await api.logDecision({ decision_type: 'task_assignment', context: { task: 'implement-auth', candidates: ['coder-1', 'coder-2'] }, decision: 'Assign implement-auth to coder-1', reasoning: 'coder-1 wrote the session code', agent_id: 'planner', task_id: 'implement-auth' });
  await api.logDecision({ decision_type: 'retry_policy', context: { task: 'deploy-staging', error: 'quota' }, decision: 'Retry deploy-staging after quota raise', reasoning: 'quota errors are transient', outcome: { scheduled: true }, agent_id: 'planner', task_id: 'deploy-staging' });
  await api.logDecision('escalation', { blocker: 'OAuth client secret' }, 'Ask a human for the OAuth client secret', 'no agent has access to the vault');
  await api.logAgentMessage('planner', 'coder-1', 'assignment', { task: 'implement-auth' });
  await api.updateContext({ goal: 'ship OAuth login', sprint: 14, conversation_history: [{ role: 'user', content: 'ship it' }] });
}

/** A task row as drawn: label, description, icon. */
function pick(t: { label: string; description: string; icon: string }): [string, string, string] {
  return [t.label, t.description, t.icon];
}

describe('views show what is written through the engine', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
    await writeDemoData(api);
    await vscode.commands.executeCommand('workbench.view.extension.jarvis');
  });

  it('Agents: grouped by status, with current task and last seen', async function () {
    const agents = api.testing.views.agents;
    await waitFor(() => agents.describe('reviewer'), 'reviewer in the Agents view');
    const groups = agents.getChildren();
    assert.deepStrictEqual(groups.map(g => (g.kind === 'group' ? g.group : '?')), ['busy', 'idle']);
    const busy = agents.getChildren(groups[0]).map(n => (n as Extract<AgentNode, { kind: 'agent' }>).agentId);
    assert.deepStrictEqual(busy, ['coder-1', 'planner', 'reviewer']);
    const d = agents.describe('coder-1')!;
    assert.strictEqual(d.stale, false);
    assert.match(d.description, /^implement-auth · (just now|\d+ s ago)$/);
    const item = agents.getTreeItem(agents.getChildren(groups[0])[0]);
    const tooltip = (item.tooltip as vscode.MarkdownString).value;
    assert.ok(tooltip.includes('`python`') && tooltip.includes('wt/auth'), 'tooltip lacks capabilities or metadata: ' + tooltip);
  });

  it('Tasks: status icon, percentage, blockers, subtasks and agent as children', async function () {
    const tasks = api.testing.views.tasks;
    await waitFor(() => tasks.visibleTaskIds().includes('review-pr-118'), 'tasks in the Tasks view');
    // open work first, finished work last
    assert.deepStrictEqual(tasks.visibleTaskIds().slice(-2), ['write-tests', 'plan-sprint']);
    const auth = tasks.getChildren().find(n => n.taskId === 'implement-auth')!;
    const item = tasks.getTreeItem(auth);
    // the icon says "in progress"; the figure leads the label, where no name can push it out
    assert.strictEqual(item.label, '60% · Implement OAuth login');
    assert.strictEqual(item.description, '1 blocker');
    assert.deepStrictEqual(pick(tasks.describe('deploy-staging')!), ['20% · Deploy to staging', '2 blockers', 'debug-pause']);
    assert.deepStrictEqual(pick(tasks.describe('plan-sprint')!), ['Plan sprint 14', 'done', 'pass-filled']);
    assert.deepStrictEqual(pick(tasks.describe('write-tests')!), ['Write integration tests', 'pending', 'circle-large-outline']);
    assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, 'play-circle');
    const children = tasks.getChildren(auth).map(n => [n.kind, tasks.getTreeItem(n).label, (tasks.getTreeItem(n).iconPath as vscode.ThemeIcon).id]);
    assert.deepStrictEqual(children, [
      ['blocker', 'waiting for OAuth client secret', 'warning'],
      ['subtask', 'schema migration', 'check'],
      ['subtask', 'login endpoint', 'check'],
      ['agent', 'coder-1', 'person'],
    ]);
  });

  it('Tasks: a finished task shows no blocker, only its history in the hover', async function () {
    const tasks = api.testing.views.tasks;
    await api.updateTaskProgress('retry-done', { description: 'Fetch the schema', status: 'completed', percentage: 100, blockers: ['fetch failed: timeout'], agent_id: 'coder-2' });
    const t = await waitFor(() => tasks.describe('retry-done'), 'retry-done drawn');
    assert.strictEqual(t.description, 'done');
    assert.deepStrictEqual(t.children, ['coder-2 (assigned agent)']);
    assert.match(t.tooltip, /Steps that failed on the way:\n- fetch failed: timeout/);
    assert.doesNotMatch(t.tooltip, /Blockers/);
  });

  it('Tasks: filter by status from the view title', async function () {
    const tasks = api.testing.views.tasks;
    await vscode.commands.executeCommand('jarvis.filterTasks', ['blocked']);
    await tasks.whenIdle();
    assert.deepStrictEqual(tasks.visibleTaskIds(), ['deploy-staging']);
    await vscode.commands.executeCommand('jarvis.clearTaskFilter');
    await tasks.whenIdle();
    assert.strictEqual(tasks.visibleTaskIds().length, 6);
  });

  it('Tasks: a long name never hides the status and the figure; the hover has it whole', async function () {
    const tasks = api.testing.views.tasks;
    const name = 'Implement OAuth login with PKCE for the web app';
    await api.updateTaskProgress('oauth-pkce', { description: name, status: 'in_progress', percentage: 60, blockers: ['no client id', 'redirect URI not registered'], agent_id: 'coder-1' });
    const t = await waitFor(() => tasks.describe('oauth-pkce'), 'oauth-pkce drawn');
    assert.deepStrictEqual(pick(t), [`60% · ${name}`, '2 blockers', 'play-circle']);
    assert.ok(t.tooltip.includes(name) && t.tooltip.includes('in progress, 60%'), t.tooltip);
    // the blockers are rows of their own, open at once
    assert.deepStrictEqual(t.children.slice(0, 2), ['no client id (blocker)', 'redirect URI not registered (blocker)']);
    const failed = 'Migrate every tenant database to the new schema';
    await api.updateTaskProgress('oauth-failed', { description: failed, status: 'failed', percentage: 40 });
    const f = await waitFor(() => tasks.describe('oauth-failed'), 'oauth-failed drawn');
    assert.deepStrictEqual(pick(f), [`40% · ${failed}`, 'failed', 'error']);
  });

  it('Decisions: newest first, the type in words as description, JSON on open', async function () {
    const decisions = api.testing.views.decisions;
    await waitFor(() => decisions.visibleDecisions().length >= 3, 'decisions');
    assert.deepStrictEqual(decisions.visibleDecisions().slice(0, 3), [
      'Ask a human for the OAuth client secret',
      'Retry deploy-staging after quota raise',
      'Assign implement-auth to coder-1',
    ]);
    const node = decisions.getChildren()[1];
    const item = decisions.getTreeItem(node);
    // the type leads the label, where a long decision cannot push it out; who decided after it
    assert.strictEqual(item.label, 'Retry policy: Retry deploy-staging after quota raise');
    assert.strictEqual(item.description, 'planner');
    assert.deepStrictEqual(decisions.describe(decisions.getChildren()[2].id), { label: 'Task assignment: Assign implement-auth to coder-1', description: 'planner' });
    const tip = (item.tooltip as vscode.MarkdownString).value;
    assert.match(tip, /Retry policy \(`retry_policy`\) · #\d+ · \d\d:\d\d:\d\d/);
    assert.ok(tip.includes('quota errors are transient') && tip.includes('"scheduled": true') && tip.includes('"error": "quota"'), tip);
    const uri = await vscode.commands.executeCommand<vscode.Uri>(item.command!.command, ...(item.command!.arguments ?? []));
    const doc = vscode.window.activeTextEditor!.document;
    assert.strictEqual(doc.uri.toString(), uri.toString());
    assert.strictEqual(doc.languageId, 'json');
    assert.strictEqual(JSON.parse(doc.getText()).decision, 'Retry deploy-staging after quota raise');
  });

  it('repaints only the node that changed', async function () {
    const agents = api.testing.views.agents;
    const fired: unknown[] = [];
    const sub = agents.onDidChangeTreeData(e => fired.push(e));
    try {
      const before = agents.loadCount;
      await api.updateAgentState('coder-1', { status: 'busy', current_task: 'implement-auth-tests' });
      await waitFor(() => agents.loadCount > before && fired.length > 0, 'agents repaint');
      const last = fired[fired.length - 1];
      // other agents may repaint too when their "last seen" text ticked over; never the whole tree
      assert.ok(Array.isArray(last), 'whole tree repainted for a description change');
      assert.ok((last as AgentNode[]).some(n => n.key === 'a:coder-1'), 'coder-1 not repainted');
      assert.ok((last as AgentNode[]).every(n => n.kind === 'agent'), 'a group repainted');
    } finally {
      sub.dispose();
      await api.updateAgentState('coder-1', { status: 'busy', current_task: 'implement-auth' });
    }
  });
});
