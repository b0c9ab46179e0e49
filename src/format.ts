// How records read in the UI: times, titles, Markdown escaping. Pure helpers (no vscode import:
// unit-testable) that views, commands and editors all use, so none of them imports another.
import { canonicalJson as sortedJson } from './core/canonicalJson';
import type { CheckpointInfo, SnapshotKind, TaskStatus } from './core/types';
import { visibleId } from './core/visibleText';

export { visibleId };

/**
 * Ages in the sidebar and the status bar move in steps of this many milliseconds, all on the same
 * wall-clock boundaries (see `ageNow`), so two places showing the same time always agree.
 */
export const AGE_STEP_MS = 5_000;

/** Now, rounded down to the age step: what every age on screen is computed from. */
export function ageNow(now: number = Date.now()): number {
  return Math.floor(now / AGE_STEP_MS) * AGE_STEP_MS;
}

/**
 * "10 s ago" (in 5-second steps), "2 min ago", "3 h ago", "4 d ago"; "just now" under 5 seconds.
 * `now` defaults to `ageNow()`.
 */
export function ago(iso: string | null | undefined, now: number = ageNow()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < AGE_STEP_MS / 1000) return 'just now';
  if (s < 60) return `${s - (s % (AGE_STEP_MS / 1000))} s ago`;
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

/** "UTC+01:00" (or "UTC") for the zone this machine shows local times in, at that moment. */
export function zoneName(iso: string): string {
  const d = new Date(iso);
  const off = Number.isNaN(d.getTime()) ? 0 : -d.getTimezoneOffset();
  if (off === 0) return 'UTC';
  const abs = Math.abs(off);
  return `UTC${off > 0 ? '+' : '-'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Local time with its zone, to the millisecond when asked: "15:02:25.312 UTC+01:00". */
export function localTimeWithZone(iso: string, now: number = Date.now(), millis = false): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const ms = millis ? `.${String(d.getMilliseconds()).padStart(3, '0')}` : '';
  return `${shortTime(iso, now)}${ms} ${zoneName(iso)}`;
}

/** "14 s", "3 min 5 s", "2 h 10 min": a duration a person reads. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** Pretty JSON with sorted keys, so two snapshots diff line by line on what really changed. */
export function canonicalJson(value: unknown): string {
  return sortedJson(value, 2) + '\n';
}

/** Escapes text for a MarkdownString (not inside a code span: use `mdCode` there); `scheme://` is broken so no bare address links. */
export function mdEscape(text: string): string {
  return visibleId(text).replace(/[\\`*_{}[\]()#+\-.!|<>]/g, ch => '\\' + ch).replace(/:(?=\/\/)/g, '\\:');
}

/** Text as a Markdown code span: nothing escaped inside, a fence longer than any run of backticks. */
export function mdCode(text: string): string {
  const one = visibleId(text).replace(/[\r\n]+/g, ' ');
  const longest = Math.max(0, ...(one.match(/`+/g) ?? []).map(r => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
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
  fork: 'Fork',
};

/** Human names of the decision types orchestrators and our OpenTelemetry mapping log most. */
export const DECISION_TYPE_LABELS: Readonly<Record<string, string>> = {
  agent_assignment: 'Agent assignment',
  task_assignment: 'Task assignment',
  retry_policy: 'Retry policy',
  routing: 'Routing',
  escalation: 'Escalation',
  plan: 'Plan',
  planning: 'Planning',
  tool_choice: 'Tool choice',
  handoff: 'Hand-off',
  delegation: 'Delegation',
  prioritization: 'Prioritisation',
  resource_allocation: 'Resource allocation',
  error_handling: 'Error handling',
  recovery: 'Recovery',
  approval: 'Approval',
};

/** "Agent assignment" for `agent_assignment`; an unknown type reads as words too (`cache_warmup` → "Cache warmup"). */
export function decisionTypeLabel(type: string): string {
  const known = Object.hasOwn(DECISION_TYPE_LABELS, type) ? DECISION_TYPE_LABELS[type] : undefined;
  if (known) return known;
  const words = type.replace(/[_-]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim();
  return visibleId(words ? words.charAt(0).toUpperCase() + words.slice(1).toLowerCase() : type);
}

/** A checkpoint's label, else what kind it is. */
export function checkpointTitle(c: CheckpointInfo): string {
  return visibleId(c.label || CHECKPOINT_KIND_TITLES[c.kind] || c.kind);
}
