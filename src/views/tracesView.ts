// The Traces view: OpenTelemetry GenAI spans as conversations → agent invocations → tool and model
// calls. Selecting a node reveals its agent and task in the other views; clicking runs "Open Span"
// (commands/viewCommands.ts), which opens the span, attributes and all, from SpanDocuments below.
import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import { errorText } from '../core/errorText';
import { SPAN_SCHEME, type SpanRef } from '../documentUris';
import { canonicalJson, mdEscape, shortTime, visibleId } from '../format';
import { costTotals, type CostTotals, NO_COSTS } from '../cost';
import { ChangeBatch } from '../host/changes';
import { readConfig, SETTINGS } from '../host/config';
import { CONTEXT_KEYS, setContextKey } from '../host/contextKeys';
import { Disposable } from '../host/lifecycle';
import type { Sessions } from '../host/sessions';
import { COMMANDS, VIEWS } from '../ids';
import { buildTraceTree, describeTraceNode, type TraceNodeKind, type TraceTreeNode } from '../otel/traceTree';
import { type LoadedModel, SessionTree } from './sessionTree';

export interface TraceViewNode {
  readonly key: string;
}

const ICONS: Record<TraceNodeKind, string> = {
  conversation: 'comment-discussion', workflow: 'type-hierarchy', agent: 'hubot', tool: 'tools', model: 'sparkle', plan: 'checklist', other: 'circle-outline',
};

export class TracesView extends SessionTree<TraceViewNode> {
  /** The newest spans loaded (older ones stay in the store and its archive). */
  static readonly LIMIT = 5_000;
  private roots: TraceTreeNode[] = [];
  private byKey = new Map<string, TraceTreeNode>();
  private parents = new Map<string, string>();

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['span', 'cleanup', 'recovery'], log);
    // Costs follow the price table.
    this._register(vscode.workspace.onDidChangeConfiguration(e => {
      if (e.affectsConfiguration(SETTINGS.costPrices)) this.update(ChangeBatch.everything());
    }));
  }

  private _costs: CostTotals = NO_COSTS;
  private readonly _onDidChangeCosts = this._register(new vscode.EventEmitter<CostTotals>());
  /** Cost per agent and per task of the loaded spans, for the Agents and Tasks views. */
  readonly onDidChangeCosts = this._onDidChangeCosts.event;

  get costs(): CostTotals {
    return this._costs;
  }

  protected async load(engine: ContextEngineApi | undefined): Promise<LoadedModel> {
    const prices = readConfig(this.sessions.current?.folder).costPrices;
    const spans = engine ? await engine.getSpans({ limit: TracesView.LIMIT }) : [];
    this.roots = buildTraceTree(spans, prices);
    const costs = costTotals(spans, prices);
    const key = (c: CostTotals) => JSON.stringify([[...c.agents], [...c.tasks]]);
    if (key(costs) !== key(this._costs)) {
      this._costs = costs;
      this._onDidChangeCosts.fire(costs);
    }
    this.byKey = new Map();
    this.parents = new Map();
    const signatures = new Map<string, string>();
    const keys: string[] = [];
    const walk = (n: TraceTreeNode, parent?: string): void => {
      this.byKey.set(n.key, n);
      if (parent) this.parents.set(n.key, parent);
      keys.push(n.key);
      signatures.set(n.key, `${describeTraceNode(n)}|${n.label}`);
      for (const c of n.children) walk(c, n.key);
    };
    for (const r of this.roots) walk(r);
    setContextKey(CONTEXT_KEYS.hasTraces, this.roots.length > 0);
    return { structure: keys.join(','), signatures };
  }

  /** The tree element of a loaded span (the timeline reveals it). */
  nodeOf(traceId: string, spanId: string): TraceViewNode | undefined {
    const key = `${traceId}:${spanId}`;
    return this.byKey.has(key) ? this.node(key, () => ({ key })) : undefined;
  }

  /** The model node behind a tree element (commands and tests). */
  model(element: TraceViewNode): TraceTreeNode | undefined {
    return this.byKey.get(element.key);
  }

  getChildren(element?: TraceViewNode): TraceViewNode[] {
    const list = element ? this.byKey.get(element.key)?.children ?? [] : this.roots;
    return list.map(n => this.node(n.key, () => ({ key: n.key })));
  }

  override getParent(element: TraceViewNode): TraceViewNode | undefined {
    const p = this.parents.get(element.key);
    return p === undefined ? undefined : this.node(p, () => ({ key: p }));
  }

  getTreeItem(element: TraceViewNode): vscode.TreeItem {
    const n = this.byKey.get(element.key);
    const item = new vscode.TreeItem(visibleId(n?.label ?? element.key));
    item.id = element.key;
    if (!n) return item;
    item.collapsibleState = n.children.length === 0 ? vscode.TreeItemCollapsibleState.None
      : n.kind === 'conversation' || n.kind === 'workflow' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    item.description = describeTraceNode(n);
    item.iconPath = n.inProgress ? new vscode.ThemeIcon('loading~spin')
      : n.status === 'error' ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
        : new vscode.ThemeIcon(ICONS[n.kind]);
    item.contextValue = `trace.${n.kind}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${mdEscape(n.label)}** (${n.kind})\n\n`);
    if (n.span) md.appendMarkdown(`${shortTime(n.span.start_time)} · ${mdEscape(describeTraceNode(n) || 'no duration')}\n\n`);
    if (n.agentId) md.appendMarkdown(`agent ${mdEscape(n.agentId)}\n\n`);
    if (n.taskId) md.appendMarkdown(`task ${mdEscape(n.taskId)}\n\n`);
    if (n.span?.status_message) md.appendMarkdown(`**Error:** ${mdEscape(n.span.status_message)}\n\n`);
    item.tooltip = md;
    if (n.span) {
      const ref: SpanRef = { trace_id: n.span.trace_id, span_id: n.span.span_id, name: n.span.name };
      item.command = { command: COMMANDS.openSpan, title: 'Open Span', arguments: [ref] };
    }
    return item;
  }
}

