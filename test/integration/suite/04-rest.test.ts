import * as assert from 'assert';
import { activate, rest, type TestApi, waitFor } from '../harness';

describe('an orchestrator writing over HTTP appears in the views', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
  });

  it('PUT /agents, PUT /tasks, POST /decisions reach the trees', async function () {
    const agent = await rest(api, 'PUT', '/agents/http-worker', { status: 'busy', current_task: 'http-task', capabilities: ['rest'] });
    assert.strictEqual(agent.status, 200, JSON.stringify(agent.json));
    const task = await rest(api, 'PUT', '/tasks/http-task', { description: 'Task sent over HTTP', status: 'blocked', percentage: 45, blockers: ['needs review'], agent_id: 'http-worker' });
    assert.strictEqual(task.status, 200, JSON.stringify(task.json));
    const decision = await rest(api, 'POST', '/decisions', { decision_type: 'routing', context: { via: 'http' }, decision: 'Route over HTTP', reasoning: 'the orchestrator is in Python' });
    assert.strictEqual(decision.status, 201, JSON.stringify(decision.json));

    const { agents, tasks, decisions } = api.testing.views;
    await waitFor(() => agents.describe('http-worker'), 'http-worker in Agents');
    assert.match(agents.describe('http-worker')!.description, /^http-task · (just now|\d+ s ago)$/);
    await waitFor(() => tasks.visibleTaskIds().includes('http-task'), 'http-task in Tasks');
    const node = tasks.getChildren().find(n => n.taskId === 'http-task')!;
    assert.strictEqual(tasks.getTreeItem(node).label, '45% · Task sent over HTTP');
    assert.strictEqual(tasks.getTreeItem(node).description, '1 blocker');
    await waitFor(() => decisions.visibleDecisions()[0] === 'Route over HTTP', 'HTTP decision on top of Decisions');
  });

  it('rejects a request without the token', async function () {
    const server = api.testing.sessions.current!.server!;
    const res = await fetch(server.url + '/status');
    assert.strictEqual(res.status, 401);
  });
});
