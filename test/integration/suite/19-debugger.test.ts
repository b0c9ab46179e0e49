// VS Code's own debugger on a live run: a `tool:search` function breakpoint with a condition on the
// argument, Debug Orchestrator (the `jarvis` debug type), an orchestrator process using the
// TypeScript client; the debugger stops, the process is blocked at that call, Call Stack and
// Variables show the tool call, the task and the orchestrator's calling line, Continue lets it
// finish with every write stored once.
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { activate, closeAllEditors, harnessFile, rest, screenshot, sleep, type TestApi, waitFor } from '../harness';

type Msg = { type: string; event?: string; command?: string; body?: any; success?: boolean; session?: string };

describe('the jarvis debugger', function () {
  this.timeout(180_000);
  let api: TestApi;
  const seen: Msg[] = [];
  const disposables: vscode.Disposable[] = [];

  before(async function () {
    api = await activate();
    await closeAllEditors();
    // What the adapter tells the editor, as the workbench receives it.
    disposables.push(vscode.debug.registerDebugAdapterTrackerFactory('jarvis', {
      createDebugAdapterTracker: session => ({ onDidSendMessage: (m: Msg) => void seen.push({ ...m, session: session.id }) }),
    }));
  });
  after(async function () {
    await vscode.debug.stopDebugging();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    for (const d of disposables) d.dispose();
    await closeAllEditors();
  });

  it('tool:search with a condition stops the orchestrator at its call; the panes show it; a context edit opens Edit and Fork; Continue lets it finish', async function () {
    const server = api.testing.sessions.current?.server;
    if (!server) throw new Error('no REST server running');
    const folder = vscode.workspace.workspaceFolders![0]!;
    const run = Date.now().toString(36);
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('tool:search', true, 'event.args.query contains "weather"')]);
    assert.ok(await vscode.debug.startDebugging(folder, { type: 'jarvis', request: 'attach', name: 'Debug Orchestrator' }), 'the debug session started');
    const session = await waitFor(() => (vscode.debug.activeDebugSession?.type === 'jarvis' ? vscode.debug.activeDebugSession : undefined), 'the jarvis debug session');
    const mine = () => seen.filter(m => m.session === session.id);
    await waitFor(() => mine().some(m => m.type === 'response' && m.command === 'configurationDone' && m.success), 'the breakpoints sent to the server');
    const set = mine().find(m => m.type === 'response' && m.command === 'setFunctionBreakpoints');
    assert.deepStrictEqual(set?.body.breakpoints.map((b: any) => b.verified), [true]);

    await vscode.commands.executeCommand('workbench.view.debug');
    const progress = harnessFile(`debug-progress-${run}.txt`);
    fs.writeFileSync(progress, '');
    const script = path.join(__dirname, '..', 'debugOrchestrator.js');
    const child = spawn(process.execPath, ['--enable-source-maps', script, progress, run], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', JARVIS_CONTEXT_URL: server.url, JARVIS_CONTEXT_TOKEN: server.token },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
    const lines = () => fs.readFileSync(progress, 'utf8').split('\n').filter(Boolean);
    try {
      const stopped = await waitFor(() => mine().find(m => m.type === 'event' && m.event === 'stopped')?.body, 'the debugger to stop', 60_000);
      assert.strictEqual(stopped.reason, 'breakpoint');
      assert.match(stopped.text, /tool:search: tool search by researcher on task report-/);
      // Blocked at the search: its next line is not reached while the debugger holds it.
      await sleep(1000);
      assert.deepStrictEqual(lines(), ['agent', 'task']);
      assert.strictEqual(child.exitCode, null);

      const stack = (await session.customRequest('stackTrace', { threadId: stopped.threadId })).stackFrames;
      assert.deepStrictEqual(stack.slice(0, 4).map((f: any) => f.name.replace(/ — .*/, '')), ['tool search', `task report-${run}`, 'agent researcher', 'run']);
      const top = stack[0];
      const source = path.resolve(__dirname, '../../../../test/integration/debugOrchestrator.ts');
      // A remote extension host gets the path back as the workbench's URI of it.
      const framePath = /^[a-z-]+:\/\//.test(top.source?.path ?? '') ? vscode.Uri.parse(top.source.path).fsPath : top.source?.path;
      assert.strictEqual(framePath, source, 'the orchestrator\'s file');
      assert.match(fs.readFileSync(source, 'utf8').split('\n')[top.line - 1]!, /client\.logMessage\(/, 'its calling line');
      // VS Code opens the top frame's source at that line, as a click on it does.
      await waitFor(() => vscode.window.activeTextEditor?.document.uri.fsPath === source && vscode.window.activeTextEditor.selection.active.line === top.line - 1, 'the orchestrator\'s file open at the calling line');
      await waitFor(() => vscode.debug.activeStackItem instanceof vscode.DebugStackFrame && vscode.debug.activeStackItem.session.id === session.id, 'the stopped frame focused');

      const scopes = (await session.customRequest('scopes', { frameId: top.id })).scopes;
      assert.deepStrictEqual(scopes.map((s: any) => s.name), ['Event', 'Task', 'Agent', 'Context', 'Recent decisions']);
      const vars = async (ref: number) => Object.fromEntries(((await session.customRequest('variables', { variablesReference: ref })).variables as any[]).map(v => [v.name, v]));
      const event = await vars(scopes[0].variablesReference);
      assert.strictEqual(event.name.value, '"search"');
      const args = await vars(event.args.variablesReference);
      assert.strictEqual(args.query.value, `"weather in Lisbon ${run}"`);
      const task = await vars(scopes[1].variablesReference);
      assert.deepStrictEqual([task.task_id.value, task.percentage.value], [`"report-${run}"`, '30']);
      assert.strictEqual((await session.customRequest('evaluate', { expression: 'task.description', frameId: top.id, context: 'watch' })).result, '"Write the weather report"');

      await sleep(500); // the panes draw
      const png = await screenshot('debugger');
      if (png) console.log(`screenshot: ${png}`);

      // Setting a context value opens Edit and Fork… from the checkpoint with it: the run's history is not rewritten.
      assert.match(stack[4]?.name ?? '', new RegExp(`checkpoint #\\d+ before the search ${run}`));
      const context = await vars(scopes[3].variablesReference);
      assert.strictEqual(context.mode.value, '"fast"');
      const setTo = await session.customRequest('setVariable', { variablesReference: scopes[3].variablesReference, name: 'mode', value: '"slow"' });
      assert.strictEqual(setTo.value, '"fast"', 'the pane keeps what the run holds');
      const draft = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.scheme === 'jarvis-fork' ? vscode.window.activeTextEditor.document : undefined), 'the Edit and Fork draft');
      assert.deepStrictEqual(JSON.parse(draft.getText()), { phase: 'search', mode: 'slow', run });
      assert.ok(draft.isDirty, 'not saved: saving shows the diff and asks');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');

      await session.customRequest('continue', { threadId: stopped.threadId });
      assert.strictEqual(await exited, 0, `the orchestrator finished: ${lines().join(', ')}`);
      assert.deepStrictEqual(lines(), ['agent', 'task', 'search', 'decision', 'done']);
      const messages = (await rest(api, 'GET', '/messages?limit=200')).json.messages as { content: { arguments?: { query?: string } } }[];
      assert.strictEqual(messages.filter(m => m.content?.arguments?.query === `weather in Lisbon ${run}`).length, 1, 'the held write stored once');
      const decisions = (await rest(api, 'GET', `/decisions?task_id=report-${run}`)).json.decisions as { decision_type: string }[];
      assert.deepStrictEqual(decisions.map(d => d.decision_type).filter(t => t === 'summarize'), ['summarize']);
    } finally {
      if (child.exitCode === null) child.kill();
      await vscode.debug.stopDebugging(session);
    }
  });

  it('Add Event Breakpoint… offers the store\'s tools, agents, decisions and tasks, and adds the function breakpoint picked', async function () {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    const adding = Promise.resolve(vscode.commands.executeCommand<vscode.FunctionBreakpoint | undefined>('jarvis.addEventBreakpoint'));
    // Enter, until the command is done: on the first name offered (a tool the store has seen: the
    // search of the test above, at least), then on the empty condition.
    let done = false;
    void adding.finally(() => (done = true));
    await waitFor(async () => {
      if (!done) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      return done;
    }, 'the quick pick and the condition accepted', 30_000);
    const bp = await adding;
    assert.ok(bp instanceof vscode.FunctionBreakpoint, 'a breakpoint was added');
    assert.match(bp.functionName, /^tool:./);
    assert.deepStrictEqual(vscode.debug.breakpoints.map(b => (b as vscode.FunctionBreakpoint).functionName), [bp.functionName]);
  });

  it('launch runs the orchestrator in a terminal that finds the server, and stops it at the breakpoint', async function () {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    const run = Date.now().toString(36);
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('tool:search', true, `event.args.query contains "${run}"`)]);
    const progress = harnessFile(`debug-launch-${run}.txt`);
    fs.writeFileSync(progress, '');
    const lines = () => fs.readFileSync(progress, 'utf8').split('\n').filter(Boolean);
    const from = seen.length;
    const script = path.join(__dirname, '..', 'debugOrchestrator.js');
    let session: vscode.DebugSession | undefined;
    const started = vscode.debug.onDidStartDebugSession(s => (session = s));
    assert.ok(await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
      type: 'jarvis', request: 'launch', name: 'Debug Orchestrator (launch)',
      command: [process.execPath, '--enable-source-maps', script, progress, run].map(a => `'${a}'`).join(' '),
      env: { ELECTRON_RUN_AS_NODE: '1' },
    }));
    started.dispose();
    assert.strictEqual(session?.configuration.request, 'launch');
    const stopped = await waitFor(() => seen.slice(from).find(m => m.session === session?.id && m.type === 'event' && m.event === 'stopped')?.body, 'the launched orchestrator stopped', 60_000)
      .catch(e => { throw new Error(`${e}: ${JSON.stringify(seen.slice(from)).slice(0, 3000)}`); });
    assert.match(stopped.text, new RegExp(`task report-${run}`));
    assert.deepStrictEqual(lines(), ['agent', 'task']);
    assert.ok(vscode.window.terminals.some(t => t.name.startsWith('Jarvis: ')), 'run in a terminal of its own');
    await session!.customRequest('continue', {});
    await waitFor(() => lines().includes('done'), 'the orchestrator finished', 60_000)
      .catch(e => { throw new Error(`${e}: reached ${lines().join(', ')}; ${JSON.stringify(seen.slice(from).filter(m => m.type === 'event' || !m.success)).slice(0, 3000)}`); });
    assert.deepStrictEqual(lines(), ['agent', 'task', 'search', 'decision', 'done']);
    await vscode.debug.stopDebugging(session!);
  });
});

