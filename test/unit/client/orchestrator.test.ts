import * as assert from 'assert';
import {
  JarvisContextManager, JarvisOrchestratorWithContext, contextManagerOf, integrateContextManager, resumeCalls,
} from 'jarvis-context-client';
import { managerFixture, spooledEvents, statusHistory, tempDir } from './support';

/** A seed-style orchestrator: sync methods. */
class SyncOrchestrator {
  calls: string[] = [];
  readonly result = { assigned_to: ['agent-7'] };
  assignTask(task: { id: string; description: string }) {
    this.calls.push(`assign ${task.id}`);
    return this.result;
  }
  receiveMessage(message: { from_agent: string; type: string; content: string }) {
    this.calls.push(`message ${message.from_agent}`);
    return 'ack';
  }
  makeDecision(context: { decision_type: string }) {
    return { decision: 'split the task', reasoning: 'too big', outcome: 'ok', decision_type: context.decision_type };
  }
  handleError(error: Error): { recovered: boolean } {
    if (error.message === 'fatal') throw error;
    return { recovered: false };
  }
  other(x: number) {
    return x * 2;
  }
}

/** The same with async methods. */
class AsyncOrchestrator {
  seenDuringCall: string[] = [];
  constructor(private readonly probe?: () => Promise<string[]>) {}
  async assignTask(task: { id: string }) {
    if (this.probe) this.seenDuringCall = await this.probe();
    if (task.id === 'bad') throw new TypeError('no agent for bad');
    return { agent_id: 'agent-9' };
  }
  async makeDecision(context: { decision_type: string }) {
    return { decision: `decided ${context.decision_type}`, reasoning: 'because' };
  }
}

