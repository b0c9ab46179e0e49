import * as vscode from 'vscode';
import type { Alert } from '../core/types';
import { errorWithStack } from '../core/errorText';
import { readConfig } from '../host/config';
import { Disposable } from '../host/lifecycle';
import type { WorkspaceSession } from '../host/session';
import type { Sessions } from '../host/sessions';

/**
 * One notification per new alert episode, with "Show" (the alert's agent or task) and "Dismiss".
 * Alerts already active when a store opens were raised in an earlier run: the Alerts view and the
 * status bar show them, without a notification. jarvis.alerts.notifications turns them off.
 */
export class AlertNotifications extends Disposable {
  private readonly seen = new Map<WorkspaceSession, Set<number>>();
  /** The alerts notified, in order (tests read it). */
  readonly notified: Alert[] = [];

  constructor(
    private readonly sessions: Sessions,
    private readonly log: vscode.LogOutputChannel,
    private readonly actions: { show(session: WorkspaceSession, alert: Alert): Promise<void>; dismiss(session: WorkspaceSession, alert: Alert): Promise<void> },
  ) {
    super();
    this._register(sessions.onDidChange(({ session, batch }) => {
      if (batch.has('alert')) this.check(session, batch.all);
    }));
  }

  private check(session: WorkspaceSession, reopened: boolean): void {
    const engine = session.engine;
    if (!engine) {
      this.seen.delete(session);
      return;
    }
    const active = engine.getAlerts({ active: true, limit: 1000 });
    let seen = this.seen.get(session);
    if (!seen || (reopened && seen.size === 0)) {
      this.seen.set(session, new Set(active.map(a => a.id)));
      if (!seen) return;
      seen = this.seen.get(session)!;
    }
    const fresh = active.filter(a => !seen!.has(a.id));
    for (const a of fresh) seen.add(a.id);
    if (fresh.length === 0 || !readConfig(session.folder).alerts.notifications) return;
    for (const a of fresh.reverse()) {
      this.notified.push(a);
      void vscode.window.showWarningMessage(`Jarvis Context: ${a.message}`, 'Show', 'Dismiss').then(async choice => {
        try {
          if (choice === 'Show') await this.actions.show(session, a);
          else if (choice === 'Dismiss') await this.actions.dismiss(session, a);
        } catch (err) {
          this.log.error(`[alerts] ${choice} failed: ${errorWithStack(err)}`);
        }
      });
    }
  }
}
