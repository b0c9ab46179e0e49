// Keys users choose are kept whatever they are: "__proto__" and "constructor" in the orchestrator
// state and as task and agent ids survive canonical JSON, checkpoints (keyframes and deltas), a
// reopened engine and resume points made from those checkpoints.
import * as assert from 'assert';
import { canonicalJson, resolveAlertSettings, type ContextEngine } from '../../../src/core';
import { budgetOf } from '../../../src/core/alertSettings';
import { openEngine, tempDir } from '../support/fixtures';

/** A JSON value as nested sorted [key, value] pairs: compares own keys only, prototypes aside. */
function entries(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(entries);
  if (v !== null && typeof v === 'object') return Object.keys(v).sort().map(k => [k, entries((v as Record<string, unknown>)[k])]);
  return v;
}
const sameJson = (actual: unknown, expectedText: string) => assert.deepStrictEqual(entries(actual), entries(JSON.parse(expectedText)));

const STATE_1 = '{"__proto__":{"x":1},"constructor":{"y":2},"normal":1}';
const STATE_2 = '{"__proto__":{"x":2},"normal":1,"toString":"t"}';
const taskIds = (view: { tasks: unknown[] } | undefined) => (view?.tasks as { task_id: string }[]).map(t => t.task_id).sort();
const taskOf = (view: { tasks: unknown[] } | undefined, id: string) => (view?.tasks as { task_id: string; percentage: number }[]).find(t => t.task_id === id);

describe('user keys: __proto__ and constructor', () => {
  it('canonical JSON keeps them as keys, sorted with the rest', () => {
    assert.strictEqual(canonicalJson(JSON.parse('{"b":1,"__proto__":{"z":[{"constructor":0}]}}')), '{"__proto__":{"z":[{"constructor":0}]},"b":1}');
  });

  it('token budgets: __proto__ has its own entry; constructor, without one, the default', () => {
    const s = resolveAlertSettings({ taskTokenBudget: 500, taskBudgets: JSON.parse('{"__proto__":100}') });
    assert.strictEqual(budgetOf(s, 'task', '__proto__'), 100);
    assert.strictEqual(budgetOf(s, 'task', 'constructor'), 500);
    assert.strictEqual(budgetOf(s, 'task', 'other'), 500);
  });

  it('in the orchestrator state: in both checkpoints (keyframe and delta), after reopening, and in resume points', async () => {
    const dir = tempDir();
    let e: ContextEngine = await openEngine(dir);
    try {
      await e.updateContext(JSON.parse(STATE_1));
      const cp1 = await e.checkpoint('one');
      sameJson((await e.getCheckpointSnapshot(cp1.checkpoint_id))?.state, STATE_1);
      // Only __proto__'s value changes, constructor goes: a new state, not a duplicate of the last.
      await e.updateContext(JSON.parse(STATE_2));
      const cp2 = await e.checkpoint('two');
      assert.strictEqual(cp2.deduplicated, false);
      sameJson((await e.getCheckpointSnapshot(cp2.checkpoint_id))?.state, STATE_2);
      sameJson((await e.getCheckpointSnapshot(cp1.checkpoint_id))?.state, STATE_1);
      await e.close();

      e = await openEngine(dir);
      sameJson((await e.getCheckpointSnapshot(cp1.checkpoint_id))?.state, STATE_1);
      sameJson((await e.getCheckpointSnapshot(cp2.checkpoint_id))?.state, STATE_2);
      sameJson(e.getContext().state, STATE_2);
      await e.setResumePoint({ checkpoint_id: cp1.checkpoint_id });
      sameJson((await e.getResumePoint())?.state, STATE_1);
      sameJson((await e.getRestoreContext()).state, STATE_1);
      const edited = '{"constructor":{"z":3},"__proto__":[1]}';
      const fork = await e.setResumePoint({ checkpoint_id: cp2.checkpoint_id, state: JSON.parse(edited) });
      assert.strictEqual(fork.edited, true);
      sameJson((await e.getResumePoint())?.state, edited);
      sameJson((await e.getCheckpointSnapshot(fork.checkpoint_id))?.state, edited);
    } finally {
      await e.close();
    }
  });

  it('as task and agent ids: in checkpoints, after reopening, and in a resume point made from them', async () => {
    const dir = tempDir();
    let e: ContextEngine = await openEngine(dir);
    try {
      for (const id of ['__proto__', 'constructor', 'normal']) await e.updateTaskProgress(id, { description: id, status: 'in_progress', percentage: 10 });
      await e.updateAgentState('__proto__', { status: 'busy', current_task: '__proto__' });
      const cp1 = await e.checkpoint('tasks');
      const snap1 = await e.getCheckpointSnapshot(cp1.checkpoint_id) as { tasks: unknown[]; agents: { agent_id: string }[] };
      assert.deepStrictEqual(taskIds(snap1), ['__proto__', 'constructor', 'normal']);
      assert.deepStrictEqual(snap1.agents.map(a => a.agent_id), ['__proto__']);
      // The next checkpoint is a delta naming the changed task by its id.
      await e.updateTaskProgress('__proto__', { percentage: 70 });
      await e.updateTaskProgress('constructor', { percentage: 80 });
      const cp2 = await e.checkpoint('later');
      const snap2 = await e.getCheckpointSnapshot(cp2.checkpoint_id) as { tasks: unknown[] };
      assert.deepStrictEqual(taskIds(snap2), ['__proto__', 'constructor', 'normal']);
      assert.strictEqual(taskOf(snap2, '__proto__')?.percentage, 70);
      assert.strictEqual(taskOf(snap2, 'constructor')?.percentage, 80);
      await e.close();

      e = await openEngine(dir);
      assert.strictEqual(taskOf(await e.getCheckpointSnapshot(cp2.checkpoint_id) as { tasks: unknown[] }, '__proto__')?.percentage, 70);
      assert.strictEqual(taskOf(await e.getCheckpointSnapshot(cp1.checkpoint_id) as { tasks: unknown[] }, '__proto__')?.percentage, 10);
      await e.setResumePoint({ checkpoint_id: cp2.checkpoint_id });
      const rp = await e.getResumePoint();
      assert.deepStrictEqual(taskIds(rp), ['__proto__', 'constructor', 'normal']);
      assert.strictEqual(taskOf(rp, '__proto__')?.percentage, 70);
      assert.deepStrictEqual((rp?.agents as { agent_id: string }[]).map(a => a.agent_id), ['__proto__']);
      const restore = await e.getRestoreContext();
      assert.deepStrictEqual(restore.tasks.map(t => t.task_id).sort(), ['__proto__', 'constructor', 'normal']);
    } finally {
      await e.close();
    }
  });
});
