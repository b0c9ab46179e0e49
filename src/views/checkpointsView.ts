import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type { CheckpointInfo, ResumePointInfo, SnapshotKind } from '../core/types';
import { ago, ageNow, CHECKPOINT_KIND_TITLES, checkpointTitle, mdCode, mdEscape, shortTime } from '../format';
import { CONTEXT_KEYS, setContextKey } from '../host/contextKeys';
import type { Sessions } from '../host/sessions';
import { COMMANDS } from '../ids';
import type { LgCheckpointKey } from '../core/langgraph';
import { groupRuns, type LgRun, type LgStep, runItem, runKey, stepItem, stepTooltipLines } from '../langgraphText';
import { type LoadedModel, SessionTree } from './sessionTree';

export interface CheckpointNode {
  readonly key: string;
  /** Our checkpoint's id; 0 on LangGraph nodes. */
  readonly id: number;
  /** A LangGraph run (thread and namespace) or, with its id, one of its checkpoints. */
  readonly lg?: { thread_id: string; checkpoint_ns: string; checkpoint_id?: string };
}

const LG_ICONS: Record<string, string> = { input: 'sign-in', loop: 'debug-step-over', update: 'edit', fork: 'git-branch' };

const ICONS: Record<SnapshotKind, string> = { auto: 'history', manual: 'pinned', recovery: 'bookmark', shutdown: 'debug-stop', fork: 'git-branch' };

/** What each icon means, for the hover (the list shows the icon alone). */
const ICON_MEANINGS: Record<SnapshotKind, string> = {
  auto: 'taken automatically while the context changes',
  manual: 'taken with Create Checkpoint',
  recovery: 'a recovery point the orchestrator marked',
  shutdown: 'taken when the store closed cleanly',
  fork: 'a fork made to resume from the checkpoint above it (Edit and Fork…, Resume from This Checkpoint)',
};

/** The node on top while a resume point is pending (its id is the fork's checkpoint). */
export const RESUME_NODE_KEY = 'resume';

/**
 * Recovery points and automatic checkpoints, newest first; forks under the checkpoint they were
 * made from. Above them, LangGraph threads as runs (one per namespace), their checkpoints under them.
 */
export class CheckpointsView extends SessionTree<CheckpointNode> {
  static readonly LIMIT = 200;
  /** LangGraph checkpoints read, newest first, over every thread. */
  static readonly LG_LIMIT = 500;
  private runs: LgRun[] = [];
  /** Subgraph runs drawn under their thread's own run (by run node key), after its checkpoints. */
  private subRuns = new Map<string, LgRun[]>();
  private rootOf = new Map<string, LgRun>();
  private lgSteps = new Map<string, { run: LgRun; step: LgStep; parentStep: number | undefined }>();
  private checkpoints: CheckpointInfo[] = [];
  private byId = new Map<number, CheckpointInfo>();
  private forks = new Map<number, CheckpointInfo[]>();
  private resume: ResumePointInfo | undefined;

