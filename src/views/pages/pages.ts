// The open pages: one per recovery report, one status page per workspace folder. Commands reach
// them through the composition root (CommandContext.pages), the crash notification directly.
import * as path from 'path';
import * as vscode from 'vscode';
import { renderRecoveryReport } from '../../core/reportMarkdown';
import type { RecoveryReport } from '../../core/types';
import { showDocument, uris } from '../../documentUris';
import { AGE_STEP_MS, checkpointTitle, visibleId } from '../../format';
import { alignedInterval, Disposable } from '../../host/lifecycle';
import type { WorkspaceSession } from '../../host/session';
import type { Sessions } from '../../host/sessions';
import { COMMANDS } from '../../ids';
import type { SafeHtml } from './html';
import { Page } from './page';
import { type RemoteReport, REPORT_ACTIONS, renderReportBody, reportTitle } from './reportHtml';
import { renderStatusBody, STATUS_ACTIONS, type StatusPageData, statusTitle } from './statusHtml';
import type { TimelineRef } from '../../timeline/protocol';
import { TIMELINE_VIEW_TYPE, TimelinePage } from './timelinePage';

export const REPORT_VIEW_TYPE = 'jarvis.recoveryReport';
export const STATUS_VIEW_TYPE = 'jarvis.status';

/** An open report page: this folder's report, or (remote set) another origin's from the team database. */
interface OpenReport { page: Page; session: WorkspaceSession | undefined; report: RecoveryReport; remote?: RemoteReport }

export class Pages extends Disposable {
  private readonly reports = new Map<string, OpenReport>();
  private readonly statuses = new Map<string, Page>();
  private readonly timelines = new Map<string, TimelinePage>();

  constructor(
    private readonly sessions: Sessions,
    private readonly log: vscode.LogOutputChannel,
    /** Where the timeline's script and codicons are, and what its clicks reveal. */
    private readonly timelineHost: { extensionUri: vscode.Uri; reveal(session: WorkspaceSession, ref: TimelineRef): unknown },
  ) {
    super();
    // Status pages follow their folder's engine while open.
    this._register(sessions.onDidChange(({ session }) => this.refreshStatus(session)));
    this._register(alignedInterval(AGE_STEP_MS, () => {
      for (const s of this.sessions.all) if (this.statuses.get(s.key)?.panel.visible) this.refreshStatus(s);
      // Reports are pictures of one moment; what they say arrived since moves on.
      for (const open of this.reports.values()) {
        if (open.page.panel.visible) void open.page.update(open.session ? this.reportBody(open.session, open.report) : renderReportBody(open.report, undefined, undefined, open.remote));
      }
    }));
    this._register({ dispose: () => [...[...this.reports.values()].map(r => r.page), ...this.statuses.values(), ...this.timelines.values()].forEach(p => p.dispose()) });
  }

  /** The recovery report, rendered; the Markdown stays on disk beside it ("Open Markdown File"). */
  report(session: WorkspaceSession, report: RecoveryReport): Page {
    return this.openReport(`${session.key}:${report.file}`, { session, report }, () => new Page({
      viewType: REPORT_VIEW_TYPE,
      title: reportTitle(report),
      body: this.reportBody(session, report),
      log: this.log,
      onAction: (action, arg) => this.reportAction(session, report, action, arg),
    }));
  }

  /**
   * Another origin's report, read from the team database: the same page, read-only (its
   * checkpoints and files are on that machine); only "Copy as Markdown" acts.
   */
  teamReport(report: RecoveryReport & { origin: string }, from: RemoteReport): Page {
    return this.openReport(`team:${report.origin}:${report.file}`, { session: undefined, report, remote: from }, () => new Page({
      viewType: REPORT_VIEW_TYPE,
      title: `${reportTitle(report)} · ${visibleId(from.host)}`,
      body: renderReportBody(report, undefined, undefined, from),
      log: this.log,
      onAction: async action => {
        if (action !== REPORT_ACTIONS.copyMarkdown) {
          this.log.warn(`[pages] ${action} is not available for another machine's report`);
          return undefined;
        }
        await vscode.env.clipboard.writeText(renderRecoveryReport(report));
        void vscode.window.setStatusBarMessage('$(check) Jarvis: recovery report copied as Markdown', 4000);
        return undefined;
      },
    }));
  }

  /** One page per report: revealed when open, else made and remembered until closed. */
  private openReport(key: string, entry: Omit<OpenReport, 'page'>, make: () => Page): Page {
    const open = this.reports.get(key);
    if (open) {
      open.page.reveal();
      return open.page;
    }
    const page = make();
    this.reports.set(key, { ...entry, page });
    page.onDidDispose(() => this.reports.delete(key));
    return page;
  }

  /** Status and metrics of a folder, live while open. */
  status(session: WorkspaceSession): Page {
    const open = this.statuses.get(session.key);
    if (open) {
      open.reveal();
      return open;
    }
    const page = new Page({
      viewType: STATUS_VIEW_TYPE,
      title: statusTitle(session.folder.name),
      body: renderStatusBody(this.statusData(session)),
      log: this.log,
      onAction: action => this.statusAction(action),
    });
    this.statuses.set(session.key, page);
    page.onDidDispose(() => this.statuses.delete(session.key));
    return page;
  }

