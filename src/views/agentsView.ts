import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type { Agent } from '../core/types';
import { type CostTotals, formatCost, NO_COSTS } from '../cost';
import { ago, ageNow, canonicalJson, mdCode, mdEscape, shortTime, visibleId } from '../format';
import { ChangeBatch } from '../host/changes';
import { readConfig } from '../host/config';
import { CONTEXT_KEYS, setContextKey } from '../host/contextKeys';
import type { Sessions } from '../host/sessions';
import { type LoadedModel, SessionTree } from './sessionTree';

export const STALE_GROUP = '__stale__';
/** Agents fed by OpenTelemetry whose invocation ended: finished, not stale (they send no heartbeat). */
export const DONE_GROUP = '__done__';

export type AgentNode =
  | { readonly key: string; readonly kind: 'group'; readonly group: string }
  | { readonly key: string; readonly kind: 'agent'; readonly agentId: string };

interface AgentRow {
  agent: Agent;
  stale: boolean;
  done: boolean;
  seen: string;
}

/** An agent known only from OpenTelemetry spans reports nothing between invocations: once its last one ended it is done. */
function finishedFromTraces(a: Agent): boolean {
  return a.metadata?.source === 'opentelemetry' && !ACTIVE.test(a.status) && !FAILED.test(a.status);
}

const ACTIVE = /^(busy|working|running|active|executing|thinking|in_progress)$/i;
const FAILED = /^(error|failed|crashed|dead)$/i;
const OFF = /^(offline|stopped|terminated|done|finished)$/i;

function statusIcon(row: AgentRow): vscode.ThemeIcon {
  if (row.stale) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  if (row.done) return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
  const s = row.agent.status;
  if (ACTIVE.test(s)) return new vscode.ThemeIcon('pulse', new vscode.ThemeColor('charts.green'));
  if (FAILED.test(s)) return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
  if (OFF.test(s)) return new vscode.ThemeIcon('circle-slash');
  if (/^idle$/i.test(s)) return new vscode.ThemeIcon('circle-large-outline');
  return new vscode.ThemeIcon('person');
}

/**
 * Agents grouped by status; agents not seen for `jarvis.staleAgentMinutes` go to a "Stale" group on
 * top, agents of OpenTelemetry traces that finished to a "Done" group at the bottom.
 */
