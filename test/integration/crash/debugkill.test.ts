// Phase "debugkill": VS Code's debugger holds a live run at a `tool:search` breakpoint, then the
// driver SIGKILLs this extension host. The orchestrator (a Python process, detached so it outlives
// the host) must go on by itself within its hold timeout; phase "debugverify" checks it did.
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { activate, EXTENSION_ID, harnessFile, rest, sleep, waitFor } from '../harness';
import { DEBUG_KILL_FILE, type DebugKill, HOLD_TIMEOUT_MS } from './debugKillState';

const STEPS_BEFORE = 5;
const STEPS_AFTER = 5;

describe('phase debugkill', function () {
  it('holds a run at a breakpoint until the driver kills this extension host', async function () {
    this.timeout(0);
    const api = await activate();
    const session = api.testing.sessions.current!;
    const folder = vscode.workspace.workspaceFolders![0]!;
    const run = Date.now().toString(36);
    // What the adapter tells the editor, as the workbench receives it.
    const seen: { type: string; event?: string; command?: string; body?: any; success?: boolean }[] = [];
    vscode.debug.registerDebugAdapterTrackerFactory('jarvis', { createDebugAdapterTracker: () => ({ onDidSendMessage: m => void seen.push(m) }) });
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('tool:search', true, `event.args.query contains "${run}"`)]);
    assert.ok(await vscode.debug.startDebugging(folder, { type: 'jarvis', request: 'attach', name: 'Debug Orchestrator' }), 'the debug session started');
    const debug = await waitFor(() => (vscode.debug.activeDebugSession?.type === 'jarvis' ? vscode.debug.activeDebugSession : undefined), 'the jarvis debug session');
    await waitFor(() => seen.some(m => m.type === 'response' && m.command === 'configurationDone' && m.success), 'the breakpoints sent to the server');
    assert.deepStrictEqual(seen.find(m => m.type === 'response' && m.command === 'setFunctionBreakpoints')?.body.breakpoints.map((b: any) => b.verified), [true]);

    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const control = harnessFile(`debugkill-${run}`);
    fs.mkdirSync(control, { recursive: true });
    const steps = () => (fs.existsSync(path.join(control, 'steps.txt')) ? fs.readFileSync(path.join(control, 'steps.txt'), 'utf8').split('\n').filter(Boolean) : []);
    const log = fs.openSync(path.join(control, 'orchestrator.log'), 'a');
    const orchestrator = spawn('python3', [path.join(root, 'test', 'unit', 'client', 'orchestrators', 'debug_held.py'), control, run, String(STEPS_BEFORE), String(STEPS_AFTER)], {
      detached: true, // the kill of this host leaves it running
      stdio: ['ignore', log, log],
      env: { ...process.env, JARVIS_CONTEXT_URL: session.server!.url, JARVIS_CONTEXT_TOKEN: session.server!.token,
        JARVIS_CONTEXT_PATH: session.engine!.folder, JARVIS_HOLD_TIMEOUT_MS: String(HOLD_TIMEOUT_MS), PYTHONPATH: path.join(root, 'clients', 'python') },
    });
    orchestrator.unref();
    try {
      // The server holds the search call, the debugger shows the run stopped there.
      const hold = await waitFor(async () => ((await rest(api, 'GET', '/debug/holds')).json.holds as any[])
        .find(h => h.held && h.agent_id === 'py-dbg' && h.event.kind === 'tool'), 'the search call held', 60_000)
        .catch(e => { throw new Error(`${e}; reached ${steps().join(', ')}; ${fs.readFileSync(path.join(control, 'orchestrator.log'), 'utf8').slice(-2000)}`); });
      const stopped = await waitFor(() => seen.find(m => m.type === 'event' && m.event === 'stopped')?.body, 'the debugger stopped', 30_000);
      assert.strictEqual(stopped.reason, 'breakpoint');
      assert.match(stopped.text, new RegExp(`tool:search: tool search by py-dbg on task research-${run}`));
      await waitFor(() => vscode.debug.activeStackItem?.session.id === debug.id, 'the held call focused in Call Stack', 30_000);
      // The hold's durable record, which the crash report reads back.
      await waitFor(async () => (await rest(api, 'GET', '/decisions?limit=50')).json.decisions
        .some((d: any) => d.decision_type === 'debug_hold' && d.context.hold_id === hold.hold_id), 'the hold recorded');
      // Blocked at the call: the step after it is not reached.
      await sleep(1000);
      assert.deepStrictEqual(steps(), [...Array.from({ length: STEPS_BEFORE }, (_, i) => String(i)), 'searching']);
      assert.strictEqual(orchestrator.exitCode, null);

      const state: DebugKill = { run, control, orchestrator_pid: orchestrator.pid!, exthost_pid: process.pid, hold_id: hold.hold_id,
        hold_timeout_ms: HOLD_TIMEOUT_MS, steps_before: STEPS_BEFORE, kill_requested_at_ms: Date.now() };
      fs.writeFileSync(harnessFile(DEBUG_KILL_FILE), JSON.stringify(state));
    } catch (e) {
      orchestrator.kill('SIGKILL'); // a failed phase leaves nothing running
      throw e;
    }
    console.log('__HARNESS_KILL_ME__', process.pid);
    await new Promise(() => undefined); // never resolves: the process is killed while the run is held
  });
});
