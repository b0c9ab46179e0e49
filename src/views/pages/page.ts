// One webview panel showing a Jarvis Context page (html.ts): read-only, no local resources, scripts
// only with the page's nonce. It forwards the buttons' actions to its owner and remembers what the
// browser last reported drawing (tests and "Refresh" read it).
import * as vscode from 'vscode';
import { errorWithStack } from '../../core/errorText';
import { Disposable } from '../../host/lifecycle';
import { type HostToPage, newNonce, type PageToHost, pageHtml, type SafeHtml } from './html';

export type Rendered = Extract<PageToHost, { type: 'rendered' }>;

export interface PageOptions {
  viewType: string;
  title: string;
  body: SafeHtml;
  onAction(action: string, arg: string | undefined): unknown;
  log: vscode.LogOutputChannel;
  column?: vscode.ViewColumn;
}

/** `current` when `check` accepts it, else the next value of `event` that it accepts. */
export function whenMatching<T>(current: T | undefined, event: vscode.Event<T>, check: (value: T) => boolean): Promise<T> {
  if (current !== undefined && check(current)) return Promise.resolve(current);
  return new Promise(resolve => {
    const sub = event(value => {
      if (!check(value)) return;
      sub.dispose();
      resolve(value);
    });
  });
}

export class Page extends Disposable {
  readonly panel: vscode.WebviewPanel;
  private _rendered: Rendered | undefined;
  /** The body last sent: a webview that was hidden is rebuilt from it when it shows again. */
  private body: SafeHtml;
  /** Resolves once the page's script has drawn the current content (after creation or a rebuild). */
  private ready: Promise<void>;
  private markReady: () => void = () => undefined;
  private readonly _onDidRender = this._register(new vscode.EventEmitter<Rendered>());
  /** Fires each time the browser has drawn new content. */
  readonly onDidRender = this._onDidRender.event;
  private readonly _onDidDispose = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this._onDidDispose.event;

  constructor(private readonly options: PageOptions) {
    super();
    this.panel = vscode.window.createWebviewPanel(options.viewType, options.title, options.column ?? vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [],
      enableFindWidget: true,
    });
    this.body = options.body;
    this.ready = this.load();
    this._register(this.panel.webview.onDidReceiveMessage((m: PageToHost) => this.receive(m)));
    // Hidden webviews are discarded (no retainContextWhenHidden: pages are cheap to redraw).
    let visible = this.panel.visible;
    this._register(this.panel.onDidChangeViewState(e => {
      if (e.webviewPanel.visible && !visible) this.ready = this.load();
      visible = e.webviewPanel.visible;
    }));
    this._register(this.panel.onDidDispose(() => {
      this._onDidDispose.fire();
      this.dispose();
    }));
  }

  private load(): Promise<void> {
    const ready = new Promise<void>(resolve => (this.markReady = resolve));
    this.panel.webview.html = pageHtml({ title: this.options.title, body: this.body, nonce: newNonce() }).toString();
    return ready;
  }

  get rendered(): Rendered | undefined {
    return this._rendered;
  }

  /** Resolves with the next (or, when `check` already holds, the current) render the check accepts. */
  whenRendered(check: (r: Rendered) => boolean = () => true): Promise<Rendered> {
    return whenMatching(this._rendered, this.onDidRender, check);
  }

  set title(title: string) {
    this.panel.title = title;
  }

  /** New content, drawn in place (scroll position kept). */
  async update(body: SafeHtml): Promise<boolean> {
    if (body.toString() === this.body.toString()) return true;
    this.body = body;
    if (!this.panel.visible) return false; // drawn from `body` when it shows again
    await this.ready;
    return this.post({ type: 'update', html: body.toString() });
  }

  /** Presses a button as a click would: shows the page first if hidden, waits until it is drawn. */
  async press(action: string): Promise<boolean> {
    if (!this.panel.visible) {
      const shown = new Promise<void>(resolve => {
        const sub = this.panel.onDidChangeViewState(e => {
          if (!e.webviewPanel.visible) return;
          sub.dispose();
          resolve();
        });
      });
      this.panel.reveal();
      await shown; // the view-state listener above has started the redraw by now
    }
    await this.ready;
    return this.post({ type: 'press', action });
  }

  private post(m: HostToPage): Thenable<boolean> {
    return this.panel.webview.postMessage(m);
  }

  private async receive(m: PageToHost): Promise<void> {
    if (!m || typeof m !== 'object') return;
    if (m.type === 'rendered') {
      this._rendered = m;
      this.markReady();
      this._onDidRender.fire(m);
    } else if (m.type === 'action' && typeof m.action === 'string') {
      try {
        await this.options.onAction(m.action, typeof m.arg === 'string' ? m.arg : undefined);
      } catch (err) {
        this.options.log.error(`[pages] ${this.options.viewType} action ${m.action} failed: ${errorWithStack(err)}`);
        void vscode.window.showErrorMessage(`Jarvis Context: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  reveal(): void {
    this.panel.reveal();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }
}
