import * as path from 'path';
import { listDir, writeFileAtomic } from './atomicFile';
import type { EngineContext } from './engineContext';
import { errorText as errText } from './errorText';
import { isReportFile, reportFile, reportMarkdownFile } from './fileNames';
import type { LostRecords } from './recoveryChain';
import { renderRecoveryReport } from './reportMarkdown';
import { iso } from './time';
import { HOLD_DECISION, RELEASE_DECISION, type ChangesSince, type CrashFrontier, type HeldAtCrash, type RecoveryReport, type RecoveryStep, type ReportMarks, type Task } from './types';

// The recovery report: what was loaded and replayed, what was lost, what was in flight. Written
// as recovery_report_<time>.json and its Markdown rendering.

export interface ReportInput {
  loadedFrom: RecoveryReport['loaded_from'];
  steps: RecoveryStep[];
  lost: string[];
  replayed: number;
  lostRecords?: LostRecords;
  /** Why a new history started with this load (history.ts). */
  fork?: string;
  foreignObjectsDropped?: RecoveryReport['foreign_objects_dropped'];
}

export function buildReport(
  ctx: EngineContext, trigger: RecoveryReport['trigger'], o: ReportInput, previousRun: RecoveryReport['previous_run'], ms: number,
): RecoveryReport {
  const t = ctx.clock.now();
  const s = ctx.store;
  const agents = s.getAgents(t, ctx.settings.staleAfterMs);
  const stale = agents.filter(a => a.stale);
  o.steps.push({ step: 'mark stale agents', ok: true, detail: `${stale.length} of ${agents.length} agents not seen for over ${Math.round(ctx.settings.staleAfterMs / 60000)} min` });
  const incomplete = s.getTasks().filter(x => x.status !== 'completed' && x.status !== 'cancelled');
  o.steps.push({ step: 'list incomplete tasks', ok: true, detail: `${incomplete.length} tasks not completed` });
  const rp = s.all("SELECT id FROM checkpoints WHERE kind IN ('manual', 'recovery') ORDER BY id DESC LIMIT 1")[0];
  const point = rp ? s.getCheckpoint(Number(rp.id)) ?? null : null;
  const since = point?.created_at ?? '';
  const c = s.counts();
  const marks = reportMarks(ctx);
  const frontier = crashFrontier(ctx, since);
  o.steps.push({ step: 'find the crash frontier', ok: true, detail: `${frontier.tasks_in_progress.length} tasks in progress, ` +
    `${frontier.tool_calls_after_recovery_point.length} tool calls after the last recovery point, ` +
    `${frontier.unfinished_conversations.length} unfinished conversations` });
  const active = s.getAlerts(true, 100);
  const alerts = [...active, ...s.getAlerts(false, 20).filter(a => !a.active)];
  o.steps.push({ step: 'list alerts', ok: true, detail: `${active.length} active` });
  const held = trigger === 'crash' ? holdsOpenAtCrash(ctx, previousRun?.started_at) : undefined;
  if (held) o.steps.push({ step: 'list breakpoint holds open at the crash', ok: true, detail: `${held.length} open` });
  return {
    file: reportFile(t),
    created_at: iso(t),
    trigger,
    previous_run: previousRun,
    loaded_from: o.loadedFrom,
    steps: o.steps,
    restored: { tasks: c.tasks, agents: c.agents, decisions: c.decisions, messages: c.messages, snapshots: c.snapshots, journal_records_replayed: o.replayed },
    stale_agents: stale,
    incomplete_tasks: incomplete,
    last_decisions: s.getDecisions({ limit: 10 }),
    after_last_recovery_point: {
      recovery_point: point,
      decisions: point ? s.scalar('SELECT COUNT(*) FROM decision_log WHERE ts > ?', [since]) : 0,
      messages: point ? s.scalar('SELECT COUNT(*) FROM agent_coordination WHERE ts > ?', [since]) : 0,
      task_events: point ? s.scalar('SELECT COUNT(*) FROM task_events WHERE ts > ?', [since]) : 0,
    },
    crash_frontier: frontier,
    alerts,
    lost: o.lost,
    lost_records: o.lostRecords ?? null,
    new_history: o.fork ?? null,
    duration_ms: ms,
    as_of: iso(t),
    as_of_ids: marks,
    spool_intake: trigger === 'crash' ? null : undefined,
    foreign_objects_dropped: o.foreignObjectsDropped?.length ? o.foreignObjectsDropped : undefined,
    breakpoint_holds_at_crash: held,
  };
}

