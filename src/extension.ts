// Composition root: builds the sessions (engine + server per folder), views, commands and the
// status bar, and hands VS Code one disposable. No logic of its own.
import * as vscode from 'vscode';
import { registerAlertCommands } from './commands/alertCommands';
import { registerCheckpointCommands } from './commands/checkpointCommands';
import { registerExampleCommands } from './commands/exampleCommands';
import { registerSearchCommands } from './commands/searchCommands';
import { registerTeamCommands, TEAM_SECRET_KEY } from './commands/teamCommands';
import { registerInfoCommands } from './commands/infoCommands';
import { registerMaintenanceCommands } from './commands/maintenanceCommands';
import { registerRecoveryCommands } from './commands/recoveryCommands';
import { registerResumeCommands } from './commands/resumeCommands';
import { type CommandContext, CommandErrors } from './commands/run';
import { registerViewCommands } from './commands/viewCommands';
import { ContextEngine } from './core/engine';
import { errorWithStack } from './core/errorText';
import { SCHEME, type SpanRef } from './documentUris';
import { createApi, type JarvisContextExtensionApi } from './host/api';
import { CONTEXT_KEYS, setContextKey } from './host/contextKeys';
import { Disposable, onDisposalError } from './host/lifecycle';
import { channelLogger, LOG_CHANNEL_NAME } from './host/log';
import type { WorkspaceSession } from './host/session';
import { Sessions } from './host/sessions';
import { registerTerminalProfile } from './host/terminalProfile';
import { readWasmBytes } from './host/wasm';
import { COMMANDS, VIEWS } from './ids';
import { otlpMounts } from './otel/otlpReceiver';
import { registerDebugger } from './debugAdapter/vscodeDebugger';
import { JarvisServer } from './server';
import type { SearchResult } from './server/search';
import { loadOrCreateToken } from './server/endpointFile';
import { AgentsView } from './views/agentsView';
import { AlertNotifications } from './views/alertNotifications';
import { AlertsView } from './views/alertsView';
import { CheckpointsView } from './views/checkpointsView';
import { DecisionsView } from './views/decisionsView';
import { JarvisDocuments } from './views/documents';
import { Pages } from './views/pages/pages';
import { TIMELINE_VIEW_TYPE } from './views/pages/timelinePage';
import { RecoveryOffers } from './views/recoveryNotification';
import { StatusBar } from './views/statusBar';
import { TasksView } from './views/tasksView';
import { TeamView } from './views/teamView';
import { revealMatching, TracesFeature } from './views/tracesView';
import type { TimelineRef } from './timeline/protocol';

