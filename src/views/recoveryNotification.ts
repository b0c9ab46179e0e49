// After a crash: one notification per recovery report, offering to open it.
import * as vscode from 'vscode';
import type { RecoveryReport } from '../core/types';
import { errorWithStack } from '../core/errorText';
import type { WorkspaceSession } from '../host/session';
import type { Pages } from './pages/pages';

export function summarize(report: RecoveryReport): string {
  const parts = [
    `${report.incomplete_tasks.length} incomplete task${report.incomplete_tasks.length === 1 ? '' : 's'}`,
    `${report.stale_agents.length} stale agent${report.stale_agents.length === 1 ? '' : 's'}`,
    `${report.restored.journal_records_replayed} journal record${report.restored.journal_records_replayed === 1 ? '' : 's'} replayed`,
  ];
  return parts.join(', ');
}

/**
 * Never awaited by activation, and remembered so reopening the engine does not offer the same
 * report twice.
 */
export class RecoveryOffers {
  readonly offered: string[] = [];

  constructor(private readonly log: vscode.LogOutputChannel, private readonly pages: Pages) {}

  offer(session: WorkspaceSession): void {
    const report = session.engine?.recoveryReport;
    if (!report || this.offered.includes(report.file)) return;
    this.offered.push(report.file);
    const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders.length > 1 ? ` (${session.folder.name})` : '';
    void vscode.window
      .showWarningMessage(`Jarvis Context recovered from a crash of the previous run${folder}: ${summarize(report)}.`, 'Open Recovery Report')
      .then(choice => (choice ? this.pages.report(session, report) : undefined))
      .then(undefined, err => this.log.error(`[recovery] could not open the recovery report ${report.file}: ${errorWithStack(err)}`));
  }
}