  protected override readonly showsAges = true;

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['checkpoint', 'recovery', 'cleanup', 'resume', 'langgraph'], log);
  }

  protected async load(engine: ContextEngineApi | undefined): Promise<LoadedModel> {
    this.checkpoints = engine ? engine.listCheckpoints(CheckpointsView.LIMIT) : [];
    this.byId = new Map(this.checkpoints.map(c => [c.checkpoint_id, c]));
    this.forks = new Map();
    for (const c of this.checkpoints) {
      if (c.parent_id !== null && this.byId.has(c.parent_id)) this.forks.set(c.parent_id, [...(this.forks.get(c.parent_id) ?? []), c]);
    }
    this.resume = engine?.getPendingResumePoint();
    this.runs = engine ? groupRuns(engine.langgraph.summaries(CheckpointsView.LG_LIMIT)) : [];
    this.lgSteps = new Map();
    this.subRuns = new Map();
    this.rootOf = new Map();
    const roots = new Map(this.runs.filter(r => r.checkpoint_ns === '').map(r => [r.thread_id, r]));
    for (const run of this.runs) {
      const root = run.checkpoint_ns === '' ? undefined : roots.get(run.thread_id);
      if (!root) continue;
      this.rootOf.set(lgRunKey(run), root);
      this.subRuns.set(lgRunKey(root), [...(this.subRuns.get(lgRunKey(root)) ?? []), run]);
    }
    for (const run of this.runs) {
      const stepOf = new Map(run.steps.map(s => [s.summary.checkpoint_id, s.step]));
      for (const step of run.steps) {
        const parent = step.summary.parent_checkpoint_id;
        this.lgSteps.set(lgStepKey(step.summary), { run, step, parentStep: parent === null ? undefined : stepOf.get(parent) });
      }
    }
    setContextKey(CONTEXT_KEYS.hasCheckpoints, this.checkpoints.length > 0 || this.runs.length > 0);
    setContextKey(CONTEXT_KEYS.resumePending, this.resume !== undefined);
    const now = ageNow();
    const signatures = new Map(this.checkpoints.map(c => [`c:${c.checkpoint_id}`, `${ago(c.created_at, now)}|${c.checkpoint_id === this.resume?.checkpoint_id}`]));
    if (this.resume) signatures.set(RESUME_NODE_KEY, String(this.resume.resume_point_id));
    for (const run of this.runs) signatures.set(lgRunKey(run), runItem(run, this.rootOf.has(lgRunKey(run)), now).description);
    for (const [key, s] of this.lgSteps) signatures.set(key, stepItem(s.step, s.parentStep, now).description);
    const lgStructure = this.runs.map(r => `${runKey(r)}:${r.steps.map(s => s.summary.checkpoint_id).join(',')}`).join(';');
    return {
      structure: `${this.resume?.resume_point_id ?? ''};${this.checkpoints.map(c => `${c.checkpoint_id}<${c.parent_id ?? ''}`).join(',')};${lgStructure}`,
      signatures,
    };
  }

  /** LangGraph runs as drawn, newest first (tests). */
  langGraphRuns(): CheckpointNode[] {
    return this.runs.map(r => this.lgRunNode(r));
  }

  /** One LangGraph node as drawn (tests and the screenshot check). */
  describeNode(node: CheckpointNode): { label: string; description: string; tooltip: string } {
    const item = this.getTreeItem(node);
    const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? '');
    return { label: String(item.label), description: String(item.description ?? ''), tooltip };
  }

  /** The step of a LangGraph checkpoint's node, if it is loaded. */
  lgStep(node: CheckpointNode): LgStep | undefined {
    return this.lgSteps.get(node.key)?.step;
  }

  private lgRunNode(r: LgRun): CheckpointNode {
    const key = lgRunKey(r);
    return this.node(key, () => ({ key, id: 0, lg: { thread_id: r.thread_id, checkpoint_ns: r.checkpoint_ns } }));
  }

  private lgStepNode(s: LgStep): CheckpointNode {
    const key = lgStepKey(s.summary);
    const { thread_id, checkpoint_ns, checkpoint_id } = s.summary;
    return this.node(key, () => ({ key, id: 0, lg: { thread_id, checkpoint_ns, checkpoint_id } }));
  }

  /** The pending resume point as the view last loaded it. */
  get pendingResumePoint(): ResumePointInfo | undefined {
    return this.resume;
  }

  /** The checkpoint taken just before this one, if any. */
  previous(id: number): CheckpointInfo | undefined {
    const i = this.checkpoints.findIndex(c => c.checkpoint_id === id);
    return i >= 0 ? this.checkpoints[i + 1] : undefined;
  }

  get(id: number): CheckpointInfo | undefined {
    return this.byId.get(id);
  }

  /** For tests: one checkpoint as drawn. */
  describe(id: number): { description: string; tooltip: string } | undefined {
    if (!this.byId.has(id)) return undefined;
    const item = this.getTreeItem({ key: `c:${id}`, id });
    return { description: String(item.description), tooltip: (item.tooltip as vscode.MarkdownString).value };
  }

  getChildren(element?: CheckpointNode): CheckpointNode[] {
    const nodeOf = (c: CheckpointInfo) => this.node(`c:${c.checkpoint_id}`, () => ({ key: `c:${c.checkpoint_id}`, id: c.checkpoint_id }));
    if (element?.lg) {
      if (element.lg.checkpoint_id !== undefined) return [];
      const run = this.runs.find(r => lgRunKey(r) === element.key);
      return run ? [...run.steps.map(s => this.lgStepNode(s)), ...(this.subRuns.get(element.key) ?? []).map(r => this.lgRunNode(r))] : [];
    }
    if (element) return element.key === RESUME_NODE_KEY ? [] : (this.forks.get(element.id) ?? []).map(nodeOf);
    const top = [...this.topRuns().map(r => this.lgRunNode(r)), ...this.checkpoints.filter(c => c.parent_id === null || !this.byId.has(c.parent_id)).map(nodeOf)];
    if (!this.resume) return top;
    const r = this.resume;
    return [this.node(RESUME_NODE_KEY, () => ({ key: RESUME_NODE_KEY, id: r.checkpoint_id })), ...top];
  }

  override getParent(element: CheckpointNode): CheckpointNode | undefined {
    if (element.lg) {
      const s = this.lgSteps.get(element.key);
      const root = this.rootOf.get(element.key);
      return s && element.lg.checkpoint_id !== undefined ? this.lgRunNode(s.run) : root && this.lgRunNode(root);
    }
    const c = element.key === RESUME_NODE_KEY ? undefined : this.byId.get(element.id);
    if (!c || c.parent_id === null || !this.byId.has(c.parent_id)) return undefined;
    return this.node(`c:${c.parent_id}`, () => ({ key: `c:${c.parent_id}`, id: c.parent_id! }));
  }

  /** The forks drawn under a checkpoint (tests). */
  forksOf(id: number): number[] {
    return (this.forks.get(id) ?? []).map(c => c.checkpoint_id);
  }

  getTreeItem(element: CheckpointNode): vscode.TreeItem {
    if (element.key === RESUME_NODE_KEY) return this.resumeItem(element);
    if (element.lg) return element.lg.checkpoint_id === undefined ? this.lgRunItem(element) : this.lgStepItem(element);
    const c = this.byId.get(element.id);
    const item = new vscode.TreeItem(c ? checkpointTitle(c) : `#${element.id}`);
    item.id = element.key;
    if (!c) return item;
    const kind = { title: CHECKPOINT_KIND_TITLES[c.kind] ?? c.kind, icon: ICONS[c.kind] ?? 'circle-outline' };
    const pending = this.resume?.checkpoint_id === c.checkpoint_id;
    // The age of a pending fork is on the resume point's node above.
    item.description = pending ? 'next start' : ago(c.created_at);
    item.iconPath = new vscode.ThemeIcon(kind.icon, pending ? new vscode.ThemeColor('charts.blue') : undefined);
    item.contextValue = this.previous(c.checkpoint_id) ? 'checkpoint.hasPrevious' : 'checkpoint';
    item.tooltip = checkpointHover(c);
    item.command = { command: COMMANDS.openCheckpoint, title: 'Open Snapshot', arguments: [element] };
    if (this.forks.has(c.checkpoint_id)) {
      item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
      // A new id once it has forks: VS Code keeps the state it knew for an id, and it knew none.
      item.id = `${element.key}/forks`;
    }
    return item;
  }

  /** Runs drawn at the top: each thread's own, and subgraph runs whose thread's own run is not loaded. */
  private topRuns(): LgRun[] {
    return this.runs.filter(r => !this.rootOf.has(lgRunKey(r)));
  }

  private lgRunItem(element: CheckpointNode): vscode.TreeItem {
    const run = this.runs.find(r => lgRunKey(r) === element.key);
    const text = run && runItem(run, this.rootOf.has(element.key));
    // The newest thread open, the rest closed: a long history stays one line a run.
    const state = run && run === this.topRuns()[0] ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(text?.label ?? element.key, state);
    item.id = element.key;
    if (!run || !text) return item;
    item.description = text.description;
    item.iconPath = new vscode.ThemeIcon(run.checkpoint_ns ? 'type-hierarchy-sub' : 'type-hierarchy');
    item.contextValue = 'langgraphRun';
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(text.tooltip.split('\n').map(mdEscape).join('  \n'));
    md.appendMarkdown('\n\n---\n\nIts checkpoints are below, newest first: step, the node that wrote it, LangGraph\'s source. ');
    md.appendMarkdown('Right-click one to compare it with the previous, resume the thread from it, or edit and fork it.');
    item.tooltip = md;
    return item;
  }

  private lgStepItem(element: CheckpointNode): vscode.TreeItem {
    const s = this.lgSteps.get(element.key);
    const item = new vscode.TreeItem(s ? stepItem(s.step, s.parentStep).label : element.lg?.checkpoint_id ?? element.key);
    item.id = element.key;
    if (!s) return item;
    item.description = stepItem(s.step, s.parentStep).description;
    item.iconPath = new vscode.ThemeIcon(LG_ICONS[s.step.source] ?? 'circle-outline');
    item.contextValue = s.step.summary.parent_checkpoint_id !== null ? 'checkpoint.langgraph.hasPrevious' : 'checkpoint.langgraph';
    const md = new vscode.MarkdownString(undefined, true);
    const [title, ...rest] = stepTooltipLines(s.step, s.parentStep);
    md.appendMarkdown(`**${mdEscape(title)}**\n\n${rest.map(mdEscape).join('  \n')}`);
    if (s.step === s.run.steps[0]) md.appendMarkdown('\n\nThe newest of its run: the thread\'s next `invoke(null)` continues from here.');
    item.tooltip = md;
    item.command = { command: COMMANDS.openCheckpoint, title: 'Open Channel Values', arguments: [element] };
    return item;
  }

  private resumeItem(element: CheckpointNode): vscode.TreeItem {
    const r = this.resume;
    const parent = r && this.byId.get(r.parent_id);
    const item = new vscode.TreeItem(`Next start: ${parent ? checkpointTitle(parent) : `#${r?.parent_id ?? element.id}`}`);
    item.id = element.key;
    if (!r) return item;
    item.description = r.edited ? 'edited' : '';
    item.iconPath = new vscode.ThemeIcon('debug-continue', new vscode.ThemeColor('charts.blue'));
    item.contextValue = 'resumePoint';
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Resume point** — the next orchestrator start restores checkpoint #${r.parent_id}${r.label ? ` ${mdEscape(`"${r.label}"`)}` : ''}`);
    md.appendMarkdown(`${r.edited ? ' with an edited orchestrator state' : ''}, recorded as fork #${r.checkpoint_id} ${ago(r.created_at)}.\n\n`);
    md.appendMarkdown('`restore_context()` / `restoreContext()` (or `GET /context`) returns it, then clears it. ');
    md.appendMarkdown('**Cancel Resume Point** (the ✕) lets the next start restore the live context instead.');
    item.tooltip = md;
    item.command = { command: COMMANDS.openCheckpoint, title: 'Open Snapshot', arguments: [{ key: `c:${r.checkpoint_id}`, id: r.checkpoint_id }] };
    return item;
  }
}

