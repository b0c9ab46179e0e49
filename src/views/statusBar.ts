import * as vscode from 'vscode';
import type { LgSummary } from '../core/langgraph/types';
import type { Alert, CheckpointInfo, ResumePointInfo } from '../core/types';
import { AGE_STEP_MS, ago, checkpointTitle, mdEscape, shortTime, visibleId } from '../format';
import { alignedInterval, Disposable } from '../host/lifecycle';
import type { Sessions } from '../host/sessions';
import { COMMANDS, STATUS_BAR_ID } from '../ids';
import type { TeamMode } from '../team/teamMode';
import { holderText } from './pages/statusHtml';

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
  /** The newest LangGraph step, when it is newer than every checkpoint of ours. */
  private newestStep: LgSummary | undefined;
  private count = 0;
  private alertCount = 0;
  private persistenceFailing = false;
  private resume: ResumePointInfo | undefined;

  constructor(private readonly sessions: Sessions) {
    super();
    this.item.name = 'Jarvis Context';
    this.item.command = { command: COMMANDS.showStatus, title: 'Show Jarvis Context Status' };
    this._register(sessions.onDidChange(({ session, batch }) => {
      if (session !== sessions.current) return;
      if (batch.has('checkpoint', 'recovery', 'cleanup', 'resume', 'langgraph')) this.refresh();
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

  /** What the hover names as the newest checkpoint: ours, or a LangGraph step when that is newer. */
  get newestTitle(): string | undefined {
    const lg = this.newestStep;
    if (lg) return `LangGraph ${typeof lg.metadata.step === 'number' ? `step ${lg.metadata.step}` : 'step'} of thread ${visibleId(lg.thread_id)}`;
    return this.newest && checkpointTitle(this.newest);
  }

  /** How many checkpoints the tooltip counts (tests hold it equal to the Checkpoints view). */
  get checkpointCount(): number {
    return this.count;
  }

  /** The store cannot write (the warning look, for that reason). */
  get degraded(): boolean {
    return this.persistenceFailing;
  }

  /** Alerts active now, shown with the warning look (tests read it). */
  get activeAlerts(): number {
    return this.alertCount;
  }

  /** Whether the item has the warning background. */
  get warning(): boolean {
    return this.item.backgroundColor !== undefined;
  }

  /** Re-reads the checkpoints (after a change), then draws. */
  refresh(): void {
    const engine = this.sessions.current?.engine;
    const all = engine ? engine.listCheckpoints(COUNT_LIMIT) : [];
    this.newest = all[0];
    this.count = all.length;
    // A graph that checkpoints through JarvisSaver has checkpoints too: its newest step counts.
    const step = engine?.langgraph.summaries(1)[0];
    this.newestStep = step && (!this.newest || Date.parse(step.created_at) > Date.parse(this.newest.created_at)) ? step : undefined;
    this.resume = engine?.getPendingResumePoint();
    this.render();
  }

  render(): void {
    const session = this.sessions.current;
    const engine = session?.engine;
    let text: string;
    let tooltip: string | vscode.MarkdownString;
    let warn = false;
    let alerts: Alert[] = [];
    if (!session) {
      text = '$(database) Jarvis: no folder';
      tooltip = 'Jarvis Context needs an open folder.';
    } else if (!engine) {
      warn = session.state === 'failed';
      const recovering = session.state === 'recovering';
      text = warn ? '$(error) Jarvis: not saving' : `$(sync~spin) Jarvis: ${recovering ? 'recovering' : 'starting'}`;
      tooltip = warn ? 'Jarvis Context could not open its storage. Click for details.'
        : recovering ? 'The last run ended without a clean shutdown: recovering the context store…' : 'Opening the context store…';
    } else {
      const st = engine.getStatus();
      warn = st.persistence === 'degraded';
      alerts = warn ? [] : engine.getAlerts({ active: true, limit: 1000 });
      const c = this.newest;
      const lg = this.newestStep;
      const newestAt = lg?.created_at ?? c?.created_at;
      const r = this.resume;
      text = warn ? '$(warning) Jarvis: not saving'
        // A pending resume point changes what the next orchestrator start does: it shows until
        // restored or cancelled, beside the alerts when there are any.
        : alerts.length ? `$(warning) Jarvis: ${plural(alerts.length, 'alert')}${r ? ` · resume from #${r.parent_id}` : ''}`
        : r ? `$(debug-continue) Jarvis: resume from #${r.parent_id}`
          : `$(database) Jarvis: ${newestAt ? `checkpoint ${ago(newestAt)}` : 'no checkpoint yet'}`;
      const team = session.team?.replication();
      // Team replication: said only when it is not keeping up (the local store is unaffected).
      if (!warn && team && team.state !== 'replicating') text += ` · team ${team.state}`;
      if (warn) {
        tooltip = `Jarvis Context cannot write its database: ${st.persistence_error ?? 'unknown error'}. Writes are still journaled.`;
      } else if (alerts.length) {
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**Jarvis Context** — ${plural(alerts.length, 'alert')} active:\n\n`);
        for (const a of alerts.slice(0, 8)) md.appendMarkdown(`- ${mdEscape(a.message)}\n`);
        if (alerts.length > 8) md.appendMarkdown(`- and ${alerts.length - 8} more\n`);
        if (r) md.appendMarkdown(`\n**Resume point pending**: the next orchestrator start restores checkpoint #${r.parent_id}. Cancel it with **Cancel Resume Point**.\n`);
        md.appendMarkdown('\nClick to show the Alerts view.');
        tooltip = md;
      } else {
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown('**Jarvis Context** — every write reaches the disk as it happens.\n\n');
        if (r) {
          md.appendMarkdown(`**Resume point pending**: the next orchestrator start restores checkpoint #${r.parent_id}${r.label ? ` ${mdEscape(`"${r.label}"`)}` : ''}` +
            `${r.edited ? ' with an edited state' : ''} (fork #${r.checkpoint_id}, ${ago(r.created_at)}). Cancel it with **Cancel Resume Point**.\n\n`);
        }
        const title = this.newestTitle;
        md.appendMarkdown(title && newestAt ? `Newest checkpoint: ${mdEscape(title)}, ${shortTime(newestAt)} (${ago(newestAt)})  \n` : 'No checkpoint yet  \n');
        md.appendMarkdown(`${plural(this.count, 'checkpoint')} · ${plural(st.counts.agents, 'agent')} · ${plural(st.counts.tasks, 'task')} · ${plural(st.counts.decisions, 'decision')}\n\n`);
        md.appendMarkdown(`Storage: ${mdEscape(st.storage_path)}  \n${mdEscape(`Store ${holderText(session.holder ?? { kind: 'own' })}`)}` +
          `${session.server && session.holder?.kind !== 'attached' ? `  \nServer: ${mdEscape(session.server.url)}` : ''}\n\n`);
        if (team) md.appendMarkdown(`${teamLine(team)}\n\n`);
        md.appendMarkdown('Click for the status page.');
        tooltip = md;
      }
    }
    this.persistenceFailing = warn && !!session;
    this.alertCount = alerts.length;
    warn ||= alerts.length > 0;
    const command = alerts.length ? COMMANDS.showAlerts : COMMANDS.showStatus;
    if (typeof this.item.command !== 'object' || this.item.command.command !== command) {
      this.item.command = alerts.length ? { command, title: 'Show Jarvis Context Alerts' } : { command, title: 'Show Jarvis Context Status' };
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
