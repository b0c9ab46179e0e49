// The recovery report as a page: the same sections as its Markdown (core/reportMarkdown.ts), but
// read, not parsed: facts, the incomplete tasks as a table, the crash frontier, and buttons.
// No vscode import (unit-tested in plain Node).
import type { ChangesSince, RecoveryReport } from '../../core/types';
import { decisionTypeLabel, duration, localTimeWithZone, shortTime, statusLabel } from '../../format';
import { button, escapeHtml as h } from './html';

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

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

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
export function renderReportBody(r: RecoveryReport, now?: number, changes?: ChangesSince, remote?: RemoteReport): string {
  const out: string[] = [];
  const crash = r.trigger === 'crash';
  out.push(`<h1>${crash ? 'Recovered from a crash' : 'Recovery analysis'}</h1>`);
  out.push(`<p class="sub">${remote ? `${h(remote.host)} · ${h(remote.user)} · ` : ''}${h(shortTime(r.created_at, now))} · ${crash ? 'the previous run ended without a clean shutdown' : 'asked for while running'} · took ${h(r.duration_ms < 10 ? r.duration_ms.toFixed(1) : Math.round(r.duration_ms))} ms</p>`);
  out.push(`<p class="moment">This report describes the state at <strong>${h(localTimeWithZone(r.as_of ?? r.created_at, now, true))}</strong>; ` +
    (remote
      ? `it was written on ${h(remote.host)} and read from the team database. Read-only here: its checkpoints and files are on that machine; the Team view shows what arrived after it.</p>`
      : 'the sidebar is live and shows what arrived after it.</p>'));

  const rp = r.after_last_recovery_point.recovery_point;
  out.push('<div class="toolbar">');
  if (rp && !remote) {
    const named = `#${rp.checkpoint_id}${rp.label ? ` "${rp.label}"` : ''}`;
    out.push(button(REPORT_ACTIONS.openCheckpoint, 'Open Checkpoint', { arg: rp.checkpoint_id, title: `Open the last recovery point, ${named}` }));
    // The very checkpoint this report names, never "the newest" at the time of the click.
    out.push(button(REPORT_ACTIONS.resumeFromCheckpoint, `Resume from #${rp.checkpoint_id}`, { arg: rp.checkpoint_id, secondary: true, title: `The next orchestrator start restores ${named}` }));
    out.push(button(REPORT_ACTIONS.editAndFork, 'Edit and Fork…', { arg: rp.checkpoint_id, secondary: true, title: `Edit the orchestrator state of ${named}, then resume from the edit` }));
  }
  out.push(button(REPORT_ACTIONS.copyMarkdown, 'Copy as Markdown', { secondary: !!rp && !remote }));
  if (!remote) {
    out.push(button(REPORT_ACTIONS.openMarkdown, 'Open Markdown File', { secondary: true, title: 'The report as written beside the database' }));
    out.push(button(REPORT_ACTIONS.openJson, 'Open as JSON', { secondary: true }));
  }
  out.push('</div>');

  const lostClass = r.lost.length ? 'bad' : 'ok';
  out.push('<h2>Summary</h2><dl class="facts">');
  out.push(`<dt>Lost</dt><dd class="${lostClass}">${r.lost.length ? plural(r.lost.length, 'loss') : 'nothing: every acknowledged write was restored'}</dd>`);
  out.push(`<dt>State loaded from</dt><dd>${h(r.loaded_from === 'empty' && r.restored.journal_records_replayed > 0 ? 'the journal alone (the run had not written a database file yet)' : LOADED_FROM[r.loaded_from])}</dd>`);
  out.push(`<dt>Journal replayed</dt><dd>${plural(r.restored.journal_records_replayed, 'record')}</dd>`);
  out.push(`<dt>Restored</dt><dd>${[plural(r.restored.tasks, 'task'), plural(r.restored.agents, 'agent'), plural(r.restored.decisions, 'decision'), plural(r.restored.messages, 'message'), plural(r.restored.snapshots, 'snapshot')].join(', ')}</dd>`);
  if (r.previous_run) out.push(`<dt>Previous run</dt><dd>pid ${h(r.previous_run.pid)} on ${h(r.previous_run.host)}, started ${h(shortTime(r.previous_run.started_at, now))}</dd>`);
  out.push('</dl>');
  if (r.lost.length) out.push(`<ul class="bad">${r.lost.map(l => `<li>${h(l)}</li>`).join('')}</ul>`);

  if (crash && r.spool_intake !== undefined) out.push(...spoolIntake(r));
  if (changes) out.push(...sinceReport(changes, now));

  out.push(`<h2>Incomplete tasks (${r.incomplete_tasks.length})</h2>`);
  if (r.incomplete_tasks.length === 0) out.push('<p class="muted">None: every task had finished.</p>');
  else {
    out.push('<table><thead><tr><th>Task</th><th>Status</th><th class="num">Progress</th><th>Agent</th><th>Blockers</th></tr></thead><tbody>');
    for (const t of r.incomplete_tasks) {
      const pct = Math.round(t.percentage);
      out.push(`<tr><td>${h(t.description || t.task_id)}${t.description ? `<br><code class="muted">${h(t.task_id)}</code>` : ''}</td>` +
        `<td>${h(statusLabel(t.status))}</td><td class="num"><progress max="100" value="${pct}"></progress>${pct}%</td>` +
        `<td>${t.agent_id ? h(t.agent_id) : '<span class="muted">—</span>'}</td>` +
        `<td>${t.blockers.length ? `<ul class="warn">${t.blockers.map(b => `<li>${h(b)}</li>`).join('')}</ul>` : '<span class="muted">—</span>'}</td></tr>`);
    }
    out.push('</tbody></table>');
  }

  const f = r.crash_frontier;
  out.push('<h2>Crash frontier</h2>');
  out.push(`<p>Last activity: <strong>${f.last_activity_at ? h(shortTime(f.last_activity_at, now)) : 'none recorded'}</strong>, the last moment the store is known to have been alive.</p>`);
  out.push('<dl class="facts">');
  out.push(`<dt>Tasks in progress</dt><dd>${f.tasks_in_progress.length ? f.tasks_in_progress.map(t => `${h(t.task_id)} (${Math.round(t.percentage)}%)`).join(', ') : '<span class="muted">none</span>'}</dd>`);
  out.push(`<dt>Agents active</dt><dd>${f.agents_active_at_crash.length ? f.agents_active_at_crash.map(a => `${h(a.agent_id)} (last seen ${h(shortTime(a.last_seen, now))})`).join(', ') : '<span class="muted">none</span>'}</dd>`);
  out.push(`<dt>Tool calls to repeat</dt><dd>${f.tool_calls_after_recovery_point.length
    ? `<ul>${f.tool_calls_after_recovery_point.map(s => `<li>${h(shortTime(s.start_time, now))} <code>${h(s.tool_name ?? s.name)}</code>${s.agent_id ? ` by ${h(s.agent_id)}` : ''}${s.status === 'error' ? ' <span class="bad">(failed)</span>' : ''}</li>`).join('')}</ul>`
    : '<span class="muted">none</span>'}</dd>`);
  out.push(`<dt>Conversations cut off</dt><dd>${f.unfinished_conversations.length
    ? `<ul>${f.unfinished_conversations.map(c => `<li>${h(c.conversation_id ?? c.trace_id)}: ${plural(c.spans.length, 'span')}, last <code>${h(c.spans[0]?.name ?? '')}</code></li>`).join('')}</ul>`
    : '<span class="muted">none</span>'}</dd>`);
  out.push('</dl>');

  out.push(`<h2>Stale agents (${r.stale_agents.length})</h2>`);
  if (r.stale_agents.length === 0) out.push('<p class="muted">None.</p>');
  else out.push(`<ul>${r.stale_agents.map(a => `<li><strong>${h(a.agent_id)}</strong> (${h(a.status)}), last seen ${h(shortTime(a.last_seen, now))}${a.current_task ? `, working on ${h(a.current_task)}` : ''}</li>`).join('')}</ul>`);

  if (r.alerts) {
    const active = r.alerts.filter(a => a.active);
    out.push(`<h2>Alerts (${active.length} active)</h2>`);
    if (r.alerts.length === 0) out.push('<p class="muted">None raised.</p>');
    else out.push(`<ul>${r.alerts.map(a => `<li>${a.active ? '<strong class="bad">active</strong>' : '<span class="muted">ended</span>'} ` +
      `<code>${h(a.kind)}</code> ${h(a.subject.type)} <strong>${h(a.subject.id)}</strong>: ${h(a.message)} ` +
      `<span class="muted">(${plural(a.count, 'time')}, last ${h(shortTime(a.last_seen, now))})</span></li>`).join('')}</ul>`);
  }

  const after = r.after_last_recovery_point;
  out.push('<h2>Since the last recovery point</h2>');
  if (!rp) out.push('<p class="muted">No recovery point had been marked: a resume starts from the beginning.</p>');
  else {
    out.push(`<p>Recovery point #${rp.checkpoint_id}${rp.label ? ` “${h(rp.label)}”` : ''} at ${h(shortTime(rp.created_at, now))}. ` +
      `After it: ${plural(after.decisions, 'decision')}, ${plural(after.messages, 'message')}, ${plural(after.task_events, 'task update')}. ` +
      'An orchestrator that resumes from that point does this work again.</p>');
  }

  out.push(`<h2>Last decisions (${r.last_decisions.length})</h2>`);
  if (r.last_decisions.length === 0) out.push('<p class="muted">None.</p>');
  else {
    out.push('<table><thead><tr><th>When</th><th>Type</th><th>Decision</th><th>Agent</th><th>Why</th></tr></thead><tbody>');
    for (const d of r.last_decisions) {
      out.push(`<tr><td>${h(shortTime(d.ts, now))}</td><td>${h(decisionTypeLabel(d.decision_type))}</td><td>${h(d.decision)}</td><td>${d.agent_id ? h(d.agent_id) : '<span class="muted">—</span>'}</td><td>${h(d.reasoning)}</td></tr>`);
    }
    out.push('</tbody></table>');
  }

  out.push('<h2>Steps taken</h2><ol>');
  for (const s of r.steps) out.push(`<li><span class="${s.ok ? 'ok' : 'bad'}">${s.ok ? '✓' : '✗'}</span> ${h(s.step)}: ${h(s.detail)}</li>`);
  out.push('</ol>');
  return out.join('\n');
}

