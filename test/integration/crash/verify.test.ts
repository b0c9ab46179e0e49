// Phase "verify": a new extension host after the SIGKILL and the page reload.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { RecoveryReport } from '../../../src/core/types';
import type { Page } from '../../../src/views/pages/page';
import type { Pages } from '../../../src/views/pages/pages';
import { activate, closeAllEditors, harnessFile, screenshot, type TestApi, waitFor } from '../harness';

describe('phase verify (after the extension host was SIGKILLed mid-write)', function () {
  let api: TestApi;
  let report: RecoveryReport;
  let killedPid: number;

  before(async function () {
    killedPid = Number(fs.readFileSync(harnessFile('exthost.pid'), 'utf8'));
    api = await activate();
  });

  it('runs in a new extension host; the old one is dead', function () {
    assert.notStrictEqual(process.pid, killedPid);
    let alive = true;
    try {
      process.kill(killedPid, 0);
    } catch {
      alive = false;
    }
    assert.strictEqual(alive, false, 'the killed host is still alive');
  });

  it('detected the crash at activation', function () {
    const engine = api.testing.sessions.current!.engine!;
    assert.ok(engine.recoveryReport, 'no recovery report: crash not detected');
    report = engine.recoveryReport!;
    assert.strictEqual(report.trigger, 'crash');
    assert.strictEqual(report.previous_run?.pid, killedPid);
    assert.deepStrictEqual(report.lost, []);
    assert.ok(report.restored.journal_records_replayed > 0 || report.loaded_from === 'database');
  });

  it('brought back the timeline that was open, for its folder, drawn anew', async function () {
    const pages = (api.testing as unknown as { pages: Pages }).pages;
    // The tab comes back only if the workbench saved its editors before the page reloaded, which
    // headless Chromium does not always finish (an IndexedDB write during unload). When the tab is
    // there, VS Code revives it through our serializer; when it is not, the serializer is given a
    // panel of that type with the state it saved, as VS Code would.
    const restoredTab = vscode.window.tabGroups.all.flatMap(g => g.tabs)
      .some(t => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('jarvis.timeline'));
    if (!restoredTab) {
      const session = api.testing.sessions.current!;
      const panel = vscode.window.createWebviewPanel('jarvis.timeline', 'Timeline', vscode.ViewColumn.Active, { enableScripts: true });
      await pages.restoreTimeline(panel, { folder: session.key }, Promise.resolve());
    }
    const page = await waitFor(() => pages.open.timelines[0], 'the timeline restored after the reload', 30_000);
    assert.strictEqual(pages.open.timelines.length, 1);
    assert.match(page.panel.title, /^Timeline — ws-crash$/);
    const r = await page.whenRendered(x => x.lanes.includes('planner') && x.crashes >= 1);
    assert.ok(r.bars >= 3, JSON.stringify(r));
    // A second panel for the same folder (the tab and a revived copy) is closed, not drawn twice.
    const twin = vscode.window.createWebviewPanel('jarvis.timeline', 'Timeline', vscode.ViewColumn.Active, { enableScripts: true });
    let closed = false;
    twin.onDidDispose(() => { closed = true; });
    await pages.restoreTimeline(twin, { folder: api.testing.sessions.current!.key }, Promise.resolve());
    assert.ok(closed, 'a second timeline of one folder is closed');
    assert.strictEqual(pages.open.timelines.length, 1);
  });

  it('lost no acknowledged write', async function () {
    const lines = fs.readFileSync(harnessFile('acked.txt'), 'utf8').trim().split('\n');
    assert.ok(lines.length >= 200, `only ${lines.length} acknowledged writes before the kill`);
    const engine = api.testing.sessions.current!.engine!;
    const messages = await engine.getMessages({ limit: 10_000 });
    const byId = new Map(messages.map(m => [m.id, m]));
    const lastSeq = new Map<number, number>();
    for (const line of lines) {
      const [id, w, i] = line.split(' ').map(Number);
      const m = byId.get(id);
      assert.ok(m, `acknowledged message ${id} missing`);
      assert.deepStrictEqual(m.content, { writer: w, seq: i });
      lastSeq.set(w, Math.max(lastSeq.get(w) ?? -1, i));
    }
    // the task update acknowledged with each message survived too
    const meta = engine.getTask('implement-auth')!.metadata;
    for (const [w, i] of lastSeq) assert.ok(Number(meta[`writer${w}`]) >= i, `writer${w}: task at ${meta[`writer${w}`]}, acked ${i}`);
  });

  it('offered the recovery report, which lists stale agents, incomplete tasks, decisions and steps', async function () {
    assert.ok(api.testing.offers.offered.includes(report.file), 'no "Open Recovery Report" notification');
    const incomplete = report.incomplete_tasks.map(t => t.task_id).sort();
    assert.deepStrictEqual(incomplete, ['deploy-staging', 'implement-auth', 'run-py']);
    // reviewer is idle with nothing to do: at rest, its silence is no sign of the crash
    assert.deepStrictEqual(report.stale_agents.map(a => a.agent_id).sort(), ['coder-1', 'planner']);
    await closeAllEditors();
    await vscode.commands.executeCommand('workbench.view.extension.jarvis');
    await waitFor(() => api.testing.views.tasks.visibleTaskIds().includes('implement-auth'), 'tasks drawn');
    // the report opens rendered, as a page; its text is what the webview drew
    const page = await vscode.commands.executeCommand<Page>('jarvis.openRecoveryReport');
    const drawn = await page.whenRendered();
    assert.strictEqual(drawn.title, 'Recovered from a crash');
    assert.ok(drawn.headings.includes('Incomplete tasks (3)'), drawn.headings.join(' | '));
    for (const s of ['implement-auth', 'waiting for OAuth client secret', 'staging cluster quota exceeded', 'planner', 'Ask a human for the OAuth client secret', `pid ${killedPid}`]) {
      assert.ok(drawn.text.includes(s), `report lacks ${s}`);
    }
    const png = await screenshot('recovery');
    if (png) assert.ok(fs.statSync(png).size > 10_000);
  });

  it('an orchestrator wrote through the kill and never restarted: every step once, its final state shown, its last recovery point kept', async function () {
    this.timeout(150_000);
    const engine = api.testing.sessions.current!.engine!;
    const pid = Number(fs.readFileSync(harnessFile('orchestrator.pid'), 'utf8'));
    process.kill(pid, 0); // the same process as before the kill: it was never restarted
    // It finds the server again on its own (same port, or endpoint.json) and drains its spool.
    await waitFor(() => engine.getStatus().since_start.clients.some(c => / crash_through\.py$/.test(c.client)), 'the orchestrator reconnected', 60_000);
    const control = harnessFile('orchestrator');
    await waitFor(() => !fs.readdirSync(engine.folder).some(f => /^spool(\.sending\.\d+)?\.jsonl$/.test(f)), 'the spool drained', 60_000);
    fs.writeFileSync(path.join(control, 'stop'), '');
    const doneFile = path.join(control, 'py.done.json');
    await waitFor(() => fs.existsSync(doneFile), 'the orchestrator finished', 60_000);
    const done = JSON.parse(fs.readFileSync(doneFile, 'utf8')) as { steps: number; spooled_writes: number; pending_at_end: number; recovery_point: { checkpoint_id: number } | null };
    assert.ok(done.spooled_writes > 0, 'the orchestrator never spooled: the kill missed it');
    assert.strictEqual(done.pending_at_end, 0);
    const steps = (await engine.getMessages({ agent_id: 'py', limit: 10_000 })).map(m => (m.content as { step: number }).step).sort((a, b) => a - b);
    assert.strictEqual(steps.length, done.steps, `${steps.length} messages stored for ${done.steps} steps`);
    steps.forEach((s, i) => assert.strictEqual(s, i, `step ${i} missing or stored twice`));
    // The views show where it ended, without anyone restarting anything.
    await vscode.commands.executeCommand('workbench.view.extension.jarvis');
    await waitFor(() => api.testing.views.tasks.describe('run-py')?.description.includes('done'), 'run-py shown as done');
    assert.ok(done.recovery_point, 'its final recovery point was refused');
    await waitFor(() => api.testing.views.checkpoints.describe(done.recovery_point!.checkpoint_id), 'its final recovery point listed');
    assert.strictEqual(engine.listCheckpoints(1000).find(c => c.checkpoint_id === done.recovery_point!.checkpoint_id)?.label, 'all tasks completed py');
    // The crash notification said how long the server was away and who came back.
    await waitFor(() => api.testing.offers.messages.length > 0, 'the crash notification');
    assert.match(api.testing.offers.messages[0], /^Jarvis Context recovered from a crash: away about \d+ (s|min)/);
    assert.match(api.testing.offers.messages[0], /(\d+ orchestrators? reconnected|no orchestrator has reported since)/);
  });

  it('the run timeline draws the crash and the time the engine was down; clicking the crash opens its report', async function () {
    await closeAllEditors();
    await vscode.commands.executeCommand('jarvis.showTimeline');
    const pages = (api.testing as unknown as { pages: Pages }).pages;
    const page = await waitFor(() => pages.open.timelines[0], 'the timeline page');
    const r = await page.whenRendered(x => x.crashes >= 1);
    assert.ok(r.outages >= 1, JSON.stringify(r));
    const before = pages.open.reports.length;
    await page.click(`crash:${report.file}`);
    await waitFor(() => pages.open.reports.length > before || pages.open.reports.some(p => p.panel.active), 'the report page');
    page.show();
    await screenshot('timeline-crash');
  });

  it('the JSON of the report is one click away', async function () {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('jarvis.openRecoveryReportJson');
    assert.strictEqual(JSON.parse(vscode.window.activeTextEditor!.document.getText()).file, report.file);
    assert.match(uri.path, /\.json$/);
  });
});
