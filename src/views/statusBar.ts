import * as vscode from 'vscode';
import { ago } from '../format';
import { Disposable, interval } from '../host/lifecycle';
import type { Sessions } from '../host/sessions';
import { COMMANDS, STATUS_BAR_ID } from '../ids';

/** One item: age of the last checkpoint; the warning look only while persistence is degraded. */
export class StatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem(STATUS_BAR_ID, vscode.StatusBarAlignment.Left, 10));

  constructor(private readonly sessions: Sessions) {
    super();
    this.item.name = 'Jarvis Context';
    this.item.command = COMMANDS.showStatus;
    this._register(sessions.onDidChange(({ session }) => session === sessions.current && this.render()));
    this._register(sessions.onDidChangeCurrent(() => this.render()));
    this._register(interval(1000, () => this.render()));
    this.render();
    this.item.show();
  }

  /** The text as drawn (tests read it). */
  get text(): string {
    return this.item.text;
  }

  get degraded(): boolean {
    return this.item.backgroundColor !== undefined;
  }

  render(): void {
    const session = this.sessions.current;
    const engine = session?.engine;
    let text: string;
    let tooltip: string;
    let warn = false;
    if (!session) {
      text = '$(database) Jarvis: no folder';
      tooltip = 'Jarvis Context needs an open folder.';
    } else if (!engine) {
      warn = session.state === 'failed';
      text = warn ? '$(error) Jarvis: not saving' : '$(sync~spin) Jarvis: starting';
      tooltip = warn ? 'Jarvis Context could not open its storage. Click for details.' : 'Opening the context store…';
    } else {
      const st = engine.getStatus();
      warn = st.persistence === 'degraded';
      // after a restart this run has none yet: the newest stored one still says how fresh the data is
      const last = st.last_checkpoint_at ?? engine.listCheckpoints(1)[0]?.created_at;
      const age = last ? `saved ${ago(last)}` : 'no checkpoint yet';
      text = warn ? `$(warning) Jarvis: not saving` : `$(database) ${age}`;
      tooltip = warn
        ? `Jarvis Context cannot write its database: ${st.persistence_error ?? 'unknown error'}. Writes are still journaled.`
        : `Jarvis Context — ${st.checkpoint_count} checkpoints, ${st.counts.agents} agents, ${st.counts.tasks} tasks\n${st.storage_path}${
            session.server ? `\nServer: ${session.server.url}` : ''
          }\nClick for status.`;
    }
    if (this.item.text !== text) this.item.text = text;
    this.item.tooltip = tooltip;
    const bg = warn ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    if ((this.item.backgroundColor === undefined) !== (bg === undefined)) this.item.backgroundColor = bg;
  }
}
