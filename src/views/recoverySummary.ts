// What the crash notification says: how long the server was away, whether orchestrators came back
// and what they had spooled meanwhile, then what the report found. No vscode import (unit-tested).
import type { SinceStart } from '../core/intake';
import type { RecoveryReport } from '../core/types';
import { duration } from '../format';

const count = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

export function summarize(report: RecoveryReport): string {
  return [
    count(report.incomplete_tasks.length, 'incomplete task'),
    count(report.stale_agents.length, 'stale agent'),
    count(report.restored.journal_records_replayed, 'journal record') + ' replayed',
  ].join(', ');
}

/** "Away about 14 s; 1 orchestrator reconnected; 26 spooled events taken in." */
export function returnSummary(report: RecoveryReport, since: SinceStart | undefined): string {
  const parts: string[] = [];
  const from = report.crash_frontier.last_activity_at;
  const back = Date.parse(report.as_of ?? report.created_at);
  if (from && Number.isFinite(back)) parts.push(`away about ${duration(back - Date.parse(from))}`);
  if (since) {
    const n = since.clients.length;
    parts.push(n === 0 ? 'no orchestrator has reported since' : `${count(n, 'orchestrator')} reconnected`);
    const spooled = (since.spool_at_start?.accepted ?? 0) + since.spool_from_clients.accepted;
    if (spooled > 0) parts.push(`${count(spooled, 'spooled event')} taken in`);
  }
  return parts.join('; ');
}

/** The whole notification text. */
export function crashNotice(report: RecoveryReport, since: SinceStart | undefined, folderSuffix = ''): string {
  const back = returnSummary(report, since);
  return `Jarvis Context recovered from a crash${folderSuffix}${back ? `: ${back}` : ''}. ${capitalize(summarize(report))}.`;
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
