import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type { Decision } from '../core/types';
import { ago, canonicalJson, decisionTypeLabel, mdCode, mdEscape, short, shortTime, visibleId } from '../format';
import { CONTEXT_KEYS, setContextKey } from '../host/contextKeys';
import type { Sessions } from '../host/sessions';
import { COMMANDS } from '../ids';
import { type LoadedModel, SessionTree } from './sessionTree';

/** Icons for the known decision types (the label names the type too). */
const TYPE_ICONS: Record<string, string> = {
  agent_assignment: 'person-add', task_assignment: 'tasklist', retry_policy: 'sync', routing: 'git-merge',
  escalation: 'report', plan: 'checklist', planning: 'checklist', tool_choice: 'tools', handoff: 'arrow-swap', delegation: 'arrow-swap',
};

export interface DecisionNode {
  readonly key: string;
  readonly id: number;
}

/** The newest decisions first (the view shows the last `LIMIT`; older ones stay in the store). */
export class DecisionsView extends SessionTree<DecisionNode> {
  static readonly LIMIT = 200;
  private decisions: Decision[] = [];
  private byId = new Map<number, Decision>();

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['decision', 'recovery', 'cleanup'], log);
  }

  protected async load(engine: ContextEngineApi | undefined): Promise<LoadedModel> {
    this.decisions = engine ? await engine.getDecisions({ limit: DecisionsView.LIMIT }) : [];
    this.byId = new Map(this.decisions.map(d => [d.id, d]));
    setContextKey(CONTEXT_KEYS.hasDecisions, this.decisions.length > 0);
    // decisions never change once logged: only the list itself does
    return { structure: this.decisions.map(d => d.id).join(','), signatures: new Map(this.decisions.map(d => [`d:${d.id}`, ''])) };
  }

  getChildren(element?: DecisionNode): DecisionNode[] {
    if (element) return [];
    return this.decisions.map(d => this.node(`d:${d.id}`, () => ({ key: `d:${d.id}`, id: d.id })));
  }

  getTreeItem(element: DecisionNode): vscode.TreeItem {
    const d = this.byId.get(element.id);
    const item = new vscode.TreeItem(d ? decisionLabel(d) : `#${element.id}`);
    item.id = element.key;
    if (!d) return item;
    // Who decided; when and why are in the hover.
    item.description = d.agent_id ? visibleId(d.agent_id) : '';
    item.iconPath = new vscode.ThemeIcon(TYPE_ICONS[d.decision_type] ?? 'lightbulb');
    item.contextValue = 'decision';
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${mdEscape(d.decision)}**\n\n`);
    md.appendMarkdown(`${mdEscape(decisionTypeLabel(d.decision_type))} (${mdCode(d.decision_type)}) · #${d.id} · ${shortTime(d.ts)} (${ago(d.ts)})`);
    md.appendMarkdown(`${d.agent_id ? ` · agent ${mdEscape(d.agent_id)}` : ''}${d.task_id ? ` · task ${mdEscape(d.task_id)}` : ''}\n\n`);
    md.appendMarkdown(`**Reasoning:** ${mdEscape(d.reasoning)}\n\n`);
    md.appendMarkdown('**Context:**\n');
    md.appendCodeblock(canonicalJson(d.context).trimEnd(), 'json');
    if (d.outcome !== null && d.outcome !== undefined) {
      md.appendMarkdown('**Outcome:**\n');
      md.appendCodeblock(canonicalJson(d.outcome).trimEnd(), 'json');
    }
    item.tooltip = md;
    item.command = { command: COMMANDS.openDecision, title: 'Open Decision', arguments: [element] };
    return item;
  }

  /** For tests: one decision as drawn. */
  describe(id: number): { label: string; description: string } | undefined {
    if (!this.byId.has(id)) return undefined;
    const item = this.getTreeItem({ key: `d:${id}`, id });
    return { label: String(item.label), description: String(item.description) };
  }

  /** For tests: decision texts in display order. */
  visibleDecisions(): string[] {
    return this.decisions.map(d => d.decision);
  }
}

/**
 * "Retry policy: Retry deploy-staging after quota raise". The type comes first: a description after
 * a long decision is the first text the tree cuts off; the decision's end is in the hover.
 */
export function decisionLabel(d: Decision): string {
  return `${decisionTypeLabel(d.decision_type)}: ${short(d.decision, 70)}`;
}