function sinceReport(c: ChangesSince, now?: number): string[] {
  const out = [`<h2>Since this report</h2>`];
  const parts = [
    [c.task_events, 'task update'], [c.messages, 'message'], [c.decisions, 'decision'], [c.spans, 'span'], [c.checkpoints, 'checkpoint'],
  ].filter(([n]) => (n as number) > 0).map(([n, w]) => plural(n as number, w as string));
  if (parts.length === 0) {
    out.push(`<p class="muted">Nothing has arrived since ${h(localTimeWithZone(c.as_of, now))}: the report and the sidebar agree.</p>`);
    return out;
  }
  out.push(`<p>Arrived after ${h(localTimeWithZone(c.as_of, now))}: ${parts.join(', ')}. They are in the sidebar, not in this report.</p>`);
  if (c.tasks.length) {
    out.push('<table><thead><tr><th>Task, as it is now</th><th>Status</th><th class="num">Progress</th></tr></thead><tbody>');
    for (const t of c.tasks) {
      const pct = Math.round(t.percentage);
      out.push(`<tr><td>${h(t.description || t.task_id)}</td><td>${h(statusLabel(t.status))}</td><td class="num"><progress max="100" value="${pct}"></progress>${pct}%</td></tr>`);
    }
    out.push('</tbody></table>');
  }
  return out;
}

function spoolIntake(r: RecoveryReport): string[] {
  const out = ['<h2>Spooled while the server was away</h2>'];
  const s = r.spool_intake;
  const back = r.as_of ?? r.created_at;
  const from = r.crash_frontier.last_activity_at;
  const away = from ? ` The server was away for about ${h(duration(Date.parse(back) - Date.parse(from)))} (from the last activity before the crash to this report).` : '';
  if (!s || s.accepted + s.duplicates + s.rejected + s.unreadable_lines === 0) {
    out.push(`<p class="muted">No spooled events were waiting when the server came back.${away}</p>`);
    return out;
  }
  out.push(`<p>${plural(s.accepted, 'spooled event')} taken in when the server came back` +
    `${s.duplicates ? `, ${plural(s.duplicates, 'event')} already stored` : ''}.${away}</p>`);
  if (s.rejected) out.push(`<p class="bad">${plural(s.rejected, 'event')} refused: kept in <code>spool.rejected.jsonl</code> with the reason.</p>`);
  if (s.unreadable_lines) out.push(`<p class="warn">${plural(s.unreadable_lines, 'torn line')} skipped: written by a client killed mid-append, whose call never returned.</p>`);
  return out;
}
