import * as vscode from 'vscode';
import type { CheckpointInfo } from '../core/types';
import { AGE_STEP_MS, ago, checkpointTitle, mdEscape, shortTime } from '../format';
import { alignedInterval, Disposable } from '../host/lifecycle';
import type { Sessions } from '../host/sessions';
import { COMMANDS, STATUS_BAR_ID } from '../ids';
import type { TeamMode } from '../team/teamMode';

/** How many checkpoints the status bar counts at most (the Checkpoints view lists 200). */
const COUNT_LIMIT = 10_000;

/**
 * One item that names itself: "Jarvis: checkpoint 20 s ago", the newest checkpoint of the
 * Checkpoints view, on the same age clock as the view so both say the same; a click opens the
 * status page. The warning look only while persistence is degraded.
 */
export class StatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem(STATUS_BAR_ID, vscode.StatusBarAlignment.Left, 10));
  /** Read from the engine on changes only; the clock only moves the age. */
  private newest: CheckpointInfo | undefined;
  private count = 0;

  constructor(private readonly sessions: Sessions) {
    super();
    this.item.name = 'Jarvis Context';
    this.item.command = { command: COMMANDS.showStatus, title: 'Show Jarvis Context Status' };
    this._register(sessions.onDidChange(({ session, batch }) => {
      if (session !== sessions.current) return;
      if (batch.has('checkpoint', 'recovery', 'cleanup')) this.refresh();
      else this.render();
    }));
    this._register(sessions.onDidChangeCurrent(() => this.refresh()));
    this._register(alignedInterval(AGE_STEP_MS, () => this.render()));
    this.refresh();
    this.item.show();
  }

  /** The text as drawn (tests read it). */
  get text(): string {
    return this.item.text;
  }

  get tooltipText(): string {
    const t = this.item.tooltip;
    return typeof t === 'string' ? t : t?.value ?? '';
  }

  /** How many checkpoints the tooltip counts (tests hold it equal to the Checkpoints view). */
  get checkpointCount(): number {
    return this.count;
  }

  get degraded(): boolean {
    return this.item.backgroundColor !== undefined;
  }

  /** Re-reads the checkpoints (after a change), then draws. */
  refresh(): void {
    const engine = this.sessions.current?.engine;
    const all = engine ? engine.listCheckpoints(COUNT_LIMIT) : [];
    this.newest = all[0];
    this.count = all.length;
    this.render();
  }

  render(): void {
    const session = this.sessions.current;
    const engine = session?.engine;
    let text: string;
    let tooltip: string | vscode.MarkdownString;
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
      const c = this.newest;
      text = warn ? '$(warning) Jarvis: not saving' : `$(database) Jarvis: ${c ? `checkpoint ${ago(c.created_at)}` : 'no checkpoint yet'}`;
      const team = session.team?.replication();
      // Team replication: said only when it is not keeping up (the local store is unaffected).
      if (!warn && team && team.state !== 'replicating') text += team.state === 'offline' ? ' · team offline' : ' · team connecting';
      if (warn) {
        tooltip = `Jarvis Context cannot write its database: ${st.persistence_error ?? 'unknown error'}. Writes are still journaled.`;
      } else {
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown('**Jarvis Context** — every write reaches the disk as it happens.\n\n');
        md.appendMarkdown(c ? `Newest checkpoint: ${mdEscape(checkpointTitle(c))}, ${shortTime(c.created_at)} (${ago(c.created_at)})  \n` : 'No checkpoint yet  \n');
        md.appendMarkdown(`${plural(this.count, 'checkpoint')} · ${plural(st.counts.agents, 'agent')} · ${plural(st.counts.tasks, 'task')} · ${plural(st.counts.decisions, 'decision')}\n\n`);
        md.appendMarkdown(`Storage: ${mdEscape(st.storage_path)}${session.server ? `  \nServer: ${mdEscape(session.server.url)}` : ''}\n\n`);
        if (team) md.appendMarkdown(`${teamLine(team)}\n\n`);
        md.appendMarkdown('Click for the status page.');
        tooltip = md;
      }
    }
    if (this.item.text !== text) this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: text.replace(/\$\([^)]*\)\s*/g, '') };
    const bg = warn ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    if ((this.item.backgroundColor === undefined) !== (bg === undefined)) this.item.backgroundColor = bg;
  }
}

/** "Team shop: replicating, 3 pending (lag 12 ms)" or "Team shop: offline — <why>"; the error is already without password. */
function teamLine(t: NonNullable<ReturnType<TeamMode['replication']>>): string {
  const head = `Team ${mdEscape(t.project)}: ${t.state}`;
  const pending = `${plural(t.pending, 'record')} waiting${t.lagMs ? ` (lag ${Math.round(t.lagMs)} ms)` : ''}`;
  return t.state === 'replicating' ? `${head}, ${pending}` : `${head}, ${pending}${t.lastError ? ` — ${mdEscape(t.lastError)}` : ''}`;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
