import * as vscode from 'vscode';
import { NotFoundError } from '../core/errors';
import type { JsonObject, ResumePointInfo } from '../core/types';
import { showDocument } from '../documentUris';
import { checkpointTitle } from '../format';
import { COMMANDS } from '../ids';
import type { WorkspaceSession } from '../host/session';
import type { LgCheckpointKey } from '../core/langgraph';
import { draftOf, draftUri, FORK_SCHEME, ForkDrafts, lgDraftUri, parseDraftUri, parseLgDraftUri } from '../forkDraftDocuments';
import { type CheckpointRef, idOf, pickCheckpoint } from './checkpointCommands';
import { checkLgDraft, editLgDraft, forkLg, lgKeyOf, lgTitle, resumeLg } from './langgraphCommands';
import { type CommandContext, registerCommand, requireSession, UserFacingError } from './run';

// Resume and fork from a checkpoint: the engine records a fork (history is never rewritten) and a
// pending resume point that the orchestrator's next restore_context() returns and clears.

type Engine = NonNullable<WorkspaceSession['engine']>;

export function registerResumeCommands(ctx: CommandContext): vscode.Disposable[] {
  const drafts = new ForkDrafts();

  function sessionOf(key: string): WorkspaceSession & { engine: Engine } {
    const s = ctx.sessions.all.find(x => x.key === key);
    if (!s?.engine) throw new UserFacingError('The folder this draft belongs to is no longer open.');
    return s as WorkspaceSession & { engine: Engine };
  }

  async function chosen(ref: CheckpointRef, engine: Engine, placeHolder: string): Promise<number | undefined> {
    return idOf(ref) ?? pickCheckpoint(engine.listCheckpoints(200), placeHolder);
  }

  function announce(r: ResumePointInfo): void {
    const what = `checkpoint #${r.parent_id}${r.label ? ` "${r.label}"` : ''}${r.edited ? ' with your edited state' : ''}`;
    void vscode.window.showInformationMessage(`The next orchestrator start resumes from ${what} (recorded as fork #${r.checkpoint_id}).`, 'Cancel Resume Point')
      .then(choice => choice && vscode.commands.executeCommand(COMMANDS.cancelResumePoint));
  }

  /** Engine refusals a user can act on are said as information. */
  async function asUser<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof NotFoundError) throw new UserFacingError(e.message.replace(/^checkpoint_id: /, 'Cannot resume: '));
      throw e;
    }
  }

  /** Closes the draft's editors and its diff, once forked. */
  async function closeDraft(uri: vscode.Uri): Promise<void> {
    const draft = draftOf(uri);
    const mine = (u: vscode.Uri | undefined) => !!u && draftOf(u) === draft;
    const tabs = vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t =>
      (t.input instanceof vscode.TabInputText && mine(t.input.uri)) ||
      (t.input instanceof vscode.TabInputTextDiff && (mine(t.input.modified) || mine(t.input.original))));
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
    drafts.discard(uri);
  }

  /** What a saved draft is shown beside and asked; undefined when it does not check out (a diagnostic says why). */
  function reviewOf(uri: vscode.Uri, text: string): { original: vscode.Uri; title: string; question: string } | undefined {
    const ref = parseDraftUri(uri);
    if (ref) {
      if (!drafts.check(uri, text)) return undefined;
      return {
        original: draftUri(ref.sessionKey, ref.checkpointId, `Checkpoint #${ref.checkpointId} state`, true),
        title: `Checkpoint #${ref.checkpointId} state ↔ your edit`,
        question: `Fork checkpoint #${ref.checkpointId} with this state? The next orchestrator start resumes from it; the history stays as it is.`,
      };
    }
    const lg = parseLgDraftUri(uri);
    const checked = lg && checkLgDraft(sessionOf(lg.sessionKey).engine, drafts, uri, lg.key, text);
    if (!lg || !checked) return undefined;
    const name = lgTitle(checked.t);
    return {
      original: lgDraftUri(lg.sessionKey, lg.key, `${name} channel values`, true),
      title: `${name} channel values ↔ your edit`,
      question: `Fork ${name} with these values? The thread's next invoke(null) continues from the fork; the history stays as it is.`,
    };
  }

  /** A saved draft that checks out: its diff against what it was made from, then the question. */
  async function onSaved(uri: vscode.Uri, text: string): Promise<void> {
    if (!draftOf(uri) || parseDraftUri(uri)?.original || parseLgDraftUri(uri)?.original) return;
    const review = reviewOf(uri, text);
    if (!review) {
      const problem = vscode.languages.getDiagnostics(uri).find(d => d.source === 'Jarvis Context');
      void vscode.window.showWarningMessage(problem?.message ?? 'The edit is not valid. Nothing was stored.');
      return;
    }
    await vscode.commands.executeCommand('vscode.diff', review.original, uri, review.title, { preview: false });
    const choice = await vscode.window.showInformationMessage(review.question, 'Fork and Resume', 'Keep Editing');
    if (choice === 'Fork and Resume') await vscode.commands.executeCommand(COMMANDS.confirmFork, uri);
  }

  return [
    drafts,
    vscode.workspace.registerFileSystemProvider(FORK_SCHEME, drafts, { isCaseSensitive: true }),
    drafts.onDidSave(({ uri, text }) => onSaved(uri, text).catch(e => ctx.errors.report('fork draft', e))),

    registerCommand(ctx, COMMANDS.resumeFromCheckpoint, async (ref?: CheckpointRef): Promise<ResumePointInfo | LgCheckpointKey | undefined> => {
      const s = requireSession(ctx);
      const lg = lgKeyOf(ref);
      if (lg) return resumeLg(s.engine, lg);
      const id = await chosen(ref, s.engine, 'Checkpoint the next orchestrator start resumes from');
      if (id === undefined) return undefined;
      const r = await asUser(s.engine.setResumePoint({ checkpoint_id: id }));
      announce(r);
      return r;
    }),

    /** Opens the checkpoint's orchestrator state as an editable draft; saving it checks it, shows the diff and asks. */
    registerCommand(ctx, COMMANDS.editAndFork, async (ref?: CheckpointRef): Promise<vscode.Uri | undefined> => {
      const s = requireSession(ctx);
      const lg = lgKeyOf(ref);
      if (lg) return editLgDraft(s, drafts, lg);
      const id = await chosen(ref, s.engine, 'Checkpoint to fork with an edited state');
      if (id === undefined) return undefined;
      const snapshot = await s.engine.getCheckpointSnapshot(id);
      if (!snapshot) throw new UserFacingError(`Checkpoint #${id} no longer exists.`);
      const c = s.engine.listCheckpoints(10_000).find(x => x.checkpoint_id === id);
      const state = (snapshot.state ?? {}) as JsonObject;
      const { draft } = drafts.prepare(s.key, id, `Edit and fork #${id}${c?.label ? ` — ${checkpointTitle(c)}` : ''}`, state);
      await showDocument(draft);
      void vscode.window.setStatusBarMessage(`$(edit) Jarvis: edit the state of checkpoint #${id}, then save to see the diff and fork`, 6000);
      return draft;
    }),

    /** The confirmation: forks with the saved draft and makes it the pending resume point. */
    registerCommand(ctx, COMMANDS.confirmFork, async (uri?: vscode.Uri): Promise<ResumePointInfo | LgCheckpointKey | undefined> => {
      const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      const ref = target && parseDraftUri(target);
      const lg = target && parseLgDraftUri(target);
      if (!target || (!ref && !lg) || ref?.original || lg?.original) throw new UserFacingError('Open a draft with Edit and Fork… first.');
      const doc = vscode.workspace.textDocuments.find(d => d.uri.toString() === target.toString());
      if (!doc) throw new UserFacingError('This draft was already forked or closed.');
      if (doc.isDirty) throw new UserFacingError('Save the edited values first: saving checks them and shows the diff against the checkpoint.');
      if (lg) {
        const engine = sessionOf(lg.sessionKey).engine;
        const checked = checkLgDraft(engine, drafts, target, lg.key, doc.getText());
        if (!checked) throw new UserFacingError(vscode.languages.getDiagnostics(target).find(d => d.source === 'Jarvis Context')?.message ?? 'The edited values are not valid.');
        const made = await forkLg(engine, checked.t, checked.edits);
        await closeDraft(target);
        return made;
      }
      if (!ref) return undefined;
      const state = drafts.check(target, doc.getText());
      if (!state) throw new UserFacingError(vscode.languages.getDiagnostics(target).find(d => d.source === 'Jarvis Context')?.message ?? 'The edited state is not valid.');
      const s = sessionOf(ref.sessionKey);
      const r = await asUser(s.engine.setResumePoint({ checkpoint_id: ref.checkpointId, state }));
      await closeDraft(target);
      announce(r);
      return r;
    }),

    registerCommand(ctx, COMMANDS.resumeFromLastRecoveryPoint, async (): Promise<ResumePointInfo> => {
      const s = requireSession(ctx);
      const r = await asUser(s.engine.resumeFromLastRecoveryPoint());
      announce(r);
      return r;
    }),

    registerCommand(ctx, COMMANDS.cancelResumePoint, async (): Promise<ResumePointInfo> => {
      const s = requireSession(ctx);
      if (!s.engine.getPendingResumePoint()) throw new UserFacingError('No resume point is pending: the next orchestrator start restores the live context.');
      const r = await asUser(s.engine.clearResumePoint('user'));
      void vscode.window.setStatusBarMessage(`$(check) Jarvis: resume from checkpoint #${r.parent_id} cancelled; the next start restores the live context`, 6000);
      return r;
    }),
  ];
}
