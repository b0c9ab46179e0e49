import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type { Alert, AlertKind } from '../core/types';
import { ago, mdCode, mdEscape, shortTime, visibleId } from '../format';
import { CONTEXT_KEYS, setContextKey } from '../host/contextKeys';
import type { Sessions } from '../host/sessions';
import { COMMANDS } from '../ids';
import { type LoadedModel, SessionTree } from './sessionTree';

export const ALERT_KIND_LABELS: Record<AlertKind, string> = {
  loop: 'Loop',
  stuck_agent: 'Stuck agent',
  stalled_task: 'Stalled task',
  budget: 'Over budget',
  replication: 'Team replication',
};

const KIND_ICONS: Record<AlertKind, string> = { loop: 'sync', stuck_agent: 'debug-pause', stalled_task: 'watch', budget: 'flame', replication: 'cloud-upload' };

export type AlertNode =
  | { readonly key: string; readonly kind: 'alert'; readonly id: number }
  | { readonly key: string; readonly kind: 'ended' };

const ENDED_KEY = 'ended';

/** The watchdogs' alerts: the active ones, newest first, then the last ones that ended, in a collapsed group. */
export class AlertsView extends SessionTree<AlertNode> {
  static readonly ENDED_SHOWN = 20;
  private alerts: Alert[] = [];
  private ended: Alert[] = [];
  private byId = new Map<number, Alert>();
  protected override readonly showsAges = true;

