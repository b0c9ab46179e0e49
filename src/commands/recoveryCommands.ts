import * as vscode from 'vscode';
import { SCHEME, showDocument, uris } from '../documentUris';
import { COMMANDS } from '../ids';
import { type CommandContext, registerCommand, requireSession, UserFacingError } from './run';

export function registerRecoveryCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand(ctx, COMMANDS.openRecoveryReport, async () => {
      const s = requireSession(ctx);
      const report = s.engine.recoveryReport ?? (await s.engine.getLatestRecoveryReport());
      if (!report) throw new UserFacingError('No recovery report yet: the last runs ended cleanly. "Analyze Recovery Now" runs the analysis on the live state.');
      return ctx.pages.report(s, report);
    }),

    registerCommand(ctx, COMMANDS.openRecoveryReportJson, async (uri?: vscode.Uri) => {
      const s = requireSession(ctx);
      const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      if (target && target.scheme === SCHEME && /^\/recovery\/.+\.md$/.test(target.path)) {
        return (await showDocument(target.with({ path: target.path.replace(/\.md$/, '.json') }))).document.uri;
      }
      const report = await s.engine.getLatestRecoveryReport();
      if (!report) throw new UserFacingError('No recovery report yet.');
      return (await showDocument(uris.report(s, report, 'json'))).document.uri;
    }),

    // The engine already recovered when it opened; this reruns the analysis on the live state
    // (stale agents, incomplete tasks, what a resume would repeat) and shows it.
    registerCommand(ctx, COMMANDS.recoverFromCrash, async () => {
      const s = requireSession(ctx);
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Jarvis Context: analysing the latest context…' },
        () => s.engine.analyzeRecovery(),
      );
      ctx.pages.report(s, report);
      return report;
    }),
  ];
}