  /** The run as a waterfall, live while open; one per folder. */
  timeline(session: WorkspaceSession): TimelinePage {
    const open = this.timelines.get(session.key);
    if (open) {
      open.show();
      return open;
    }
    return this.keepTimeline(session, new TimelinePage(session, this.sessions, this.timelineHost.extensionUri, this.timelineHost.reveal, this.log));
  }

  private keepTimeline(session: WorkspaceSession, page: TimelinePage): TimelinePage {
    this.timelines.set(session.key, page);
    page.onDidDispose(() => this.timelines.delete(session.key));
    return page;
  }

  /**
   * A timeline VS Code brings back after a reload: taken back for its folder as soon as the
   * sessions exist (`sessionsMade`, before any engine is open: "Show Run Timeline" then reveals
   * it), drawn when its engine opens; closed when that folder is no longer in the workspace.
   */
  async restoreTimeline(panel: vscode.WebviewPanel, state: unknown, sessionsMade: Promise<void>): Promise<void> {
    await sessionsMade;
    const key = (state as { folder?: unknown } | undefined)?.folder;
    const session = this.sessions.all.find(s => s.key === key) ?? (key === undefined ? this.sessions.current : undefined);
    if (!session || this.timelines.has(session.key)) {
      this.log.info(`[pages] a timeline tab left open is closed: ${session ? 'its folder has one already' : `no open folder is ${String(key)}`}`);
      panel.dispose();
      return;
    }
    this.log.info(`[pages] the timeline left open is drawn again for ${session.key}`);
    this.keepTimeline(session, new TimelinePage(session, this.sessions, this.timelineHost.extensionUri, this.timelineHost.reveal, this.log, panel));
  }

  /** Open pages (tests). */
  get open(): { reports: Page[]; statuses: Page[]; timelines: TimelinePage[] } {
    return { reports: [...this.reports.values()].map(r => r.page), statuses: [...this.statuses.values()], timelines: [...this.timelines.values()] };
  }

  private reportBody(session: WorkspaceSession, report: RecoveryReport): SafeHtml {
    return renderReportBody(report, undefined, session.engine?.changesSince(report));
  }

  private refreshStatus(session: WorkspaceSession): void {
    const page = this.statuses.get(session.key);
    if (!page || !session.engine) return;
    void page.update(renderStatusBody(this.statusData(session)));
  }

  private statusData(session: WorkspaceSession): StatusPageData {
    const engine = session.requireEngine();
    const checkpoints = engine.listCheckpoints(10_000);
    const newest = checkpoints[0];
    return {
      folderName: session.folder.name,
      status: engine.getStatus(),
      metrics: engine.getMetrics(),
      serverUrl: session.server?.url ?? null,
      holder: session.holder ?? { kind: 'own' },
      checkpoints: { count: checkpoints.length, newest: newest ? { title: checkpointTitle(newest), created_at: newest.created_at } : null },
    };
  }

  private async reportAction(session: WorkspaceSession, report: RecoveryReport, action: string, arg: string | undefined): Promise<unknown> {
    switch (action) {
      case REPORT_ACTIONS.openCheckpoint:
        return vscode.commands.executeCommand(COMMANDS.openCheckpoint, Number(arg));
      case REPORT_ACTIONS.resumeFromCheckpoint:
        return vscode.commands.executeCommand(COMMANDS.resumeFromCheckpoint, Number(arg));
      case REPORT_ACTIONS.editAndFork:
        return vscode.commands.executeCommand(COMMANDS.editAndFork, Number(arg));
      case REPORT_ACTIONS.copyMarkdown: {
        await vscode.env.clipboard.writeText(session.requireEngine().renderRecoveryReport(report));
        void vscode.window.setStatusBarMessage('$(check) Jarvis: recovery report copied as Markdown', 4000);
        return undefined;
      }
      case REPORT_ACTIONS.openMarkdown: {
        const folder = session.storagePath;
        const file = folder ? vscode.Uri.file(path.join(folder, report.file.replace(/\.json$/, '.md'))) : undefined;
        try {
          if (file) {
            await vscode.workspace.fs.stat(file);
            return await showDocument(file);
          }
        } catch {
          // removed by a clean-up, or another folder: the rendering of the same report
        }
        return showDocument(uris.report(session, report, 'md'));
      }
      case REPORT_ACTIONS.openJson:
        return showDocument(uris.report(session, report, 'json'));
      default:
        this.log.warn(`[pages] unknown report action ${action}`);
        return undefined;
    }
  }

  private statusAction(action: string): Thenable<unknown> | undefined {
    switch (action) {
      case STATUS_ACTIONS.createCheckpoint: return vscode.commands.executeCommand(COMMANDS.createCheckpoint);
      case STATUS_ACTIONS.copyServerInfo: return vscode.commands.executeCommand(COMMANDS.copyServerInfo);
      case STATUS_ACTIONS.openStorageFolder: return vscode.commands.executeCommand(COMMANDS.openStorageFolder);
      case STATUS_ACTIONS.showLog: return vscode.commands.executeCommand(COMMANDS.showLog);
      default:
        this.log.warn(`[pages] unknown status action ${action}`);
        return undefined;
    }
  }
}
