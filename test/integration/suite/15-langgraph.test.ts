// LangGraph in the real workbench: a real @langchain/langgraph graph (the drill graph of the unit
// tests) runs with JarvisSaver against the extension's own server; its thread and steps show in
// Checkpoints; Compare with Previous diffs channel values; Edit and Fork… on step 2 with an edited
// channel value makes the graph's next invoke(null) follow the edit; Resume from This Checkpoint
// makes it continue from the chosen step; the run timeline draws the thread's steps; a value that
// is not JSON stays a read-only note that a fork leaves as it was.
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { JarvisSaver } from '../../../clients/typescript/src/langgraph';
import type { LgCheckpointKey } from '../../../src/core/langgraph';
import { lgStepKey } from '../../../src/timeline/model';
import type { CheckpointNode } from '../../../src/views/checkpointsView';
import type { Pages } from '../../../src/views/pages/pages';
import { buildGraph, effects } from '../../unit/langgraph/graph';
import { activate, closeAllEditors, diffTabOf, harnessFile, replaceAll, rest, saveDraft, screenshot, type TestApi, waitFor } from '../harness';

// The views beside Checkpoints in the panel, hidden for the picture.
const OTHER_VIEWS = ['jarvis.alerts', 'jarvis.traces', 'jarvis.team'];