describe('client: JarvisOrchestratorWithContext', () => {
  const f = managerFixture();

  it('sync methods stay sync, return the very same results, and are recorded before and after', async () => {
    const orchestrator = new SyncOrchestrator();
    const jarvis = new JarvisOrchestratorWithContext(orchestrator, { contextManager: f.manager });

    const result = jarvis.assignTask({ id: 'task-1', description: 'parse' });
    assert.strictEqual(result, orchestrator.result); // not a promise, not a copy
    assert.strictEqual(jarvis.receiveMessage({ from_agent: 'agent-7', type: 'progress', content: 'half' }), 'ack');
    assert.strictEqual(jarvis.makeDecision({ decision_type: 'split' }).decision, 'split the task');
    assert.strictEqual(jarvis.other(21), 42); // everything else passes through
    assert.deepStrictEqual(jarvis.calls, ['assign task-1', 'message agent-7']);
    await jarvis.flush();

    assert.deepStrictEqual(statusHistory(f.s, 'task-1'), ['pending', 'in_progress']); // before, then after
    const task = f.s.engine.getTask('task-1');
    assert.strictEqual(task?.agent_id, 'agent-7');
    assert.strictEqual(task?.description, 'parse');
    const agent = f.s.engine.getAgent('agent-7');
    assert.strictEqual(agent?.status, 'active'); // heartbeat after the message
    const [message] = await f.s.engine.getMessages();
    assert.deepStrictEqual([message.from_agent, message.to_agent, message.message_type, message.content], ['agent-7', 'orchestrator', 'progress', 'half']);
    const [decision] = await f.s.engine.getDecisions();
    assert.deepStrictEqual([decision.decision_type, decision.decision, decision.reasoning, decision.outcome], ['split', 'split the task', 'too big', 'ok']);
    const state = f.s.engine.getContext().state;
    assert.deepStrictEqual(state.pending_decision, null);
    // The seed's state keys, as the Python wrapper records them.
    const current = state.current_task as { id: string; status: string; assigned_agents: string[]; description: string };
    assert.deepStrictEqual([current.id, current.status, current.assigned_agents, current.description], ['task-1', 'assigned', ['agent-7'], 'parse']);
    const history = state.conversation_history as { from: string; type: string; content: string }[];
    assert.deepStrictEqual(history.map(h => [h.from, h.type, h.content]), [['agent-7', 'progress', 'half']]);
    assert.strictEqual((state.workflow_state as { phase: unknown }).phase, null);
  });

  it('a thrown error is the same object, and is recorded', async () => {
    const orchestrator = new SyncOrchestrator();
    const jarvis = new JarvisOrchestratorWithContext(orchestrator, { contextManager: f.manager });
    const fatal = new Error('fatal');
    assert.throws(() => jarvis.handleError(fatal), (e: unknown) => e === fatal);
    assert.deepStrictEqual(jarvis.handleError(new Error('minor')), { recovered: false });
    await jarvis.flush();
    const state = f.s.engine.getContext().state as { last_error: { method: string; error_message: string }; error_recovery: { error_message: string } };
    assert.deepStrictEqual([state.last_error.method, state.last_error.error_message], ['handleError', 'fatal']);
    assert.strictEqual(state.error_recovery.error_message, 'minor');
  });

  it('async methods: the before-record is durable before the method runs, the after-record before it resolves', async () => {
    const orchestrator = new AsyncOrchestrator(() => Promise.resolve(statusHistory(f.s, 'task-2')));
    const jarvis = new JarvisOrchestratorWithContext(orchestrator, { contextManager: f.manager });
    assert.deepStrictEqual(await jarvis.assignTask({ id: 'task-2' }), { agent_id: 'agent-9' });
    assert.deepStrictEqual(orchestrator.seenDuringCall, ['pending']);
    assert.deepStrictEqual(statusHistory(f.s, 'task-2'), ['pending', 'in_progress']); // no flush needed

    const err = await jarvis.assignTask({ id: 'bad' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof TypeError && err.message === 'no agent for bad');
    assert.deepStrictEqual(statusHistory(f.s, 'bad'), ['pending', 'failed']);
    assert.deepStrictEqual(f.s.engine.getTask('bad')?.blockers, ['no agent for bad']);

    assert.deepStrictEqual(await orchestrator.makeDecision({ decision_type: 'route' }), { decision: 'decided route', reasoning: 'because' });
    assert.strictEqual((await f.s.engine.getDecisions())[0].decision, 'decided route'); // direct calls are recorded too
  });

  it('when the memory is down the orchestrator behaves exactly the same', async () => {
    const errors: Error[] = [];
    const folder = tempDir();
    const down = new JarvisContextManager({ url: 'http://127.0.0.1:9', token: 'x', contextPath: folder, onRecordError: e => errors.push(e) });
    const sync = new JarvisOrchestratorWithContext(new SyncOrchestrator(), { contextManager: down });
    const asyncOne = new JarvisOrchestratorWithContext(new AsyncOrchestrator(), { contextManager: down });
    assert.deepStrictEqual(sync.assignTask({ id: 't', description: '' }), { assigned_to: ['agent-7'] });
    const fatal = new Error('fatal');
    assert.throws(() => sync.handleError(fatal), (e: unknown) => e === fatal);
    assert.deepStrictEqual(await asyncOne.assignTask({ id: 't' }), { agent_id: 'agent-9' });
    await assert.rejects(asyncOne.assignTask({ id: 'bad' }), /no agent for bad/);
    await down.flush();
    down.dispose();
    assert.deepStrictEqual(errors, []); // an unreachable server is not an error: the records are spooled
    const spooled = spooledEvents(folder) as { type: string; task_id?: string; status?: string }[];
    assert.deepStrictEqual(spooled.filter(e => e.type === 'task').map(e => `${e.task_id} ${e.status}`),
      ['t pending', 't in_progress', 't pending', 't in_progress', 'bad pending', 'bad failed']);
  });
});

describe('client: resuming as the seed does', () => {
  const f = managerFixture();

  it('resume() hands back the unfinished task, and not a finished one', async () => {
    class Resumable extends SyncOrchestrator {
      resumed: string[] = [];
      resumeTask(task: { id: string }) {
        this.resumed.push(task.id);
      }
    }
    new JarvisOrchestratorWithContext(new Resumable(), { contextManager: f.manager }).assignTask({ id: 't-1', description: 'parse' });
    await f.manager.flush();
    const restarted = new Resumable();
    await new JarvisOrchestratorWithContext(restarted, { contextManager: f.manager }).resume();
    assert.deepStrictEqual(restarted.resumed, ['t-1']);
    await f.manager.updateTaskProgress('t-1', { status: 'completed' });
    const again = new Resumable();
    await new JarvisOrchestratorWithContext(again, { contextManager: f.manager }).resume();
    assert.deepStrictEqual(again.resumed, []);
  });

  it('pings stale agents', () => {
    const view = {
      state: { current_task: { id: 't1', status: 'assigned' } }, tasks: [], recent_decisions: [], updated_at: null,
      agents: [{ agent_id: 'a1', stale: true }, { agent_id: 'a2', stale: false }],
    } as unknown as Parameters<typeof resumeCalls>[0];
    assert.deepStrictEqual(resumeCalls(view), [['resumeTask', { id: 't1', status: 'assigned' }], ['pingAgent', 'a1']]);
  });
});

describe('client: integrateContextManager', () => {
  const f = managerFixture();

  it('works as a TypeScript 5 standard class decorator', async () => {
    @integrateContextManager({ contextManager: f.manager })
    class Decorated extends SyncOrchestrator {}

    const o = new Decorated();
    assert.ok(o instanceof SyncOrchestrator);
    assert.strictEqual(Decorated.name, 'Decorated');
    assert.strictEqual(contextManagerOf(o), f.manager);
    assert.strictEqual(o.assignTask({ id: 'task-3', description: 'x' }), o.result);
    await f.manager.flush();
    assert.deepStrictEqual(statusHistory(f.s, 'task-3'), ['pending', 'in_progress']);
  });

  it('works called as a plain function, finding the server from the environment', async () => {
    const saved = { url: process.env.JARVIS_CONTEXT_URL, token: process.env.JARVIS_CONTEXT_TOKEN };
    process.env.JARVIS_CONTEXT_URL = f.s.server.url;
    process.env.JARVIS_CONTEXT_TOKEN = f.s.server.token;
    try {
      const Plain = integrateContextManager(AsyncOrchestrator);
      const o = new Plain();
      assert.deepStrictEqual(await o.assignTask({ id: 'task-4' }), { agent_id: 'agent-9' });
      assert.deepStrictEqual(statusHistory(f.s, 'task-4'), ['pending', 'in_progress']);
      assert.strictEqual(f.s.engine.getAgent('agent-9')?.current_task, 'task-4');
      contextManagerOf(o)?.dispose();
    } finally {
      for (const [k, v] of [['JARVIS_CONTEXT_URL', saved.url], ['JARVIS_CONTEXT_TOKEN', saved.token]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('hooks overrides defined by subclasses of the decorated class', async () => {
    const Base = integrateContextManager({ contextManager: f.manager })(SyncOrchestrator);
    class Special extends Base {
      override assignTask(task: { id: string; description: string }) {
        return { assigned_to: [`special-${task.id}`] };
      }
    }
    assert.deepStrictEqual(new Special().assignTask({ id: 'task-5', description: '' }), { assigned_to: ['special-task-5'] });
    await f.manager.flush();
    assert.strictEqual(f.s.engine.getTask('task-5')?.agent_id, 'special-task-5');
  });
});
