// Phase "reload": a window reload is a clean exit, never a crash. The first host of this phase
// writes, notes what was acknowledged, and reloads the window (the page goes, the extension host is
// told to terminate); the same phase then runs again in the new host and checks that no crash was
// reported and every acknowledged write is there.
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { Pages } from '../../../src/views/pages/pages';
import { activate, harnessFile, type TestApi, waitFor } from '../harness';

interface BeforeReload { pid: number; reports: string[]; acked: number[]; crashes: number }

describe('phase reload (a window reload is a clean exit)', function () {
  let api: TestApi;
  const noteFile = harnessFile('reload.json');

  before(async function () {
    api = await activate();
  });

  it('reloads the window after acknowledged writes (first host)', async function () {
    if (fs.existsSync(noteFile)) this.skip();
    this.timeout(0);
    const engine = api.testing.sessions.current!.engine!;
    const acked: number[] = [];
    for (let i = 0; i < 50; i++) {
      acked.push((await api.logAgentMessage({ from_agent: 'reloader', to_agent: 'planner', message_type: 'progress', content: { i } })).id);
    }
    await api.updateTaskProgress('reload-task', { description: 'Written just before the reload', status: 'in_progress', percentage: 40 });
    // An orchestrator's event stream stays open across the reload, as a live client's would.
    const server = api.testing.sessions.current!.server!;
    const stream = await fetch(`${server.url}/stream`, { headers: { Authorization: `Bearer ${server.token}` } });
    assert.strictEqual(stream.status, 200);
    const note: BeforeReload = {
      pid: process.pid,
      reports: (await engine.listRecoveryReports(1000)).map(r => r.file),
      acked,
      crashes: await crashesOnTimeline(api),
    };
    fs.writeFileSync(noteFile, JSON.stringify(note));
    // Other extensions log while this host shuts down and their closed channels throw: not this
    // test's failures (mocha would take them as such in a host that is going away).
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', () => undefined);
    // The command's promise is cancelled when the reload terminates this host: nothing to wait for.
    void vscode.commands.executeCommand('workbench.action.reloadWindow').then(undefined, () => undefined);
    await new Promise(() => undefined);
  });

  it('after the reload: no recovery report, no crash on the timeline, every acknowledged write kept', async function () {
    const note = JSON.parse(fs.readFileSync(noteFile, 'utf8')) as BeforeReload;
    assert.notStrictEqual(process.pid, note.pid, 'the same extension host: the window did not reload');
    const engine = api.testing.sessions.current!.engine!;
    assert.strictEqual(engine.recoveryReport, undefined, `a clean reload was reported as a crash: ${engine.recoveryReport?.file}`);
    assert.deepStrictEqual((await engine.listRecoveryReports(1000)).map(r => r.file), note.reports);
    assert.deepStrictEqual(api.testing.offers.offered, []);
    const messages = new Set((await engine.getMessages({ agent_id: 'reloader', limit: 1000 })).map(m => m.id));
    for (const id of note.acked) assert.ok(messages.has(id), `acknowledged message ${id} lost in the reload`);
    assert.strictEqual(engine.getTask('reload-task')?.percentage, 40);
    // The timeline tab left open came back (when the workbench saved it before the page went, see
    // verify.test.ts) as soon as the folder's session existed, maybe before its engine opened: it
    // is drawn, and Show Run Timeline reveals it rather than opening a second one.
    const pages = (api.testing as unknown as { pages: Pages }).pages;
    const restored = pages.open.timelines[0];
    assert.strictEqual(await crashesOnTimeline(api), note.crashes);
    if (restored) assert.strictEqual(pages.open.timelines[0], restored, 'Show Run Timeline made another page');
    const tabs = vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('jarvis.timeline'));
    assert.strictEqual(tabs.length, 1, `${tabs.length} timeline tabs`);
  });
});

/** Crashes the run timeline draws for the current folder. */
async function crashesOnTimeline(api: TestApi): Promise<number> {
  await vscode.commands.executeCommand('jarvis.showTimeline');
  const pages = (api.testing as unknown as { pages: Pages }).pages;
  const page = await waitFor(() => pages.open.timelines[0], 'the timeline page');
  const r = await page.whenRendered(x => x.lanes.length > 0);
  return r.crashes;
}