describe('LangGraph threads in Checkpoints', function () {
  let api: TestApi;
  let saver: JarvisSaver;
  let firstLog: string[];
  const thread = `support-bot-${Date.now().toString(36)}`;
  const eff = harnessFile(`${thread}.effects`);

  before(async function () {
    api = await activate();
    await closeAllEditors();
    const server = api.testing.sessions.current?.server;
    if (!server) throw new Error('no REST server running');
    saver = new JarvisSaver({ url: server.url, token: server.token, spool: false, env: {} });
  });
  after(async function () {
    saver?.dispose();
    await vscode.commands.executeCommand('notifications.clearAll');
    await closeAllEditors();
  });

  const view = () => api.testing.views.checkpoints;
  const config = { configurable: { thread_id: thread } };
  const runNode = () => view().langGraphRuns().find(n => n.lg?.thread_id === thread && n.lg.checkpoint_ns === '');
  const steps = (): CheckpointNode[] => {
    const run = runNode();
    return run ? view().getChildren(run).filter(n => n.lg?.checkpoint_id !== undefined) : [];
  };
  const rows = () => steps().map(n => view().describeNode(n));

  it('a run shows its thread and its steps, newest first, by node and source; the subgraph as a run of its own', async function () {
    const graph = buildGraph(saver, { effects: eff });
    firstLog = (await graph.invoke({ messages: [] }, config)).log;
    // The subgraph hands back its whole state, so the parent's log comes twice before s1 and s2.
    assert.deepStrictEqual(firstLog, ['plan', 'agent', 'audit', 'agent', 'plan', 'agent', 'audit', 'agent', 's1', 's2']);

    await waitFor(() => steps().length === 7, 'the thread and its 7 checkpoints in Checkpoints');
    const run = view().describeNode(runNode()!);
    assert.strictEqual(run.label, thread);
    assert.match(run.description, /^(just now|\d+ s ago)$/);
    assert.match(run.tooltip, /7 checkpoints, the newest/);
    assert.deepStrictEqual(rows().map(r => r.label), ['5  sub', '4  agent', '3  audit, tools', '2  agent', '1  plan', '0  start', '-1  input']);
    assert.deepStrictEqual(rows().map(r => r.description.split(' · ').length === 2 ? r.description.split(' · ')[0] : ''), ['loop', 'loop', 'loop', 'loop', 'loop', 'loop', '']);
    assert.match(rows()[3].tooltip, /\*\*Step 2 — agent\*\*/);
    assert.match(rows()[3].tooltip, /Tasks that ran from it: audit, tools/);
    // The subgraph's namespace is a run of its own, named by its node, under the thread's own run.
    const sub = view().langGraphRuns().find(n => n.lg?.thread_id === thread && n.lg.checkpoint_ns.startsWith('sub:'));
    assert.ok(sub, 'no run for the subgraph');
    assert.deepStrictEqual(view().getChildren(runNode()).slice(-1), [sub]);
    assert.strictEqual(view().getParent(sub)?.key, runNode()!.key);
    assert.strictEqual(view().describeNode(sub).label, 'sub');
    assert.match(view().describeNode(sub).description, /^from step 4 · /);
    assert.deepStrictEqual(view().getChildren(sub).map(n => view().describeNode(n).label), ['2  s2', '1  s1', '0  start', '-1  input']);
    // The thread is on top (above the orchestrator's own checkpoints) and open.
    assert.strictEqual(view().getChildren().find(n => n.lg)?.key, runNode()!.key);
    assert.strictEqual(view().getTreeItem(runNode()!).collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
    assert.strictEqual(view().getParent(steps()[0])?.key, runNode()!.key);
    // The status bar counts the graph's steps as checkpoints: its newest names the thread's last
    // step, unless a checkpoint of the orchestrator's own came after it.
    const engine = api.testing.sessions.current!.engine!;
    await waitFor(() => {
      const newestStep = engine.langgraph.summaries(1)[0];
      const own = engine.listCheckpoints(1)[0];
      if (own && Date.parse(own.created_at) > Date.parse(newestStep.created_at)) return true;
      // (What the hover says; the item's text is about alerts instead while other suites' are active.)
      return api.testing.statusBar.newestTitle === `LangGraph step ${newestStep.metadata.step} of thread ${thread}`;
    }, 'the status bar names the newest LangGraph step');
  });

  it('Compare with Previous diffs the channel values of step 2 against step 1', async function () {
    const step2 = steps().find(n => view().lgStep(n)?.step === 2)!;
    assert.strictEqual(view().getTreeItem(step2).contextValue, 'checkpoint.langgraph.hasPrevious');
    const [left, right] = await vscode.commands.executeCommand<vscode.Uri[]>('jarvis.compareWithPrevious', step2);
    await waitFor(() => vscode.window.tabGroups.all.flatMap(g => g.tabs).some(t => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === right.toString()), 'the diff editor');
    const before = JSON.parse((await vscode.workspace.openTextDocument(left)).getText());
    const after = JSON.parse((await vscode.workspace.openTextDocument(right)).getText());
    assert.deepStrictEqual([before.log, after.log], [['plan'], ['plan', 'agent']]);
    assert.strictEqual(after.messages.length, 1, 'the message the agent wrote');
    assert.match(right.path, /step 2 channel values\.json$/);
    await closeAllEditors();
  });

  it('Edit and Fork… on step 2 with an edited channel value: the next invoke(null) follows the edit', async function () {
    const step2 = steps().find(n => view().lgStep(n)?.step === 2)!;
    const uri = await vscode.commands.executeCommand<vscode.Uri>('jarvis.editAndFork', step2);
    assert.ok(uri, 'Edit and Fork… opened no draft');
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.toString() === uri.toString() ? vscode.window.activeTextEditor : undefined), 'the draft editor');
    assert.strictEqual(editor.document.languageId, 'json');
    const values = JSON.parse(editor.document.getText());
    assert.deepStrictEqual(values.log, ['plan', 'agent']);
    assert.ok(Array.isArray(values.messages), 'the messages channel is not in the draft');

    await replaceAll(editor, JSON.stringify({ ...values, log: ['edited'] }, null, 2) + '\n');
    await saveDraft(editor.document);
    const diff = await waitFor(() => diffTabOf(uri), 'the diff against the checkpoint');
    assert.match(diff.original.path, /\/original\//);
    assert.strictEqual(steps().length, 7, 'forked before the confirmation');

    const fork = await vscode.commands.executeCommand<LgCheckpointKey>('jarvis.confirmFork', uri);
    assert.ok(fork?.checkpoint_id, 'the confirmation did not fork');
    await waitFor(() => !diffTabOf(uri), 'the draft closed');
    await waitFor(() => steps()[0] && view().lgStep(steps()[0])?.summary.checkpoint_id === fork.checkpoint_id, 'the fork on top of its thread');
    assert.deepStrictEqual([rows()[0].label, rows()[0].description.split(' · ')[0]], ['3  edit of step 2', 'update']);

    // The graph, as its user would run it: it continues from the edit, step 2's tasks run again.
    const graph = buildGraph(saver, { effects: eff });
    const again = await graph.invoke(null, config);
    assert.deepStrictEqual(again.log.slice(0, 3), ['edited', 'audit', 'agent'], JSON.stringify(again.log));
    assert.ok(!again.log.includes('plan'), JSON.stringify(again.log));
    assert.deepStrictEqual(effects(eff), { plan: 1, agent: 3, tool: 2, audit: 2, s1: 2, s2: 2 });
    assert.deepStrictEqual((await graph.getState(config)).values.log, again.log);
  });

  it('the run timeline draws the thread as a lane of steps by node; a click opens the step\'s channel values', async function () {
    await vscode.commands.executeCommand('jarvis.showTimeline');
    const pages = (api.testing as unknown as { pages: Pages }).pages;
    const page = await waitFor(() => pages.open.timelines[0], 'the timeline page');
    const r = await page.whenRendered(x => x.lanes.includes(thread));
    assert.ok(r.bars >= 6, `${r.bars} bars`);
    await screenshot('langgraph-timeline');
    const step2 = steps().find(n => view().lgStep(n)?.step === 2 && view().lgStep(n)?.source === 'loop')!;
    await page.click(lgStepKey(step2.lg as LgCheckpointKey));
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.path.startsWith('/langgraph/') ? vscode.window.activeTextEditor : undefined), 'the channel values opened from the timeline');
    assert.match(editor.document.uri.path, /step 2 channel values\.json$/);
    assert.ok(Array.isArray(JSON.parse(editor.document.getText()).log));
    await closeAllEditors();
  });

  it('Resume from This Checkpoint on step 1: the next invoke(null) continues from step 1', async function () {
    // The first run's step 1 (the forked run has no step 1 of its own).
    await waitFor(() => steps().length > 8, 'the forked run drawn');
    const step1 = steps().find(n => view().lgStep(n)?.step === 1)!;
    const fork = await vscode.commands.executeCommand<LgCheckpointKey>('jarvis.resumeFromCheckpoint', step1);
    assert.ok(fork?.checkpoint_id, 'resume made no fork');
    await waitFor(() => steps()[0] && view().lgStep(steps()[0])?.summary.checkpoint_id === fork.checkpoint_id, 'the resume on top of its thread');
    assert.strictEqual(rows()[0].label, '1  fork of step 1');
    const again = await buildGraph(saver, { effects: eff }).invoke(null, config);
    // From step 1 (log: plan): the agent runs again, then the rest, as the first time.
    assert.deepStrictEqual(again.log, firstLog);

    await vscode.commands.executeCommand('notifications.clearAll');
    await closeAllEditors();
    await vscode.commands.executeCommand('workbench.view.extension.jarvisPanel');
    // The other views hidden for the picture (shown again after it): the thread as a user scrolls to it.
    for (const v of OTHER_VIEWS) await vscode.commands.executeCommand(`${v}.toggleVisibility`);
    await vscode.commands.executeCommand('jarvis.checkpoints.focus');
    await view().whenIdle();
    const png = await screenshot('langgraph').finally(async () => {
      for (const v of OTHER_VIEWS) await vscode.commands.executeCommand(`${v}.toggleVisibility`);
    });
    if (png) assert.ok(fs.statSync(png).size > 10_000, 'screenshot too small');
  });
  it('Edit and Fork… shows a value that is not JSON as a read-only note: changing it is refused, the fork leaves it as it was', async function () {
    // A checkpoint as a saver writes it over REST: one JSON channel, one written by another serializer.
    const opaqueThread = `${thread}-opaque`;
    const b64 = (x: string | Buffer) => Buffer.from(x).toString('base64');
    const id = '1f1f0000-0000-6000-8000-000000000001';
    const raw = Buffer.from([0x82, 0xa1, 0x61, 0x01, 0xff]);
    const put = await rest(api, 'POST', '/langgraph/checkpoints', {
      thread_id: opaqueThread, checkpoint_ns: '', checkpoint_id: id, parent_checkpoint_id: null,
      checkpoint: { type: 'json', data: b64(JSON.stringify({ v: 4, id, ts: new Date().toISOString(), channel_versions: { notes: 1, blob: 1 }, versions_seen: {} })) },
      channel_versions: { notes: 1, blob: 1 }, metadata: { source: 'loop', step: 0, parents: {} },
      blobs: [{ channel: 'notes', version: '1', type: 'json', data: b64('["draft"]') }, { channel: 'blob', version: '1', type: 'msgpack', data: b64(raw) }],
    });
    assert.strictEqual(put.status, 201, JSON.stringify(put.json));
    const node = await waitFor(() => {
      const run = view().langGraphRuns().find(n => n.lg?.thread_id === opaqueThread);
      return run && view().getChildren(run)[0];
    }, 'the thread in Checkpoints');
    const uri = await vscode.commands.executeCommand<vscode.Uri>('jarvis.editAndFork', node);
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.toString() === uri.toString() ? vscode.window.activeTextEditor : undefined), 'the draft editor');
    const values = JSON.parse(editor.document.getText());
    assert.deepStrictEqual(values, { blob: '‹msgpack value, 5 bytes: not JSON, shown read-only and left as it is›', notes: ['draft'] });

    // Changing the note: a diagnostic, no fork.
    await replaceAll(editor, JSON.stringify({ ...values, blob: 'mine now' }, null, 2) + '\n');
    await saveDraft(editor.document);
    const problem = await waitFor(() => vscode.languages.getDiagnostics(uri).find(d => d.source === 'Jarvis Context'), 'the diagnostic on the note');
    assert.match(problem.message, /^Channel "blob" holds a value that is not JSON/);
    assert.strictEqual(await vscode.commands.executeCommand('jarvis.confirmFork', uri), undefined, 'forked with a changed note');

    // The note back, the JSON channel edited: the fork has the edit and the other value as it was.
    await replaceAll(editor, JSON.stringify({ ...values, notes: ['final'] }, null, 2) + '\n');
    await saveDraft(editor.document);
    await waitFor(() => vscode.languages.getDiagnostics(uri).every(d => d.source !== 'Jarvis Context'), 'the diagnostic cleared');
    const fork = await vscode.commands.executeCommand<LgCheckpointKey>('jarvis.confirmFork', uri);
    assert.ok(fork?.checkpoint_id, 'no fork');
    const t = (await rest(api, 'GET', `/langgraph/checkpoint?thread_id=${encodeURIComponent(opaqueThread)}&readable=true`)).json;
    assert.strictEqual(t.checkpoint_id, fork.checkpoint_id);
    const blob = t.channel_values.find((b: { channel: string }) => b.channel === 'blob');
    const notes = t.channel_values.find((b: { channel: string }) => b.channel === 'notes');
    assert.deepStrictEqual([blob.type, blob.data, blob.version], ['msgpack', b64(raw), '1']);
    assert.deepStrictEqual([notes.json, Number(notes.version) > 1], [['final'], true]);
    await vscode.commands.executeCommand('notifications.clearAll');
    await closeAllEditors();
  });
});