function lgRunKey(k: { thread_id: string; checkpoint_ns: string }): string {
  return `lg:${runKey(k)}`;
}

function lgStepKey(k: LgCheckpointKey): string {
  return `lgc:${runKey(k)}\u0000${k.checkpoint_id}`;
}

function checkpointHover(c: CheckpointInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${mdEscape(checkpointTitle(c))}** — ${CHECKPOINT_KIND_TITLES[c.kind] ?? mdEscape(c.kind)} #${c.checkpoint_id}\n\n`);
  md.appendMarkdown(`Taken ${shortTime(c.created_at)} (${ago(c.created_at)})  \n`);
  md.appendMarkdown(`Snapshot ${c.snapshot_id}, ${c.size.toLocaleString('en-US')} bytes, sha256 ${mdCode(c.content_hash.slice(0, 12))}`);
  if (c.file) md.appendMarkdown(`  \nDatabase copy: ${mdCode(c.file)}`);
  if (c.parent_id !== null) md.appendMarkdown(`  \nForked from checkpoint #${c.parent_id}`);
  md.appendMarkdown('\n\n---\n\n');
  for (const k of Object.keys(ICONS) as SnapshotKind[]) {
    const line = `$(${ICONS[k]}) ${CHECKPOINT_KIND_TITLES[k]}: ${ICON_MEANINGS[k]}`;
    md.appendMarkdown(`${k === c.kind ? `**${line}**` : line}  \n`);
  }
  return md;
}
