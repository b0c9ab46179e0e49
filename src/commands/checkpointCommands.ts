import * as vscode from 'vscode';
import type { CheckpointInfo, CheckpointResult } from '../core/types';
import { showDocument, uris } from '../documentUris';
import { CHECKPOINT_KIND_TITLES, checkpointTitle, shortTime } from '../format';
import { COMMANDS } from '../ids';
import { compareLg, compareLgWithPrevious, lgKeyOf, openLgCheckpoint } from './langgraphCommands';
import { type CommandContext, registerCommand, requireSession, UserFacingError } from './run';

/** A checkpoint id, or a node of the Checkpoints view (which carries its id, or `lg` for LangGraph's). */
export type CheckpointRef = number | string | { id: number } | undefined;

export function idOf(ref: CheckpointRef): number | undefined {
  if (ref === undefined || ref === null) return undefined;
  if (typeof ref === 'object') return ref.id;
  const n = Number(ref);
  return Number.isInteger(n) ? n : undefined;
}

export async function pickCheckpoint(all: CheckpointInfo[], placeHolder: string, exclude?: number): Promise<number | undefined> {
  const items = all
    .filter(c => c.checkpoint_id !== exclude)
    .map(c => ({ label: checkpointTitle(c), description: `${c.kind} · ${shortTime(c.created_at)}`, detail: `#${c.checkpoint_id}`, id: c.checkpoint_id }));
  const pick = await vscode.window.showQuickPick(items, { placeHolder });
  return pick?.id;
}

export function registerCheckpointCommands(ctx: CommandContext): vscode.Disposable[] {
  /** Diff of two snapshots, older on the left; canonical JSON so lines mean fields. */
  async function diff(a: number, b: number): Promise<vscode.Uri[]> {
    const s = requireSession(ctx);
    const all = s.engine.listCheckpoints(10_000);
    const ca = all.find(c => c.checkpoint_id === a);
    const cb = all.find(c => c.checkpoint_id === b);
    if (!ca || !cb) throw new UserFacingError(`Checkpoint ${!ca ? a : b} no longer exists.`);
    const [older, newer] = ca.checkpoint_id < cb.checkpoint_id ? [ca, cb] : [cb, ca];
    if (older.snapshot_id === newer.snapshot_id || older.content_hash === newer.content_hash) {
      // An empty diff editor says nothing: say it in words.
      void vscode.window.showInformationMessage(
        `${checkpointTitle(older)} (#${older.checkpoint_id}) and ${checkpointTitle(newer)} (#${newer.checkpoint_id}) hold the same context: nothing changed between ${shortTime(older.created_at)} and ${shortTime(newer.created_at)}.`,
      );
      return [];
    }
    const left = uris.checkpoint(s, older.checkpoint_id);
    const right = uris.checkpoint(s, newer.checkpoint_id);
    const title = `${checkpointTitle(older)} (${shortTime(older.created_at)}) ↔ ${checkpointTitle(newer)} (${shortTime(newer.created_at)})`;
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: false });
    return [left, right];
  }

  return [
    registerCommand(ctx, COMMANDS.createCheckpoint, async (label?: unknown): Promise<CheckpointResult | undefined> => {
      const s = requireSession(ctx);
      let text = typeof label === 'string' ? label : undefined;
      if (text === undefined) {
        text = await vscode.window.showInputBox({
          title: 'Create Checkpoint',
          prompt: 'Optional label; the checkpoint is a recovery point with a copy of the database',
          placeHolder: 'e.g. before-refactor',
        });
        if (text === undefined) return undefined; // cancelled
      }
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Jarvis: checkpoint' },
        () => s.engine.checkpoint(text!.trim() || undefined),
      );
      void vscode.window.setStatusBarMessage(`$(check) Jarvis: checkpoint #${result.checkpoint_id} saved${result.deduplicated ? ' (context unchanged)' : ''}`, 4000);
      return result;
    }),

    registerCommand(ctx, COMMANDS.openCheckpoint, async (ref?: CheckpointRef) => {
      const s = requireSession(ctx);
      const lg = lgKeyOf(ref);
      if (lg) return openLgCheckpoint(s, lg);
      const id = idOf(ref) ?? (await pickCheckpoint(s.engine.listCheckpoints(200), 'Checkpoint to open'));
      if (id === undefined) return undefined;
      const c = s.engine.listCheckpoints(10_000).find(x => x.checkpoint_id === id);
      const title = c ? `${CHECKPOINT_KIND_TITLES[c.kind] ?? 'Checkpoint'} #${id}${c.label ? ` — ${c.label}` : ''}` : `Checkpoint #${id}`;
      const editor = await showDocument(uris.checkpoint(s, id, title));
      return editor.document.uri;
    }),

    registerCommand(ctx, COMMANDS.compareWithPrevious, async (ref?: CheckpointRef) => {
      const s = requireSession(ctx);
      const lg = lgKeyOf(ref);
      if (lg) return compareLgWithPrevious(s, lg);
      const id = idOf(ref);
      if (id === undefined) throw new UserFacingError('Pick a checkpoint in the Checkpoints view.');
      const all = s.engine.listCheckpoints(10_000);
      const i = all.findIndex(c => c.checkpoint_id === id);
      const prev = i >= 0 ? all[i + 1] : undefined;
      if (!prev) throw new UserFacingError('This is the oldest checkpoint: nothing to compare with.');
      return diff(prev.checkpoint_id, id);
    }),

    registerCommand(ctx, COMMANDS.compareCheckpoints, async (a?: CheckpointRef, b?: CheckpointRef | CheckpointRef[]) => {
      const s = requireSession(ctx);
      // From the tree with two items selected, VS Code passes (clicked, [selected...]).
      if (Array.isArray(b)) {
        const lg = b.map(lgKeyOf);
        if (lg.length === 2 && lg[0] && lg[1]) return compareLg(s, lg[0], lg[1]);
        if (lg.some(k => k)) throw new UserFacingError('Compare two LangGraph checkpoints, or two of the orchestrator\'s: not one of each.');
        const ids = b.map(idOf).filter((x): x is number => x !== undefined);
        if (ids.length === 2) return diff(ids[0], ids[1]);
        b = undefined;
      }
      const all = s.engine.listCheckpoints(200);
      if (all.length < 2) throw new UserFacingError('Compare needs at least two checkpoints.');
      const first = idOf(a) ?? (await pickCheckpoint(all, 'First checkpoint'));
      if (first === undefined) return undefined;
      const second = idOf(b as CheckpointRef) ?? (await pickCheckpoint(all, 'Compare with', first));
      if (second === undefined) return undefined;
      return diff(first, second);
    }),
  ];
}
