import { mdText as t } from './markdownText';
import { lostRecordsText } from './lostText';
import { localStamp } from './time';
import type { HeldAtCrash, RecoveryReport } from './types';

// Every value from the report goes through `t` (or `at`, `pct`, `n`): it may be another machine's.
const at = (iso: string): string => t(localStamp(iso));
const n = (v: number): string => (typeof v === 'number' ? String(v) : t(v));
const pct = (v: number): string => `${n(Math.round(v))} %`;

/** The Markdown written beside each recovery report, and opened by the extension as an editor. */
export function renderRecoveryReport(r: RecoveryReport): string {
  const out: string[] = [];
  out.push(`# Jarvis Context recovery report`, '');
  out.push(`- **When:** ${at(r.created_at)}`);
  out.push(`- **Describes the state at:** ${at(r.as_of ?? r.created_at)}; writes that arrived later are not in it (the sidebar shows them)`);
  out.push(`- **Why:** ${r.trigger === 'crash' ? 'the previous run ended without a clean shutdown' : 'recovery analysis requested'}`);
  if (r.previous_run) out.push(`- **Previous run:** pid ${n(r.previous_run.pid)} on ${t(r.previous_run.host)}, started ${at(r.previous_run.started_at)}`);
  out.push(`- **State loaded from:** ${r.loaded_from === 'empty' && r.restored.journal_records_replayed > 0
    ? 'the journal alone (the run had not written a database file yet)' : loadedFromText(r.loaded_from)}`);
  out.push(`- **Journal records replayed:** ${n(r.restored.journal_records_replayed)}`);
  out.push(`- **Took:** ${Number(r.duration_ms).toFixed(1)} ms`, '');

  out.push('## What was lost', '');
  if (r.lost.length === 0 && !r.lost_records) out.push('Nothing: every acknowledged write was restored.');
  else r.lost.forEach(l => out.push(`- ${t(l)}`));
  if (r.lost_records) out.push(`- ${t(lostRecordsText(r.lost_records))}`);
  if (r.new_history) out.push('', `This folder starts a new history (${t(r.new_history)}): in team mode its records are sent under a new identity.`);
  out.push('');

  const held = r.trigger === 'crash' ? r.breakpoint_holds_at_crash ?? [] : [];
  if (held.length) {
    out.push(`## Breakpoint holds open at the crash (${n(held.length)})`, '');
    out.push('The debugger had stopped the run here when it died. Each orchestrator held there went on by itself ' +
      'once the server had been unreachable for its hold timeout (JARVIS_HOLD_TIMEOUT_MS, 5 s by default); its writes are stored as usual.', '');
    for (const h of held) out.push(`- ${heldText(h)}`);
    out.push('');
  }

  if (r.trigger === 'crash' && r.spool_intake !== undefined) {
    const sp = r.spool_intake;
    out.push('## Spooled while the server was away', '');
    if (!sp || sp.accepted + sp.duplicates + sp.rejected + sp.unreadable_lines === 0) out.push('No spooled events were waiting when the server came back.');
    else out.push(`${n(sp.accepted)} spooled events taken in when the server came back (${n(sp.duplicates)} already stored, ${n(sp.rejected)} refused` +
      `${sp.rejected ? ' and kept in spool.rejected.jsonl' : ''}, ${n(sp.unreadable_lines)} torn lines skipped).`);
    out.push('');
  }

  out.push(`## Incomplete tasks (${n(r.incomplete_tasks.length)})`, '');
  if (r.incomplete_tasks.length === 0) out.push('None.');
  else {
    out.push('| task | status | progress | agent | blockers |', '| --- | --- | --- | --- | --- |');
    for (const task of r.incomplete_tasks) {
      out.push(`| ${t(task.task_id)}${task.description ? ` — ${t(task.description)}` : ''} | ${t(task.status)} | ${pct(task.percentage)} | ` +
        `${t(task.agent_id ?? '—')} | ${task.blockers.length ? task.blockers.map(t).join('; ') : '—'} |`);
    }
  }
  out.push('');

  out.push(`## Stale agents (${r.stale_agents.length})`, '');
  if (r.stale_agents.length === 0) out.push('None.');
  else r.stale_agents.forEach(a =>
    out.push(`- **${t(a.agent_id)}** (${t(a.status)}) last seen ${at(a.last_seen)}${a.current_task ? `, working on ${t(a.current_task)}` : ''}`));
  out.push('');

  if (r.alerts) {
    const active = r.alerts.filter(a => a.active);
    out.push(`## Alerts (${active.length} active)`, '');
    if (r.alerts.length === 0) out.push('None raised.');
    else r.alerts.forEach(a => out.push(`- ${a.active ? '**active**' : 'ended'} ${t(a.kind)} ${t(a.subject.type)} **${t(a.subject.id)}**: ` +
      `${t(a.message)} (${n(a.count)} times, first ${at(a.first_seen)}, last ${at(a.last_seen)})`));
    out.push('');
  }

  const after = r.after_last_recovery_point;
  out.push('## Since the last recovery point', '');
  if (!after.recovery_point) out.push('No recovery point has been marked yet.');
  else {
    out.push(`Recovery point #${n(after.recovery_point.checkpoint_id)} "${t(after.recovery_point.label ?? '')}" at ${at(after.recovery_point.created_at)}.`);
    out.push(`After it: ${n(after.decisions)} decisions, ${n(after.messages)} messages, ${n(after.task_events)} task updates. ` +
      'An orchestrator that resumes from that point will do this work again.');
  }
  out.push('');

  const f = r.crash_frontier;
  if (f) {
    out.push('## Crash frontier', '');
    out.push(`Last activity: ${f.last_activity_at ? at(f.last_activity_at) : 'none recorded'}.`, '');
    out.push(`- Tasks in progress: ${f.tasks_in_progress.length ? f.tasks_in_progress.map(task => `${t(task.task_id)} (${pct(task.percentage)})`).join(', ') : 'none'}`);
    out.push(`- Agents active at the crash: ${f.agents_active_at_crash.length ? f.agents_active_at_crash.map(a => `${t(a.agent_id)} (last seen ${at(a.last_seen)})`).join(', ') : 'none'}`);
    if (f.tool_calls_after_recovery_point.length) {
      out.push(`- Tool calls after the last recovery point (they run again if the orchestrator resumes from it):`);
      f.tool_calls_after_recovery_point.forEach(s =>
        out.push(`  - ${at(s.start_time)} ${t(s.tool_name ?? s.name)}${s.agent_id ? ` by ${t(s.agent_id)}` : ''}${s.status === 'error' ? ' (failed)' : ''}`));
    } else out.push('- Tool calls after the last recovery point: none');
    if (f.unfinished_conversations.length) {
      out.push('- Conversations cut off (no finished root span):');
      f.unfinished_conversations.forEach(c =>
        out.push(`  - ${t(c.conversation_id ?? c.trace_id)}: ${n(c.spans.length)} spans recorded, last ${t(c.spans[0]?.name ?? '')}`));
    } else out.push('- Conversations cut off: none');
    out.push('');
  }

  out.push(`## Last decisions (${r.last_decisions.length})`, '');
  if (r.last_decisions.length === 0) out.push('None.');
  else r.last_decisions.forEach(d =>
    out.push(`- ${at(d.ts)} **${t(d.decision_type)}**: ${t(d.decision)}${d.agent_id ? ` (${t(d.agent_id)})` : ''} — ${t(d.reasoning)}`));
  out.push('');

  out.push('## Steps taken', '');
  r.steps.forEach((s, i) => out.push(`${i + 1}. ${s.ok ? '✓' : '✗'} ${t(s.step)}: ${t(s.detail)}`));
  out.push('');
  out.push(`Restored: ${n(r.restored.tasks)} tasks, ${n(r.restored.agents)} agents, ${n(r.restored.decisions)} decisions, ` +
    `${n(r.restored.messages)} messages, ${n(r.restored.snapshots)} snapshots.`, '');
  return out.join('\n');
}

