// After a crash: one notification per recovery report, offering to open it.
import * as vscode from 'vscode';
import { errorWithStack } from '../core/errorText';
import type { WorkspaceSession } from '../host/session';
import type { Pages } from './pages/pages';
import { COMMANDS } from '../ids';
import { crashNotice } from './recoverySummary';

const OPEN = 'Open Recovery Report';
const RESUME = 'Resume from Last Recovery Point';

/** Orchestrators polling their spool reconnect within ~2 s of the server's return: wait that long before saying who came back. */
export const SETTLE_MS = 3_000;

/**
 * Never awaited by activation, and remembered so reopening the engine does not offer the same
 * report twice.
 */
export class RecoveryOffers {
  readonly offered: string[] = [];
  /** The notifications' texts, as shown (tests read them). */
  readonly messages: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly log: vscode.LogOutputChannel, private readonly pages: Pages, private readonly settleMs = SETTLE_MS) {}

  offer(session: WorkspaceSession): void {
    const report = session.engine?.recoveryReport;
    if (!report || this.offered.includes(report.file)) return;
    this.offered.push(report.file);
    const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders.length > 1 ? ` (${session.folder.name})` : '';
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const text = crashNotice(report, session.engine?.getStatus().since_start, folder);
      this.messages.push(text);
      this.log.info(`[recovery] ${text}`);
      // Resuming needs a recovery point to resume from.
      const actions = report.after_last_recovery_point.recovery_point ? [OPEN, RESUME] : [OPEN];
      void vscode.window
        .showWarningMessage(text, ...actions)
        .then(choice => choice === OPEN ? this.pages.report(session, report)
          : choice === RESUME ? vscode.commands.executeCommand(COMMANDS.resumeFromLastRecoveryPoint) : undefined)
        .then(undefined, err => this.log.error(`[recovery] could not open the recovery report ${report.file}: ${errorWithStack(err)}`));
    }, this.settleMs);
    this.timers.add(timer);
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
