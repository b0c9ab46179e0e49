import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type { CheckpointInfo, ResumePointInfo, SnapshotKind } from '../core/types';
import { ago, ageNow, CHECKPOINT_KIND_TITLES, checkpointTitle, mdCode, mdEscape, shortTime } from '../format';
import { CONTEXT_KEYS, setContextKey } from '../host/contextKeys';
import type { Sessions } from '../host/sessions';
import { COMMANDS } from '../ids';
import { type LoadedModel, SessionTree } from './sessionTree';

export interface CheckpointNode {
  readonly key: string;
  readonly id: number;
}

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

/** Recovery points and automatic checkpoints, newest first; forks under the checkpoint they were made from. */
export class CheckpointsView extends SessionTree<CheckpointNode> {
  static readonly LIMIT = 200;
  private checkpoints: CheckpointInfo[] = [];
  private byId = new Map<number, CheckpointInfo>();
  private forks = new Map<number, CheckpointInfo[]>();
  private resume: ResumePointInfo | undefined;

  protected override readonly showsAges = true;

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['checkpoint', 'recovery', 'cleanup', 'resume'], log);
  }

  protected async load(engine: ContextEngineApi | undefined): Promise<LoadedModel> {
    this.checkpoints = engine ? engine.listCheckpoints(CheckpointsView.LIMIT) : [];
    this.byId = new Map(this.checkpoints.map(c => [c.checkpoint_id, c]));
    this.forks = new Map();
    for (const c of this.checkpoints) {
      if (c.parent_id !== null && this.byId.has(c.parent_id)) this.forks.set(c.parent_id, [...(this.forks.get(c.parent_id) ?? []), c]);
    }
    this.resume = engine?.getPendingResumePoint();
    setContextKey(CONTEXT_KEYS.hasCheckpoints, this.checkpoints.length > 0);
    setContextKey(CONTEXT_KEYS.resumePending, this.resume !== undefined);
    const now = ageNow();
    const signatures = new Map(this.checkpoints.map(c => [`c:${c.checkpoint_id}`, `${ago(c.created_at, now)}|${c.checkpoint_id === this.resume?.checkpoint_id}`]));
    if (this.resume) signatures.set(RESUME_NODE_KEY, String(this.resume.resume_point_id));
    return {
      structure: `${this.resume?.resume_point_id ?? ''};${this.checkpoints.map(c => `${c.checkpoint_id}<${c.parent_id ?? ''}`).join(',')}`,
      signatures,
    };
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
    if (element) return element.key === RESUME_NODE_KEY ? [] : (this.forks.get(element.id) ?? []).map(nodeOf);
    const top = this.checkpoints.filter(c => c.parent_id === null || !this.byId.has(c.parent_id)).map(nodeOf);
    if (!this.resume) return top;
    const r = this.resume;
    return [this.node(RESUME_NODE_KEY, () => ({ key: RESUME_NODE_KEY, id: r.checkpoint_id })), ...top];
  }

  override getParent(element: CheckpointNode): CheckpointNode | undefined {
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