/** "breakpoint **tool:search** at tool search by coder in task deploy, since …, called from …:12 (runTools); hold …" */
function heldText(h: HeldAtCrash): string {
  const what = h.breakpoint !== null ? `breakpoint **${t(h.breakpoint)}**` : h.filter !== null ? `filter **${t(h.filter)}**` : `**${t(h.reason)}**`;
  const by = `${h.agent_id !== null ? ` by ${t(h.agent_id)}` : ''}${h.task_id !== null ? ` in task ${t(h.task_id)}` : ''}`;
  const from = h.source ? `, called from ${t(h.source.file)}:${n(h.source.line)}${h.source.function !== null ? ` (${t(h.source.function)})` : ''}` : '';
  return `${what} at ${t(h.event_kind)}${h.event_name !== null ? ` ${t(h.event_name)}` : ' event'}${by}, held since ${at(h.since)}${from}; hold ${t(h.hold_id)}`;
}

function loadedFromText(k: RecoveryReport['loaded_from']): string {
  switch (k) {
    case 'database': return 'the database file';
    case 'recovery_checkpoint': return 'the newest readable database image under checkpoints/ (the database file was missing or unreadable)';
    case 'emergency_json': return 'the newest emergency JSON backup (the database and its images were unreadable)';
    case 'empty': return 'nothing (a new, empty store)';
    case 'live': return 'the running engine';
  }
}
