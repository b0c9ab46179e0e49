import * as vscode from 'vscode';
import { errorText, errorWithStack } from '../core/errorText';
import type { RecoveryReport, TaskStatus } from '../core/types';
import type { ChangeBatch } from '../host/changes';
import type { Sessions } from '../host/sessions';
import type { WorkspaceSession } from '../host/session';
import type { CommandId } from '../ids';

/** What commands need of the views; the composition root hands the views in (commands never import them). */
export interface ViewHandles {
  tasks: { readonly filter: readonly TaskStatus[] | undefined; setFilter(statuses: readonly TaskStatus[] | undefined): void };
  /** Selects an agent or a task in its view (search results). */
  reveal: { agent(id: string): Promise<boolean>; task(id: string): Promise<boolean> };
  /** Every view, for "Refresh Views". */
  all: readonly { update(batch: ChangeBatch): void; whenIdle(): Promise<void> }[];
}

/** The rendered pages (webviews), handed in by the composition root like the views. */
export interface PageHandles {
  /** Opens (or reveals) the rendered recovery report; resolves to the page. */
  report(session: WorkspaceSession, report: RecoveryReport): unknown;
  /** Opens (or reveals) the live status and metrics page of a folder. */
  status(session: WorkspaceSession): unknown;
  /** Opens (or reveals) the run timeline of a folder; resolves to the page. */
  timeline(session: WorkspaceSession): unknown;
  /** Opens (or reveals) another origin's recovery report, read-only (team mode). */
  teamReport(report: RecoveryReport & { origin: string }, from: { host: string; user: string }): unknown;
}

/** What every command group gets. */
export interface CommandContext {
  sessions: Sessions;
  /** Where the extension is installed (the example orchestrator ships there). */
  extensionUri: vscode.Uri;
  views: ViewHandles;
  pages: PageHandles;
  log: vscode.LogOutputChannel;
  errors: CommandErrors;
}

/** Raised for expected situations: shown as information, not logged as a failure. */
export class UserFacingError extends Error {}

/**
 * The one error path: log with the stack, one message with "Show Log". A message already on screen
 * is not shown again, so a failure that repeats cannot become a notification loop.
 */
export class CommandErrors {
  private readonly showing = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  report(source: string, err: unknown): void {
    const message = errorText(err);
    if (err instanceof UserFacingError) {
      void vscode.window.showInformationMessage(message);
      return;
    }
    this.log.error(`[commands] ${source} failed: ${errorWithStack(err)}`);
    const text = `Jarvis Context: ${message}`;
    if (this.showing.has(text)) return;
    this.showing.add(text);
    void vscode.window.showErrorMessage(text, 'Show Log').then(choice => {
      this.showing.delete(text);
      if (choice) this.log.show();
    });
  }
}

/** Registers a command whose failures go through CommandErrors; it resolves to undefined then. */
export function registerCommand(
  ctx: CommandContext,
  id: CommandId,
  fn: (...args: any[]) => unknown,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await fn(...args);
    } catch (err) {
      ctx.errors.report(id, err);
      return undefined;
    }
  });
}

/** The current folder's session with an open engine, or a message saying why not. */
export function requireSession(ctx: CommandContext): WorkspaceSession & { engine: NonNullable<WorkspaceSession['engine']> } {
  const s = ctx.sessions.current;
  if (!s) throw new UserFacingError('Jarvis Context needs an open folder.');
  s.requireEngine();
  return s as WorkspaceSession & { engine: NonNullable<WorkspaceSession['engine']> };
}