const MAX_HELD_LISTED = 50;

/** The literal types matter: the partial index decision_log_debug serves only this very condition. */
export const HOLD_RECORDS_SQL = `SELECT ts, decision_type, context, agent_id, task_id FROM decision_log
  WHERE decision_type IN ('${HOLD_DECISION}', '${RELEASE_DECISION}') AND ts >= ? ORDER BY id`;

/**
 * The debugger's holds the dead run recorded (`debug_hold`) and never ended (`debug_hold_released`,
 * written however a hold ends), newest first. Only the dead run's own records (from its start):
 * an older run's were reported then. Read back from the store, so each field is checked.
 */
function holdsOpenAtCrash(ctx: EngineContext, runStartedAt: string | undefined): HeldAtCrash[] {
  const since = runStartedAt && Number.isFinite(Date.parse(runStartedAt)) ? runStartedAt : '';
  const open = new Map<string, HeldAtCrash>();
  const rows = ctx.store.all(HOLD_RECORDS_SQL, [since]);
  for (const r of rows) {
    let c: unknown;
    try {
      c = typeof r.context === 'string' ? JSON.parse(r.context) : null;
    } catch {
      continue;
    }
    if (!c || typeof c !== 'object' || Array.isArray(c)) continue;
    const x = c as Record<string, unknown>;
    const id = short(x.hold_id);
    if (id === null) continue;
    if (r.decision_type === RELEASE_DECISION) {
      open.delete(id);
      continue;
    }
    // A hold nobody waited on (an OpenTelemetry span) was never open.
    if (x.held !== true) continue;
    open.delete(id);
    open.set(id, {
      hold_id: id, breakpoint: short(x.breakpoint), reason: short(x.reason) ?? 'breakpoint', filter: short(x.filter),
      event_kind: short(x.event_kind) ?? 'event', event_name: short(x.event_name),
      agent_id: short(r.agent_id), task_id: short(r.task_id), source: sourceOf(x.source), since: String(r.ts),
    });
  }
  return [...open.values()].reverse().slice(0, MAX_HELD_LISTED);
}

function short(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= 1000 ? v : null;
}

function sourceOf(v: unknown): HeldAtCrash['source'] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const s = v as Record<string, unknown>;
  const file = short(s.file);
  if (file === null || typeof s.line !== 'number' || !Number.isInteger(s.line) || s.line < 0) return null;
  return { file, line: s.line, function: short(s.function) };
}

function reportMarks(ctx: EngineContext): ReportMarks {
  // The id counters, not MAX(id): archived rows left the live tables but keep their ids.
  const c = ctx.store.counters;
  return { decision: c.decision, message: c.message, task_event: c.task_event, checkpoint: c.checkpoint, span: c.span };
}

/** What arrived after the report's moment, counted by row id: spooled events keep their earlier times. */
export function changesSince(ctx: EngineContext, report: RecoveryReport): ChangesSince | undefined {
  const m = report.as_of_ids;
  if (!m || !report.as_of) return undefined;
  const s = ctx.store;
  const after = (table: string, id: number) => s.scalar(`SELECT COUNT(*) FROM ${table} WHERE id > ?`, [id]);
  const taskIds = s.all('SELECT DISTINCT task_id FROM task_events WHERE id > ? ORDER BY task_id LIMIT 50', [m.task_event]);
  return {
    as_of: report.as_of,
    decisions: after('decision_log', m.decision),
    messages: after('agent_coordination', m.message),
    task_events: after('task_events', m.task_event),
    checkpoints: after('checkpoints', m.checkpoint),
    spans: after('spans', m.span),
    tasks: taskIds.map(r => s.getTask(String(r.task_id))).filter((x): x is Task => x !== undefined),
  };
}

