// Phase "crash": real orchestrator state, then writers that never stop; the driver SIGKILLs this
// extension host while they run. Every acknowledged write is appended to acked.txt first.
// Meanwhile an orchestrator of its own (a Python process, as in a terminal) reports every step:
// it outlives this host and the verify phase checks that it never noticed.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Pages } from '../../../src/views/pages/pages';
import { activate, EXTENSION_ID, harnessFile, waitFor } from '../harness';

describe('phase crash', function () {
  it('writes until the driver kills this extension host', async function () {
    this.timeout(0);
    const api = await activate();
    await api.updateAgentState('planner', { status: 'busy', current_task: 'plan-sprint', capabilities: ['planning'] });
    await api.updateAgentState('coder-1', { status: 'busy', current_task: 'implement-auth', capabilities: ['python'] });
    await api.updateAgentState('reviewer', { status: 'idle', capabilities: ['code-review'] });
    await api.updateTaskProgress('implement-auth', {
      description: 'Implement OAuth login', status: 'in_progress', percentage: 60, agent_id: 'coder-1',
      completed_subtasks: ['schema migration', 'login endpoint'], blockers: ['waiting for OAuth client secret'],
    });
    await api.updateTaskProgress('deploy-staging', { description: 'Deploy to staging', status: 'blocked', percentage: 20, blockers: ['staging cluster quota exceeded'] });
    await api.updateTaskProgress('plan-sprint', { description: 'Plan sprint 14', status: 'completed', percentage: 100 });
    await api.markRecoveryPoint('before-auth');
    await api.logDecision({ decision_type: 'task_assignment', context: { task: 'implement-auth' }, decision: 'Assign implement-auth to coder-1', reasoning: 'coder-1 wrote the session code', agent_id: 'planner' });
    await api.logDecision({ decision_type: 'escalation', context: { blocker: 'OAuth client secret' }, decision: 'Ask a human for the OAuth client secret', reasoning: 'no agent has access to the vault', agent_id: 'planner' });

    // The orchestrator: detached, so the kill of this host leaves it running.
    const session = api.testing.sessions.current!;
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const control = harnessFile('orchestrator');
    fs.mkdirSync(control, { recursive: true });
    const log = fs.openSync(harnessFile('orchestrator.log'), 'a');
    const orchestrator = spawn('python3', [path.join(root, 'test', 'unit', 'client', 'orchestrators', 'crash_through.py'), control, 'py', '0.02'], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, JARVIS_CONTEXT_URL: session.server!.url, JARVIS_CONTEXT_TOKEN: session.server!.token,
        JARVIS_CONTEXT_PATH: session.engine!.folder, PYTHONPATH: path.join(root, 'clients', 'python') },
    });
    orchestrator.unref();
    fs.writeFileSync(harnessFile('orchestrator.pid'), String(orchestrator.pid));
    await waitFor(async () => (await session.engine!.getMessages({ agent_id: 'py', limit: 20 })).length >= 20, 'the orchestrator reporting', 30_000);

    // A timeline left open: the reload after the kill must bring it back for this folder.
    await vscode.commands.executeCommand('jarvis.showTimeline');
    const pages = (api.testing as unknown as { pages: Pages }).pages;
    await waitFor(() => pages.open.timelines[0]?.rendered?.lanes.includes('planner'), 'the timeline drawn before the kill');

    const acked = harnessFile('acked.txt');
    fs.writeFileSync(harnessFile('exthost.pid'), String(process.pid));
    let count = 0;
    const writer = async (w: number) => {
      for (let i = 0; ; i++) {
        const m = await api.logAgentMessage({ from_agent: 'coder-1', to_agent: 'planner', message_type: 'progress', content: { writer: w, seq: i } });
        await api.updateTaskProgress('implement-auth', { percentage: 60 + ((i % 40) * w) / 4, metadata: { [`writer${w}`]: i } });
        fs.appendFileSync(acked, `${m.id} ${w} ${i}\n`); // after the ack: only durable writes are listed
        if (++count === 200) console.log('__HARNESS_KILL_ME__', process.pid);
      }
    };
    await Promise.all([1, 2, 3, 4].map(writer)); // never resolves: the process is killed mid-write
  });
});
