// A small TypeScript orchestrator that survives being killed.
//
// It hands four tasks to two agents through an orchestrator object wrapped with
// JarvisOrchestratorWithContext (so assignments, messages and decisions are recorded), and on start
// reads the context back (GET /context) to skip the tasks already completed.
//
//   npm run build
//   node dist/cli.js serve --path ./memory/context/jarvis &    # or run from a VS Code terminal
//   node out/examples/typescript/orchestrator.js               # kill it, run it again: it resumes
//
// It imports the client package by name (jarvis-context-client): in this repository the build
// bundles it from clients/typescript; in a project of yours, npm install the packed tarball and
// compile this file with tsc (test/unit/client/package.test.ts does exactly that).
//
// Its own state is { phase, completed, queue }: the queue is the tasks still to do, in order, and a
// recovery point follows each task. To go back and try again differently: in VS Code, on the
// recovery point "after task-2", run Edit and Fork…, change the queue, save and confirm; run the
// orchestrator again: it resumes from that checkpoint with your queue (restoreContext() returns
// the fork and clears the resume point). Without VS Code: cm.client.setResumePoint(id, state).
//
// JARVIS_EXAMPLE_STEP_MS sets how long each subtask "works" (default 500).
import { JarvisContextManager, JarvisOrchestratorWithContext } from 'jarvis-context-client';

const TASKS = [
  { id: 'task-1', description: 'Collect the API docs', skill: 'research', subtasks: ['search', 'read'] },
  { id: 'task-2', description: 'Write the parser', skill: 'code', subtasks: ['design', 'implement', 'test'] },
  { id: 'task-3', description: 'Review the parser', skill: 'review', subtasks: ['read', 'comment'] },
  { id: 'task-4', description: 'Write the release notes', skill: 'research', subtasks: ['draft', 'edit'] },
];
const AGENTS: Record<string, string[]> = { researcher: ['research', 'review'], coder: ['code'] };
const STEP_MS = Number(process.env.JARVIS_EXAMPLE_STEP_MS ?? 500);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

type Task = (typeof TASKS)[number];

/** The orchestrator's own logic; it knows nothing about Jarvis Context. */
class Orchestrator {
  async makeDecision(input: { decision_type: string; task: Task }) {
    const agent = Object.keys(AGENTS).find(a => AGENTS[a].includes(input.task.skill)) ?? 'researcher';
    return { decision: `Assign ${input.task.id} to ${agent}`, reasoning: `${agent} can ${input.task.skill}`, agent_id: agent, task_id: input.task.id };
  }
  async assignTask(task: { id: string; description: string; agent: string }) {
    return { agent_id: task.agent };
  }
  async receiveMessage(message: { from_agent: string; type: string; task_id: string; content: string }) {
    return { ok: true, task: message.task_id };
  }
}

async function main(): Promise<void> {
  const cm = new JarvisContextManager();
  const context = await cm.restoreContext();
  if (!context) throw new Error('Jarvis Context server not reachable: start `jarvis-context serve` or run from a VS Code terminal.');
  if (context.resume_point_id !== undefined) console.log(`resuming from checkpoint #${context.checkpoint_id} (a fork chosen in Jarvis Context)`);
  const done = new Set(context.tasks.filter(t => t.status === 'completed').map(t => t.task_id));
  if (done.size) console.log(`resuming; already done: ${[...done].sort().join(', ')}`);
  // The tasks still to do, in order: the state's queue when there is one (a fork may have edited it).
  const saved = context.state.queue;
  const queue = (Array.isArray(saved) ? saved.map(String) : TASKS.map(t => t.id)).filter(id => !done.has(id) && TASKS.some(t => t.id === id));

  const jarvis = new JarvisOrchestratorWithContext(new Orchestrator(), { contextManager: cm });
  for (const [agent, capabilities] of Object.entries(AGENTS)) await cm.updateAgentState(agent, { status: 'idle', capabilities });

  for (const id of [...queue]) {
    const task = TASKS.find(t => t.id === id)!;
    const { agent_id: agent } = await jarvis.makeDecision({ decision_type: 'agent_assignment', task });
    await jarvis.assignTask({ id: task.id, description: task.description, agent });
    await cm.logAgentMessage('orchestrator', agent, 'task_assignment', { task_id: task.id, subtasks: task.subtasks });

    const finished: string[] = [];
    for (const subtask of task.subtasks) {
      await sleep(STEP_MS); // the agent at work
      finished.push(subtask);
      await cm.updateTaskProgress(task.id, { percentage: Math.round((100 * finished.length) / task.subtasks.length), completed_subtasks: finished });
    }

    await jarvis.receiveMessage({ from_agent: agent, type: 'task_result', task_id: task.id, content: `${task.id} done` });
    await cm.updateTaskProgress(task.id, { status: 'completed', percentage: 100 });
    done.add(task.id);
    queue.splice(queue.indexOf(task.id), 1);
    await cm.mergeContext({ phase: 'running', completed: [...done].sort(), queue });
    await cm.markRecoveryPoint(`after ${task.id}`);
    console.log(`completed ${task.id}`);
  }

  await cm.mergeContext({ phase: 'finished', queue: [] });
  await cm.markRecoveryPoint('all tasks completed');
  console.log('all tasks completed');
  cm.dispose();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