  private view: vscode.TreeView<AlertNode> | undefined;
  /** Views in other containers that carry the same count, so it shows on the activity bar icon too. */
  private readonly badged: vscode.TreeView<unknown>[] = [];

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['alert', 'recovery', 'cleanup'], log);
  }

  override attach(view: vscode.TreeView<AlertNode>): this {
    this.view = view;
    return super.attach(view);
  }

  /** Shows the active alerts' count on another view as well (the list lives in the panel). */
  badgeAlso(view: vscode.TreeView<unknown>): void {
    this.badged.push(view);
    view.badge = this.view?.badge;
  }

  /** For tests: the count drawn on the Alerts view and the views badged with it. */
  get badges(): (number | undefined)[] {
    return [this.view, ...this.badged].map(v => v?.badge?.value);
  }

  protected async load(engine: ContextEngineApi | undefined): Promise<LoadedModel> {
    const all = engine ? engine.getAlerts({ limit: 200 }) : [];
    this.alerts = all.filter(a => a.active);
    this.ended = all.filter(a => !a.active).slice(0, AlertsView.ENDED_SHOWN);
    this.byId = new Map([...this.alerts, ...this.ended].map(a => [a.id, a]));
    setContextKey(CONTEXT_KEYS.hasAlerts, this.byId.size > 0);
    // The count on the panel tab and the activity bar icon: seen while the list is out of sight.
    const n = this.alerts.length;
    const badge = n ? { value: n, tooltip: `${n} active alert${n === 1 ? '' : 's'}` } : undefined;
    for (const v of [this.view, ...this.badged]) if (v) v.badge = badge;
    const signatures = new Map([...this.byId.values()].map(a => [`a:${a.id}`, `${a.count}|${a.message}|${this.description(a)}`]));
    signatures.set(ENDED_KEY, String(this.ended.length));
    return { structure: `${this.alerts.map(a => a.id).join(',')}|${this.ended.map(a => a.id).join(',')}`, signatures };
  }

  getChildren(element?: AlertNode): AlertNode[] {
    if (!element) {
      const roots = this.alerts.map(a => this.alertNode(a.id));
      if (this.ended.length) roots.push(this.node(ENDED_KEY, () => ({ key: ENDED_KEY, kind: 'ended' })));
      return roots;
    }
    return element.kind === 'ended' ? this.ended.map(a => this.alertNode(a.id)) : [];
  }

  override getParent(element: AlertNode): AlertNode | undefined {
    if (element.kind === 'alert' && this.ended.some(a => a.id === element.id)) return this.node(ENDED_KEY, () => ({ key: ENDED_KEY, kind: 'ended' }));
    return undefined;
  }

  private alertNode(id: number): AlertNode {
    return this.node(`a:${id}`, () => ({ key: `a:${id}`, kind: 'alert', id }));
  }

  getTreeItem(element: AlertNode): vscode.TreeItem {
    if (element.kind === 'ended') {
      const group = new vscode.TreeItem('Ended', vscode.TreeItemCollapsibleState.Collapsed);
      group.id = ENDED_KEY;
      group.description = String(this.ended.length);
      group.tooltip = `The last ${AlertsView.ENDED_SHOWN} alerts at most that ended or were dismissed`;
      group.iconPath = new vscode.ThemeIcon('history');
      return group;
    }
    const a = this.byId.get(element.id);
    if (!a) return new vscode.TreeItem(`#${element.id}`);
    const item = new vscode.TreeItem(`${ALERT_KIND_LABELS[a.kind]}: ${visibleId(a.subject.id)}`);
    item.id = element.key;
    item.description = this.description(a);
    item.iconPath = a.active
      ? new vscode.ThemeIcon(KIND_ICONS[a.kind], new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon('pass', new vscode.ThemeColor('disabledForeground'));
    item.contextValue = a.active ? 'alert.active' : 'alert.ended';
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${mdEscape(a.message)}**\n\n`);
    md.appendMarkdown(`${ALERT_KIND_LABELS[a.kind]} (${mdCode(a.kind)}) · #${a.id} · ${a.subject.type} ${mdEscape(a.subject.id)}\n\n`);
    md.appendMarkdown(`First seen ${shortTime(a.first_seen)}, last ${shortTime(a.last_seen)} (${ago(a.last_seen)}) · ${a.count}×\n\n`);
    if (!a.active && a.cleared_at) md.appendMarkdown(`${a.cleared_by === 'dismissed' ? 'Dismissed' : 'Ended'} ${shortTime(a.cleared_at)}\n\n`);
    md.appendMarkdown(a.subject.type === 'team' ? 'Click to show the Team view.' : `Click to show the ${a.subject.type}.`);
    item.tooltip = md;
    item.accessibilityInformation = { label: `${a.active ? '' : 'ended: '}${a.message}` };
    item.command = { command: COMMANDS.showAlertSubject, title: `Show ${a.subject.type === 'agent' ? 'Agent' : a.subject.type === 'team' ? 'Team' : 'Task'}`, arguments: [element] };
    return item;
  }

  /** What moves while the episode lasts: repetitions, silence, tokens. */
  private description(a: Alert): string {
    if (!a.active) return `${a.cleared_by === 'dismissed' ? 'dismissed' : 'ended'} ${ago(a.cleared_at ?? a.last_seen)}`;
    const d = a.detail;
    switch (a.kind) {
      case 'loop': return `${a.count}× · ${ago(a.last_seen)}`;
      case 'stuck_agent': return typeof d.idle_s === 'number' ? `silent ${duration(d.idle_s)}` : ago(a.first_seen);
      case 'stalled_task': return typeof d.idle_s === 'number' ? `no progress ${duration(d.idle_s)}` : ago(a.first_seen);
      case 'budget': return typeof d.tokens === 'number' && typeof d.budget === 'number'
        ? `${d.tokens.toLocaleString('en-US')} / ${d.budget.toLocaleString('en-US')} tokens` : ago(a.first_seen);
      case 'replication': return typeof d.records === 'number' ? `${d.records} record${d.records === 1 ? '' : 's'} · ${ago(a.first_seen)}` : ago(a.first_seen);
    }
  }

  /** The alert a node stands for (commands). */
  alertOf(id: number): Alert | undefined {
    return this.byId.get(id);
  }

  nodeOf(id: number): AlertNode | undefined {
    return this.byId.has(id) ? this.alertNode(id) : undefined;
  }

  /** For tests: labels and descriptions in display order, active then ended. */
  visibleAlerts(): { label: string; description: string; active: boolean; id: number }[] {
    return [...this.alerts, ...this.ended].map(a => {
      const item = this.getTreeItem(this.alertNode(a.id));
      return { id: a.id, label: String(item.label), description: String(item.description), active: a.active };
    });
  }
}

/** "45 s", "6 min", "2 h 5 min". */
function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}
