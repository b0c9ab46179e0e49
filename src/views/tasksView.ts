import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import { type Agent, type Task, type TaskStatus, TASK_STATUSES } from '../core/types';
import { type CostTotals, formatCost, NO_COSTS } from '../cost';
import { ago, mdEscape, short, shortTime, statusLabel, visibleId } from '../format';
import { ChangeBatch } from '../host/changes';
import { CONTEXT_KEYS, setContextKey } from '../host/contextKeys';
import type { Sessions } from '../host/sessions';
import { type LoadedModel, SessionTree } from './sessionTree';

export type TaskNode =
  | { readonly key: string; readonly kind: 'task'; readonly taskId: string }
  | { readonly key: string; readonly kind: 'subtask' | 'blocker'; readonly taskId: string; readonly index: number }
  | { readonly key: string; readonly kind: 'agent'; readonly taskId: string };

const ORDER: TaskStatus[] = ['in_progress', 'blocked', 'pending', 'failed', 'completed', 'cancelled'];

const ICONS: Record<TaskStatus, [string, string | undefined]> = {
  pending: ['circle-large-outline', undefined],
  in_progress: ['play-circle', 'charts.blue'],
  blocked: ['debug-pause', 'list.warningForeground'],
  completed: ['pass-filled', 'testing.iconPassed'],
  failed: ['error', 'list.errorForeground'],
  cancelled: ['circle-slash', 'disabledForeground'],
};

/** Blockers of a task still to be done; a finished task's old blockers are history, shown in the hover only. */
function openBlockers(t: Task): string[] {
  return t.status === 'completed' || t.status === 'cancelled' ? [] : t.blockers;
}

/** Statuses whose percentage says how far the work got: it leads the label, where no name can push it out. */
const SHOWS_PERCENTAGE: ReadonlySet<TaskStatus> = new Set(['in_progress', 'blocked', 'failed']);

/**
 * The label: the progress figure first, then the name. A long name is cut at the end by the tree,
 * so what the icon cannot say (how far) comes before it; the full name is in the hover.
 */
export function taskLabel(t: Task): string {
  const name = t.description ? short(t.description, 60) : visibleId(t.task_id);
  return SHOWS_PERCENTAGE.has(t.status) ? `${Math.round(t.percentage)}% · ${name}` : name;
}

/** The description, after the name: what is in the way, and the status in words where no figure says it. */
export function taskDescription(t: Task): string {
  const blockers = openBlockers(t).length;
  const inTheWay = blockers ? `${blockers} blocker${blockers > 1 ? 's' : ''}` : '';
  switch (t.status) {
    case 'completed': return 'done';
    case 'cancelled': return 'cancelled';
    case 'pending': return inTheWay ? `${inTheWay} · pending` : 'pending';
    case 'failed': return inTheWay ? `failed · ${inTheWay}` : 'failed';
    case 'blocked': return inTheWay || 'blocked';
    default: return inTheWay;
  }
}

