import * as vscode from 'vscode';
import type { Alert } from '../core/types';
import { COMMANDS, VIEWS } from '../ids';
import { type CommandContext, registerCommand, requireSession, UserFacingError } from './run';

/** What the alert commands need of the Alerts view (handed in by the composition root). */
export interface AlertViewHandle {
  alertOf(id: number): Alert | undefined;
}

export function registerAlertCommands(ctx: CommandContext, view: AlertViewHandle): vscode.Disposable[] {
  /** A node of the Alerts view, an alert id, or an alert itself (from a notification). */
  const alertFrom = (ref: unknown): Alert => {
    if (ref && typeof ref === 'object' && 'subject' in ref) return ref as Alert;
    const id = typeof ref === 'number' ? ref : (ref as { id?: unknown } | undefined)?.id;
    const a = typeof id === 'number' ? view.alertOf(id) : undefined;
    if (!a) throw new UserFacingError('Pick an alert in the Alerts view.');
    return a;
  };
  return [
    registerCommand(ctx, COMMANDS.showAlerts, async () => {
      await vscode.commands.executeCommand(`${VIEWS.alerts}.focus`);
    }),

    /** The alert's agent or task, selected in its view. */
    registerCommand(ctx, COMMANDS.showAlertSubject, async (ref?: unknown) => {
      const a = alertFrom(ref);
      if (a.subject.type === 'agent') {
        await vscode.commands.executeCommand(`${VIEWS.agents}.focus`);
        await ctx.views.reveal.agent(a.subject.id);
      } else if (a.subject.type === 'team') {
        await vscode.commands.executeCommand(`${VIEWS.team}.focus`);
      } else {
        await vscode.commands.executeCommand(`${VIEWS.tasks}.focus`);
        await ctx.views.reveal.task(a.subject.id);
      }
      return a.subject;
    }),

    registerCommand(ctx, COMMANDS.dismissAlert, async (ref?: unknown) => {
      const a = alertFrom(ref);
      const dismissed = await requireSession(ctx).engine.dismissAlert(a.id);
      return dismissed?.active === false;
    }),
  ];
}