export class AgentsView extends SessionTree<AgentNode> {
  private groups: { name: string; rows: AgentRow[] }[] = [];
  private rows = new Map<string, AgentRow>();
  // "5 min ago" and staleness move with the clock; only nodes whose text changed repaint.
  protected override readonly showsAges = true;
  private costs: CostTotals = NO_COSTS;

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['agent', 'recovery', 'cleanup'], log);
  }

  /** What each agent's traced model calls cost (from the Traces view's spans and the price table). */
  setCosts(costs: CostTotals): void {
    this.costs = costs;
    this.update(ChangeBatch.everything());
  }

  protected async load(engine: ContextEngineApi | undefined): Promise<LoadedModel> {
    const agents = engine ? engine.getAgents() : [];
    const staleMs = readConfig(this.sessions.current?.folder).staleAgentMinutes * 60_000;
    const now = ageNow();
    const byGroup = new Map<string, AgentRow[]>();
    this.rows = new Map();
    for (const agent of agents) {
      const idle = Date.now() - Date.parse(agent.last_seen);
      const done = finishedFromTraces(agent);
      // at rest (idle, its work done) it is silent by design: never stale
      const row: AgentRow = { agent, done, stale: !done && !agent.at_rest && (agent.stale || idle > staleMs), seen: ago(agent.last_seen, now) };
      this.rows.set(agent.agent_id, row);
      const g = row.stale ? STALE_GROUP : done ? DONE_GROUP : agent.status || 'unknown';
      (byGroup.get(g) ?? byGroup.set(g, []).get(g)!).push(row);
    }
    const rank = (g: string) => (g === STALE_GROUP ? 0 : g === DONE_GROUP ? 2 : 1);
    const names = [...byGroup.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    this.groups = names.map(name => ({
      name,
      rows: byGroup.get(name)!.sort((a, b) => a.agent.agent_id.localeCompare(b.agent.agent_id)),
    }));
    setContextKey(CONTEXT_KEYS.hasAgents, agents.length > 0);
    const signatures = new Map<string, string>();
    for (const g of this.groups) {
      signatures.set(`g:${g.name}`, String(g.rows.length));
      for (const r of g.rows) signatures.set(`a:${r.agent.agent_id}`, JSON.stringify([r.agent.status, r.agent.current_task, r.seen, r.agent.capabilities, r.agent.metadata, this.costs.agents.get(r.agent.agent_id)]));
    }
    const structure = this.groups.map(g => `${g.name}:${g.rows.map(r => r.agent.agent_id).join(',')}`).join('|');
    return { structure, signatures };
  }

  getChildren(element?: AgentNode): AgentNode[] {
    if (!element) {
      return this.groups.map(g => this.node(`g:${g.name}`, () => ({ key: `g:${g.name}`, kind: 'group', group: g.name })));
    }
    if (element.kind !== 'group') return [];
    const g = this.groups.find(x => x.name === element.group);
    return (g?.rows ?? []).map(r => {
      const key = `a:${r.agent.agent_id}`;
      return this.node(key, () => ({ key, kind: 'agent', agentId: r.agent.agent_id }));
    });
  }

  override getParent(element: AgentNode): AgentNode | undefined {
    if (element.kind !== 'agent') return undefined;
    const g = this.groups.find(x => x.rows.some(r => r.agent.agent_id === element.agentId));
    return g ? this.getChildren().find(n => n.kind === 'group' && n.group === g.name) : undefined;
  }

  getTreeItem(element: AgentNode): vscode.TreeItem {
    if (element.kind === 'group') {
      const g = this.groups.find(x => x.name === element.group);
      const stale = element.group === STALE_GROUP;
      const done = element.group === DONE_GROUP;
      const label = stale ? 'Stale' : done ? 'Done' : element.group.charAt(0).toUpperCase() + element.group.slice(1);
      const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = element.key;
      item.description = `${g?.rows.length ?? 0}`;
      item.contextValue = stale ? 'agentGroup.stale' : 'agentGroup';
      item.iconPath = stale ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : undefined;
      if (stale) {
        item.tooltip = `Not heard from for more than ${readConfig(this.sessions.current?.folder).staleAgentMinutes} min (setting jarvis.staleAgentMinutes): crashed, hung or stopped without saying so.`;
      } else if (done) {
        item.tooltip = 'Agents seen in OpenTelemetry traces whose last invocation has ended.';
      }
      return item;
    }
    const row = this.rows.get(element.agentId);
    const item = new vscode.TreeItem(visibleId(element.agentId), vscode.TreeItemCollapsibleState.None);
    item.id = element.key;
    if (!row) return item;
    const a = row.agent;
    // The sidebar is narrow: what it is doing, what it cost and how fresh that is; the rest is in
    // the hover. The cost before the age: the age is the shorter loss when a task id is long.
    const cost = this.costs.agents.get(a.agent_id);
    item.description = [a.current_task ? visibleId(a.current_task) : row.done ? 'done' : 'no task', cost ? formatCost(cost) : '', row.seen].filter(Boolean).join(' · ');
    item.iconPath = statusIcon(row);
    item.contextValue = row.stale ? 'agent.stale' : 'agent';
    const md = new vscode.MarkdownString(undefined, true);
    const state = row.stale ? ' $(warning) stale: not heard from for a while' : row.done ? ' $(pass) done: its traced invocation ended' : '';
    md.appendMarkdown(`**${mdEscape(a.agent_id)}** — ${mdEscape(a.status)}${state}\n\n`);
    md.appendMarkdown(`Current task: ${a.current_task ? mdEscape(a.current_task) : '_none_'}  \n`);
    md.appendMarkdown(`Last seen: ${shortTime(a.last_seen)} (${row.seen})  \n`);
    md.appendMarkdown(`First seen: ${shortTime(a.first_seen)}${cost ? `  \nCost of its traced model calls: ${mdEscape(formatCost(cost))}` : ''}\n\n`);
    md.appendMarkdown(`Capabilities: ${a.capabilities.length ? a.capabilities.map(mdCode).join(' ') : '_none_'}\n\n`);
    if (Object.keys(a.metadata ?? {}).length) md.appendCodeblock(canonicalJson(a.metadata).trimEnd(), 'json');
    item.tooltip = md;
    return item;
  }

  /** For tests: the drawn state of one agent. */
  describe(agentId: string): { stale: boolean; done: boolean; description: string } | undefined {
    const row = this.rows.get(agentId);
    if (!row) return undefined;
    const item = this.getTreeItem({ key: `a:${agentId}`, kind: 'agent', agentId });
    return { stale: row.stale, done: row.done, description: String(item.description) };
  }
}
