// The recovery report as a page: the same sections as its Markdown (core/reportMarkdown.ts), but
// read, not parsed: facts, the incomplete tasks as a table, the crash frontier, and buttons.
// No vscode import (unit-tested in plain Node).
import type { ChangesSince, RecoveryReport } from '../../core/types';
import { lostRecordsText } from '../../core/lostText';
import { decisionTypeLabel, duration, localTimeWithZone, shortTime, statusLabel, visibleId as id } from '../../format';
import { button, html, joinHtml, type SafeHtml } from './html';

/** The actions the report's buttons post (the panel handles them). */
export const REPORT_ACTIONS = {
  openCheckpoint: 'openCheckpoint', resumeFromCheckpoint: 'resumeFromCheckpoint', editAndFork: 'editAndFork',
  copyMarkdown: 'copyMarkdown', openMarkdown: 'openMarkdown', openJson: 'openJson',
} as const;

const LOADED_FROM: Record<RecoveryReport['loaded_from'], string> = {
  database: 'the database file',
  recovery_checkpoint: 'the newest readable recovery checkpoint (the database file was missing or unreadable)',
  emergency_json: 'the newest emergency backup (database and checkpoints were unreadable)',
  empty: 'nothing: a new, empty store',
  live: 'the running store',
};

const plural = (n: number, word: string): string => `${Number(n).toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
const NONE = html`<span class="muted">none</span>`;
const DASH = html`<span class="muted">—</span>`;

/** "Recovery report — 1 Dec 14:02" */
export function reportTitle(r: RecoveryReport, now?: number): string {
  return `Recovery report — ${shortTime(r.created_at, now)}`;
}

/** A report of another origin (team mode): read from the team database, its store not here. */
export interface RemoteReport {
  host: string;
  user: string;
}

/**
 * `changes`: what arrived after the report's moment (the engine's changesSince), so a reader sees
 * why the sidebar, which is live, may show more than the report. `remote`: the report is another
 * machine's; the buttons that act on a local store (checkpoints, resume, files) are left out.
 */
export function renderReportBody(r: RecoveryReport, now?: number, changes?: ChangesSince, remote?: RemoteReport): SafeHtml {
  const out: SafeHtml[] = [];
  const crash = r.trigger === 'crash';
  out.push(html`<h1>${crash ? 'Recovered from a crash' : 'Recovery analysis'}</h1>`);
  out.push(html`<p class="sub">${remote ? `${id(remote.host)} · ${id(remote.user)} · ` : ''}${shortTime(r.created_at, now)} · ${crash ? 'the previous run ended without a clean shutdown' : 'asked for while running'} · took ${Number(r.duration_ms) < 10 ? Number(r.duration_ms).toFixed(1) : Math.round(r.duration_ms)} ms</p>`);
  out.push(html`<p class="moment">This report describes the state at <strong>${localTimeWithZone(r.as_of ?? r.created_at, now, true)}</strong>; ${remote
    ? `it was written on ${id(remote.host)} and read from the team database. Read-only here: its checkpoints and files are on that machine; the Team view shows what arrived after it.`
    : 'the sidebar is live and shows what arrived after it.'}</p>`);

  const rp = r.after_last_recovery_point.recovery_point;
  const buttons: SafeHtml[] = [];
  if (rp && !remote) {
    const named = `#${rp.checkpoint_id}${rp.label ? ` "${rp.label}"` : ''}`;
    buttons.push(button(REPORT_ACTIONS.openCheckpoint, 'Open Checkpoint', { arg: rp.checkpoint_id, title: `Open the last recovery point, ${named}` }));
    // The very checkpoint this report names, never "the newest" at the time of the click.
    buttons.push(button(REPORT_ACTIONS.resumeFromCheckpoint, `Resume from #${rp.checkpoint_id}`, { arg: rp.checkpoint_id, secondary: true, title: `The next orchestrator start restores ${named}` }));
    buttons.push(button(REPORT_ACTIONS.editAndFork, 'Edit and Fork…', { arg: rp.checkpoint_id, secondary: true, title: `Edit the orchestrator state of ${named}, then resume from the edit` }));
  }
  buttons.push(button(REPORT_ACTIONS.copyMarkdown, 'Copy as Markdown', { secondary: !!rp && !remote }));
  if (!remote) {
    buttons.push(button(REPORT_ACTIONS.openMarkdown, 'Open Markdown File', { secondary: true, title: 'The report as written beside the database' }));
    buttons.push(button(REPORT_ACTIONS.openJson, 'Open as JSON', { secondary: true }));
  }
  out.push(html`<div class="toolbar">${buttons}</div>`);

  const loadedFrom = r.loaded_from === 'empty' && r.restored.journal_records_replayed > 0 ? 'the journal alone (the run had not written a database file yet)' : LOADED_FROM[r.loaded_from];
  const restored = [plural(r.restored.tasks, 'task'), plural(r.restored.agents, 'agent'), plural(r.restored.decisions, 'decision'), plural(r.restored.messages, 'message'), plural(r.restored.snapshots, 'snapshot')].join(', ');
  const prev = r.previous_run;
  out.push(html`<h2>Summary</h2><dl class="facts">
<dt>Lost</dt><dd class="${r.lost.length || r.lost_records ? 'bad' : 'ok'}">${r.lost_records ? plural(r.lost_records.count, 'record') : r.lost.length ? plural(r.lost.length, 'loss') : 'nothing: every acknowledged write was restored'}</dd>
<dt>State loaded from</dt><dd>${loadedFrom}</dd>
<dt>Journal replayed</dt><dd>${plural(r.restored.journal_records_replayed, 'record')}</dd>
<dt>Restored</dt><dd>${restored}</dd>
${prev ? html`<dt>Previous run</dt><dd>pid ${prev.pid} on ${id(prev.host)}, started ${shortTime(prev.started_at, now)}</dd>` : ''}
</dl>`);
  if (r.lost.length) out.push(html`<ul class="bad">${r.lost.map(l => html`<li>${l}</li>`)}</ul>`);
  if (r.lost_records) out.push(html`<p class="bad">${lostRecordsText(r.lost_records)}</p>`);
  if (r.new_history) out.push(html`<p>This folder starts a new history (${r.new_history}): in team mode its records are sent under a new identity, so nothing written from now on can collide with what was written before.</p>`);

  const held = crash ? r.breakpoint_holds_at_crash ?? [] : [];
  if (held.length) {
    out.push(html`<h2>Breakpoint holds open at the crash (${held.length})</h2>
<p>The debugger had stopped the run here when it died. Each orchestrator held there went on by itself once the server had been unreachable for its hold timeout (<code>JARVIS_HOLD_TIMEOUT_MS</code>, 5 s by default); its writes are stored as usual.</p>`);
    out.push(html`<ul>${held.map(h => html`<li>${h.breakpoint !== null ? html`breakpoint <code>${id(h.breakpoint)}</code>` : h.filter !== null ? html`filter <code>${id(h.filter)}</code>` : id(h.reason)} at ${id(h.event_kind)}${h.event_name !== null ? html` <code>${id(h.event_name)}</code>` : ' event'}${h.agent_id !== null ? ` by ${id(h.agent_id)}` : ''}${h.task_id !== null ? ` in task ${id(h.task_id)}` : ''}, held since ${shortTime(h.since, now)}${h.source ? html`, called from <code>${id(h.source.file)}:${h.source.line}</code>${h.source.function !== null ? ` (${id(h.source.function)})` : ''}` : ''} <span class="muted">· hold ${id(h.hold_id)}</span></li>`)}</ul>`);
  }
  if (crash && r.spool_intake !== undefined) out.push(...spoolIntake(r));
  if (changes) out.push(...sinceReport(changes, now));

  out.push(html`<h2>Incomplete tasks (${r.incomplete_tasks.length})</h2>`);
  if (r.incomplete_tasks.length === 0) out.push(html`<p class="muted">None: every task had finished.</p>`);
  else {
    out.push(html`<table><thead><tr><th>Task</th><th>Status</th><th class="num">Progress</th><th>Agent</th><th>Blockers</th></tr></thead><tbody>`);
    for (const t of r.incomplete_tasks) {
      const pct = Math.round(t.percentage);
      const blockers = t.blockers.length ? html`<ul class="warn">${t.blockers.map(b => html`<li>${b}</li>`)}</ul>` : DASH;
      const taskId = t.description ? html`<br><code class="muted">${id(t.task_id)}</code>` : '';
      out.push(html`<tr><td>${t.description || id(t.task_id)}${taskId}</td><td>${statusLabel(t.status)}</td><td class="num">${progress(pct)}</td><td>${t.agent_id ? id(t.agent_id) : DASH}</td><td>${blockers}</td></tr>`);
    }
    out.push(html`</tbody></table>`);
  }

  const f = r.crash_frontier;
  const tools = f.tool_calls_after_recovery_point.map(c =>
    html`<li>${shortTime(c.start_time, now)} <code>${id(c.tool_name ?? c.name)}</code>${c.agent_id ? ` by ${id(c.agent_id)}` : ''}${c.status === 'error' ? html` <span class="bad">(failed)</span>` : ''}</li>`);
  const conversations = f.unfinished_conversations.map(c =>
    html`<li>${id(c.conversation_id ?? c.trace_id)}: ${plural(c.spans.length, 'span')}, last <code>${id(c.spans[0]?.name ?? '')}</code></li>`);
  out.push(html`<h2>Crash frontier</h2>
<p>Last activity: <strong>${f.last_activity_at ? shortTime(f.last_activity_at, now) : 'none recorded'}</strong>, the last moment the store is known to have been alive.</p>
<dl class="facts">
<dt>Tasks in progress</dt><dd>${f.tasks_in_progress.length ? f.tasks_in_progress.map(t => `${id(t.task_id)} (${Math.round(t.percentage)}%)`).join(', ') : NONE}</dd>
<dt>Agents active</dt><dd>${f.agents_active_at_crash.length ? f.agents_active_at_crash.map(a => `${id(a.agent_id)} (last seen ${shortTime(a.last_seen, now)})`).join(', ') : NONE}</dd>
<dt>Tool calls to repeat</dt><dd>${tools.length ? html`<ul>${tools}</ul>` : NONE}</dd>
<dt>Conversations cut off</dt><dd>${conversations.length ? html`<ul>${conversations}</ul>` : NONE}</dd>
</dl>`);

  out.push(html`<h2>Stale agents (${r.stale_agents.length})</h2>`);
  if (r.stale_agents.length === 0) out.push(html`<p class="muted">None.</p>`);
  else out.push(html`<ul>${r.stale_agents.map(a => html`<li><strong>${id(a.agent_id)}</strong> (${a.status}), last seen ${shortTime(a.last_seen, now)}${a.current_task ? `, working on ${id(a.current_task)}` : ''}</li>`)}</ul>`);

  if (r.alerts) {
    const active = r.alerts.filter(a => a.active);
    out.push(html`<h2>Alerts (${active.length} active)</h2>`);
    if (r.alerts.length === 0) out.push(html`<p class="muted">None raised.</p>`);
    else {
      out.push(html`<ul>${r.alerts.map(a => html`<li>${a.active ? html`<strong class="bad">active</strong>` : html`<span class="muted">ended</span>`} <code>${a.kind}</code> ${a.subject.type} <strong>${id(a.subject.id)}</strong>: ${a.message} <span class="muted">(${plural(a.count, 'time')}, last ${shortTime(a.last_seen, now)})</span></li>`)}</ul>`);
    }
  }

  const after = r.after_last_recovery_point;
  out.push(html`<h2>Since the last recovery point</h2>`);
  if (!rp) out.push(html`<p class="muted">No recovery point had been marked: a resume starts from the beginning.</p>`);
  else {
    const label = rp.label ? ` “${rp.label}”` : '';
    out.push(html`<p>Recovery point #${rp.checkpoint_id}${label} at ${shortTime(rp.created_at, now)}. After it: ${plural(after.decisions, 'decision')}, ${plural(after.messages, 'message')}, ${plural(after.task_events, 'task update')}. An orchestrator that resumes from that point does this work again.</p>`);
  }

  out.push(html`<h2>Last decisions (${r.last_decisions.length})</h2>`);
  if (r.last_decisions.length === 0) out.push(html`<p class="muted">None.</p>`);
  else {
    out.push(html`<table><thead><tr><th>When</th><th>Type</th><th>Decision</th><th>Agent</th><th>Why</th></tr></thead><tbody>`);
    for (const d of r.last_decisions) {
      out.push(html`<tr><td>${shortTime(d.ts, now)}</td><td>${decisionTypeLabel(d.decision_type)}</td><td>${d.decision}</td><td>${d.agent_id ? id(d.agent_id) : DASH}</td><td>${d.reasoning}</td></tr>`);
    }
    out.push(html`</tbody></table>`);
  }

  out.push(html`<h2>Steps taken</h2><ol>${r.steps.map(s => html`
<li><span class="${s.ok ? 'ok' : 'bad'}">${s.ok ? '✓' : '✗'}</span> ${s.step}: ${s.detail}</li>`)}
</ol>`);
  return joinHtml(out, '\n');
}

