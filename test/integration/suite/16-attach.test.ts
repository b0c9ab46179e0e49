// One store whichever way it is started: `jarvis-context serve` run in the workspace folder (the
// README's way) records into memory/context/jarvis; the extension shows that store, attached to
// the CLI's server and live through its event stream, and takes the store over when the server
// is killed, with nothing acknowledged lost. Runs last: the folder's session keeps that store.
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/ids';
import type { Pages } from '../../../src/views/pages/pages';
import { findCli } from '../../unit/support/serveProcess';
import { activate, closeAllEditors, harnessFile, screenshot, type TestApi, waitFor } from '../harness';

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);

/** Polls finely, for timings (the harness's waitFor polls every 100 ms). */
async function until<T>(check: () => T, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const t0 = performance.now();
  for (;;) {
    const v = check();
    if (v) return v as NonNullable<T>;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 5));
  }
}

/** `jarvis-context serve` as a user runs it from the folder: no --path, the CLI's default store. */
function serveIn(cwd: string): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = { ...process.env, JARVIS_LOG_LEVEL: 'warn' };
  for (const k of ['JARVIS_CONTEXT_PATH', 'JARVIS_CONTEXT_PORT', 'JARVIS_CONTEXT_URL', 'JARVIS_CONTEXT_TOKEN']) delete env[k];
  const child = spawn(process.execPath, [findCli(), 'serve', '--port', '0'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

describe('a folder holding the store jarvis-context serve sets up', function () {
  this.timeout(180_000);
  let api: TestApi;
  let ws: string;
  let store: string;
  let cli: ReturnType<typeof serveIn> | undefined;
  let url = '';
  let token = '';
  const call = async (method: string, route: string, body?: unknown): Promise<number> => {
    const res = await fetch(url + route, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await res.text();
    return res.status;
  };

  before(async function () {
    api = await activate();
    ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    store = path.join(ws, 'memory', 'context', 'jarvis');
    await closeAllEditors();
  });

  after(async function () {
    cli?.child.kill('SIGKILL');
    await closeAllEditors();
  });

  it('attaches to the CLI\'s server, draws its agents and tasks live, and says so', async function () {
    const session = api.testing.sessions.current!;
    assert.notStrictEqual(session.storagePath, store, 'the folder had no CLI store when the window opened');
    cli = serveIn(ws);
    url = await waitFor(() => /listening on (\S+)/.exec(cli!.out())?.[1], 'the CLI server listening', 30_000);
    token = (JSON.parse(fs.readFileSync(path.join(store, 'endpoint.json'), 'utf8')) as { token: string }).token;
    assert.strictEqual(await call('PUT', '/agents/cli-planner', { status: 'busy', current_task: 'cli-oauth' }), 200);
    assert.strictEqual(await call('PUT', '/tasks/cli-oauth', { description: 'Implement OAuth login with PKCE', status: 'in_progress', percentage: 60, agent_id: 'cli-planner' }), 200);

    await waitFor(() => session.holder?.kind === 'attached' && session.holder.url === url, 'the session attached to the CLI server', 30_000);
    assert.strictEqual(session.engine!.folder, store);
    assert.deepStrictEqual(session.holder, { kind: 'attached', url, pid: cli.child.pid, holder: 'jarvis-context serve' });
    const { agents, tasks } = api.testing.views;
    await waitFor(() => agents.describe('cli-planner'), 'the CLI\'s agent in the Agents view');
    await waitFor(() => tasks.describe('cli-oauth'), 'the CLI\'s task in the Tasks view');
    assert.match(api.testing.statusBar.tooltipText, /attached to the server at/);

    // Live: each write to the CLI's server reaches the Tasks view through GET /stream.
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      assert.strictEqual(await call('PUT', `/tasks/cli-live-${i}`, { status: 'in_progress', percentage: i * 5 }), 200);
      await until(() => tasks.describe(`cli-live-${i}`), `cli-live-${i} drawn`);
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    fs.writeFileSync(harnessFile('attach-latency.txt'), `attached: write → Tasks view p50 ${ms[9]!.toFixed(0)} ms, p95 ${ms[18]!.toFixed(0)} ms, max ${ms[19]!.toFixed(0)} ms\n`);
    assert.ok(ms[18]! < 1000, `write → Tasks view p95 ${ms[18]!.toFixed(0)} ms`);

    // The sidebar beside the page: the CLI's agent and tasks as drawn from the attached store.
    await vscode.commands.executeCommand('workbench.view.extension.jarvis');
    await vscode.commands.executeCommand(COMMANDS.showStatus);
    const pages = (api.testing as unknown as { pages: Pages }).pages;
    const page = await waitFor(() => pages.open.statuses[0], 'the status page');
    const drawn = await within(page.whenRendered(r => r.text.includes('attached to the server at')), 20_000, 'the status page saying who holds the store');
    assert.ok(drawn.text.includes(`Store attached to the server at ${url} (pid ${cli.child.pid}, jarvis-context serve): ${store}`), drawn.text);
    await screenshot('attach-status');
  });

  it('takes the store over when the CLI server is killed, with nothing lost; serve then names VS Code\'s server', async function () {
    const session = api.testing.sessions.current!;
    assert.strictEqual(session.holder?.kind, 'attached');
    const events = Array.from({ length: 50 }, (_, i) => ({ type: 'task', task_id: `cli-batch-${i}`, status: 'completed', percentage: 100 }));
    assert.strictEqual(await call('POST', '/events', { events }), 201);
    cli!.child.kill('SIGKILL');
    await cli!.exited;

    await waitFor(() => session.holder?.kind === 'own' && session.state === 'ready' && session.server, 'the session holding the store itself, with its server', 30_000);
    const engine = session.engine!;
    assert.strictEqual(engine.folder, store);
    assert.ok(engine.recoveryReport, 'the kill was a crash, recovered');
    const ids = new Set(engine.getTasks().map(t => t.task_id));
    for (const id of ['cli-oauth', ...events.map(e => e.task_id), ...Array.from({ length: 20 }, (_, i) => `cli-live-${i}`)]) assert.ok(ids.has(id), `${id} lost`);
    assert.strictEqual(engine.getAgent('cli-planner')?.current_task, 'cli-oauth');
    await waitFor(() => api.testing.views.tasks.describe('cli-batch-49'), 'the batch in the Tasks view');

    // The extension's own server now holds the store, and the CLI and clients find it there.
    const ep = JSON.parse(fs.readFileSync(path.join(store, 'endpoint.json'), 'utf8')) as { url: string; pid: number; holder: string };
    assert.deepStrictEqual([ep.url, ep.pid, ep.holder], [session.server!.url, process.pid, 'VS Code']);
    const again = serveIn(ws);
    const code = await again.exited;
    assert.strictEqual(code, 1);
    assert.ok(again.err().includes(`VS Code's server at ${ep.url} (pid ${process.pid}) holds ${store}`), again.err());
  });
});