/** The span as a read-only JSON document: every field the engine stored, attributes included. */
export class SpanDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly sessions: Sessions) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const session = this.sessions.all.find(s => s.key === uri.authority);
    if (!session) return `// This span belongs to a workspace folder that is no longer open (${uri.toString()}).\n`;
    const m = /^\/([0-9a-f]{32})\/([0-9a-f]{16})(?:\/[^/]*)?\.json$/.exec(uri.path);
    if (!m) throw new Error(`not a span document: ${uri.toString()}`);
    const spans = await session.requireEngine().getSpans({ trace_id: m[1], limit: 10_000 });
    const span = spans.find(s => s.span_id === m[2]);
    if (!span) throw new Error(`span ${m[2]} of trace ${m[1]} is not stored (removed by a clean-up?)`);
    return canonicalJson(span);
  }
}

/** How the Traces view shows a span's agent and task in the Agents and Tasks views. */
export interface SpanOwnerReveal {
  agent(agentId: string): Thenable<unknown> | Promise<unknown>;
  task(taskId: string): Thenable<unknown> | Promise<unknown>;
}

/**
 * The tree view and the span documents. `reveal` is given by the composition root, which owns the
 * other views.
 */
export class TracesFeature extends Disposable {
  readonly view: TracesView;
  readonly tree: vscode.TreeView<TraceViewNode>;

  constructor(sessions: Sessions, log: vscode.LogOutputChannel, reveal: SpanOwnerReveal) {
    super();
    this.view = this._register(new TracesView(sessions, log));
    const tree = (this.tree = this._register(vscode.window.createTreeView(VIEWS.traces, { treeDataProvider: this.view, showCollapseAll: true })));
    this._register(vscode.workspace.registerTextDocumentContentProvider(SPAN_SCHEME, new SpanDocuments(sessions)));
    this._register(tree.onDidChangeSelection(e => {
      const n = e.selection[0] && this.view.model(e.selection[0]);
      if (!n) return;
      // Revealing is a courtesy: a view that is collapsed or not loaded yet is simply left alone.
      const quiet = (p: Thenable<unknown> | Promise<unknown>): void => void Promise.resolve(p).catch(err => log.debug(`[traces] reveal: ${errorText(err)}`));
      if (n.agentId) quiet(reveal.agent(n.agentId));
      if (n.taskId) quiet(reveal.task(n.taskId));
    }));
  }
}

/**
 * Selects (without focusing) the first node of `provider` that `match` accepts, looking at the
 * roots and their children: how the Agents and Tasks views show a span's agent and task. False
 * when the view does not hold it (not loaded, or older than what the view shows).
 */
export async function revealMatching<N>(
  tree: vscode.TreeView<N>, provider: { getChildren(element?: N): N[] | Thenable<N[]> }, match: (n: N) => boolean,
): Promise<boolean> {
  const roots = await provider.getChildren();
  let found = roots.find(match);
  for (const r of roots) {
    if (found) break;
    found = (await provider.getChildren(r)).find(match);
  }
  if (found === undefined) return false;
  await tree.reveal(found, { select: true, focus: false, expand: false });
  return true;
}
