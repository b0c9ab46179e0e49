// Where a run broke off and went on: the engine's crashes (from the last activity to the recovery)
// and the orchestrator's resumes from a checkpoint; and a task's bar cut at them into what ran
// before and what ran after, so no bar spans the time the run was down and a step that ran again
// reads as such. No vscode import: unit-tested in Node with the model.
import type { Decision, RecoveryReport, Task, TaskEvent, TaskStatus } from '../core/types';

export interface RunBreak {
  kind: 'crash' | 'resume';
  /** Crash: the last activity before it; resume: the moment the orchestrator restored the fork. */
  start: number;
  /** Crash: the recovery; resume: as `start`. */
  end: number;
  /** Crash: its report. */
  report?: RecoveryReport;
  /** Resume: its decision, the fork checkpoint and the checkpoint chosen (where the run branched). */
  decision?: Decision;
  forkId?: number;
  parentId?: number;
  edited?: boolean;
}

const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : NaN);
const id = (v: unknown): number | undefined => (Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : undefined);
export const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Crashes (from their reports) and resumes (from the orchestrator's "resume" decisions), oldest first. */
export function runBreaks(reports: readonly RecoveryReport[], decisions: readonly Decision[]): RunBreak[] {
  const out: RunBreak[] = [];
  for (const r of reports) {
    if (r.trigger !== 'crash') continue;
    const recovered = ms(r.created_at);
    if (!Number.isFinite(recovered)) continue;
    const last = ms(r.crash_frontier?.last_activity_at);
    out.push({ kind: 'crash', start: Number.isFinite(last) && last <= recovered ? last : recovered, end: recovered, report: r });
  }
  for (const d of decisions) {
    if (d.decision_type !== 'resume') continue;
    const t = ms(d.ts);
    if (!Number.isFinite(t)) continue;
    // Read back from the store: a context of another shape is a resume with no fork to name.
    const c = d.context !== null && typeof d.context === 'object' && !Array.isArray(d.context) ? d.context : {};
    out.push({ kind: 'resume', start: t, end: t, decision: d, forkId: id(c.checkpoint_id), parentId: id(c.parent_id), edited: c.edited === true });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The breaks a task's bar would span (it began before them and went on, or is still open, after). */
export function breaksCrossing(t: Task, breaks: readonly RunBreak[], now: number): RunBreak[] {
  const start = ms(t.created_at);
  const end = TERMINAL.has(t.status) ? ms(t.updated_at) : now;
  return breaks.filter(b => b.start > start && b.start < end);
}

/**
 * One stretch of a task between breaks. `whole`: no break cut it; `before`: the first stretch, cut
 * by a break; `rerun`: after a resume, or starting over below what it had reached; `continued`:
 * went on after a crash from where it was.
 */
export interface TaskSegment {
  start: number;
  end: number;
  open: boolean;
  status: TaskStatus;
  percentage: number;
  part: 'whole' | 'before' | 'rerun' | 'continued';
  /** The break it came after (`rerun`, `continued`): a resume when there was one. */
  after?: RunBreak;
  /** The break that cut it, when no update followed in the same stretch. */
  endedBy?: RunBreak;
  /** The highest percentage reached before it (`rerun` after a crash: it started over). */
  reached?: number;
}

interface Point {
  t: number;
  status: TaskStatus;
  percentage: number;
}

/** The task's states after each of its updates (oldest first), ending with its current one. */
function points(t: Task, events: readonly TaskEvent[]): Point[] {
  const out: Point[] = [];
  let status: TaskStatus = 'pending';
  let percentage = 0;
  const timed = events.map(e => ({ at: ms(e.ts), e })).filter(x => Number.isFinite(x.at) && x.e.task_id === t.task_id);
  for (const { at, e } of timed.sort((a, b) => a.at - b.at || a.e.id - b.e.id)) {
    const c = e.changes ?? {};
    if (typeof c.status === 'string') status = c.status;
    if (typeof c.percentage === 'number' && Number.isFinite(c.percentage)) percentage = c.percentage;
    out.push({ t: at, status, percentage });
  }
  // The events read may stop short of the last update: the task as it is now closes the list.
  const now = ms(t.updated_at);
  if (Number.isFinite(now) && (out.length === 0 || out[out.length - 1].t <= now)) out.push({ t: now, status: t.status, percentage: t.percentage });
  return out;
}

/** The task's bar cut at the breaks it spans (`events`: its updates, any order; more is better). */
export function taskSegments(t: Task, events: readonly TaskEvent[], breaks: readonly RunBreak[], now: number): TaskSegment[] {
  const created = ms(t.created_at);
  const open = !TERMINAL.has(t.status);
  const last = open ? Math.max(now, created) : Math.max(ms(t.updated_at), created);
  const inside = breaksCrossing(t, breaks, now);
  if (inside.length === 0) return [{ start: created, end: last, open, status: t.status, percentage: t.percentage, part: 'whole' }];

  // Updates grouped by the stretch between breaks they fall in (at a crash's last activity: before it).
  const groups: Point[][] = [...inside.map(() => []), []];
  for (const p of points(t, events)) groups[inside.filter(b => b.start < p.t).length].push(p);
  const segments: TaskSegment[] = [];
  let reached = 0;
  groups.forEach((pts, g) => {
    if (g > 0 && pts.length === 0) return;
    const first = g === 0 ? created : pts[0].t;
    const lastPt = pts.length ? pts[pts.length - 1] : { t: created, status: t.status, percentage: t.percentage };
    const prev = segments[segments.length - 1];
    // The breaks since the previous stretch: a resume among them means the steps ran again.
    const between = prev ? inside.slice(inside.indexOf(prev.endedBy!), g) : [];
    const resume = between.find(b => b.kind === 'resume');
    const startedOver = prev !== undefined && (pts[0].percentage < reached || TERMINAL.has(prev.status));
    const isLast = g === groups.length - 1;
    // Cut by the next break; a stretch before a crash ran until the engine stopped.
    const endedBy = isLast ? undefined : inside[g];
    segments.push({
      start: first,
      end: !endedBy ? last : endedBy.kind === 'crash' ? Math.max(lastPt.t, endedBy.start) : lastPt.t,
      open: isLast && open,
      status: lastPt.status,
      percentage: lastPt.percentage,
      part: !prev ? 'before' : resume || startedOver ? 'rerun' : 'continued',
      ...(prev ? { after: resume ?? between[between.length - 1] } : {}),
      ...(endedBy ? { endedBy } : {}),
      ...(prev && startedOver && !resume ? { reached } : {}),
    });
    reached = Math.max(reached, ...pts.map(p => p.percentage));
  });
  return segments;
}
