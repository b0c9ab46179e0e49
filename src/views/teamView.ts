import * as vscode from 'vscode';
import { errorText } from '../core/errorText';
import type { Agent, Decision, Task, TaskStatus } from '../core/types';
import { ago, decisionTypeLabel, mdEscape, short, shortTime, visibleId } from '../format';
import { CONTEXT_KEYS, setContextKey } from '../host/contextKeys';
import { COMMANDS } from '../ids';
import { Disposable } from '../host/lifecycle';
import type { ChangeBatch } from '../host/changes';
import type { Sessions } from '../host/sessions';
import type { TeamMode, TeamOriginInfo, TeamRecoverySummary, TeamStatus, WithOrigin } from '../team/teamMode';
import { lostText, orderedOrigins, originDescription, recoveryItem } from './teamText';

// The Team view: every origin (machine and folder) of the project, read from the team database,
// in a stable order, each with its newest recovery report and its agents, unfinished tasks and
// newest decisions in a group each. Read-only; polled while visible. A lost origin opens by
// itself: its unfinished tasks are what needs a hand.

const POLL_MS = 3_000;
const DECISIONS_PER_ORIGIN = 10;

type GroupKind = 'agents' | 'tasks' | 'decisions';

const GROUPS: Record<GroupKind, { label: string; icon: string }> = {
  agents: { label: 'Agents', icon: 'person' },
  tasks: { label: 'Unfinished tasks', icon: 'tasklist' },
  decisions: { label: 'Decisions', icon: 'lightbulb' },
};

const TASK_ORDER: TaskStatus[] = ['in_progress', 'blocked', 'failed', 'pending'];

type TeamNode =
  | { kind: 'origin'; key: string; origin: TeamOriginInfo; label: string }
  | { kind: 'group'; key: string; origin: TeamOriginInfo; group: GroupKind; count: number }
  | { kind: 'report'; key: string; origin: TeamOriginInfo; report: TeamRecoverySummary }
  | { kind: 'agent'; key: string; agent: WithOrigin<Agent> }
  | { kind: 'task'; key: string; task: WithOrigin<Task> }
  | { kind: 'decision'; key: string; decision: WithOrigin<Decision> }
  | { kind: 'note'; key: string; label: string; detail: string };

interface Snapshot {
  status: TeamStatus;
  agents: WithOrigin<Agent>[];
  tasks: WithOrigin<Task>[];
  decisions: WithOrigin<Decision>[];
  error?: string;
}

