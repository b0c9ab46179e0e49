// How records read in the UI: times, titles, Markdown escaping. Pure helpers (no vscode import:
// unit-testable) that views, commands and editors all use, so none of them imports another.
import { canonicalJson as sortedJson } from './core/canonicalJson';
import type { CheckpointInfo, SnapshotKind, TaskStatus } from './core/types';

/** "12 s ago", "2 min ago", "3 h ago", "4 d ago"; "just now" under a second. */
export function ago(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 1) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** Local time of day, or date and time when not today. */
export function shortTime(iso: string, now: number = Date.now()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** Pretty JSON with sorted keys, so two snapshots diff line by line on what really changed. */
export function canonicalJson(value: unknown): string {
  return sortedJson(value, 2) + '\n';
}

/** Escapes text for a MarkdownString. */
export function mdEscape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, ch => '\\' + ch);
}

export function short(text: string, max = 80): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? one.slice(0, max - 1) + '…' : one;
}

export function jsonInline(value: unknown, max = 400): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return short(s, max);
}

/** "in progress" for `in_progress`. */
export function statusLabel(s: TaskStatus): string {
  return s.replace('_', ' ');
}

export const CHECKPOINT_KIND_TITLES: Record<SnapshotKind, string> = {
  auto: 'Auto checkpoint',
  manual: 'Checkpoint',
  recovery: 'Recovery point',
  shutdown: 'Shutdown checkpoint',
};

/** A checkpoint's label, else what kind it is. */
export function checkpointTitle(c: CheckpointInfo): string {
  return c.label || CHECKPOINT_KIND_TITLES[c.kind] || c.kind;
}
