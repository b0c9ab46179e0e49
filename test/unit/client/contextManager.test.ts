import * as assert from 'assert';
import { JarvisContextManager } from 'jarvis-context-client';
import { managerFixture, statusHistory, tempDir } from './support';

describe('client: JarvisContextManager (the seed API in camelCase)', () => {
  const f = managerFixture();

  it('records tasks, decisions, agents, messages and context, and reads them back', async () => {
    await f.manager.updateTaskProgress('task-001', { description: 'Process data files', status: 'in_progress', percentage: 50, completed_subtasks: ['validation'], blockers: [] });
    await f.manager.logDecision('agent_assignment', 'High priority task', 'Assign to agent-001', 'Agent has required capabilities', 'success');
    await f.manager.logDecision({ decision_type: 'retry', context: null, decision: 'retry task-001', reasoning: 'flaky', task_id: 'task-001' });
    await f.manager.updateAgentState('agent-001', { status: 'busy', current_task: 'task-001' });
    await f.manager.logAgentMessage('orchestrator', 'agent-001', 'task_assignment', { task_id: 'task-001' });
    await f.manager.logAgentMessage({ from_agent: 'agent-001', to_agent: 'orchestrator', message_type: 'ack', content: null });
    await f.manager.updateContext({ phase: 'processing' });
    const rp = await f.manager.markRecoveryPoint('Critical phase completed');
    assert.ok(rp && rp.checkpoint_id > 0);

    const status = await f.manager.getContextStatus();
    assert.deepStrictEqual(status.counts, { ...status.counts, tasks: 1, agents: 1, decisions: 2, messages: 2 });
    const view = (await f.manager.restoreContext())!;
    assert.deepStrictEqual(view.state, { phase: 'processing' });
    assert.strictEqual(view.tasks[0].percentage, 50);
    assert.deepStrictEqual(view.recent_decisions.map(d => d.decision_type).sort(), ['agent_assignment', 'retry']);
    const report = await f.manager.recoverFromCrash();
    assert.deepStrictEqual(report.incomplete_tasks.map(t => t.task_id), ['task-001']);
  });

  it('mergeContext keeps the state a previous run left', async () => {
    await f.manager.updateContext({ queue: ['a', 'b'], phase: 'one' });
    const fresh = new JarvisContextManager({ url: f.s.server.url, token: f.s.server.token, contextPath: f.s.folder }); // a restarted orchestrator
    await fresh.mergeContext({ phase: 'two' });
    fresh.dispose();
    assert.deepStrictEqual((await f.manager.restoreContext())!.state, { queue: ['a', 'b'], phase: 'two' });
  });

  it('record() sends batches in order and never rejects', async () => {
    const errors: Error[] = [];
    const down = new JarvisContextManager({ url: 'http://127.0.0.1:9', token: 'x', spool: false, contextPath: tempDir(), onRecordError: e => errors.push(e) });
    await down.record([{ type: 'decision', decision_type: 'a', context: null, decision: 'd', reasoning: '' }]);
    down.dispose();
    assert.strictEqual(errors.length, 1);

    void f.manager.record([{ type: 'task', task_id: 't', status: 'pending' }], { step: 1 });
    void f.manager.record([{ type: 'task', task_id: 't', status: 'in_progress' }], { step: 2 });
    await f.manager.flush();
    assert.deepStrictEqual(statusHistory(f.s, 't'), ['pending', 'in_progress']);
    assert.deepStrictEqual((await f.manager.restoreContext())!.state, { step: 2 });
  });

  it('restoreContext() resumes from a pending resume point, clears it, and goes on from its state', async () => {
    await f.manager.updateContext({ phase: 'plan', step: 1 });
    const rp = (await f.manager.markRecoveryPoint('planned'))!.checkpoint_id;
    await f.manager.updateContext({ phase: 'code', step: 2 });
    const set = await f.manager.client.setResumePoint(rp, { phase: 'plan', step: 1, hint: 'cache it' });
    assert.strictEqual((await f.manager.client.getResumePoint())?.resume_point_id, set.resume_point_id);

    const fresh = new JarvisContextManager({ url: f.s.server.url, token: f.s.server.token, contextPath: f.s.folder }); // a restarted orchestrator
    try {
      const view = (await fresh.restoreContext())!;
      assert.strictEqual(view.resume_point_id, set.resume_point_id);
      assert.deepStrictEqual(view.state, { phase: 'plan', step: 1, hint: 'cache it' });
      assert.strictEqual(await fresh.client.getResumePoint(), undefined, 'the resume point was not cleared');
      assert.strictEqual(f.s.engine.getPendingResumePoint(), undefined);
      const d = (await f.s.engine.getDecisions({ limit: 1 }))[0];
      assert.strictEqual(d.decision_type, 'resume');
      // Context writes after the restore build on the resumed state, not on the one it replaced.
      await fresh.mergeContext({ step: 3 });
      assert.deepStrictEqual(f.s.engine.getContext().state, { phase: 'plan', step: 3, hint: 'cache it' });
      // Restored once: the next restore is the live context.
      assert.strictEqual((await fresh.restoreContext())!.resume_point_id, undefined);
      assert.strictEqual(await fresh.client.clearResumePoint(), false);
    } finally {
      fresh.dispose();
    }
  });
});
