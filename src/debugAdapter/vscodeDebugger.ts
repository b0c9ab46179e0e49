// VS Code's side of the `jarvis` debugger: the inline adapter (jarvisDebugAdapter.ts does the
// protocol), the "Debug Orchestrator" configurations, and "Add Event Breakpoint…", which completes
// the breakpoint grammar from what the store holds.
import * as vscode from 'vscode';
import { type CommandContext, registerCommand, requireSession, UserFacingError } from '../commands/run';
import { compileBreakpoint, BreakpointError } from '../debug/breakpoints';
import { TOOL_PREFIX } from '../debug/writtenEvents';
import { ExpressionError, parseExpression } from '../debug/expression';
import { COMMANDS } from '../ids';
import type { WorkspaceSession } from '../host/session';
import { JarvisDebugAdapter, type AdapterHost } from './jarvisDebugAdapter';
import type { DapMessage } from './protocol';

export const DEBUG_TYPE = 'jarvis';
/** How long a debug session waits for the folder's store and server to be up. */
const SERVER_WAIT_MS = 30_000;

const ATTACH: vscode.DebugConfiguration = { type: DEBUG_TYPE, request: 'attach', name: 'Debug Orchestrator' };

class InlineAdapter implements vscode.DebugAdapter {
  private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.emitter.event;
  private readonly adapter: JarvisDebugAdapter;

  constructor(host: AdapterHost) {
    this.adapter = new JarvisDebugAdapter(host, m => this.emitter.fire(m));
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    this.adapter.handleMessage(message as DapMessage);
  }

  dispose(): void {
    this.adapter.dispose();
    this.emitter.dispose();
  }
}

function sessionFor(ctx: CommandContext, debugSession: vscode.DebugSession, config: Record<string, unknown>): WorkspaceSession | undefined {
  const folder = typeof config.folder === 'string' && config.folder !== '' ? vscode.Uri.file(config.folder) : debugSession.workspaceFolder?.uri;
  return (folder && ctx.sessions.forFolder(folder)) || ctx.sessions.current;
}

/** Sets `path` of `state` to `value`, every step but the last existing (own properties only). */
function setPath(state: unknown, path: (string | number)[], value: unknown): void {
  let o = state;
  for (const [i, k] of path.entries()) {
    if (o === null || typeof o !== 'object') throw new UserFacingError(`The checkpoint's state has no ${path.slice(0, i).join('.') || 'object'} to set ${String(k)} in.`);
    if (i === path.length - 1) {
      Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
      return;
    }
    o = Object.hasOwn(o, k) ? (o as Record<string | number, unknown>)[k] : undefined;
  }
}

function hostFor(ctx: CommandContext, debugSession: vscode.DebugSession): AdapterHost {
  return {
    endpoint: async config => {
      const end = Date.now() + SERVER_WAIT_MS;
      for (;;) {
        const s = sessionFor(ctx, debugSession, config);
        if (s?.server) return { url: s.server.url, token: s.server.token, ...(s.storagePath ? { storagePath: s.storagePath } : {}) };
        if (!s || s.state === 'failed' || s.state === 'closed' || Date.now() > end) {
          throw new Error(s ? 'The folder\'s Jarvis server is not running (setting jarvis.server.enabled, or see the Jarvis Context log).' : 'Open the folder your orchestrator works in: the debugger attaches to its Jarvis store.');
        }
        await new Promise(r => setTimeout(r, 200));
      }
    },
    editAndFork: async (checkpointId, path, value) => {
      const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>(COMMANDS.editAndFork, checkpointId);
      if (!uri) throw new Error('Edit and Fork… did not open a draft');
      const doc = await vscode.workspace.openTextDocument(uri);
      const state: unknown = JSON.parse(doc.getText());
      setPath(state, path, value);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), JSON.stringify(state, null, 2) + '\n');
      await vscode.workspace.applyEdit(edit);
      await vscode.window.showTextDocument(doc, { preview: false });
    },
    resumeFromCheckpoint: async id => {
      await vscode.commands.executeCommand(COMMANDS.resumeFromCheckpoint, id);
    },
    log: line => ctx.log.info(`[debugger] ${line}`),
  };
}

