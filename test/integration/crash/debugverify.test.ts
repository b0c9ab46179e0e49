// Phase "debugverify": the next extension host after VS Code died while its debugger held a run
// (phase "debugkill"). The run went on by itself within its hold timeout, every step is stored
// once, and the recovery report names the breakpoint that was holding it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Page } from '../../../src/views/pages/page';
import { activate, closeAllEditors, figure, harnessFile, screenshot, type TestApi, waitFor } from '../harness';
import { DEBUG_KILL_FILE, type DebugKill } from './debugKillState';

describe('phase debugverify (after the extension host was SIGKILLed while its debugger held a run)', function () {
  this.timeout(180_000);
  let api: TestApi;
  let killed: DebugKill;

  before(async function () {
    killed = JSON.parse(fs.readFileSync(harnessFile(DEBUG_KILL_FILE), 'utf8')) as DebugKill;
    api = await activate();
  });
  after(async function () {
    // Still running only if this phase failed; the pid is checked to be ours before the kill.
    try {
      if (fs.readFileSync(`/proc/${killed.orchestrator_pid}/cmdline`, 'utf8').includes('debug_held.py')) process.kill(killed.orchestrator_pid, 'SIGKILL');
    } catch {
      // gone already
    }
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    await closeAllEditors();
  });

  it('the held orchestrator went on by itself within its hold timeout and finished, every step stored once', async function () {
    assert.notStrictEqual(process.pid, killed.exthost_pid);
    const done = await waitFor(() => {
      const f = path.join(killed.control, 'done.json');
      return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) as { steps: number; spooled_writes: number; pending_at_end: number; released_at_ms: number } : undefined;
    }, 'the orchestrator finished', 150_000);
    // From the kill request (the driver kills on this line of the log) to the held call returning.
    const continuedMs = done.released_at_ms - killed.kill_requested_at_ms;
    figure('debug_kill_continue_ms', continuedMs);
    assert.ok(continuedMs >= 0, `went on ${continuedMs} ms before the kill`);
    assert.ok(continuedMs < killed.hold_timeout_ms + 4000, `went on ${Math.round(continuedMs)} ms after the kill (hold timeout ${killed.hold_timeout_ms} ms)`);
    // By its timeout, not because the next host's server came back and no longer knew the hold.
    const client = fs.readFileSync(path.join(killed.control, 'client.log'), 'utf8');
    assert.ok(client.includes(`held at a breakpoint (hold ${killed.hold_id}) and the server has been unreachable for ${(killed.hold_timeout_ms / 1000).toFixed(1)} s`), client.slice(-3000));
    assert.strictEqual(done.pending_at_end, 0, 'spooled steps left unsent');

    const engine = api.testing.sessions.current!.engine!;
    const steps = async () => (await engine.getMessages({ agent_id: 'py-dbg', limit: 10_000 })).map(m => m.content as { run?: string; step: number })
      .filter(c => c.run === killed.run).map(c => c.step).sort((a, b) => a - b);
    // Spooled steps the server took in are stored by now; wait only for the intake to settle.
    const stored = await waitFor(async () => { const s = await steps(); return s.length >= done.steps && s; }, 'every step stored', 30_000)
      .catch(async e => { throw new Error(`${e}: stored ${(await steps()).join(',')} of ${done.steps}`); });
    assert.deepStrictEqual(stored, Array.from({ length: done.steps }, (_, i) => i), 'every step stored exactly once');
    const acked = fs.readFileSync(path.join(killed.control, 'acked.txt'), 'utf8').split('\n').filter(Boolean).map(Number);
    // Before the hold and the held call itself were acknowledged while the server was up.
    assert.deepStrictEqual(acked.slice(0, killed.steps_before + 1), Array.from({ length: killed.steps_before + 1 }, (_, i) => i));
    for (const n of acked) assert.ok(stored.includes(n), `acknowledged step ${n} missing`);
    await waitFor(() => engine.getTask(`research-${killed.run}`)?.status === 'completed', 'the run shown completed');
  });

  it('the recovery report names the held breakpoint, in its JSON and on its page', async function () {
    const engine = api.testing.sessions.current!.engine!;
    const report = engine.recoveryReport;
    assert.ok(report, 'no recovery report: crash not detected');
    assert.strictEqual(report.trigger, 'crash');
    assert.strictEqual(report.previous_run?.pid, killed.exthost_pid);
    assert.deepStrictEqual(report.lost, []);
    const held = report.breakpoint_holds_at_crash ?? [];
    assert.deepStrictEqual(held.map(h => [h.hold_id, h.breakpoint, h.event_kind, h.event_name, h.agent_id, h.task_id]),
      [[killed.hold_id, 'tool:search', 'tool', 'search', 'py-dbg', `research-${killed.run}`]]);
    assert.match(held[0]!.source?.file ?? '', /debug_held\.py$/, 'where the orchestrator called from');

    const md = fs.readFileSync(path.join(engine.folder, report.file.replace(/\.json$/, '.md')), 'utf8');
    assert.ok(md.includes('## Breakpoint holds open at the crash (1)') && md.includes('breakpoint **tool:search** at tool'), md);

    const page = await vscode.commands.executeCommand<Page>('jarvis.openRecoveryReport');
    const drawn = await page.whenRendered();
    assert.ok(drawn.headings.includes('Breakpoint holds open at the crash (1)'), drawn.headings.join(' | '));
    for (const s of ['breakpoint tool:search', 'by py-dbg', `in task research-${killed.run}`, 'debug_held.py', killed.hold_id]) {
      assert.ok(drawn.text.includes(s), `report page lacks ${s}`);
    }
    await screenshot('recovery-held');
  });
});
