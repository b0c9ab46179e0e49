// "Show Run Timeline": one webview per workspace folder drawing the run as a waterfall
// (src/webview/timeline.ts), live while open. Clicks come back as references that the composition
// root reveals in the sidebar.
import * as vscode from 'vscode';
import { errorText, errorWithStack } from '../../core/errorText';
import { AGE_STEP_MS } from '../../format';
import { readConfig, SETTINGS } from '../../host/config';
import { alignedInterval, Disposable } from '../../host/lifecycle';
import type { WorkspaceSession } from '../../host/session';
import type { Sessions } from '../../host/sessions';
import { readTimeline, type TimelineModel } from '../../timeline/model';
import type { HostToTimeline, TimelineRef, TimelineToHost } from '../../timeline/protocol';
import { newNonce } from './html';
import { whenMatching } from './page';
import { timelineHtml } from './timelineHtml';

export const TIMELINE_VIEW_TYPE = 'jarvis.timeline';
/** Least time between two reads of the model while the run is busy. */
const REFRESH_MIN_MS = 1_000;

export type TimelineRendered = Extract<TimelineToHost, { type: 'rendered' }>;

export class TimelinePage extends Disposable {
  readonly panel: vscode.WebviewPanel;
  private _rendered: TimelineRendered | undefined;
  private readonly _onDidRender = this._register(new vscode.EventEmitter<TimelineRendered>());
  readonly onDidRender = this._onDidRender.event;
  private readonly _onDidDispose = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this._onDidDispose.event;
  private loading: Promise<void> | undefined;
  private again = false;
  /** A change was not drawn (the page was hidden or the engine not open yet): drawn when it shows. */
  private stale = true;
  private model: TimelineModel | undefined;

  constructor(
    private readonly session: WorkspaceSession,
    sessions: Sessions,
    extensionUri: vscode.Uri,
    private readonly reveal: (session: WorkspaceSession, ref: TimelineRef) => unknown,
    private readonly log: vscode.LogOutputChannel,
    /** A panel VS Code restored after a reload (the serializer's), else a new one. */
    restored?: vscode.WebviewPanel,
  ) {
    super();
    const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    const options = { enableScripts: true, localResourceRoots: [root] };
    this.panel = restored ?? vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, '', vscode.ViewColumn.Active, options);
    this.panel.webview.options = options;
    this.panel.title = `Timeline — ${session.folder.name}`;
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'jarvis.svg');
    const web = this.panel.webview;
    web.html = timelineHtml({
      folder: session.key,
      title: `Run timeline — ${session.folder.name}`,
      nonce: newNonce(),
      cspSource: web.cspSource,
      scriptUri: web.asWebviewUri(vscode.Uri.joinPath(root, 'timeline.js')).toString(),
      codiconsUri: web.asWebviewUri(vscode.Uri.joinPath(root, 'codicon.css')).toString(),
    }).toString();
    this._register(web.onDidReceiveMessage((m: TimelineToHost) => this.receive(m)));
    // Live: every change of the folder's engine, and the clock for bars still running.
    this._register(sessions.onDidChange(({ session: s }) => {
      if (s === session) this.refresh();
    }));
    this._register(alignedInterval(AGE_STEP_MS, () => {
      if (this.panel.visible && this.model?.bars.some(b => b.open)) this.refresh();
    }));
    this._register(vscode.workspace.onDidChangeConfiguration(e => {
      if (e.affectsConfiguration(SETTINGS.costPrices)) this.refresh();
    }));
    // A page that shows again with its webview kept asks nothing itself: what it missed is sent.
    this._register(this.panel.onDidChangeViewState(e => {
      if (e.webviewPanel.visible && this.stale) void this.refresh();
    }));
    this._register(this.panel.onDidDispose(() => {
      this._onDidDispose.fire();
      this.dispose();
    }));
  }

  get rendered(): TimelineRendered | undefined {
    return this._rendered;
  }

  /** Resolves with the next (or, when `check` already holds, the current) render the check accepts. */
  whenRendered(check: (r: TimelineRendered) => boolean = () => true): Promise<TimelineRendered> {
    return whenMatching(this._rendered, this.onDidRender, check);
  }

  /** Clicks an item as the mouse would (tests): the page reveals it through its own click handler. */
  click(key: string): Thenable<boolean> {
    return this.post({ type: 'click', key });
  }

  /** Presses a key in the chart as the keyboard would (tests). */
  press(key: string, shiftKey = false): Thenable<boolean> {
    return this.post({ type: 'key', key, shiftKey });
  }

  /**
   * Reloads the model and sends it. Calls while a load runs fold into one more load, at most one a
   * second (a day's model is ~70 ms to read and ~2 MB to send: bench/timeline.ts); a hidden page
   * is not read at all, it asks again when it shows.
   */
  refresh(): Promise<void> {
    this.stale = true;
    if (!this.panel.visible || this.isDisposed) return Promise.resolve();
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    // Cleared in a later turn, never inside the load: a load that ends without waiting (no engine
    // yet) would clear it before this assignment and leave the page refusing every later refresh.
    const loading = this.load().finally(() => {
      if (this.loading === loading) this.loading = undefined;
    });
    this.loading = loading;
    return loading;
  }

  /** Reads and sends the model, again while refreshes came in meanwhile. */
  private async load(): Promise<void> {
    do {
      this.again = false;
      const engine = this.session.engine;
      if (!engine || this.isDisposed || !this.panel.visible) return;
      const started = Date.now();
      try {
        this.stale = false;
        this.model = await readTimeline(engine, readConfig(this.session.folder).costPrices);
        await this.post({ type: 'model', model: this.model });
      } catch (err) {
        this.stale = true;
        this.log.warn(`[timeline] could not read the run: ${errorText(err)}`);
      }
      if (this.again) await new Promise(r => setTimeout(r, Math.max(0, REFRESH_MIN_MS - (Date.now() - started))));
    } while (this.again);
  }

  show(): void {
    this.panel.reveal();
  }

  private post(m: HostToTimeline): Thenable<boolean> {
    return this.panel.webview.postMessage(m);
  }

  private async receive(m: TimelineToHost): Promise<void> {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'ready':
        // A new page, or one rebuilt after it was hidden: it needs the model, read now.
        void this.refresh();
        return;
      case 'rendered':
        this._rendered = m;
        this._onDidRender.fire(m);
        return;
      case 'reveal':
        try {
          await this.reveal(this.session, m.ref);
        } catch (err) {
          this.log.error(`[timeline] reveal ${m.key} failed: ${errorWithStack(err)}`);
          void vscode.window.showErrorMessage(`Jarvis Context: ${errorText(err)}`);
        }
        return;
    }
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }
}