/** The grammar's names, completed from the store: its agents, tasks, tools, decision types and message routes. */
async function suggestions(engine: NonNullable<WorkspaceSession['engine']>): Promise<vscode.QuickPickItem[]> {
  const [decisions, messages] = await Promise.all([engine.getDecisions({ limit: 500 }), engine.getMessages({ limit: 500 })]);
  const items: vscode.QuickPickItem[] = [];
  const add = (label: string, detail: string, names: Iterable<string>): void => {
    const seen = [...new Set(names)].filter(n => n !== '' && n.length <= 200).sort().slice(0, 100);
    if (seen.length > 0) items.push({ label, kind: vscode.QuickPickItemKind.Separator });
    for (const n of seen) items.push({ label: n, detail });
  };
  const tools = messages.flatMap(m => {
    const to = m.to_agent;
    const name = (m.content as { tool_name?: unknown } | null)?.tool_name;
    return typeof name === 'string' ? [name] : to.startsWith(TOOL_PREFIX) ? [to.slice(TOOL_PREFIX.length)] : [];
  });
  add('Tools', 'stops at a call of this tool', tools.map(t => `tool:${t}`));
  add('Agents', 'stops at any event of this agent', engine.getAgents().map(a => `agent:${a.agent_id}`));
  add('Decisions', 'stops at a decision of this type', decisions.map(d => `decision:${d.decision_type}`));
  add('Tasks', 'stops at any event of this task', engine.getTasks().map(t => `task:${t.task_id}`));
  add('Messages', 'stops at a message between these agents', messages.filter(m => !m.to_agent.startsWith(TOOL_PREFIX)).map(m => `message:${m.from_agent}->${m.to_agent}`));
  return items;
}

async function addEventBreakpoint(ctx: CommandContext): Promise<vscode.FunctionBreakpoint | undefined> {
  const s = requireSession(ctx);
  const pick = vscode.window.createQuickPick();
  pick.title = 'Add Event Breakpoint';
  pick.placeholder = 'tool:<name>, agent:<id>, decision:<type>, task:<id>, message:<from>-><to> (* matches anything)';
  pick.items = await suggestions(s.engine);
  pick.matchOnDetail = true;
  const name = await new Promise<string | undefined>(resolve => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]?.label ?? pick.value));
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (!name?.trim()) return undefined;
  try {
    compileBreakpoint({ name: name.trim() }, 0);
  } catch (e) {
    if (e instanceof BreakpointError) throw new UserFacingError(e.message.replace(/^breakpoints\[0\] /, ''));
    throw e;
  }
  const condition = await vscode.window.showInputBox({
    title: `Condition for ${name.trim()} (optional)`,
    placeHolder: 'e.g. event.args.query contains "weather" — Enter for none',
    validateInput: v => {
      if (v.trim() === '') return undefined;
      try {
        parseExpression(v);
        return undefined;
      } catch (e) {
        return e instanceof ExpressionError ? e.message : String(e);
      }
    },
  });
  if (condition === undefined) return undefined;
  const bp = new vscode.FunctionBreakpoint(name.trim(), true, condition.trim() || undefined);
  vscode.debug.addBreakpoints([bp]);
  return bp;
}

export function registerDebugger(ctx: CommandContext): vscode.Disposable[] {
  return [
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: session => new vscode.DebugAdapterInlineImplementation(new InlineAdapter(hostFor(ctx, session))),
    }),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, {
      // F5 with no launch.json: attach to the folder's store.
      resolveDebugConfiguration: (folder, config) => {
        if (!config.type && !config.request && !config.name) return { ...ATTACH };
        // A launch runs in its folder unless told otherwise.
        if (config.request === 'launch' && !config.cwd && folder) return { ...config, cwd: folder.uri.fsPath };
        return config;
      },
    }),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, {
      provideDebugConfigurations: () => [{ ...ATTACH, name: 'Debug Orchestrator (attach)' }],
    }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    registerCommand(ctx, COMMANDS.debugOrchestrator, () => vscode.debug.startDebugging(ctx.sessions.current?.folder, { ...ATTACH })),
    registerCommand(ctx, COMMANDS.addEventBreakpoint, () => addEventBreakpoint(ctx)),
  ];
}