function progress(pct: number): SafeHtml {
  return html`<progress max="100" value="${pct}"></progress>${pct}%`;
}

function sinceReport(c: ChangesSince, now?: number): SafeHtml[] {
  const out = [html`<h2>Since this report</h2>`];
  const parts = [
    [c.task_events, 'task update'], [c.messages, 'message'], [c.decisions, 'decision'], [c.spans, 'span'], [c.checkpoints, 'checkpoint'],
  ].filter(([n]) => (n as number) > 0).map(([n, w]) => plural(n as number, w as string));
  if (parts.length === 0) {
    out.push(html`<p class="muted">Nothing has arrived since ${localTimeWithZone(c.as_of, now)}: the report and the sidebar agree.</p>`);
    return out;
  }
  out.push(html`<p>Arrived after ${localTimeWithZone(c.as_of, now)}: ${parts.join(', ')}. They are in the sidebar, not in this report.</p>`);
  if (c.tasks.length) {
    out.push(html`<table><thead><tr><th>Task, as it is now</th><th>Status</th><th class="num">Progress</th></tr></thead><tbody>`);
    for (const t of c.tasks) out.push(html`<tr><td>${t.description || id(t.task_id)}</td><td>${statusLabel(t.status)}</td><td class="num">${progress(Math.round(t.percentage))}</td></tr>`);
    out.push(html`</tbody></table>`);
  }
  return out;
}

function spoolIntake(r: RecoveryReport): SafeHtml[] {
  const out = [html`<h2>Spooled while the server was away</h2>`];
  const s = r.spool_intake;
  const back = r.as_of ?? r.created_at;
  const from = r.crash_frontier.last_activity_at;
  const away = from ? ` The server was away for about ${duration(Date.parse(back) - Date.parse(from))} (from the last activity before the crash to this report).` : '';
  if (!s || s.accepted + s.duplicates + s.rejected + s.unreadable_lines === 0) {
    out.push(html`<p class="muted">No spooled events were waiting when the server came back.${away}</p>`);
    return out;
  }
  out.push(html`<p>${plural(s.accepted, 'spooled event')} taken in when the server came back${s.duplicates ? `, ${plural(s.duplicates, 'event')} already stored` : ''}.${away}</p>`);
  if (s.rejected) out.push(html`<p class="bad">${plural(s.rejected, 'event')} refused: kept in <code>spool.rejected.jsonl</code> with the reason.</p>`);
  if (s.unreadable_lines) out.push(html`<p class="warn">${plural(s.unreadable_lines, 'torn line')} skipped: written by a client killed mid-append, whose call never returned.</p>`);
  return out;
}
