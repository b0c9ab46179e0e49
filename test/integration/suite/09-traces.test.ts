// OpenTelemetry in the real extension host: terminals carry the OTEL_* variables, an OTLP/JSON
// export to /v1/traces lands in the Traces view (and the Agents and Tasks views), and a span
// opens as a read-only JSON document.
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { TracesFeature } from '../../../src/views/tracesView';
import { activate, closeAllEditors, harnessFile, type TestApi, waitFor } from '../harness';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const NS = (s: number): string => String(Date.UTC(2025, 5, 1, 10, 0, s) * 1_000_000);
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } });

/** A small run as an SDK's JSON exporter would send it: agent, model call, tool call. */
function exportRequest(): unknown {
  const span = (spanId: string, parent: string, name: string, start: number, end: number, attributes: unknown[]) => ({
    traceId: TRACE, spanId, parentSpanId: parent, name, kind: 1, startTimeUnixNano: NS(start), endTimeUnixNano: NS(end), attributes, status: {},
  });
  return {
    resourceSpans: [{
      resource: { attributes: [str('service.name', 'it-orchestrator')] },
      scopeSpans: [{
        scope: { name: 'it' },
        spans: [
          span('00f067aa0ba902b7', '', 'invoke_agent Researcher', 0, 5, [str('gen_ai.operation.name', 'invoke_agent'), str('gen_ai.agent.id', 'it-researcher'), str('gen_ai.agent.name', 'Researcher'), str('gen_ai.conversation.id', 'it-conv')]),
          span('00f067aa0ba902b8', '00f067aa0ba902b7', 'chat gpt-4o', 1, 2, [str('gen_ai.operation.name', 'chat'), str('gen_ai.request.model', 'gpt-4o'), int('gen_ai.usage.input_tokens', 12), int('gen_ai.usage.output_tokens', 3)]),
          span('00f067aa0ba902b9', '00f067aa0ba902b7', 'execute_tool search', 2, 4, [str('gen_ai.operation.name', 'execute_tool'), str('gen_ai.tool.name', 'search'), str('gen_ai.tool.call.id', 'call_it')]),
        ],
      }],
    }],
  };
}

async function otelTerminalEnv(name: string): Promise<string> {
  const file = harnessFile(`${name}.env.txt`);
  fs.rmSync(file, { force: true });
  const terminal = vscode.window.createTerminal({
    name, shellPath: '/bin/sh',
    shellArgs: ['-c', `printf '%s\\n%s\\n%s\\n' "$OTEL_EXPORTER_OTLP_ENDPOINT" "$OTEL_EXPORTER_OTLP_HEADERS" "$OTEL_SEMCONV_STABILITY_OPT_IN" > '${file}.tmp' && mv '${file}.tmp' '${file}'`],
  });
  try {
    await waitFor(() => fs.existsSync(file), `terminal ${name} output`, 30_000);
    return fs.readFileSync(file, 'utf8');
  } finally {
    terminal.dispose();
  }
}

