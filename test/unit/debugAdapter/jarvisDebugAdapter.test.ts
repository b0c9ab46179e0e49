// The `jarvis` debug adapter driven with DAP messages against a real server, with the TypeScript
// client as the orchestrator: a breakpoint stops it, the panes read the stop, the buttons act.
import * as assert from 'assert';
import * as fs from 'fs';
import { JarvisContextClient, RunCancelled } from 'jarvis-context-client';
import { spawn } from 'child_process';
import * as path from 'path';
import { openEngine, startHarness, tempDir, type Harness } from '../server/support';
import { JarvisServer } from '../../../src/server/server';
import { otlpMounts } from '../../../src/otel/otlpReceiver';
import { post, TOKEN } from '../otel/support';
import { runSpans, toJson } from '../otel/scenario';
import { waitFor } from '../team/support';
import { JarvisDebugAdapter, type AdapterHost } from '../../../src/debugAdapter/jarvisDebugAdapter';
import type { DapEvent, DapMessage, DapResponse } from '../../../src/debugAdapter/protocol';

/** The editor's side of the protocol: requests with their responses, and the events seen. */
class Editor {
  private seq = 1;
  readonly events: DapEvent[] = [];
  private readonly waiting = new Map<number, (r: DapResponse) => void>();
  readonly adapter: JarvisDebugAdapter;
  readonly calls: { editAndFork: unknown[][]; resume: number[] } = { editAndFork: [], resume: [] };

  constructor(h: { server: { url: string; token: string } }, host: Partial<AdapterHost> = {}, leaseMs = 3000) {
    this.adapter = new JarvisDebugAdapter({
      endpoint: async () => ({ url: h.server.url, token: h.server.token }),
      editAndFork: async (...args) => void this.calls.editAndFork.push(args),
      resumeFromCheckpoint: async id => void this.calls.resume.push(id),
      ...host,
    }, m => this.receive(m), { leaseMs, waitSeconds: 5 });
  }

  private receive(m: DapMessage): void {
    if (m.type === 'response') {
      this.waiting.get(m.request_seq)?.(m);
      this.waiting.delete(m.request_seq);
    } else if (m.type === 'event') {
      this.events.push(m);
    } else if (m.command === 'runInTerminal') {
      this.reverse.push(m.arguments);
      this.adapter.handleMessage({ seq: this.seq++, type: 'response', request_seq: m.seq, command: m.command, success: true, body: { processId: process.pid } });
    }
  }

  readonly reverse: unknown[] = [];

  request(command: string, args: Record<string, unknown> = {}): Promise<DapResponse> {
    const seq = this.seq++;
    const done = new Promise<DapResponse>(resolve => this.waiting.set(seq, resolve));
    this.adapter.handleMessage({ seq, type: 'request', command, arguments: args });
    return done;
  }

  async ok(command: string, args: Record<string, unknown> = {}): Promise<any> {
    const r = await this.request(command, args);
    assert.ok(r.success, `${command} failed: ${r.message}`);
    return r.body;
  }

  /** The next event named `name` after the `from`-th event. */
  next(name: string, from: number, pred: (e: any) => boolean = () => true): Promise<any> {
    return waitFor(`a ${name} event`, async () => {
      const e = this.events.slice(from).find(x => x.event === name && pred(x.body ?? {}));
      return e && (e.body ?? {});
    });
  }

  async start(breakpoints: Record<string, unknown>[], filters: string[] = []): Promise<any> {
    const caps = await this.ok('initialize', { adapterID: 'jarvis', linesStartAt1: true, columnsStartAt1: true });
    await this.ok('attach', {});
    await this.next('initialized', 0);
    const set = await this.ok('setFunctionBreakpoints', { breakpoints });
    await this.ok('setExceptionBreakpoints', { filters });
    await this.ok('configurationDone');
    return { caps, set };
  }

  async vars(ref: number): Promise<Record<string, any>> {
    const body = await this.ok('variables', { variablesReference: ref });
    return Object.fromEntries(body.variables.map((v: any) => [v.name, v]));
  }
}

