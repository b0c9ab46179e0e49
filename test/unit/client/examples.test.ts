import * as assert from 'assert';
import { execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Running, startServer } from './support';

// Bundled by esbuild.js beside this test's bundle: out/examples/typescript/orchestrator.js.
const EXAMPLE = path.resolve(__dirname, '../../../examples/typescript/orchestrator.js');

describe('examples: the TypeScript orchestrator', () => {
  let s: Running;
  beforeEach(async () => { s = await startServer(); });
  afterEach(async () => { await s.stop(); });

  it('resumes after kill -9 without redoing finished tasks', async function () {
    assert.ok(fs.existsSync(EXAMPLE), `${EXAMPLE} is missing: run npm run build`);
    const env = { ...process.env, JARVIS_CONTEXT_URL: s.server.url, JARVIS_CONTEXT_TOKEN: s.server.token, JARVIS_EXAMPLE_STEP_MS: '50' };

    const first = spawn(process.execPath, [EXAMPLE], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const completed: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      first.stdout.setEncoding('utf8');
      first.stdout.on('data', (chunk: string) => {
        buffer += chunk;
        for (const m of buffer.matchAll(/^completed (\S+)$/gm)) if (!completed.includes(m[1])) completed.push(m[1]);
        if (completed.length >= 2 && first.exitCode === null && !first.killed) {
          first.kill('SIGKILL');
          resolve();
        }
      });
      first.on('exit', code => (completed.length >= 2 ? resolve() : reject(new Error(`example exited early (${code})`))));
    });
    await new Promise(resolve => (first.exitCode !== null || first.signalCode !== null ? resolve(undefined) : first.on('exit', resolve)));

    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [EXAMPLE], { env }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    const lines = out.trim().split('\n');
    assert.match(lines[0], /^resuming; already done: /);
    const redone = lines.filter(l => l.startsWith('completed ')).map(l => l.split(' ')[1]);
    for (const t of completed) assert.ok(!redone.includes(t), `${t} was done again`);
    assert.ok(lines.includes('all tasks completed'));

    assert.deepStrictEqual(s.engine.getTasks().map(t => t.status), ['completed', 'completed', 'completed', 'completed']);
    for (const t of completed) assert.strictEqual((await s.engine.getDecisions({ task_id: t })).length, 1, `${t} assigned twice`);
  });

  it('forked at "after task-2" with an edited queue, the next start follows the edit and clears the resume point', async () => {
    const env = { ...process.env, JARVIS_CONTEXT_URL: s.server.url, JARVIS_CONTEXT_TOKEN: s.server.token, JARVIS_EXAMPLE_STEP_MS: '5' };
    const run = () => new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [EXAMPLE], { env }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    assert.match(await run(), /all tasks completed/);
    const at = s.engine.listCheckpoints().find(c => c.label === 'after task-2')!;
    const state = (await s.engine.getCheckpointSnapshot(at.checkpoint_id))!.state as Record<string, unknown>;
    assert.deepStrictEqual(state.queue, ['task-3', 'task-4']);
    const fork = await s.engine.setResumePoint({ checkpoint_id: at.checkpoint_id, state: { ...state, queue: ['task-4'] } as never });
    const lines = (await run()).trim().split('\n');
    assert.deepStrictEqual(lines.slice(0, 2), [`resuming from checkpoint #${fork.checkpoint_id} (a fork chosen in Jarvis Context)`, 'resuming; already done: task-1, task-2']);
    assert.deepStrictEqual(lines.filter(l => l.startsWith('completed ')), ['completed task-4']);
    assert.strictEqual(s.engine.getPendingResumePoint(), undefined);
    assert.strictEqual((await s.engine.getDecisions({ limit: 100 })).filter(d => d.decision_type === 'resume').length, 1);
  });
});
