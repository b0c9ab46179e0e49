// The run timeline as data: agents as lanes, tasks and OpenTelemetry spans as bars, decisions,
// messages, checkpoints, alerts and crashes as markers, on one millisecond axis. Built from what the
// engine reads; drawn by the webview (src/webview/timeline.ts). No vscode import: unit-tested in Node.
import { costTotals, costUsd, formatCost, priceFor, type PriceTable } from '../cost';
import type { ContextEngineApi } from '../core/engineApi';
import type { LgSummary } from '../core/langgraph';
import { groupRuns, namespaceName, stepTooltipLines, writerText } from '../langgraphText';
import type { Agent, Alert, CheckpointInfo, Decision, Message, RecoveryReport, Span, Task, TaskEvent } from '../core/types';
import { checkpointTitle, decisionTypeLabel, duration, statusLabel, visibleId } from '../format';
import type { BarState, TimelineBar, TimelineFork, TimelineLane, TimelineMarker, TimelineModel, TimelineOutage } from './protocol';
import { breaksCrossing, runBreaks, type RunBreak, type TaskSegment, taskSegments, TERMINAL } from './reruns';

export type * from './protocol';

export interface TimelineInput {
  now: number;
  tasks: Task[];
  agents: Agent[];
  decisions: Decision[];
  messages: Message[];
  spans: Span[];
  checkpoints: CheckpointInfo[];
  alerts: Alert[];
  reports: RecoveryReport[];
  prices: PriceTable;
  /** LangGraph checkpoints (engine.langgraph.summaries): each thread a lane, its steps as bars. */
  langgraph?: LgSummary[];
  /** The updates of the tasks that a crash or a resume cut (readTimeline reads them), by task id. */
  taskEvents?: ReadonlyMap<string, TaskEvent[]>;
  truncated?: boolean;
}

/** How much of each kind the timeline reads (newest first); more would not be readable anyway. */
export const TIMELINE_LIMITS = { spans: 3_000, decisions: 1_000, messages: 1_000, checkpoints: 500, alerts: 200, reports: 20, langgraph: 1_000,
  /** Tasks a crash or resume cut whose updates are read, and updates read per task. */
  cutTasks: 200, taskEvents: 500 } as const;

/** A pause this long between two items ends a run: the view opens on the newest run, not on weeks of history. */
export const RUN_GAP_MS = 30 * 60_000;

export const RUN_LANE = 'run';
/** A LangGraph thread's lane; U+0000 keeps it apart from every agent id (ids never hold it). */
export const LANGGRAPH_LANE = (threadId: string): string => `\u0000langgraph:${threadId}`;
/** A LangGraph step's bar (the page finds items by key with a CSS selector: no U+0000 here). */
export const lgStepKey = (k: { thread_id: string; checkpoint_ns: string; checkpoint_id: string }): string =>
  `langgraph:${encodeURIComponent(k.thread_id)}:${encodeURIComponent(k.checkpoint_ns)}:${encodeURIComponent(k.checkpoint_id)}`;
export const UNASSIGNED_LANE = 'unassigned';

const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : NaN);

function taskState(t: Pick<Task, 'status'>): BarState {
  switch (t.status) {
    case 'completed': return 'done';
    case 'failed': case 'cancelled': return 'failed';
    case 'blocked': return 'blocked';
    case 'pending': return 'waiting';
    default: return 'running';
  }
}

function short(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? one.slice(0, max - 1) + '…' : one;
}

/** What cut a stretch of a task: "when the engine crashed", "before the resume from #3". */
function cutText(b: RunBreak): string {
  return b.kind === 'crash' ? 'when the engine crashed' : `before the resume${b.parentId !== undefined ? ` from #${b.parentId}` : ''}`;
}

/** What a stretch after a break came after. */
function afterText(seg: TaskSegment): string {
  const b = seg.after!;
  if (b.kind === 'resume') return `after the resume from ${b.parentId !== undefined ? `checkpoint #${b.parentId}` : 'a checkpoint'}${b.forkId !== undefined ? ` (fork #${b.forkId})` : ''}`;
  return seg.reached !== undefined ? `after the crash, starting over (it had reached ${Math.round(seg.reached)}%)` : 'after the crash, from where it was';
}

