import * as vscode from 'vscode';
import type { ContextEngineApi } from '../core/engineApi';
import type { CheckpointInfo, SnapshotKind } from '../core/types';
import { ago, CHECKPOINT_KIND_TITLES, checkpointTitle, mdEscape, shortTime } from '../format';
import { ChangeBatch } from '../host/changes';
import { CONTEXT_KEYS, setContextKey } from '../host/contextKeys';
import { interval } from '../host/lifecycle';
import type { Sessions } from '../host/sessions';
import { COMMANDS } from '../ids';
import { type LoadedModel, SessionTree } from './sessionTree';

export interface CheckpointNode {
  readonly key: string;
  readonly id: number;
}

const ICONS: Record<SnapshotKind, string> = { auto: 'history', manual: 'pinned', recovery: 'bookmark', shutdown: 'debug-stop' };

/** Recovery points and automatic checkpoints, newest first. */
export class CheckpointsView extends SessionTree<CheckpointNode> {
  static readonly LIMIT = 200;
  private checkpoints: CheckpointInfo[] = [];
  private byId = new Map<number, CheckpointInfo>();

  constructor(sessions: Sessions, log: vscode.LogOutputChannel) {
    super(sessions, ['checkpoint', 'recovery', 'cleanup'], log);
    this._register(interval(30_000, () => this.update(ChangeBatch.everything())));
  }

  protected async load(engine: ContextEngineApi | undefined): Promise<LoadedModel> {
    this.checkpoints = engine ? engine.listCheckpoints(CheckpointsView.LIMIT) : [];
    this.byId = new Map(this.checkpoints.map(c => [c.checkpoint_id, c]));
    setContextKey(CONTEXT_KEYS.hasCheckpoints, this.checkpoints.length > 0);
    const now = Date.now();
    return {
      structure: this.checkpoints.map(c => c.checkpoint_id).join(','),
      signatures: new Map(this.checkpoints.map(c => [`c:${c.checkpoint_id}`, ago(c.created_at, now).replace(/^\d+ s ago$/, 'seconds')])),
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
    item.description = `${shortTime(c.created_at)} · ${ago(c.created_at)}`;
    item.iconPath = new vscode.ThemeIcon(kind.icon);
    item.contextValue = this.previous(c.checkpoint_id) ? 'checkpoint.hasPrevious' : 'checkpoint';
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${mdEscape(checkpointTitle(c))}** — ${kind.title} #${c.checkpoint_id}\n\n`);
    md.appendMarkdown(`Taken ${shortTime(c.created_at)} (${ago(c.created_at)})  \n`);
    md.appendMarkdown(`Snapshot ${c.snapshot_id}, ${c.size} bytes, sha256 \`${c.content_hash.slice(0, 12)}\``);
    if (c.file) md.appendMarkdown(`  \nDatabase copy: \`${mdEscape(c.file)}\``);
    item.tooltip = md;
    item.command = { command: COMMANDS.openCheckpoint, title: 'Open Snapshot', arguments: [element] };
    return item;
  }
}
