import * as vscode from 'vscode';
import type { CleanupResult } from '../core/types';
import { readConfig } from '../host/config';
import { COMMANDS } from '../ids';
import { type CommandContext, registerCommand, requireSession } from './run';

function describeRemoved(r: CleanupResult): string {
  const x = r.removed;
  return `${x.decisions} decisions, ${x.messages} messages, ${x.task_events} task events, ${x.snapshots} snapshots, ${x.checkpoint_files} checkpoint files, ${x.langgraph_checkpoints} LangGraph checkpoints`;
}

export function registerMaintenanceCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    /**
     * Dry run first, then a modal confirmation. Scripted callers may pass the age in days and
     * `{ confirm: true }` to skip the dialog (keybindings and tests).
     */
    registerCommand(ctx, COMMANDS.cleanUp, async (days?: unknown, options?: { confirm?: boolean }): Promise<CleanupResult | undefined> => {
      const s = requireSession(ctx);
      let olderThanDays = typeof days === 'number' && days > 0 ? days : undefined;
      if (olderThanDays === undefined) {
        const input = await vscode.window.showInputBox({
          title: 'Clean Up Old Data',
          prompt: 'Remove history older than this many days (recovery points are kept)',
          value: String(readConfig(s.folder).retentionDays),
          validateInput: v => (/^\d+(\.\d+)?$/.test(v.trim()) && Number(v) > 0 ? undefined : 'A number of days greater than 0'),
        });
        if (input === undefined) return undefined;
        olderThanDays = Number(input);
      }
      const preview = await s.engine.cleanup({ olderThanDays, dryRun: true });
      const total = Object.values(preview.removed).reduce((a, b) => a + b, 0);
      if (total === 0) {
        void vscode.window.showInformationMessage(`Nothing older than ${olderThanDays} days to clean up.`);
        return preview;
      }
      if (options?.confirm !== true) {
        const choice = await vscode.window.showWarningMessage(
          `Remove history older than ${olderThanDays} days?`,
          { modal: true, detail: `This removes ${describeRemoved(preview)}. Recovery points are kept.` },
          'Remove',
        );
        if (choice !== 'Remove') return preview;
      }
      const done = await s.engine.cleanup({ olderThanDays });
      void vscode.window.showInformationMessage(`Removed ${describeRemoved(done)}.`);
      return done;
    }),
  ];
}