/** Lays bars into the fewest rows where none overlap (sorted by start, first row that is free). */
function pack(bars: TimelineBar[], firstRow: number): number {
  const rowEnds: number[] = [];
  for (const b of [...bars].sort((a, c) => a.start - c.start || c.end - a.end)) {
    let row = rowEnds.findIndex(end => end <= b.start);
    if (row < 0) row = rowEnds.push(0) - 1;
    rowEnds[row] = Math.max(b.end, b.start + 1);
    b.row = firstRow + row;
  }
  return rowEnds.length;
}

export function buildTimeline(input: TimelineInput): TimelineModel {
  const { now, prices } = input;
  const costs = costTotals(input.spans, prices);
  const bars: TimelineBar[] = [];
  const markers: TimelineMarker[] = [];
  const outages: TimelineOutage[] = [];
  const agentIds = new Set(input.agents.map(a => a.agent_id));
  const laneOf = (agent: string | null | undefined): string => (agent && agentIds.has(agent) ? agent : agent ? (agentIds.add(agent), agent) : UNASSIGNED_LANE);

  const breaks = runBreaks(input.reports, input.decisions);
  const checkpointsById = new Map(input.checkpoints.map(c => [c.checkpoint_id, c]));
  /** Which tasks ran again after each resume (its decision id), for the resume's marker. */
  const rerunAfter = new Map<number, string[]>();
  for (const t of input.tasks) {
    if (!Number.isFinite(ms(t.created_at))) continue;
    const cost = costs.tasks.get(t.task_id);
    const label = short(t.description || visibleId(t.task_id), 80);
    const segments = taskSegments(t, input.taskEvents?.get(t.task_id) ?? [], breaks, now);
    segments.forEach((seg, i) => {
      const current = i === segments.length - 1;
      if (seg.part === 'rerun' && seg.after?.decision) {
        const list = rerunAfter.get(seg.after.decision.id) ?? [];
        if (!list.includes(t.task_id)) list.push(t.task_id);
        rerunAfter.set(seg.after.decision.id, list);
      }
      const detail = [
        `Task ${visibleId(t.task_id)}${seg.part === 'rerun' ? ' — ran again' : seg.part === 'continued' ? ' — went on' : ''}`,
        `${statusLabel(seg.status)} · ${Math.round(seg.percentage)}%${seg.endedBy ? ` ${cutText(seg.endedBy)}` : ''}`,
        ...(seg.after ? [afterText(seg)] : []),
        `${seg.open ? 'running for' : seg.part === 'whole' ? 'took' : 'ran'} ${duration(seg.end - seg.start)}`,
        ...(t.agent_id ? [`agent ${visibleId(t.agent_id)}`] : []),
        ...(current && t.blockers.length && !TERMINAL.has(t.status) ? [`blocked by ${t.blockers.join(', ')}`] : []),
        ...(current && cost ? [`cost ${formatCost(cost)}`] : []),
      ];
      bars.push({
        // The current stretch keeps the task's key (what the sidebar reveals); earlier ones are numbered.
        key: current ? `task:${t.task_id}` : `task:${t.task_id}~${i}`, kind: 'task', lane: laneOf(t.agent_id), row: 0,
        start: seg.start, end: seg.end, open: seg.open, state: taskState(seg),
        ...(seg.part !== 'whole' ? { part: seg.part } : {}),
        label: seg.part === 'rerun' ? `↻ ${label}` : label, detail, ref: { kind: 'task', id: t.task_id },
      });
    });
  }

  for (const s of input.spans) {
    const start = ms(s.start_time);
    if (!Number.isFinite(start)) continue;
    const open = s.end_time === null;
    const end = open ? Math.max(now, start) : Math.max(ms(s.end_time), start);
    const price = priceFor(s.model, prices);
    const usd = price && (s.input_tokens || s.output_tokens) ? costUsd(s.input_tokens ?? 0, s.output_tokens ?? 0, price) : 0;
    const tokens = s.input_tokens || s.output_tokens ? [`${s.input_tokens ?? 0}→${s.output_tokens ?? 0} tokens${s.model ? ` (${s.model})` : ''}`] : [];
    bars.push({
      key: `span:${s.trace_id}:${s.span_id}`, kind: 'span', lane: laneOf(s.agent_id), row: 0, start, end, open,
      state: s.status === 'error' ? 'failed' : open ? 'running' : 'done',
      label: short(s.tool_name ? `${s.operation ?? 'tool'} ${s.tool_name}` : s.name, 80),
      detail: [
        `Span ${s.name}`,
        `${open ? 'running for' : 'took'} ${duration(end - start)}`,
        ...tokens,
        ...(usd ? [`cost ${formatCost(usd)}`] : []),
        ...(s.task_id ? [`task ${s.task_id}`] : []),
        ...(s.status_message ? [`error: ${s.status_message}`] : []),
      ],
      ref: { kind: 'span', trace_id: s.trace_id, span_id: s.span_id, name: s.name },
    });
  }

  // LangGraph: a step is the time from its parent checkpoint to the one its nodes wrote; a
  // subgraph's steps share their thread's lane, on rows of their own where they overlap.
  let steps = 0;
  for (const run of groupRuns(input.langgraph ?? [])) {
    const byId = new Map(run.steps.map(x => [x.summary.checkpoint_id, x]));
    for (const x of run.steps) {
      // The input (no parent) is where the first step's bar begins, not a bar of its own; a fork
      // or an edit is made outside the graph, and the step after it began at an invoke whose
      // time is not recorded: both are drawn at their moment alone.
      const parent = x.summary.parent_checkpoint_id === null ? undefined : byId.get(x.summary.parent_checkpoint_id);
      if (!parent) continue;
      const end = ms(x.summary.created_at);
      const timed = x.source === 'loop' && (parent.source === 'loop' || parent.source === 'input');
      const start = timed ? Math.min(ms(parent.summary.created_at), end) : end;
      if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
      const { thread_id, checkpoint_ns, checkpoint_id } = x.summary;
      const what = writerText(x, parent.step);
      steps++;
      bars.push({
        key: lgStepKey(x.summary), kind: 'step', lane: LANGGRAPH_LANE(thread_id), row: 0, start, end, open: false,
        state: 'done', label: short(`${checkpoint_ns ? `${namespaceName(checkpoint_ns)}: ` : ''}${what}`, 80),
        detail: [...stepTooltipLines(x, parent.step), timed ? `took ${duration(end - start)}` : 'its start is not recorded (after a fork or an edit)'],
        ref: { kind: 'langgraph', thread_id, checkpoint_ns, checkpoint_id },
      });
    }
  }

  const resumes = new Set(breaks.flatMap(b => (b.decision ? [b.decision.id] : [])));
  for (const d of input.decisions) {
    const t = ms(d.ts);
    if (!Number.isFinite(t) || resumes.has(d.id)) continue;
    markers.push({
      key: `decision:${d.id}`, kind: 'decision', lane: d.agent_id ? laneOf(d.agent_id) : RUN_LANE, t,
      label: short(d.decision, 60),
      detail: [`Decision #${d.id} · ${decisionTypeLabel(d.decision_type)}`, short(d.decision, 200), ...(d.reasoning ? [short(d.reasoning, 200)] : []), ...(d.task_id ? [`task ${visibleId(d.task_id)}`] : [])],
      ref: { kind: 'decision', id: d.id },
    });
  }

  for (const m of input.messages) {
    const t = ms(m.ts);
    if (!Number.isFinite(t)) continue;
    const content = typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
    markers.push({
      key: `message:${m.id}`, kind: 'message', lane: laneOf(m.from_agent), t,
      label: `${visibleId(m.message_type)} → ${visibleId(m.to_agent)}`,
      detail: [`Message #${m.id}: ${visibleId(m.from_agent)} → ${visibleId(m.to_agent)}`, visibleId(m.message_type), short(content ?? '', 200)],
      ref: { kind: 'message', id: m.id },
    });
  }

  for (const c of input.checkpoints) {
    const t = ms(c.created_at);
    if (!Number.isFinite(t)) continue;
    markers.push({
      key: `checkpoint:${c.checkpoint_id}`, kind: 'checkpoint', lane: RUN_LANE, t, label: checkpointTitle(c),
      detail: [checkpointTitle(c), `${c.kind} checkpoint`], ref: { kind: 'checkpoint', id: c.checkpoint_id },
    });
  }

  for (const a of input.alerts) {
    const t = ms(a.first_seen);
    if (!Number.isFinite(t)) continue;
    const task = a.subject.type === 'task' ? input.tasks.find(t => t.task_id === a.subject.id) : undefined;
    const agent = a.subject.type === 'agent' ? a.subject.id : task?.agent_id;
    markers.push({
      key: `alert:${a.id}`, kind: 'alert', lane: agent ? laneOf(agent) : RUN_LANE, t, label: short(a.message, 60),
      detail: [`Alert: ${a.message}`, a.active ? 'still active' : `ended${a.cleared_by === 'dismissed' ? ' (dismissed)' : ''}`, ...(a.count > 1 ? [`seen ${a.count} times`] : [])],
      ref: { kind: 'alert', id: a.id },
    });
  }

  const forks: TimelineFork[] = [];
  for (const b of breaks) {
    if (b.kind === 'crash') {
      const r = b.report!;
      const known = Number.isFinite(ms(r.crash_frontier?.last_activity_at)) && b.start < b.end;
      if (b.end > b.start) outages.push({ start: b.start, end: b.end, label: `down ${duration(b.end - b.start)}` });
      markers.push({
        key: `crash:${r.file}`, kind: 'crash', lane: RUN_LANE, t: b.start, label: 'Crash',
        detail: [
          'Crash: the engine stopped without closing',
          known ? `down ${duration(b.end - b.start)}, from its last write to the recovery` : 'recovered at this moment',
          `${r.incomplete_tasks.length} incomplete task${r.incomplete_tasks.length === 1 ? '' : 's'}: click to open the recovery report`,
        ],
        ref: { kind: 'report', file: r.file },
      });
      continue;
    }
    const d = b.decision!;
    const parent = b.parentId !== undefined ? checkpointsById.get(b.parentId) : undefined;
    const from = parent ? ms(parent.created_at) : NaN;
    const again = rerunAfter.get(d.id) ?? [];
    const key = `fork:${d.id}`;
    forks.push({ key, from: Number.isFinite(from) && from <= b.start ? from : null, at: b.start });
    markers.push({
      key, kind: 'fork', lane: RUN_LANE, t: b.start, label: b.parentId !== undefined ? `Resumed from #${b.parentId}` : 'Resumed',
      detail: [
        `Resumed from ${parent ? checkpointTitle(parent) : b.parentId !== undefined ? `checkpoint #${b.parentId}` : 'a checkpoint'}${b.edited ? ', its state edited' : ''}`,
        ...(b.forkId !== undefined ? [`recorded as fork #${b.forkId}; the history before it is kept`] : []),
        again.length ? `ran again: ${again.slice(0, 8).map(visibleId).join(', ')}${again.length > 8 ? ` and ${again.length - 8} more` : ''}` : 'no task has run again since',
      ],
      ref: b.forkId !== undefined ? { kind: 'checkpoint', id: b.forkId } : { kind: 'decision', id: d.id },
    });
  }

  // Lanes: the run first, then agents by their first activity, unassigned work last.
  const first = new Map<string, number>();
  for (const x of [...bars.map(b => ({ lane: b.lane, t: b.start })), ...markers.map(m => ({ lane: m.lane, t: m.t }))]) {
    first.set(x.lane, Math.min(first.get(x.lane) ?? Infinity, x.t));
  }
  for (const a of input.agents) if (!first.has(a.agent_id)) first.set(a.agent_id, ms(a.first_seen) || now);
  const agentsById = new Map(input.agents.map(a => [a.agent_id, a]));
  const laneKeys = [...first.keys()].filter(k => k !== RUN_LANE && k !== UNASSIGNED_LANE).sort((a, b) => first.get(a)! - first.get(b)! || a.localeCompare(b));
  const lanes: TimelineLane[] = [{ key: RUN_LANE, label: 'Run', detail: 'checkpoints, crashes', rows: 0 }];
  for (const key of laneKeys) {
    if (key.startsWith(LANGGRAPH_LANE(''))) {
      lanes.push({ key, label: visibleId(key.slice(LANGGRAPH_LANE('').length)), detail: 'LangGraph thread', rows: 0 });
      continue;
    }
    const a = agentsById.get(key);
    const cost = costs.agents.get(key);
    const state = !a ? 'traced' : a.status === 'completed' || a.status === 'done' ? 'done' : a.health === 'healthy' ? a.status : `${a.status}, ${a.health}`;
    lanes.push({ key, label: visibleId(key), detail: [state, ...(cost ? [formatCost(cost)] : [])].join(' · '), rows: 0, ref: { kind: 'agent', id: key } });
  }
  if (first.has(UNASSIGNED_LANE)) lanes.push({ key: UNASSIGNED_LANE, label: 'Unassigned', detail: 'tasks of no agent', rows: 0 });

  // Tasks on top of their lane, spans below them.
  for (const lane of lanes) {
    const mine = bars.filter(b => b.lane === lane.key);
    const taskRows = pack(mine.filter(b => b.kind === 'task'), 0);
    const spanRows = pack(mine.filter(b => b.kind === 'span'), taskRows);
    lane.rows = taskRows + spanRows + pack(mine.filter(b => b.kind === 'step'), taskRows + spanRows);
  }

  const times = [...bars.flatMap(b => [b.start, b.end]), ...markers.map(m => m.t), ...outages.flatMap(o => [o.start, o.end])];
  const reruns = bars.filter(b => b.part === 'rerun').length;
  const start = times.length ? Math.min(...times) : now - 60_000;
  const end = Math.max(times.length ? Math.max(...times) : now, start + 1_000);
  // The newest run: walk back from the newest moment until a pause of RUN_GAP_MS. Bars count
  // from their start and end, so a long task bridges its own quiet stretch.
  const sorted = [...times].sort((a, b) => b - a);
  let runStart = sorted.length ? sorted[0] : start;
  for (const t of sorted) {
    if (runStart - t > RUN_GAP_MS) break;
    runStart = Math.min(runStart, t);
  }
  for (const b of bars) if (b.end >= runStart && b.start < runStart) runStart = b.start;
  const runCost = [...costs.agents.values()].reduce((n, c) => n + c, 0);
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const summary = [
    count(laneKeys.filter(k => !k.startsWith(LANGGRAPH_LANE(''))).length, 'agent'), count(input.tasks.length, 'task'), count(input.spans.length, 'span'),
    count(input.decisions.length, 'decision'), count(input.messages.length, 'message'), count(input.checkpoints.length, 'checkpoint'),
    ...(steps ? [count(steps, 'LangGraph step')] : []),
    ...(outages.length ? [count(outages.length, 'crash', 'crashes')] : []),
    ...(forks.length ? [count(forks.length, 'resume')] : []),
    ...(reruns ? [`${count(reruns, 'task')} ran again`] : []),
    ...(runCost ? [`cost ${formatCost(runCost)}`] : []),
  ].join(' · ');
  bars.sort((a, b) => a.start - b.start);
  markers.sort((a, b) => a.t - b.t);
  return { start, end, runStart: Math.max(start, runStart), now, lanes, bars, markers, outages, forks, summary, truncated: !!input.truncated };
}

