import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import { type Task, type TaskStatus, TASK_STATUSES } from '../core/types';
import { ago, mdEscape, short, shortTime, statusLabel } from '../format';
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

/** Tasks with status and percentage; children are completed subtasks, blockers and the assigned agent. */
export class TasksView extends SessionTree<TaskNode> {
  private tasks: Task[] = [];
  private byId = new Map<string, Task>();
  private _filter: TaskStatus[] | undefined;

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['task', 'recovery', 'cleanup'], log);
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
    const signatures = new Map<string, string>();
    const structure: string[] = [];
    for (const t of this.tasks) {
      signatures.set(`t:${t.task_id}`, JSON.stringify([t.description, t.percentage, t.updated_at]));
      t.completed_subtasks.forEach((s, i) => signatures.set(`s:${t.task_id}:${i}`, s));
      t.blockers.forEach((b, i) => signatures.set(`b:${t.task_id}:${i}`, b));
      if (t.agent_id) signatures.set(`g:${t.task_id}`, t.agent_id);
      // status moves a task in the order, child counts change collapsibility: both are structure
      structure.push(`${t.task_id}:${t.status}:${t.completed_subtasks.length}:${t.blockers.length}:${t.agent_id ? 1 : 0}`);
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
    t.blockers.forEach((_, index) => out.push(this.node(`b:${id}:${index}`, () => ({ key: `b:${id}:${index}`, kind: 'blocker', taskId: id, index }))));
    t.completed_subtasks.forEach((_, index) => out.push(this.node(`s:${id}:${index}`, () => ({ key: `s:${id}:${index}`, kind: 'subtask', taskId: id, index }))));
    if (t.agent_id) out.push(this.node(`g:${id}`, () => ({ key: `g:${id}`, kind: 'agent', taskId: id })));
    return out;
  }

  override getParent(element: TaskNode): TaskNode | undefined {
    if (element.kind === 'task') return undefined;
    return this.getChildren().find(n => n.taskId === element.taskId);
  }

  getTreeItem(element: TaskNode): vscode.TreeItem {
    const t = this.byId.get(element.taskId);
    if (!t) return new vscode.TreeItem(element.taskId);
    switch (element.kind) {
      case 'task': {
        const hasChildren = t.blockers.length + t.completed_subtasks.length + (t.agent_id ? 1 : 0) > 0;
        const item = new vscode.TreeItem(
          t.description ? short(t.description, 60) : t.task_id,
          hasChildren ? (t.blockers.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None,
        );
        item.id = element.key;
        const [icon, color] = ICONS[t.status];
        item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
        item.description = `${Math.round(t.percentage)}% · ${statusLabel(t.status)}${t.blockers.length ? ` · ${t.blockers.length} blocker${t.blockers.length > 1 ? 's' : ''}` : ''}`;
        item.contextValue = `task.${t.status}`;
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${mdEscape(t.task_id)}** — ${statusLabel(t.status)}, ${Math.round(t.percentage)}%\n\n`);
        if (t.description) md.appendMarkdown(`${mdEscape(t.description)}\n\n`);
        md.appendMarkdown(`Agent: ${t.agent_id ? mdEscape(t.agent_id) : '_unassigned_'}  \n`);
        md.appendMarkdown(`Updated: ${shortTime(t.updated_at)} (${ago(t.updated_at)})`);
        if (t.blockers.length) md.appendMarkdown(`\n\n$(warning) Blockers:\n${t.blockers.map(b => `- ${mdEscape(b)}`).join('\n')}`);
        item.tooltip = md;
        return item;
      }
      case 'blocker':
        return childItem(element.key, t.blockers[element.index] ?? '', 'blocker', 'task.blocker',
          new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')));
      case 'subtask':
        return childItem(element.key, t.completed_subtasks[element.index] ?? '', 'done', 'task.subtask', new vscode.ThemeIcon('check'));
      case 'agent': {
        const item = childItem(element.key, t.agent_id ?? '', 'assigned agent', 'task.agent', new vscode.ThemeIcon('person'));
        item.tooltip = undefined;
        return item;
      }
    }
  }

  /** For tests: the visible tasks in order. */
  visibleTaskIds(): string[] {
    return this.tasks.map(t => t.task_id);
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
