import * as vscode from 'vscode';
import type { RecoveryReport } from '../core/types';
import type { WorkspaceSession } from '../host/session';
import { SCHEME, uris } from '../views/documents';
import { COMMANDS } from './ids';
import { type CommandContext, registerCommand, requireSession, showDocument, UserFacingError } from './run';

/** Opens a report as its Markdown rendering (the JSON is one click away in the editor title). */
export async function openReport(session: WorkspaceSession, report: RecoveryReport): Promise<vscode.Uri> {
  const editor = await showDocument(uris.report(session, report, 'md'));
  return editor.document.uri;
}

export function summarize(report: RecoveryReport): string {
  const parts = [
    `${report.incomplete_tasks.length} incomplete task${report.incomplete_tasks.length === 1 ? '' : 's'}`,
    `${report.stale_agents.length} stale agent${report.stale_agents.length === 1 ? '' : 's'}`,
    `${report.restored.journal_records_replayed} journal record${report.restored.journal_records_replayed === 1 ? '' : 's'} replayed`,
  ];
  return parts.join(', ');
}

/**
 * After a crash: one notification per report, offering to open it. Never awaited by activation,
 * and remembered so reopening the engine does not offer the same report twice.
 */
export class RecoveryOffers {
  readonly offered: string[] = [];

  offer(session: WorkspaceSession): void {
    const report = session.engine?.recoveryReport;
    if (!report || this.offered.includes(report.file)) return;
    this.offered.push(report.file);
    const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders.length > 1 ? ` (${session.folder.name})` : '';
    void vscode.window
      .showWarningMessage(`Jarvis Context recovered from a crash of the previous run${folder}: ${summarize(report)}.`, 'Open Recovery Report')
      .then(choice => (choice ? openReport(session, report) : undefined));
  }
}

export function registerRecoveryCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    registerCommand(ctx, COMMANDS.openRecoveryReport, async () => {
      const s = requireSession(ctx);
      const report = s.engine.recoveryReport ?? (await s.engine.getLatestRecoveryReport());
      if (!report) throw new UserFacingError('No recovery report yet: the last runs ended cleanly. "Recover from Crash" runs the analysis now.');
      return openReport(s, report);
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
      await openReport(s, report);
      return report;
    }),
  ];
}