class JarvisExtension extends Disposable {
  readonly log = this._register(vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true }));
  readonly sessions: Sessions;
  readonly pages: Pages;
  readonly offers: RecoveryOffers;
  readonly views: { agents: AgentsView; tasks: TasksView; decisions: DecisionsView; checkpoints: CheckpointsView };
  readonly ctx: CommandContext;
  readonly statusBar: StatusBar;
  readonly traces: TracesFeature;
  readonly alerts: { view: AlertsView; tree: vscode.TreeView<unknown>; notifications: AlertNotifications };
  readonly team: TeamView;
  private markSessionsMade!: () => void;
  /** Resolves once the workspace folders' sessions exist (their engines may still be opening). */
  private readonly sessionsMade = new Promise<void>(resolve => (this.markSessionsMade = resolve));
  /** The sidebar's trees, for tests that look at what is selected. */
  readonly trees: { agents: vscode.TreeView<unknown>; tasks: vscode.TreeView<unknown>; decisions: vscode.TreeView<unknown>; checkpoints: vscode.TreeView<unknown> };
  /** Selects a record in its view; false when the view does not hold it. */
  private revealIn!: {
    decision(id: number): Promise<boolean>; checkpoint(id: number): Promise<boolean>; alert(id: number): Promise<boolean>; span(traceId: string, spanId: string): Promise<boolean>;
  };

  constructor(context: vscode.ExtensionContext) {
    super();
    onDisposalError(err => this.log.error(`[extension] a disposal failed: ${errorWithStack(err)}`));
    let wasm: Promise<Uint8Array> | undefined;
    this.sessions = this._register(
      new Sessions({
        storageUri: context.storageUri,
        readWasm: () => (wasm ??= readWasmBytes(context.extensionUri)),
        // A reloading window starts its new host while the old one still closes (VS Code gives
        // deactivate 5 s); a host exiting before its close ends still leaves no crash behind.
        openEngine: options => ContextEngine.open({ ...options, ownerWaitMs: 6_000, releaseOnCleanExit: true }),
        startServer: options => {
          // The same port and token take OpenTelemetry traces (POST /v1/traces).
          const token = options.token ?? loadOrCreateToken(options.engine.folder, options.logger);
          return JarvisServer.start({ ...options, token, holder: 'VS Code', mounts: otlpMounts({ engine: options.engine, token, logger: options.logger }) });
        },
        logger: component => channelLogger(this.log, component),
        env: context.environmentVariableCollection,
        teamDatabaseUrl: async () => context.secrets.get(TEAM_SECRET_KEY),
      }),
    );
    this.pages = this._register(new Pages(this.sessions, this.log, {
      extensionUri: context.extensionUri,
      reveal: (session, ref) => this.revealTimelineItem(session, ref),
    }));
    // A timeline left open is taken back as soon as the folders' sessions exist; it draws once its
    // folder's engine is open.
    this._register(vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state) => this.pages.restoreTimeline(panel, state, this.sessionsMade),
    }));
    this.offers = this._register(new RecoveryOffers(this.log, this.pages));
    const documents = this._register(new JarvisDocuments(this.sessions));
    this._register(vscode.workspace.registerTextDocumentContentProvider(SCHEME, documents));
    const views = this.views = {
      agents: this._register(new AgentsView(this.sessions, this.log)),
      tasks: this._register(new TasksView(this.sessions, this.log)),
      decisions: this._register(new DecisionsView(this.sessions, this.log)),
      checkpoints: this._register(new CheckpointsView(this.sessions, this.log)),
    };
    const agentsTree = this._register(vscode.window.createTreeView(VIEWS.agents, { treeDataProvider: views.agents, showCollapseAll: true }));
    const tasksTree = this._register(vscode.window.createTreeView(VIEWS.tasks, { treeDataProvider: views.tasks, showCollapseAll: true }));
    const decisionsTree = this._register(vscode.window.createTreeView(VIEWS.decisions, { treeDataProvider: views.decisions }));
    const checkpointsTree = this._register(vscode.window.createTreeView(VIEWS.checkpoints, { treeDataProvider: views.checkpoints, canSelectMany: true }));
    views.agents.attach(agentsTree);
    views.tasks.attach(tasksTree);
    views.decisions.attach(decisionsTree);
    views.checkpoints.attach(checkpointsTree);
    const reveal = {
      agent: (id: string) => revealMatching(agentsTree, views.agents, n => n.kind === 'agent' && n.agentId === id),
      task: (id: string) => revealMatching(tasksTree, views.tasks, n => n.kind === 'task' && n.taskId === id),
    };
    this.trees = { agents: agentsTree, tasks: tasksTree, decisions: decisionsTree, checkpoints: checkpointsTree };
    this.traces = this._register(new TracesFeature(this.sessions, this.log, reveal));
    this._register(this.traces.view.onDidChangeCosts(costs => {
      views.agents.setCosts(costs);
      views.tasks.setCosts(costs);
    }));
    const alertsView = this._register(new AlertsView(this.sessions, this.log));
    const alertsTree = this._register(vscode.window.createTreeView(VIEWS.alerts, { treeDataProvider: alertsView }));
    alertsView.attach(alertsTree);
    alertsView.badgeAlso(agentsTree as vscode.TreeView<unknown>);
    const notifications = this._register(new AlertNotifications(this.sessions, this.log, {
      show: async (session, alert) => {
        this.sessions.select(session);
        await vscode.commands.executeCommand(COMMANDS.showAlertSubject, alert);
      },
      dismiss: async (session, alert) => { await session.requireEngine().dismissAlert(alert.id); },
    }));
    this.alerts = { view: alertsView, tree: alertsTree as vscode.TreeView<unknown>, notifications };
    this.revealIn = {
      decision: id => revealMatching(decisionsTree, views.decisions, n => n.id === id),
      checkpoint: id => revealMatching(checkpointsTree, views.checkpoints, n => n.id === id),
      alert: async id => {
        const node = alertsView.nodeOf(id);
        if (node) await alertsTree.reveal(node, { select: true, focus: false });
        return !!node;
      },
      span: async (traceId, spanId) => {
        const node = this.traces.view.nodeOf(traceId, spanId);
        if (node) await this.traces.tree.reveal(node, { select: true, focus: false, expand: true });
        return !!node;
      },
    };
    const teamView = this.team = this._register(new TeamView(this.sessions, this.log));
    teamView.attach(this._register(vscode.window.createTreeView(VIEWS.team, { treeDataProvider: teamView })));
    this.statusBar = this._register(new StatusBar(this.sessions));
    this._register(registerTerminalProfile(this.sessions));
    this.ctx = {
      sessions: this.sessions,
      extensionUri: context.extensionUri,
      views: { tasks: views.tasks, reveal, all: [...Object.values(views), this.traces.view, alertsView, teamView] },
      pages: this.pages,
      log: this.log,
      errors: new CommandErrors(this.log),
    };
    for (const d of [
      ...registerCheckpointCommands(this.ctx),
      ...registerRecoveryCommands(this.ctx),
      ...registerInfoCommands(this.ctx),
      ...registerMaintenanceCommands(this.ctx),
      ...registerViewCommands(this.ctx),
      ...registerExampleCommands(this.ctx),
      ...registerSearchCommands(this.ctx),
      ...registerAlertCommands(this.ctx, alertsView),
      ...registerResumeCommands(this.ctx),
      ...registerTeamCommands(this.ctx, context.secrets),
      ...registerDebugger(this.ctx),
    ]) this._register(d);
    this._register(this.sessions.onDidChange(({ session }) => {
      if (session === this.sessions.current) this.syncState();
      this.offers.offer(session);
    }));
    this._register(this.sessions.onDidChangeCurrent(() => this.syncState()));
  }

  /**
   * A click in the run timeline: the item selected in its sidebar view, or opened when no view
   * holds it (older than what the view shows, or a kind without a view).
   */
  private async revealTimelineItem(session: WorkspaceSession, ref: TimelineRef): Promise<unknown> {
    if (this.sessions.current !== session) this.sessions.select(session);
    switch (ref.kind) {
      case 'agent': return this.ctx.views.reveal.agent(ref.id);
      case 'task': return this.ctx.views.reveal.task(ref.id);
      case 'decision': return (await this.revealIn.decision(ref.id)) || vscode.commands.executeCommand(COMMANDS.openDecision, ref.id);
      case 'checkpoint': return (await this.revealIn.checkpoint(ref.id)) || vscode.commands.executeCommand(COMMANDS.openCheckpoint, ref.id);
      case 'alert': return this.revealIn.alert(ref.id);
      case 'span': {
        const span: SpanRef = { trace_id: ref.trace_id, span_id: ref.span_id, name: ref.name };
        return (await this.revealIn.span(ref.trace_id, ref.span_id)) || vscode.commands.executeCommand(COMMANDS.openSpan, span);
      }
      case 'message': {
        const result: SearchResult = { kind: 'message', id: String(ref.id), ts: '', title: '', snippet: '' };
        return vscode.commands.executeCommand(COMMANDS.openSearchResult, result);
      }
      case 'report': {
        const report = (await session.requireEngine().listRecoveryReports(100)).find(r => r.file === ref.file);
        return report ? this.pages.report(session, report) : undefined;
      }
      case 'langgraph': {
        const { thread_id, checkpoint_ns, checkpoint_id } = ref;
        return vscode.commands.executeCommand(COMMANDS.openCheckpoint, { lg: { thread_id, checkpoint_ns, checkpoint_id } });
      }
    }
  }

  private syncState(): void {
    const s = this.sessions.current;
    setContextKey(CONTEXT_KEYS.state, s ? s.state : 'noFolder');
    setContextKey(CONTEXT_KEYS.serverRunning, !!s?.server);
  }

  /** Opens the folders' sessions; the views, pages and commands are live meanwhile and follow them. */
  async start(): Promise<void> {
    const opening = this.sessions.syncFolders(); // makes the sessions at once, then opens their engines
    this.markSessionsMade();
    this.syncState();
    await opening;
    this.syncState();
    for (const s of this.sessions.all) this.offers.offer(s);
  }
}

