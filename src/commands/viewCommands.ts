import * as vscode from 'vscode';
import { TASK_STATUSES, type TaskStatus } from '../core/types';
import { ChangeBatch } from '../host/changes';
import { showDocument, type SpanRef, uris } from '../documentUris';
import { statusLabel } from '../format';
import { COMMANDS } from '../ids';
import { type CommandContext, registerCommand, requireSession, UserFacingError } from './run';

export function registerViewCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    /** Statuses to show; pass an array to set it without the picker. */
    registerCommand(ctx, COMMANDS.filterTasks, async (statuses?: unknown) => {
      if (Array.isArray(statuses)) {
        ctx.views.tasks.setFilter(statuses.filter((x): x is TaskStatus => (TASK_STATUSES as readonly string[]).includes(x)));
        return ctx.views.tasks.filter;
      }
      const current = ctx.views.tasks.filter ?? TASK_STATUSES;
      const picks = await vscode.window.showQuickPick(
        TASK_STATUSES.map(s => ({ label: statusLabel(s), status: s, picked: current.includes(s) })),
        { canPickMany: true, title: 'Show tasks with status' },
      );
      if (picks) ctx.views.tasks.setFilter(picks.map(p => p.status));
      return ctx.views.tasks.filter;
    }),

    registerCommand(ctx, COMMANDS.clearTaskFilter, () => ctx.views.tasks.setFilter(undefined)),

    registerCommand(ctx, COMMANDS.refresh, async () => {
      for (const v of ctx.views.all) v.update(ChangeBatch.everything());
      await Promise.all(ctx.views.all.map(v => v.whenIdle()));
    }),

    registerCommand(ctx, COMMANDS.openDecision, async (ref?: { id: number } | number) => {
      const s = requireSession(ctx);
      const id = typeof ref === 'number' ? ref : ref?.id;
      if (id === undefined) throw new UserFacingError('Pick a decision in the Decisions view.');
      const d = await s.engine.getDecision(id);
      return (await showDocument(uris.decision(s, id, d ? `Decision #${id} — ${d.decision}` : `Decision #${id}`), { preview: true })).document.uri;
    }),

    /** From a span of the Traces view: the span, attributes and all, as read-only JSON. */
    registerCommand(ctx, COMMANDS.openSpan, async (ref?: SpanRef) => {
      const s = requireSession(ctx);
      if (!ref?.trace_id || !ref.span_id) throw new UserFacingError('Pick a span in the Traces view.');
      const doc = await vscode.workspace.openTextDocument(uris.span(s, ref));
      await vscode.languages.setTextDocumentLanguage(doc, 'json');
      return (await vscode.window.showTextDocument(doc, { preview: true })).document.uri;
    }),

    registerCommand(ctx, COMMANDS.selectWorkspaceFolder, async () => {
      const folder = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Show the Jarvis Context of' });
      const session = folder && ctx.sessions.forFolder(folder.uri);
      if (session) ctx.sessions.select(session);
      return session?.folder.uri;
    }),
  ];
}
