import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type { Alert, AlertKind } from '../core/types';
import { ago, mdCode, mdEscape, shortTime } from '../format';
import { CONTEXT_KEYS, setContextKey } from '../host/contextKeys';
import type { Sessions } from '../host/sessions';
import { COMMANDS } from '../ids';
import { type LoadedModel, SessionTree } from './sessionTree';

export const ALERT_KIND_LABELS: Record<AlertKind, string> = {
  loop: 'Loop',
  stuck_agent: 'Stuck agent',
  stalled_task: 'Stalled task',
  budget: 'Over budget',
};

const KIND_ICONS: Record<AlertKind, string> = { loop: 'sync', stuck_agent: 'debug-pause', stalled_task: 'watch', budget: 'flame' };

export interface AlertNode {
  readonly key: string;
  readonly id: number;
}

/** The watchdogs' alerts: active ones first (newest first), then the last ones that ended. */
export class AlertsView extends SessionTree<AlertNode> {
  static readonly ENDED_SHOWN = 20;
  private alerts: Alert[] = [];
  private byId = new Map<number, Alert>();
  protected override readonly showsAges = true;

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['alert', 'recovery', 'cleanup'], log);
  }

  protected async load(engine: ContextEngineApi | undefined): Promise<LoadedModel> {
    const all = engine ? engine.getAlerts({ limit: 200 }) : [];
    const active = all.filter(a => a.active);
    this.alerts = [...active, ...all.filter(a => !a.active).slice(0, AlertsView.ENDED_SHOWN)];
    this.byId = new Map(this.alerts.map(a => [a.id, a]));
    setContextKey(CONTEXT_KEYS.hasAlerts, this.alerts.length > 0);
    return {
      structure: this.alerts.map(a => `${a.id}:${a.active}`).join(','),
      signatures: new Map(this.alerts.map(a => [`a:${a.id}`, `${a.count}|${a.last_seen}|${a.message}|${this.description(a)}`])),
    };
  }

  getChildren(element?: AlertNode): AlertNode[] {
    if (element) return [];
    return this.alerts.map(a => this.node(`a:${a.id}`, () => ({ key: `a:${a.id}`, id: a.id })));
  }

  getTreeItem(element: AlertNode): vscode.TreeItem {
    const a = this.byId.get(element.id);
    if (!a) return new vscode.TreeItem(`#${element.id}`);
    const item = new vscode.TreeItem(`${ALERT_KIND_LABELS[a.kind]}: ${a.subject.id}`);
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
    md.appendMarkdown(`Click to show the ${a.subject.type}.`);
    item.tooltip = md;
    item.accessibilityInformation = { label: `${a.active ? '' : 'ended: '}${a.message}` };
    item.command = { command: COMMANDS.showAlertSubject, title: `Show ${a.subject.type === 'agent' ? 'Agent' : 'Task'}`, arguments: [element] };
    return item;
  }

  private description(a: Alert): string {
    if (!a.active) return `${a.cleared_by === 'dismissed' ? 'dismissed' : 'ended'} ${ago(a.cleared_at ?? a.last_seen)}`;
    return `${a.kind === 'loop' ? `${a.count}× · ` : ''}${ago(a.last_seen)}`;
  }

  /** The alert a node stands for (commands). */
  alertOf(id: number): Alert | undefined {
    return this.byId.get(id);
  }

  nodeOf(id: number): AlertNode | undefined {
    return this.byId.has(id) ? this.node(`a:${id}`, () => ({ key: `a:${id}`, id })) : undefined;
  }

  /** For tests: labels and descriptions in display order. */
  visibleAlerts(): { label: string; description: string; active: boolean; id: number }[] {
    return this.alerts.map(a => {
      const item = this.getTreeItem({ key: `a:${a.id}`, id: a.id });
      return { id: a.id, label: String(item.label), description: String(item.description), active: a.active };
    });
  }
}