let extension: JarvisExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<JarvisContextExtensionApi> {
  const activatedAt = Date.now();
  extension = new JarvisExtension(context);
  // VS Code disposes the subscriptions right after calling deactivate(), without waiting for it:
  // the extension (its log channel, views, sessions) goes only once deactivate has closed the engines.
  context.subscriptions.push({ dispose: () => void deactivate() });
  // Not awaited: the views are registered and say "Recovering…" while a store loads; the API's
  // calls wait for their engine.
  const log = extension.log;
  extension.start().catch(err => log.error(`[extension] starting the sessions failed: ${errorWithStack(err)}`));
  const api = createApi(extension.sessions);
  if (context.extensionMode === vscode.ExtensionMode.Test) {
    // Integration tests look at the views and the status bar as drawn.
    Object.assign(api, { testing: { sessions: extension.sessions, views: extension.views, traces: extension.traces, statusBar: extension.statusBar, alerts: extension.alerts, offers: extension.offers, pages: extension.pages, trees: extension.trees, log: extension.log, team: extension.team, activatedAt } });
  }
  return api;
}

/** Closes every engine cleanly (final checkpoint, crash marker removed), then the rest. */
export async function deactivate(): Promise<void> {
  const e = extension;
  extension = undefined;
  if (!e) return;
  e.offers.dispose(); // no crash notification may start while the window goes
  try {
    await e.sessions.closeAll();
  } finally {
    e.dispose();
    onDisposalError(undefined);
  }
}