export class TeamView extends Disposable implements vscode.TreeDataProvider<TeamNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<TeamNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private snapshot: Snapshot | undefined;
  private tree: vscode.TreeView<TeamNode> | undefined;
  private loading: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private listening: { team: TeamMode; sub: { dispose(): void } } | undefined;
  private soon: NodeJS.Timeout | undefined;

  constructor(private readonly sessions: Sessions, private readonly log: vscode.LogOutputChannel) {
    super();
    this._register(sessions.onDidChangeCurrent(() => void this.reload()));
    this._register(sessions.onDidChange(({ session, batch }) => {
      if (session === sessions.current && batch.all) void this.reload();
    }));
    this._register({ dispose: () => {
      clearInterval(this.timer);
      clearTimeout(this.soon);
      this.listening?.sub.dispose();
    } });
  }

  attach(tree: vscode.TreeView<TeamNode>): void {
    this.tree = tree;
    this._register(tree.onDidChangeVisibility(() => this.schedule()));
    this.schedule();
    void this.reload();
  }

  /** "Refresh Views" and engine changes. */
  update(_batch: ChangeBatch): void {
    void this.reload();
  }

  whenIdle(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  private get team(): TeamMode | undefined {
    return this.sessions.current?.team;
  }

  /** While visible: notifications from the database (live) and a poll (ages, and when notifications cannot arrive). */
  private schedule(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    const team = this.tree?.visible ? this.team : undefined;
    if (this.listening && this.listening.team !== team) {
      this.listening.sub.dispose();
      this.listening = undefined;
    }
    if (!team) return;
    this.timer = setInterval(() => void this.reload(), POLL_MS);
    this.listening ??= {
      team,
      sub: team.listen(() => {
        // A burst of batches is one reload.
        this.soon ??= setTimeout(() => {
          this.soon = undefined;
          void this.reload();
        }, 200);
      }),
    };
  }

  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const team = this.team;
    setContextKey(CONTEXT_KEYS.hasTeam, !!team);
    this.schedule();
    if (!team) {
      this.snapshot = undefined;
    } else {
      const status = await team.status();
      let snap: Snapshot = { status, agents: [], tasks: [], decisions: [] };
      if (status.connected) {
        try {
          const [agents, tasks, decisions] = await Promise.all([team.agents(), team.tasks(), team.decisions({ limit: 500 })]);
          snap = { status, agents, tasks, decisions };
        } catch (e) {
          snap.error = errorText(e);
          this.log.debug(`[team] ${snap.error}`);
        }
      } else if (status.last_error) {
        snap.error = status.last_error;
      }
      this.snapshot = snap;
    }
    this._onDidChangeTreeData.fire(undefined);
  }

  getChildren(element?: TeamNode): TeamNode[] {
    const s = this.snapshot;
    if (!s) return [];
    if (!element) {
      const notes: TeamNode[] = s.error
        ? [{ kind: 'note', key: 'error', label: s.status.connected ? 'Team database unreadable' : 'Team database offline', detail: s.error }]
        : [];
      const origins = orderedOrigins(s.status.origins, s.status.origin.id)
        .map(({ origin, label }) => ({ kind: 'origin' as const, key: `o:${origin.id}`, origin, label }));
      return [...notes, ...origins];
    }
    if (element.kind === 'origin') {
      const o = element.origin;
      const report = o.last_recovery;
      const groups = (['agents', 'tasks', 'decisions'] as const)
        .map(group => ({ kind: 'group' as const, key: `g:${o.id}:${group}`, origin: o, group, count: this.rowsOf(o.id, group).length }))
        .filter(g => g.count > 0);
      return [...(report ? [{ kind: 'report' as const, key: `r:${o.id}:${report.file}`, origin: o, report }] : []), ...groups];
    }
    return element.kind === 'group' ? this.rowsOf(element.origin.id, element.group) : [];
  }

  /** One origin's rows of a group, in an order that does not move between refreshes. */
  private rowsOf(id: string, group: GroupKind): TeamNode[] {
    const s = this.snapshot;
    if (!s) return [];
    switch (group) {
      case 'agents':
        return s.agents.filter(a => a.origin === id).sort((a, b) => a.agent_id.localeCompare(b.agent_id))
          .map(agent => ({ kind: 'agent' as const, key: `a:${id}:${agent.agent_id}`, agent }));
      case 'tasks':
        return s.tasks.filter(t => t.origin === id && TASK_ORDER.includes(t.status))
          .sort((a, b) => TASK_ORDER.indexOf(a.status) - TASK_ORDER.indexOf(b.status) || a.task_id.localeCompare(b.task_id))
          .map(task => ({ kind: 'task' as const, key: `t:${id}:${task.task_id}`, task }));
      case 'decisions':
        return s.decisions.filter(d => d.origin === id).sort((a, b) => b.id - a.id).slice(0, DECISIONS_PER_ORIGIN)
          .map(decision => ({ kind: 'decision' as const, key: `d:${id}:${decision.id}`, decision }));
    }
  }

  getTreeItem(n: TeamNode): vscode.TreeItem {
    switch (n.kind) {
      case 'origin': {
        const s = this.snapshot!;
        const o = n.origin;
        const self = o.id === s.status.origin.id;
        const lost = o.lost;
        // A lost origin opens by itself (its id changes with it, so the tree applies the state).
        const item = new vscode.TreeItem(n.label,
          lost ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${n.key}${lost ? ':lost' : ''}`;
        item.description = originDescription(o);
        item.iconPath = new vscode.ThemeIcon(lost ? 'warning' : self ? 'home' : 'vm');
        item.contextValue = lost ? 'team.origin.lost' : 'team.origin';
        item.tooltip = new vscode.MarkdownString(`**${mdEscape(o.host)}** · ${mdEscape(o.user)}  \n${o.folder ? `Folder ${mdEscape(o.folder)}  \n` : ''}Origin ${mdEscape(o.id)}  \nLast seen ${shortTime(o.last_seen)} (${ago(o.last_seen)})${lost ? `  \n${mdEscape(lostText(s.status.stale_after_ms))}` : ''}`);
        return item;
      }
      case 'group': {
        const g = GROUPS[n.group];
        // Open at once: the agents, and the unfinished tasks (what needs a hand when the origin is lost); decisions on request.
        const item = new vscode.TreeItem(g.label, n.group === 'decisions' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
        item.id = n.key;
        item.description = n.group === 'decisions' && n.count >= DECISIONS_PER_ORIGIN ? `newest ${n.count}` : String(n.count);
        item.iconPath = new vscode.ThemeIcon(g.icon);
        item.contextValue = `team.group.${n.group}`;
        return item;
      }
      case 'report': {
        const text = recoveryItem(n.report);
        const item = new vscode.TreeItem(text.label);
        item.id = n.key;
        item.description = text.description;
        item.tooltip = text.tooltip;
        item.iconPath = new vscode.ThemeIcon(n.report.trigger === 'crash' ? 'debug-restart' : 'pulse');
        item.contextValue = 'team.recoveryReport';
        item.command = { command: COMMANDS.openTeamRecoveryReport, title: 'Open Recovery Report', arguments: [{ origin: n.origin.id, file: n.report.file }] };
        return item;
      }
      case 'agent': {
        const a = n.agent;
        const item = new vscode.TreeItem(visibleId(a.agent_id));
        item.id = n.key;
        item.description = `${a.status}${a.current_task ? ` · ${visibleId(a.current_task)}` : ''} · ${ago(a.last_seen)}`;
        item.iconPath = new vscode.ThemeIcon(a.stale ? 'person' : 'account');
        item.contextValue = 'team.agent';
        return item;
      }
      case 'task': {
        const t = n.task;
        const item = new vscode.TreeItem(t.description ? short(t.description, 60) : visibleId(t.task_id));
        item.id = n.key;
        item.description = `${t.status === 'pending' ? 'pending' : `${Math.round(t.percentage)}%`}${t.blockers.length ? ` · ${t.blockers.length} blocker${t.blockers.length === 1 ? '' : 's'}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(t.status === 'blocked' || t.status === 'failed' ? 'error' : 'tasklist');
        item.contextValue = 'team.task';
        item.tooltip = `${visibleId(t.task_id)}: ${t.status}, updated ${ago(t.updated_at)}`;
        return item;
      }
      case 'decision': {
        const d = n.decision;
        const item = new vscode.TreeItem(short(d.decision, 70));
        item.id = n.key;
        item.description = `${decisionTypeLabel(d.decision_type)} · ${ago(d.ts)}`;
        item.iconPath = new vscode.ThemeIcon('lightbulb');
        item.contextValue = 'team.decision';
        item.tooltip = d.reasoning;
        return item;
      }
      case 'note': {
        const item = new vscode.TreeItem(n.label);
        item.id = n.key;
        item.description = n.detail;
        item.tooltip = n.detail;
        item.iconPath = new vscode.ThemeIcon('warning');
        return item;
      }
    }
  }
}
