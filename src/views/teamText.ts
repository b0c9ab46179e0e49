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

/** The trailing folders of the default store (`<project>/memory/context/jarvis`): the project names it. */
const DEFAULT_STORE = ['memory', 'context', 'jarvis'];

/** A store's folder by the name a person knows: the project of `<project>/memory/context/jarvis`, else the folder's own. */
export function placeName(folder: string): string | undefined {
  const parts = folder.split(/[\\/]/).filter(Boolean);
  const tail = parts.slice(-DEFAULT_STORE.length);
  if (parts.length > DEFAULT_STORE.length && tail.every((p, i) => p === DEFAULT_STORE[i])) return parts[parts.length - DEFAULT_STORE.length - 1];
  return parts.pop();
}

/** The origin's row: its host and place, "(this folder)" for this folder's own. */
export function originLabel(o: Pick<TeamOriginInfo, 'host'> & Partial<Pick<TeamOriginInfo, 'folder'>>, self: boolean): string {
  // Two folders on one host (or a copied one that took an origin of its own) differ by folder.
  const place = o.folder ? placeName(o.folder) : undefined;
  return `${visibleId(o.host)}${place ? `: ${visibleId(place)}` : ''}${self ? ' (this folder)' : ''}`;
}

/**
 * The origins in a stable order with labels that tell them apart: this folder first, then by label
 * (never by when each was last read); two that would read the same get the start of their origin id.
 */
export function orderedOrigins<O extends Pick<TeamOriginInfo, 'id' | 'host' | 'folder'>>(origins: readonly O[], selfId: string): { origin: O; label: string }[] {
  const base = new Map(origins.map(o => [o.id, originLabel(o, o.id === selfId)]));
  const count = new Map<string, number>();
  for (const l of base.values()) count.set(l, (count.get(l) ?? 0) + 1);
  const rows = origins.map(o => {
    const l = base.get(o.id)!;
    return { origin: o, label: count.get(l)! > 1 ? `${l} [${visibleId(o.id.slice(0, 8))}]` : l };
  });
  const rank = (o: O): number => (o.id === selfId ? 0 : 1);
  return rows.sort((a, b) => rank(a.origin) - rank(b.origin) || a.label.localeCompare(b.label) || a.origin.id.localeCompare(b.origin.id));
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
