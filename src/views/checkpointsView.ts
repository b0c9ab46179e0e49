import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type { CheckpointInfo, SnapshotKind } from '../core/types';
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

/** Recovery points and automatic checkpoints, newest first. */
export class CheckpointsView extends SessionTree<CheckpointNode> {
  static readonly LIMIT = 200;
  private checkpoints: CheckpointInfo[] = [];
  private byId = new Map<number, CheckpointInfo>();

  protected override readonly showsAges = true;

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['checkpoint', 'recovery', 'cleanup'], log);
  }

  protected async load(engine: ContextEngineApi | undefined): Promise<LoadedModel> {
    this.checkpoints = engine ? engine.listCheckpoints(CheckpointsView.LIMIT) : [];
    this.byId = new Map(this.checkpoints.map(c => [c.checkpoint_id, c]));
    setContextKey(CONTEXT_KEYS.hasCheckpoints, this.checkpoints.length > 0);
    const now = ageNow();
    return {
      structure: this.checkpoints.map(c => c.checkpoint_id).join(','),
      signatures: new Map(this.checkpoints.map(c => [`c:${c.checkpoint_id}`, ago(c.created_at, now)])),
    };
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
    if (element) return [];
    return this.checkpoints.map(c => this.node(`c:${c.checkpoint_id}`, () => ({ key: `c:${c.checkpoint_id}`, id: c.checkpoint_id })));
  }

  getTreeItem(element: CheckpointNode): vscode.TreeItem {
    const c = this.byId.get(element.id);
    const item = new vscode.TreeItem(c ? checkpointTitle(c) : `#${element.id}`);
    item.id = element.key;
    if (!c) return item;
    const kind = { title: CHECKPOINT_KIND_TITLES[c.kind] ?? c.kind, icon: ICONS[c.kind] ?? 'circle-outline' };
    item.description = ago(c.created_at);
    item.iconPath = new vscode.ThemeIcon(kind.icon);
    item.contextValue = this.previous(c.checkpoint_id) ? 'checkpoint.hasPrevious' : 'checkpoint';
    item.tooltip = checkpointHover(c);
    item.command = { command: COMMANDS.openCheckpoint, title: 'Open Snapshot', arguments: [element] };
    return item;
  }
}

function checkpointHover(c: CheckpointInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${mdEscape(checkpointTitle(c))}** — ${CHECKPOINT_KIND_TITLES[c.kind] ?? mdEscape(c.kind)} #${c.checkpoint_id}\n\n`);
  md.appendMarkdown(`Taken ${shortTime(c.created_at)} (${ago(c.created_at)})  \n`);
  md.appendMarkdown(`Snapshot ${c.snapshot_id}, ${c.size.toLocaleString('en-US')} bytes, sha256 ${mdCode(c.content_hash.slice(0, 12))}`);
  if (c.file) md.appendMarkdown(`  \nDatabase copy: ${mdCode(c.file)}`);
  md.appendMarkdown('\n\n---\n\n');
  for (const k of Object.keys(ICONS) as SnapshotKind[]) {
    const line = `$(${ICONS[k]}) ${CHECKPOINT_KIND_TITLES[k]}: ${ICON_MEANINGS[k]}`;
    md.appendMarkdown(`${k === c.kind ? `**${line}**` : line}  \n`);
  }
  return md;
}
