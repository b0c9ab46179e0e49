// The Team view's words for an origin: plain text, no vscode import (unit-tested in plain Node).
import { ago, duration, shortTime, visibleId } from '../format';
import type { TeamOriginInfo, TeamRecoverySummary } from '../team/teamMode';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "recovered from a crash 15:02:10" or "recovery analysis 15:02:10". */
export function recoveryText(r: TeamRecoverySummary, now?: number): string {
  return `${r.trigger === 'crash' ? 'recovered from a crash' : 'recovery analysis'} ${shortTime(r.created_at, now)}`;
}

/** The report's row under its origin: "Recovered from a crash" with "15:02:10 · 2 incomplete tasks". */
export function recoveryItem(r: TeamRecoverySummary, now?: number): { label: string; description: string; tooltip: string } {
  const label = r.trigger === 'crash' ? 'Recovered from a crash' : 'Recovery analysis';
  const description = `${shortTime(r.created_at, now)} · ${plural(r.incomplete_tasks, 'incomplete task')}`;
  return { label, description, tooltip: `${label} at ${shortTime(r.created_at, now)} (${ago(r.created_at, now)}): ${plural(r.incomplete_tasks, 'incomplete task')}. Open the report (read-only: it belongs to another machine's folder).` };
}

/** The origin's row: its host, "(this folder)" for this folder's own. */
export function originLabel(o: Pick<TeamOriginInfo, 'host'> & Partial<Pick<TeamOriginInfo, 'folder'>>, self: boolean): string {
  // Two folders on one host (or a copied one that took an origin of its own) differ by folder.
  const folder = o.folder ? o.folder.split(/[\\/]/).filter(Boolean).pop() : undefined;
  return `${visibleId(o.host)}${folder ? `: ${visibleId(folder)}` : ''}${self ? ' (this folder)' : ''}`;
}

/** "alice · seen 10 s ago · recovered from a crash 15:02:10", "alice · lost, seen 7 min ago". */
export function originDescription(o: TeamOriginInfo, now?: number): string {
  const parts = [visibleId(o.user), `${o.lost ? 'lost, ' : ''}seen ${ago(o.last_seen, now)}`];
  if (o.last_recovery?.trigger === 'crash') parts.push(recoveryText(o.last_recovery, now));
  return parts.join(' · ');
}

/** Why an origin is lost, in words. */
export function lostText(staleAfterMs: number): string {
  return `Not seen for over ${duration(staleAfterMs)} (the staleness threshold, setting jarvis.staleAgentMinutes): its server stopped or lost the database. Its incomplete tasks are listed as last replicated.`;
}
