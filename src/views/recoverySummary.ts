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

/** "Away about 14 s; 1 orchestrator reconnected; 20 spooled events taken in at restart, 6 more sent by orchestrators since." */
export function returnSummary(report: RecoveryReport, since: SinceStart | undefined): string {
  const parts: string[] = [];
  const from = report.crash_frontier.last_activity_at;
  const back = Date.parse(report.as_of ?? report.created_at);
  if (from && Number.isFinite(back)) parts.push(`away about ${duration(back - Date.parse(from))}`);
  if (since) {
    const n = since.clients.length;
    parts.push(n === 0 ? 'no orchestrator has reported since' : `${count(n, 'orchestrator')} reconnected`);
    const spooled = spooledText(report, since);
    if (spooled) parts.push(spooled);
  }
  return parts.join('; ');
}

/**
 * Spooled events after the crash, counted as the report counts them: those the server took from
 * the spool when it came back (the report's figure, and the log's), then, apart, those that
 * orchestrators sent from their own spools as they reconnected, which the report predates.
 */
function spooledText(report: RecoveryReport, since: SinceStart): string {
  const atRestart = report.spool_intake?.accepted ?? since.spool_at_start?.accepted ?? 0;
  const fromClients = since.spool_from_clients.accepted;
  if (atRestart > 0) return `${count(atRestart, 'spooled event')} taken in at restart${fromClients > 0 ? `, ${fromClients.toLocaleString('en-US')} more sent by orchestrators since` : ''}`;
  return fromClients > 0 ? `${count(fromClients, 'spooled event')} sent by orchestrators since` : '';
}

/** The whole notification text. */
export function crashNotice(report: RecoveryReport, since: SinceStart | undefined, folderSuffix = ''): string {
  const back = returnSummary(report, since);
  return `Jarvis Context recovered from a crash${folderSuffix}${back ? `: ${back}` : ''}. ${capitalize(summarize(report))}.`;
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