const toolCall = (query: string) => ({ from_agent: 'coder', to_agent: 'tool:search', message_type: 'tool_call', content: { tool_name: 'search', arguments: { query } }, task_id: 'deploy' });

describe('the jarvis debug adapter (DAP against a real server)', function () {
  this.timeout(60_000);
  let h: Harness;
  let editor: Editor;
  let client: JarvisContextClient;
  afterEach(async () => {
    await editor?.request('disconnect', {});
    client?.dispose();
    await h?.close();
  });

  it('a conditional tool breakpoint stops the orchestrator at its line; the panes read the stop; continue lets it finish', async () => {
    h = await startHarness();
    editor = new Editor(h);
    const { caps, set } = await editor.start([
      { name: 'tool:search', condition: 'event.args.query contains "weather"' },
      { name: 'tool:search', condition: 'event.args.query ==' },
      { name: 'widget:x' },
    ]);
    assert.strictEqual(caps.supportsFunctionBreakpoints, true);
    assert.deepStrictEqual(caps.exceptionBreakpointFilters.map((f: any) => f.filter), ['alert', 'task_failed', 'blocker', 'recovery']);
    assert.deepStrictEqual(set.breakpoints.map((b: any) => b.verified), [true, false, false]);
    assert.match(set.breakpoints[1].message, /condition.*position 20|condition.*unexpected end/);
    assert.match(set.breakpoints[2].message, /unknown kind "widget"/);

    client = new JarvisContextClient({ url: h.server.url, token: h.server.token });
    let written = 0;
    const from = editor.events.length;
    const orchestrator = (async () => {
      await client.putContext({ queue: ['a', 'b'], mode: 'fast' });
      await client.checkpoint('before tools');
      await client.updateTask('deploy', { status: 'in_progress', percentage: 40, blockers: ['disk full'], agent_id: 'coder' });
      await client.logMessage(toolCall('news'));
      written++;
      await client.logMessage(toolCall('weather today'));
      written++;
      await client.logDecision({ decision_type: 'after', context: {}, decision: 'd', reasoning: 'r', agent_id: 'coder', task_id: 'deploy' });
      written++;
    })();
    const stopped = await editor.next('stopped', from);
    assert.strictEqual(stopped.reason, 'breakpoint');
    assert.deepStrictEqual(stopped.hitBreakpointIds, [set.breakpoints[0].id]);
    assert.strictEqual(stopped.description, 'Paused on breakpoint');
    assert.match(stopped.text, /tool:search.*tool search by coder on task deploy/);
    // Held: its next line is not reached, however long we wait for the feed.
    await h.req('GET', '/debug/holds?after=0&wait=0.3');
    assert.strictEqual(written, 1);

    const threads = (await editor.ok('threads')).threads;
    const coder = threads.find((t: any) => t.name === 'coder');
    assert.strictEqual(coder.id, stopped.threadId);
    const stack = (await editor.ok('stackTrace', { threadId: stopped.threadId })).stackFrames;
    assert.deepStrictEqual(stack.map((f: any) => f.name.replace(/ — .*/, '').replace(/ \(.*/, '')), ['tool search', 'task deploy', 'agent coder', 'run', 'checkpoint #1 before tools']);
    const top = stack[0];
    assert.ok(/jarvisDebugAdapter\.test\.(ts|js)$/.test(top.source.path), `the orchestrator's file: ${JSON.stringify(top.source)}`);
    if (top.source.path.endsWith('.ts')) assert.match(fs.readFileSync(top.source.path, 'utf8').split('\n')[top.line - 1]!, /logMessage\(toolCall\('weather today'\)\)/);

    const scopes = (await editor.ok('scopes', { frameId: top.id })).scopes;
    assert.deepStrictEqual(scopes.map((s: any) => s.name), ['Event', 'Task', 'Agent', 'Context', 'Recent decisions']);
    const event = await editor.vars(scopes[0].variablesReference);
    assert.strictEqual(event.kind.value, '"tool"');
    assert.strictEqual(event.name.value, '"search"');
    const args = await editor.vars(event.args.variablesReference);
    assert.strictEqual(args.query.value, '"weather today"');
    assert.strictEqual(args.query.evaluateName, 'event.args.query');
    const task = await editor.vars(scopes[1].variablesReference);
    assert.strictEqual(task.percentage.value, '40');
    assert.strictEqual(task.status.value, '"in_progress"');
    const ctx = await editor.vars(scopes[3].variablesReference);
    assert.strictEqual(ctx.mode.value, '"fast"');

    assert.strictEqual((await editor.ok('evaluate', { expression: 'task.blockers[0]', frameId: top.id, context: 'watch' })).result, '"disk full"');
    assert.strictEqual((await editor.ok('evaluate', { expression: 'context.queue', frameId: top.id })).result, 'Array(2)');
    assert.strictEqual((await editor.ok('evaluate', { expression: 'event.args.query contains "weather"', frameId: top.id })).result, 'true');
    const bad = await editor.request('evaluate', { expression: 'task.(', frameId: top.id });
    assert.strictEqual(bad.success, false);
    assert.match(bad.message!, /position/);
    const comp = (await editor.ok('completions', { text: 'task.perc', column: 10, frameId: top.id })).targets;
    assert.deepStrictEqual(comp.map((t: any) => t.label), ['percentage']);
    assert.deepStrictEqual((await editor.ok('completions', { text: 'con', column: 4 })).targets.map((t: any) => t.label), ['context']);

    // Setting a context value opens Edit and Fork… from the checkpoint; the history is not touched.
    const set2 = await editor.ok('setVariable', { variablesReference: scopes[3].variablesReference, name: 'mode', value: '"slow"' });
    assert.strictEqual(set2.value, '"fast"');
    assert.deepStrictEqual(editor.calls.editAndFork, [[1, ['mode'], 'slow']]);
    const refused = await editor.request('setVariable', { variablesReference: scopes[1].variablesReference, name: 'percentage', value: '90' });
    assert.strictEqual(refused.success, false);
    const before = editor.events.length;
    await editor.ok('restartFrame', { frameId: stack[4].id });
    assert.deepStrictEqual(editor.calls.resume, [1]);
    assert.strictEqual((await editor.next('stopped', before)).reason, 'restart', 'still held: stopped again');
    assert.strictEqual((await editor.request('restartFrame', { frameId: top.id })).success, false, 'only the checkpoint frame restarts');

    await editor.ok('continue', { threadId: stopped.threadId });
    await orchestrator;
    assert.strictEqual(written, 3);
    assert.strictEqual((await h.engine.getMessages({ limit: 10 })).length, 2, 'every write stored once');
  });

  it('next stops at the next event of the task, stepIn of the agent, pause at the next of any kind; a logpoint prints without stopping', async () => {
    h = await startHarness();
    editor = new Editor(h);
    const { set } = await editor.start([{ name: 'tool:search' }, { name: 'decision:plan', logMessage: 'planned {event.decision} for {event.task_id}' }]);
    assert.deepStrictEqual(set.breakpoints.map((b: any) => b.verified), [true, true]);
    client = new JarvisContextClient({ url: h.server.url, token: h.server.token });
    const steps: string[] = [];
    const orchestrator = (async () => {
      await client.logMessage(toolCall('x'));
      steps.push('tool');
      await client.updateAgent('other', { status: 'busy', current_task: 'elsewhere' });
      steps.push('other agent');
      await client.logDecision({ decision_type: 'plan', context: {}, decision: 'ship', reasoning: 'r', agent_id: 'planner', task_id: 'deploy' });
      steps.push('decision on the task');
      await client.updateAgent('coder', { status: 'idle' });
      steps.push('coder');
      await client.updateAgent('anyone', { status: 'idle' });
      steps.push('anyone');
    })();
    let from = 0;
    const first = await editor.next('stopped', from);
    assert.strictEqual(first.reason, 'breakpoint');
    from = editor.events.length;
    await editor.ok('next', { threadId: first.threadId });
    const second = await editor.next('stopped', from);
    assert.strictEqual(second.reason, 'step');
    assert.match(second.text, /decision plan by planner on task deploy/);
    assert.deepStrictEqual(steps, ['tool', 'other agent']);
    const log = await editor.next('output', 0, b => /planned ship for deploy/.test(b.output));
    assert.strictEqual(log.category, 'stdout');

    // Step (into): the next event of the planner… none comes; pause takes the next of any kind.
    from = editor.events.length;
    await editor.ok('continue', { threadId: second.threadId });
    await editor.ok('pause', { threadId: second.threadId });
    // The pause may be set after coder's write went by: the one after it stops at the latest.
    const third = await editor.next('stopped', from);
    assert.strictEqual(third.reason, 'pause');
    assert.match(third.text, /^Paused: agent (coder|anyone)/);
    await editor.ok('continue', {});
    await orchestrator;
  });

  it('stepIn stops at the agent\'s next event, not another agent\'s', async () => {
    h = await startHarness();
    editor = new Editor(h);
    await editor.start([{ name: 'tool:search' }]);
    client = new JarvisContextClient({ url: h.server.url, token: h.server.token });
    const orchestrator = (async () => {
      await client.logMessage(toolCall('x'));
      await client.updateAgent('other', { status: 'busy' });
      await client.updateAgent('coder', { status: 'idle' });
    })();
    const first = await editor.next('stopped', 0);
    const from = editor.events.length;
    await editor.ok('stepIn', { threadId: first.threadId });
    const second = await editor.next('stopped', from);
    assert.strictEqual(second.threadId, first.threadId);
    assert.match(second.text, /agent coder by coder/);
    await editor.ok('continue', {});
    await orchestrator;
  });

  it('Stop (disconnect with terminateDebuggee) raises RunCancelled in the held call; the session ends on the server', async () => {
    h = await startHarness();
    editor = new Editor(h);
    await editor.start([{ name: 'task:deploy' }], ['task_failed']);
    client = new JarvisContextClient({ url: h.server.url, token: h.server.token });
    const call = client.updateTask('deploy', { status: 'in_progress' }).then(() => 'returned', (e: unknown) => e);
    await editor.next('stopped', 0);
    await editor.ok('disconnect', { terminateDebuggee: true });
    const err = await call;
    assert.ok(err instanceof RunCancelled, String(err));
    assert.strictEqual(h.server.debug.active, false, 'the session ended');
    await client.updateTask('deploy', { status: 'failed' }); // no session: not held
  });

  it('a hit condition stops at the Nth matching event only', async () => {
    h = await startHarness();
    editor = new Editor(h);
    await editor.start([{ name: 'agent:a', hitCondition: '2', condition: 'event.status != "skip"' }]);
    assert.strictEqual((await h.req('PUT', '/agents/a', { status: 'skip' })).headers['jarvis-hold'], undefined, 'the condition is false: not counted');
    assert.strictEqual((await h.req('PUT', '/agents/a', { status: 'one' })).headers['jarvis-hold'], undefined, 'the first hit');
    const second = h.req('PUT', '/agents/a', { status: 'two' });
    const stopped = await editor.next('stopped', 0);
    const top = (await editor.ok('stackTrace', { threadId: stopped.threadId })).stackFrames[0];
    assert.strictEqual((await editor.ok('evaluate', { expression: 'event.status', frameId: top.id })).result, '"two"');
    await editor.ok('continue', {});
    assert.ok((await second).headers['jarvis-hold'], 'the second was held');
    assert.strictEqual((await h.req('PUT', '/agents/a', { status: 'three' })).headers['jarvis-hold'], undefined);
  });

  it('a failed task stops on the exception filter; a plain disconnect lets the held call go on', async () => {
    h = await startHarness();
    editor = new Editor(h);
    await editor.start([], ['task_failed']);
    client = new JarvisContextClient({ url: h.server.url, token: h.server.token });
    const call = client.updateTask('deploy', { status: 'failed' });
    const stopped = await editor.next('stopped', 0);
    assert.strictEqual(stopped.reason, 'exception');
    assert.match((await editor.ok('exceptionInfo', { threadId: stopped.threadId })).description, /^On failed task: task deploy/);
    await editor.ok('disconnect', {});
    assert.strictEqual((await call).status, 'failed');
  });

  it('launch runs the command in a terminal with the server in its environment, after the breakpoints are set', async () => {
    h = await startHarness();
    editor = new Editor(h);
    await editor.ok('initialize', { adapterID: 'jarvis', supportsArgsCanBeInterpretedByShell: true });
    const launched = editor.request('launch', { command: 'node orchestrator.js', cwd: '/work/x', env: { EXTRA: '1' } });
    await editor.next('initialized', 0);
    await editor.ok('setFunctionBreakpoints', { breakpoints: [{ name: 'tool:search' }] });
    assert.strictEqual(editor.reverse.length, 0, 'nothing runs before configurationDone');
    await editor.ok('configurationDone');
    assert.ok((await launched).success);
    const args = editor.reverse[0] as any;
    assert.deepStrictEqual([args.kind, args.cwd, args.args, args.argsCanBeInterpretedByShell], ['integrated', '/work/x', ['node orchestrator.js'], true]);
    assert.deepStrictEqual([args.env.JARVIS_CONTEXT_URL, args.env.JARVIS_CONTEXT_TOKEN, args.env.EXTRA], [h.server.url, h.server.token, '1']);
    assert.strictEqual(h.server.debug.active, true);
  });

  it('Stop raises RunCancelled in a Python orchestrator too', async function () {
    h = await startHarness();
    editor = new Editor(h);
    await editor.start([{ name: 'decision:retry_policy' }]);
    const script = [
      'import sys',
      'from jarvis_context import JarvisContextManager, RunCancelled',
      'cm = JarvisContextManager(sys.argv[1], url=sys.argv[2], token=sys.argv[3], spool=False)',
      'cm.update_agent_state("planner", status="busy")',
      'try:',
      '    cm.log_decision("retry_policy", {}, "retry", "again", agent_id="planner")',
      '    print("returned", flush=True)',
      'except RunCancelled:',
      '    print("cancelled", flush=True)',
      'cm.update_agent_state("planner", status="idle")',
    ].join('\n');
    const folder = tempDir('jarvis-dap-py-');
    const file = path.join(folder, 'orchestrator.py');
    fs.writeFileSync(file, script + '\n');
    const child = spawn('python3', [file, folder, h.server.url, h.server.token], {
      env: { ...process.env, PYTHONPATH: path.resolve(__dirname, '../../../../clients/python') }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>(resolve => child.once('exit', resolve));
    const stopped = await editor.next('stopped', 0);
    assert.match(stopped.text, /decision retry_policy by planner/);
    const top = (await editor.ok('stackTrace', { threadId: stopped.threadId })).stackFrames[0];
    assert.ok([file, fs.realpathSync(file)].includes(top.source?.path), `the Python caller's file: ${top.source?.path}`);
    assert.strictEqual(top.line, 6, 'the log_decision line');
    assert.strictEqual(out, '', 'held');
    await editor.ok('terminate', {});
    assert.strictEqual(await exited, 0, err);
    assert.strictEqual(out, 'cancelled\n');
    await editor.next('terminated', 0);
  });

  it('an OpenTelemetry-only run: the breakpoint stops the debugger, which says the run kept going', async function () {
    const engine = await openEngine(tempDir('jarvis-dap-otel-'));
    const server = await JarvisServer.start({ engine, port: 0, token: TOKEN, writeEndpointFile: false, mounts: otlpMounts({ engine, token: TOKEN }) });
    try {
      editor = new Editor({ server });
      await editor.start([{ name: 'tool:search' }]);
      const r = await post(new URL(server.url).origin, toJson(runSpans().spans), { 'Content-Type': 'application/json' });
      assert.strictEqual(r.status, 200, 'the exporter is answered at once');
      const stopped = await editor.next('stopped', 0);
      assert.strictEqual(stopped.description, 'Not held (OpenTelemetry)');
      assert.match(stopped.text, /tool search by planner.*the run kept going \(OpenTelemetry only\)/);
      await editor.next('output', 0, b => /the run kept going/.test(b.output));
      const scopes = (await editor.ok('scopes', { frameId: (await editor.ok('stackTrace', { threadId: stopped.threadId })).stackFrames[0].id })).scopes;
      const event = await editor.vars(scopes[0].variablesReference);
      assert.strictEqual(event.held, undefined);
      assert.strictEqual(event.name.value, '"search"');
      await editor.ok('continue', {});
      await editor.request('disconnect', {});
    } finally {
      await server.close();
      await engine.close();
    }
  });

  it('keeps its lease while it lives; a hold released without it (hold timeout) shows as continued', async function () {
    h = await startHarness();
    editor = new Editor(h, {}, 1000);
    await editor.start([{ name: 'agent:a' }]);
    await new Promise(r => setTimeout(r, 2500)); // more than twice the lease
    assert.strictEqual(h.server.debug.active, true, 'renewed');
    const r = await h.req('PUT', '/agents/a', { status: 'busy' });
    const holdId = r.headers['jarvis-hold'] as string;
    const stopped = await editor.next('stopped', 0);
    const from = editor.events.length;
    h.server.debug.resolve(holdId, 'continue', 'hold_timeout');
    const continued = await editor.next('continued', from);
    assert.deepStrictEqual([continued.threadId, continued.allThreadsContinued], [stopped.threadId, true]);
    await editor.next('output', from, b => /went on without the debugger \(hold timeout\)/.test(b.output));
    await editor.request('disconnect', {});
    assert.strictEqual(h.server.debug.active, false, 'the session ended with the debug session');
  });

  it('two held calls of one agent: the second waits its turn and stops once the first goes on; a caller that is no file path opens nothing', async function () {
    h = await startHarness();
    editor = new Editor(h);
    await editor.start([{ name: 'agent:coder' }]);
    await h.req('PUT', '/agents/warm', { status: 'idle' }); // the clients learn a session exists
    const first = h.req('PUT', '/agents/coder', { status: 'busy' }, { headers: { 'Jarvis-Caller': `${encodeURIComponent('https://example.com/x.py')}:3:f` } });
    const a = await editor.next('stopped', 0);
    const second = h.req('POST', '/decisions', { decision_type: 'x', context: {}, decision: 'd', reasoning: 'r', agent_id: 'coder' }, { headers: { 'Jarvis-Caller': `${encodeURIComponent('relative/x.py')}:3:f` } });
    await waitFor('the second hold', async () => h.server.debug.openHolds().length === 2);
    const top = (await editor.ok('stackTrace', { threadId: a.threadId })).stackFrames[0];
    assert.strictEqual(h.server.debug.openHolds()[0]!.source?.file, 'https://example.com/x.py');
    assert.strictEqual(top.source, undefined, 'a URI is not opened');
    assert.strictEqual(editor.events.filter(e => e.event === 'stopped').length, 1, 'one stop a thread');
    const bad = await editor.request('evaluate', { expression: 'process.env', frameId: top.id });
    assert.match(bad.message!, /process is not known here: paths start with event, task, agent, context, decisions/);

    let from = editor.events.length;
    await editor.ok('continue', {});
    assert.strictEqual((await first).status, 200);
    const b = await editor.next('stopped', from);
    assert.strictEqual(b.threadId, a.threadId);
    assert.match(b.text, /decision x by coder/);
    assert.strictEqual((await editor.ok('stackTrace', { threadId: b.threadId })).stackFrames[0].source, undefined, 'a relative path is not opened');
    await editor.ok('continue', {});
    assert.strictEqual((await second).status, 201);
    assert.strictEqual(h.server.debug.openHolds().length, 0);
  });
});