/** Tasks with status and percentage; children are completed subtasks, blockers and the agent(s) that ran it. */
export class TasksView extends SessionTree<TaskNode> {
  private tasks: Task[] = [];
  private byId = new Map<string, Task>();
  /** Agents that ran a task without being its assigned agent: those of its OpenTelemetry trace. */
  private traceAgents = new Map<string, string[]>();
  private costs: CostTotals = NO_COSTS;
  private _filter: TaskStatus[] | undefined;

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['task', 'recovery', 'cleanup'], log);
  }

  /** What each task's traced model calls cost (from the Traces view's spans and the price table). */
  setCosts(costs: CostTotals): void {
    this.costs = costs;
    this.update(ChangeBatch.everything());
  }

  get filter(): readonly TaskStatus[] | undefined {
    return this._filter;
  }

  /** undefined or every status = no filter. */
  setFilter(statuses: TaskStatus[] | undefined): void {
    this._filter = statuses && statuses.length && statuses.length < TASK_STATUSES.length ? [...statuses] : undefined;
    setContextKey(CONTEXT_KEYS.tasksFiltered, !!this._filter);
    this.update(ChangeBatch.everything());
  }

  protected async load(engine: ContextEngineApi | undefined): Promise<LoadedModel> {
    const all = engine ? engine.getTasks() : [];
    setContextKey(CONTEXT_KEYS.hasTasks, all.length > 0);
    const filter = this._filter;
    this.tasks = all
      .filter(t => !filter || filter.includes(t.status))
      .sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status) || b.updated_at.localeCompare(a.updated_at) || a.task_id.localeCompare(b.task_id));
    this.byId = new Map(this.tasks.map(t => [t.task_id, t]));
    this.traceAgents = tracedAgents(this.tasks, engine ? engine.getAgents() : []);
    const signatures = new Map<string, string>();
    const structure: string[] = [];
    for (const t of this.tasks) {
      const agents = this.agentsOf(t);
      signatures.set(`t:${t.task_id}`, JSON.stringify([t.description, t.percentage, t.updated_at, agents, this.costs.tasks.get(t.task_id)]));
      t.completed_subtasks.forEach((s, i) => signatures.set(`s:${t.task_id}:${i}`, s));
      openBlockers(t).forEach((b, i) => signatures.set(`b:${t.task_id}:${i}`, b));
      if (agents.length) signatures.set(`g:${t.task_id}`, agents.join(','));
      // status moves a task in the order, child counts change collapsibility: both are structure
      structure.push(`${t.task_id}:${t.status}:${t.completed_subtasks.length}:${openBlockers(t).length}:${agents.length ? 1 : 0}`);
    }
    return { structure: structure.join('|'), signatures };
  }

  getChildren(element?: TaskNode): TaskNode[] {
    if (!element) {
      return this.tasks.map(t => this.node(`t:${t.task_id}`, () => ({ key: `t:${t.task_id}`, kind: 'task', taskId: t.task_id })));
    }
    if (element.kind !== 'task') return [];
    const t = this.byId.get(element.taskId);
    if (!t) return [];
    const id = t.task_id;
    const out: TaskNode[] = [];
    openBlockers(t).forEach((_, index) => out.push(this.node(`b:${id}:${index}`, () => ({ key: `b:${id}:${index}`, kind: 'blocker', taskId: id, index }))));
    t.completed_subtasks.forEach((_, index) => out.push(this.node(`s:${id}:${index}`, () => ({ key: `s:${id}:${index}`, kind: 'subtask', taskId: id, index }))));
    if (this.agentsOf(t).length) out.push(this.node(`g:${id}`, () => ({ key: `g:${id}`, kind: 'agent', taskId: id })));
    return out;
  }

  /** The assigned agent, else the agents of the task's trace. */
  private agentsOf(t: Task): string[] {
    return t.agent_id ? [t.agent_id] : this.traceAgents.get(t.task_id) ?? [];
  }

  override getParent(element: TaskNode): TaskNode | undefined {
    if (element.kind === 'task') return undefined;
    return this.getChildren().find(n => n.taskId === element.taskId);
  }

  getTreeItem(element: TaskNode): vscode.TreeItem {
    const t = this.byId.get(element.taskId);
    if (!t) return new vscode.TreeItem(visibleId(element.taskId));
    switch (element.kind) {
      case 'task': {
        const blockers = openBlockers(t);
        const agents = this.agentsOf(t);
        const hasChildren = blockers.length + t.completed_subtasks.length + (agents.length ? 1 : 0) > 0;
        const item = new vscode.TreeItem(
          taskLabel(t),
          hasChildren ? (blockers.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None,
        );
        item.id = element.key;
        const [icon, color] = ICONS[t.status];
        item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
        const cost = this.costs.tasks.get(t.task_id);
        item.description = [taskDescription(t), cost ? formatCost(cost) : ''].filter(Boolean).join(' · ');
        item.contextValue = `task.${t.status}`;
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${mdEscape(t.task_id)}** — ${statusLabel(t.status)}, ${Math.round(t.percentage)}%\n\n`);
        if (t.description) md.appendMarkdown(`${mdEscape(t.description)}\n\n`);
        const agentText = t.agent_id ? mdEscape(t.agent_id) : agents.length ? `${agents.map(mdEscape).join(', ')} (from its trace)` : '_unassigned_';
        md.appendMarkdown(`Agent${agents.length > 1 ? 's' : ''}: ${agentText}  \n`);
        md.appendMarkdown(`Updated: ${shortTime(t.updated_at)} (${ago(t.updated_at)})`);
        if (cost) md.appendMarkdown(`  \nCost of its traced model calls: ${mdEscape(formatCost(cost))}`);
        if (blockers.length) md.appendMarkdown(`\n\n$(warning) Blockers:\n${blockers.map(b => `- ${mdEscape(b)}`).join('\n')}`);
        else if (t.blockers.length) md.appendMarkdown(`\n\nSteps that failed on the way:\n${t.blockers.map(b => `- ${mdEscape(b)}`).join('\n')}`);
        item.tooltip = md;
        return item;
      }
      case 'blocker':
        return childItem(element.key, t.blockers[element.index] ?? '', 'blocker', 'task.blocker',
          new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')));
      case 'subtask':
        return childItem(element.key, t.completed_subtasks[element.index] ?? '', 'done', 'task.subtask', new vscode.ThemeIcon('check'));
      case 'agent': {
        const agents = this.agentsOf(t);
        const item = childItem(element.key, agents.map(visibleId).join(', '), t.agent_id ? 'assigned agent' : 'ran it', 'task.agent', new vscode.ThemeIcon('person'));
        item.tooltip = undefined;
        return item;
      }
    }
  }

  /** For tests: the visible tasks in order. */
  visibleTaskIds(): string[] {
    return this.tasks.map(t => t.task_id);
  }

  /** For tests: one task as drawn. */
  describe(taskId: string): { label: string; description: string; icon: string; children: string[]; tooltip: string } | undefined {
    const t = this.byId.get(taskId);
    if (!t) return undefined;
    const item = this.getTreeItem({ key: `t:${taskId}`, kind: 'task', taskId });
    const children = this.getChildren({ key: `t:${taskId}`, kind: 'task', taskId }).map(n => {
      const c = this.getTreeItem(n);
      return `${String(c.label)} (${String(c.description)})`;
    });
    return {
      label: String(item.label), description: String(item.description), icon: (item.iconPath as vscode.ThemeIcon).id,
      children, tooltip: (item.tooltip as vscode.MarkdownString).value,
    };
  }
}

/** A task's child row: a blocker, a completed subtask or its agent. */
function childItem(id: string, text: string, description: string, contextValue: string, icon: vscode.ThemeIcon): vscode.TreeItem {
  const item = new vscode.TreeItem(short(text, 80));
  item.id = id;
  item.description = description;
  item.tooltip = text;
  item.iconPath = icon;
  item.contextValue = contextValue;
  return item;
}

/** Task id → agents seen in the same OpenTelemetry trace, for tasks that name no agent themselves. */
function tracedAgents(tasks: Task[], agents: Agent[]): Map<string, string[]> {
  const byTrace = new Map<string, string[]>();
  for (const a of agents) {
    const trace = a.metadata?.trace_id;
    if (typeof trace === 'string') (byTrace.get(trace) ?? byTrace.set(trace, []).get(trace)!).push(a.agent_id);
  }
  const out = new Map<string, string[]>();
  for (const t of tasks) {
    const trace = t.metadata?.trace_id;
    if (!t.agent_id && typeof trace === 'string' && byTrace.has(trace)) out.set(t.task_id, [...byTrace.get(trace)!].sort());
  }
  return out;
}