function crashFrontier(ctx: EngineContext, recoveryPointAt: string): CrashFrontier {
  const s = ctx.store;
  const last = s.get(`SELECT MAX(t) AS t FROM (SELECT MAX(ts) AS t FROM decision_log UNION ALL SELECT MAX(ts) FROM agent_coordination
    UNION ALL SELECT MAX(ts) FROM task_events UNION ALL SELECT MAX(last_seen) FROM agent_states UNION ALL SELECT MAX(ts) FROM spans)`);
  const lastAt = last?.t ? String(last.t) : null;
  const windowStart = lastAt ? iso(Date.parse(lastAt) - ctx.settings.staleAfterMs) : '';
  const unfinished = s.all(`SELECT trace_id, MAX(conversation_id) AS conversation_id FROM spans GROUP BY trace_id
    HAVING SUM(CASE WHEN parent_span_id IS NULL AND end_time IS NOT NULL THEN 1 ELSE 0 END) = 0 ORDER BY MAX(id) DESC LIMIT 20`);
  return {
    last_activity_at: lastAt,
    tasks_in_progress: s.getTasks('in_progress'),
    agents_active_at_crash: lastAt ? s.getAgents(ctx.clock.now(), ctx.settings.staleAfterMs).filter(a => a.last_seen >= windowStart) : [],
    tool_calls_after_recovery_point: s.getSpans({ limit: 200, operation: 'execute_tool', since: recoveryPointAt || undefined }),
    unfinished_conversations: unfinished.map(r => ({
      trace_id: String(r.trace_id),
      conversation_id: r.conversation_id === null ? null : String(r.conversation_id),
      spans: s.getSpans({ limit: 200, trace_id: String(r.trace_id) }),
    })),
  };
}

/** Writes the report and its Markdown; false (logged) when the disk refused. */
export async function writeReport(ctx: EngineContext, report: RecoveryReport): Promise<boolean> {
  const json = path.join(ctx.folder, report.file);
  try {
    await writeFileAtomic(ctx.fs, json, JSON.stringify(report, null, 2) + '\n');
    await writeFileAtomic(ctx.fs, reportMarkdownFile(json), renderRecoveryReport(report));
    return true;
  } catch (e) {
    ctx.log.error(`[engine] could not write recovery report ${report.file}: ${errText(e)}`);
    return false;
  }
}

/** The newest reports on disk, newest first; unreadable ones are skipped and logged. */
export async function listRecoveryReports(ctx: EngineContext, limit: number): Promise<RecoveryReport[]> {
  const out: RecoveryReport[] = [];
  for await (const r of reportsNewestFirst(ctx)) {
    if (out.length >= limit) break;
    out.push(r);
  }
  return out;
}

/** The newest report of a crash (an analysis asked for later never hides it), else the newest one. */
export async function latestRecoveryReport(ctx: EngineContext): Promise<RecoveryReport | undefined> {
  let newest: RecoveryReport | undefined;
  // Reads only as far back as the newest crash report.
  for await (const r of reportsNewestFirst(ctx)) {
    newest ??= r;
    if (r.trigger === 'crash') return r;
  }
  return newest;
}

async function* reportsNewestFirst(ctx: EngineContext): AsyncGenerator<RecoveryReport> {
  for (const f of (await listDir(ctx.fs, ctx.folder)).filter(isReportFile).sort().reverse()) {
    let r: unknown;
    try {
      r = JSON.parse(Buffer.from(await ctx.fs.readFile(path.join(ctx.folder, f))).toString('utf8'));
    } catch (e) {
      ctx.log.warn(`[engine] skipping unreadable report ${f}: ${errText(e)}`);
      continue;
    }
    const why = reportProblem(r);
    if (why) {
      ctx.log.warn(`[engine] skipping ${f}: not a recovery report (${why})`);
      continue;
    }
    // Named by its file, whatever it says of itself.
    yield { ...(r as RecoveryReport), file: f };
  }
}

/** Why a value read from a report file is not a report (the fields every reader relies on), or undefined. */
export function reportProblem(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const r = v as Record<string, unknown>;
  if (typeof r.created_at !== 'string' || !Number.isFinite(Date.parse(r.created_at))) return 'created_at';
  if (r.trigger !== 'crash' && r.trigger !== 'manual') return 'trigger';
  if (typeof r.loaded_from !== 'string') return 'loaded_from';
  for (const k of ['steps', 'stale_agents', 'incomplete_tasks', 'last_decisions', 'lost'] as const) if (!Array.isArray(r[k])) return k;
  if (!r.restored || typeof r.restored !== 'object') return 'restored';
  if (!r.after_last_recovery_point || typeof r.after_last_recovery_point !== 'object') return 'after_last_recovery_point';
  if (!r.crash_frontier || typeof r.crash_frontier !== 'object') return 'crash_frontier';
  return undefined;
}