describe('OpenTelemetry traces', function () {
  let api: TestApi;
  let traces: TracesFeature;

  before(async function () {
    api = await activate();
    traces = (api.testing as unknown as { traces: TracesFeature }).traces;
  });
  after(closeAllEditors);

  it('terminals carry the OTLP endpoint and the bearer header', async function () {
    const server = api.testing.sessions.current!.server!;
    assert.strictEqual(await otelTerminalEnv('otel-env'), `${new URL(server.url).origin}\nAuthorization=Bearer%20${server.token}\ngen_ai_latest_experimental\n`);
  });

  it('jarvis.otel.terminalEnvironment=false leaves the OTEL variables out', async function () {
    const config = () => vscode.workspace.getConfiguration('jarvis');
    await config().update('otel.terminalEnvironment', false, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor(async () => (await otelTerminalEnv('otel-off')) === '\n\n\n', 'terminals without OTEL_*');
    } finally {
      await config().update('otel.terminalEnvironment', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.match(await otelTerminalEnv('otel-on'), /^http:\/\/127\.0\.0\.1:\d+\n/);
  });

  it('an OTLP export shows in Traces, Agents and Tasks; a span opens as JSON', async function () {
    const server = api.testing.sessions.current!.server!;
    const r = await fetch(`${new URL(server.url).origin}/v1/traces`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` }, body: JSON.stringify(exportRequest()),
    });
    assert.strictEqual(r.status, 200);
    // Traces in the panel, Agents and Tasks in the side bar: both in sight at once
    await vscode.commands.executeCommand('workbench.view.extension.jarvis');
    await vscode.commands.executeCommand('workbench.view.extension.jarvisPanel');
    const view = traces.view;
    const conv = await waitFor(() => view.getChildren().find(n => view.model(n)?.label === 'it-conv'), 'the conversation in Traces');
    const [agent] = view.getChildren(conv);
    assert.strictEqual(view.model(agent)!.label, 'Researcher');
    // gpt-4o at the default list price: 12 and 3 tokens cost far less than a cent
    assert.strictEqual(view.getTreeItem(agent).description, '5.0 s · 12→3 tokens · <$0.01');
    const calls = view.getChildren(agent).map(n => view.getTreeItem(n));
    assert.deepStrictEqual(calls.map(i => [i.label, (i.iconPath as vscode.ThemeIcon).id]), [['chat gpt-4o', 'sparkle'], ['search', 'tools']]);
    await waitFor(() => api.testing.views.agents.describe('it-researcher'), 'the agent in the Agents view');
    await waitFor(() => api.testing.views.tasks.visibleTaskIds().includes(`otel-${TRACE}`), 'the task in the Tasks view');
    // The run ended long ago: its agent is done, not stale (it sends no heartbeats), and the
    // finished task names the agent that ran it.
    const researcher = api.testing.views.agents.describe('it-researcher')!;
    assert.strictEqual(researcher.stale, false);
    assert.strictEqual(researcher.done, true);
    assert.match(researcher.description, /^done · /);
    const groups = api.testing.views.agents.getChildren().map(g => (g.kind === 'group' ? g.group : '?'));
    assert.strictEqual(groups[groups.length - 1], '__done__', `Done is not the last group: ${groups.join(', ')}`);
    // what its model call cost (gpt-4o at the default price) follows its state
    const task = await waitFor(() => {
      const t = api.testing.views.tasks.describe(`otel-${TRACE}`);
      return t?.description === 'done · <$0.01' ? t : undefined;
    }, 'the task drawn as done, with its cost');
    assert.ok(task.tooltip.includes('Cost of its traced model calls: \\<$0\\.01'), task.tooltip); // (Markdown-escaped)
    await waitFor(() => api.testing.views.agents.describe('it-researcher')?.description.startsWith('done · <$0.01 · '), 'the agent with its cost, before its age');
    assert.doesNotMatch(task.tooltip, /unassigned/);
    assert.ok(task.children.some(c => c.startsWith('it-researcher (')), `no agent under the task: ${task.children.join(', ')}`);

    // Selecting the tool call reveals its agent; clicking opens the span.
    const tool = view.getChildren(agent)[1];
    await traces.tree.reveal(tool, { select: true });
    await vscode.commands.executeCommand(calls[1].command!.command, ...(calls[1].command!.arguments ?? []));
    const editor = await waitFor(() => vscode.window.activeTextEditor?.document.uri.scheme === 'jarvis-span' ? vscode.window.activeTextEditor : undefined, 'the span editor');
    assert.strictEqual(editor.document.languageId, 'json');
    const span = JSON.parse(editor.document.getText());
    assert.strictEqual(span.tool_name, 'search');
    assert.strictEqual(span.agent_id, 'it-researcher');
    assert.strictEqual(span.attributes['gen_ai.tool.call.id'], 'call_it');
  });

  it('cost follows the price table of the settings', async function () {
    const config = () => vscode.workspace.getConfiguration('jarvis');
    const view = traces.view;
    const agentOf = () => view.getChildren(view.getChildren().find(n => view.model(n)?.label === 'it-conv')!)[0];
    await config().update('cost.prices', { 'gpt-4o': { input: 100_000, output: 0 } }, vscode.ConfigurationTarget.Workspace);
    try {
      // 12 input tokens at $100,000 per million
      await waitFor(() => view.getTreeItem(agentOf()).description === '5.0 s · 12→3 tokens · $1.20', 'the new price drawn');
    } finally {
      await config().update('cost.prices', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor(() => view.getTreeItem(agentOf()).description === '5.0 s · 12→3 tokens · <$0.01', 'the default price again');
  });

  it('"Refresh Views" reloads the Traces view too', async function () {
    const before = traces.view.loadCount;
    await vscode.commands.executeCommand('jarvis.refresh');
    assert.ok(traces.view.loadCount > before, 'Traces was not reloaded');
  });
});