/** Reads everything the timeline draws from one engine. */
export async function readTimeline(engine: ContextEngineApi, prices: PriceTable, now = Date.now()): Promise<TimelineModel> {
  const [decisions, messages, spans, reports] = await Promise.all([
    engine.getDecisions({ limit: TIMELINE_LIMITS.decisions }),
    engine.getMessages({ limit: TIMELINE_LIMITS.messages }),
    engine.getSpans({ limit: TIMELINE_LIMITS.spans }),
    engine.listRecoveryReports(TIMELINE_LIMITS.reports),
  ]);
  const checkpoints = engine.listCheckpoints(TIMELINE_LIMITS.checkpoints);
  const alerts = engine.getAlerts({ limit: TIMELINE_LIMITS.alerts });
  const langgraph = engine.langgraph.summaries(TIMELINE_LIMITS.langgraph);
  const tasks = engine.getTasks();
  const breaks = runBreaks(reports, decisions);
  const taskEvents = new Map<string, TaskEvent[]>();
  if (breaks.length) {
    for (const t of tasks.filter(t => breaksCrossing(t, breaks, now).length).slice(0, TIMELINE_LIMITS.cutTasks)) {
      taskEvents.set(t.task_id, engine.getTaskEvents(t.task_id, TIMELINE_LIMITS.taskEvents));
    }
  }
  const truncated = decisions.length >= TIMELINE_LIMITS.decisions || messages.length >= TIMELINE_LIMITS.messages
    || spans.length >= TIMELINE_LIMITS.spans || checkpoints.length >= TIMELINE_LIMITS.checkpoints || langgraph.length >= TIMELINE_LIMITS.langgraph;
  return buildTimeline({
    now, tasks, agents: engine.getAgents(), decisions, messages, spans, checkpoints, alerts, reports, prices, langgraph, taskEvents, truncated,
  });
}
