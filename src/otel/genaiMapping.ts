// GenAI spans onto Jarvis Context's model: agents, tasks, decisions and messages, as BatchEvents
// with event_ids derived from trace and span ids (a re-sent batch is not applied twice).
//
// A trace is one task (`otel-<trace id>`): every span knows its task without waiting for its
// ancestors, which matters because exporters send children first (they end first), often in an
// earlier batch than the agent span above them. Whatever needs an ancestor (which agent called a
// tool, who delegated to whom) is resolved over this batch plus the trace's spans already stored
// (`known`); when the chain of parents is broken, the span is stored now and its events are
// derived when a later batch brings the missing ancestor (the stored span is then re-sent with
// its agent filled in).
import type { BatchEvent, Json, JsonObject, SpanInput, TaskStatus } from '../core/types';
import { readSpan } from './conventions';
import type { SpanReading } from './conventions/types';
import { bounded, finishedWithToolCalls, MODEL_OPERATIONS, OP, str } from './genaiAttributes';
import { spanKey } from './otlpDecode';

export const OTEL_TASK_PREFIX = 'otel-';
export const taskIdForTrace = (traceId: string): string => `${OTEL_TASK_PREFIX}${traceId}`;
export const TOOL_RECIPIENT_PREFIX = 'tool:';

export interface MapOptions {
  /** Spans of the same traces stored earlier (what engine.getSpans({ trace_id }) answers). */
  known?: readonly SpanInput[];
  /** Keys (trace:span) of spans whose parent is in another process: their ancestry is complete. */
  remoteParents?: ReadonlySet<string>;
}

export interface Mapped {
  /** The batch's spans with agent, task and conversation resolved, plus stored spans now resolved. */
  spans: SpanInput[];
  events: BatchEvent[];
}

const AGENT_OPS = new Set<string>([OP.invokeAgent, OP.createAgent]);
const TASK_ANCHOR_OPS = new Set<string>([OP.invokeWorkflow, OP.invokeAgent]);
const SUBTASK_OPS = new Set<string>([OP.executeTool, OP.invokeAgent, OP.invokeWorkflow, OP.workflowStep, OP.plan]);

/** What the conventions read off a span (cached per span's attributes). */
export const reading = (s: SpanInput): SpanReading => readSpan(s);

interface Node {
  span: SpanInput;
  key: string;
  /** In this batch (false: stored earlier). */
  fresh: boolean;
  endMs: number | null;
  startMs: number;
  children: Node[];
}

interface Resolved {
  /** The acting agent: the span's own for agent spans, else the nearest agent above. */
  agent: string | null;
  /** The agent above the span (excluding itself). */
  callerAgent: string | null;
  conversation: string | null;
  /** Every parent up to a root is known (or the chain leaves the process). */
  complete: boolean;
  /** The nearest workflow/agent span above (excluding itself). */
  anchorAbove: Node | null;
}

const time = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** Fills agent_id, task_id and conversation_id of the batch's spans in place (they are the decoder's). */
export function mapSpans(batch: readonly SpanInput[], options: MapOptions = {}): Mapped {
  const remote = options.remoteParents ?? new Set<string>();
  const nodes = new Map<string, Node>();
  const add = (span: SpanInput, fresh: boolean): void => {
    const key = spanKey(span.trace_id, span.span_id);
    nodes.set(key, { span, key, fresh, endMs: time(span.end_time), startMs: Date.parse(span.start_time), children: [] });
  };
  for (const s of options.known ?? []) add(s, false);
  for (const s of batch) add(s, true);
  for (const n of nodes.values()) {
    const p = n.span.parent_span_id === null ? undefined : nodes.get(spanKey(n.span.trace_id, n.span.parent_span_id));
    if (p) p.children.push(n);
  }

  const memo = new Map<string, Resolved>();
  const parentOf = (n: Node): Node | undefined =>
    n.span.parent_span_id === null ? undefined : nodes.get(spanKey(n.span.trace_id, n.span.parent_span_id));
  const ownAgent = (n: Node): string | null => (n.span.operation !== null && AGENT_OPS.has(n.span.operation) ? n.span.agent_id : null);

  const top = (n: Node): Resolved => ({
    agent: n.span.agent_id,
    // A stored span was resolved when it was written: its agent_id is the one above it.
    callerAgent: !n.fresh && ownAgent(n) === null ? n.span.agent_id : null,
    conversation: n.span.conversation_id,
    complete: n.span.parent_span_id === null || remote.has(n.key),
    anchorAbove: null,
  });
  const below = (n: Node, p: Node, pr: Resolved): Resolved => ({
    // Agent spans name themselves; other spans may name their agent, else inherit it.
    agent: n.span.agent_id ?? pr.agent,
    callerAgent: pr.agent,
    conversation: n.span.conversation_id ?? pr.conversation,
    complete: pr.complete,
    anchorAbove: p.span.operation !== null && TASK_ANCHOR_OPS.has(p.span.operation) ? p : pr.anchorAbove,
  });
  // Iterative over the parent chain: traces can be thousands of spans deep.
  const resolve = (start: Node): Resolved => {
    const chain: Node[] = [];
    let cur: Node | undefined = start;
    while (cur && !memo.has(cur.key)) {
      chain.push(cur);
      cur = parentOf(cur);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const n = chain[i];
      const p = i === chain.length - 1 ? cur : chain[i + 1];
      memo.set(n.key, p ? below(n, p, memo.get(p.key)!) : top(n));
    }
    return memo.get(start.key)!;
  };
  const siblingsAfter = (n: Node): SpanInput[] => {
    const p = parentOf(n);
    if (!p || n.endMs === null) return [];
    // Started after the model call did: a streamed answer's tools begin before its span ends.
    const later = p.children.filter(c => c !== n && c.startMs >= n.startMs).sort((a, b) => a.startMs - b.startMs);
    const out: SpanInput[] = [];
    for (const c of later) {
      if (c.span.operation !== null && MODEL_OPERATIONS.has(c.span.operation)) break;
      if (c.span.operation === OP.executeTool) out.push(c.span);
    }
    return out;
  };

  // Handoffs name the target agent; use its id when an agent span of that name is known.
  const agentIdByName = new Map<string, string>();
  for (const n of nodes.values()) if (ownAgent(n) && n.span.agent_name) agentIdByName.set(n.span.agent_name, n.span.agent_id!);

  // Which traces carry GenAI spans (others are stored untouched: no task for an HTTP trace).
  const genAiTraces = new Set<string>();
  for (const n of nodes.values()) if (n.span.operation !== null) genAiTraces.add(n.span.trace_id);

  // Conversation ids also flow up from a descendant (the agent span may not carry it, its chat spans do).
  const conversationOfTrace = new Map<string, string>();
  for (const n of nodes.values()) {
    if (n.span.conversation_id && !conversationOfTrace.has(n.span.trace_id)) conversationOfTrace.set(n.span.trace_id, n.span.conversation_id);
  }

  // Resolve every span; stored spans whose resolution changed are re-sent and get their events now.
  const outSpans: SpanInput[] = [];
  const process: Node[] = [];
  for (const n of nodes.values()) {
    const r = resolve(n);
    const taskId = genAiTraces.has(n.span.trace_id) ? taskIdForTrace(n.span.trace_id) : null;
    const conversation = r.conversation ?? conversationOfTrace.get(n.span.trace_id) ?? null;
    const agentId = r.agent;
    if (n.fresh) {
      // The batch's spans are the decoder's own objects: filled in place, not copied.
      n.span.agent_id = agentId;
      n.span.task_id = taskId;
      n.span.conversation_id = conversation;
      outSpans.push(n.span);
      process.push(n);
    } else {
      const changed = (agentId !== null && n.span.agent_id === null) || (taskId !== null && n.span.task_id === null)
        || (conversation !== null && n.span.conversation_id === null);
      if (changed) {
        n.span = { ...n.span, agent_id: agentId, task_id: taskId, conversation_id: conversation };
        outSpans.push(n.span);
      }
      // A stored span whose events waited for its ancestors: derived now (a span that already had
      // them derives the same event ids, which the engine skips).
      if (changed || (r.complete && agentId === null && n.span.operation !== null)) process.push(n);
    }
  }
  dropDoubleCountedTokens(nodes, outSpans);

  const events: BatchEvent[] = [];
  process.sort((a, b) => (a.endMs ?? a.startMs) - (b.endMs ?? b.startMs) || a.startMs - b.startMs);
  const taskTouched = new Map<string, Node[]>();
  for (const n of process) {
    const s = n.span;
    if (s.task_id !== null) {
      const list = taskTouched.get(s.trace_id) ?? [];
      list.push(n);
      taskTouched.set(s.trace_id, list);
    }
    if (s.operation === null) continue;
    const r = resolve(n);
    const ready = r.complete || r.agent !== null;
    const id = (what: string): string => `otel:${s.trace_id}:${s.span_id}:${what}`;
    const service = str(s.resource, 'service.name');

    if (AGENT_OPS.has(s.operation) && s.agent_id && n.fresh) events.push(agentEvent(s, id('agent')));

    const rd = reading(s);

    if (s.operation === OP.invokeAgent && s.agent_id && ready && r.callerAgent && r.callerAgent !== s.agent_id) {
      events.push({
        type: 'message', event_id: id('delegation'), from_agent: r.callerAgent, to_agent: s.agent_id, message_type: 'delegation',
        content: spanContent(s, { input: bounded(rd.input) }),
      });
    }

    if (s.operation === OP.executeTool && ready) {
      const from = r.agent ?? service ?? 'unknown';
      const tool = s.tool_name ?? s.name;
      events.push({
        type: 'message', event_id: id('tool'), from_agent: from, to_agent: `${TOOL_RECIPIENT_PREFIX}${tool}`, message_type: 'tool_call',
        content: spanContent(s, {
          tool_name: tool,
          tool_call_id: rd.tool_call_id,
          arguments: bounded(rd.tool_arguments),
          result: bounded(rd.tool_result),
        }),
      });
      // A tool that transfers control (transfer_to_<agent>, ADK's transfer_to_agent, a sub-agent call).
      if (rd.handoff_to) {
        events.push({
          type: 'message', event_id: id('handoff'), from_agent: from, to_agent: agentIdByName.get(rd.handoff_to) ?? rd.handoff_to, message_type: 'handoff',
          content: spanContent(s, { tool_name: tool }),
        });
      }
    }

    if (s.operation === OP.handoff && ready) {
      const to = rd.handoff_to;
      const from = rd.handoff_from ?? r.agent;
      if (to && from) {
        events.push({ type: 'message', event_id: id('handoff'), from_agent: from, to_agent: agentIdByName.get(to) ?? to, message_type: 'handoff', content: spanContent(s, {}) });
      }
    }

    if (s.operation === OP.plan && ready) events.push(planDecision(s, rd, r.agent, id('plan')));

    if (MODEL_OPERATIONS.has(s.operation) && ready) {
      // Named by the model's own output, or not (yet): log events naming the calls may come
      // later, and are then a decision of their own rather than lost to the first one's id.
      const d = toolChoice(n.span, rd, siblingsAfter(n), r.agent, id(rd.tool_calls.length ? 'tool_choice' : 'tool_choice_unnamed'));
      if (d) events.push(d);
    }
  }

  const byTrace = new Map<string, Node[]>();
  for (const n of nodes.values()) {
    const list = byTrace.get(n.span.trace_id);
    if (list) list.push(n);
    else byTrace.set(n.span.trace_id, [n]);
  }
  for (const [traceId, touched] of taskTouched) events.push(...taskEvents(traceId, touched, byTrace.get(traceId)!, nodes, resolve));
  return { spans: outSpans, events };
}

function spanContent(s: SpanInput, extra: Record<string, Json | null>): JsonObject {
  const o: JsonObject = {
    trace_id: s.trace_id, span_id: s.span_id, status: s.status,
    duration_ms: s.end_time === null ? null : Date.parse(s.end_time) - Date.parse(s.start_time),
  };
  if (s.status_message) o.error = s.status_message;
  for (const [k, v] of Object.entries(extra)) if (v !== null && v !== undefined) o[k] = v;
  return o;
}

function agentEvent(s: SpanInput, eventId: string): BatchEvent {
  const metadata: JsonObject = { source: 'opentelemetry', trace_id: s.trace_id, span_id: s.span_id, last_seen_at: s.end_time ?? s.start_time };
  if (s.agent_name) metadata.name = s.agent_name;
  const description = str(s.attributes, 'gen_ai.agent.description');
  if (description) metadata.description = description;
  const version = str(s.attributes, 'gen_ai.agent.version');
  if (version) metadata.version = version;
  const provider = reading(s).provider;
  if (provider) metadata.provider = provider;
  if (s.model) metadata.model = s.model;
  if (s.conversation_id) metadata.conversation_id = s.conversation_id;
  return {
    type: 'agent', event_id: eventId, agent_id: s.agent_id!,
    status: s.status === 'error' ? 'error' : s.end_time === null ? 'active' : s.operation === OP.createAgent ? 'created' : 'idle',
    current_task: s.end_time === null ? s.task_id : null,
    metadata,
  };
}

function planDecision(s: SpanInput, out: SpanReading, agent: string | null, eventId: string): BatchEvent {
  const text = out.output_text || (typeof out.output === 'string' ? out.output : '');
  return {
    type: 'decision', event_id: eventId, decision_type: 'plan',
    context: spanContent(s, { input: bounded(out.input) }),
    decision: text ? (bounded(text, 2_000) as string) : s.name,
    reasoning: out.reasoning || text || '(not captured)',
    outcome: s.status === 'error' ? { status: 'error', error: s.status_message } : null,
    agent_id: agent, task_id: s.task_id,
  };
}

/** A model call that ended in tool calls is the agent choosing tools. */
function toolChoice(s: SpanInput, out: SpanReading, followingTools: SpanInput[], agent: string | null, eventId: string): BatchEvent | undefined {
  if (!finishedWithToolCalls(out)) return undefined;
  let calls: Json[] = out.tool_calls.map(c => ({ name: c.name, id: c.id, arguments: bounded(c.arguments ?? undefined, 2_000) }));
  if (calls.length === 0) calls = followingTools.map(t => ({ name: t.tool_name ?? t.name, id: reading(t).tool_call_id }));
  const names = calls.map(c => (c as JsonObject).name as string);
  return {
    type: 'decision', event_id: eventId, decision_type: 'tool_choice',
    context: spanContent(s, { model: s.model, tool_calls: calls }),
    decision: names.length ? `call ${names.join(', ')}` : 'call tools (not captured)',
    reasoning: out.reasoning || out.output_text || '(not captured)',
    agent_id: agent, task_id: s.task_id,
  };
}

// Every batch of a trace lists all its finished subtasks again, stored spans included (read back
// as new objects, so the reading cache misses): their labels are kept by span, so a long trace's
// stored spans are not read through the conventions (JSON parsing included) once per batch.
const LABELS_KEPT = 50_000;
const labels = new Map<string, string>();

function subtaskLabel(s: SpanInput): string {
  if (s.operation !== OP.executeTool && s.operation !== OP.workflowStep) return plainLabel(s);
  const key = spanKey(s.trace_id, s.span_id);
  let label = labels.get(key);
  if (label === undefined) {
    const r = reading(s);
    label = s.operation === OP.executeTool
      ? `tool ${s.tool_name ?? s.name}${r.tool_call_id ? ` (${r.tool_call_id})` : ''}`
      : `step ${r.step_name ?? s.name}`;
    labels.set(key, label);
    if (labels.size > LABELS_KEPT) labels.delete(labels.keys().next().value as string);
  }
  return label;
}

function plainLabel(s: SpanInput): string {
  if (s.operation === OP.invokeAgent) return `agent ${s.agent_name ?? s.agent_id ?? s.name}`;
  if (s.operation === OP.plan) return `plan ${s.span_id.slice(0, 8)}`;
  return s.name;
}

/** The newest entries kept in completed_subtasks and blockers; the counts are in the metadata. */
export const MAX_SUBTASKS_LISTED = 200;

/**
 * The task of one trace: a small event per finished subtask in this batch (tool calls, nested
 * agents, plans: the task's history), then one with the whole picture: the anchor's (the top
 * workflow or agent span) final state when it is here, else the progress so far.
 */
function taskEvents(traceId: string, touched: Node[], all: Node[], nodes: Map<string, Node>, resolve: (n: Node) => Resolved): BatchEvent[] {
  const taskId = taskIdForTrace(traceId);
  // The anchor: a workflow/agent span with none above it, on a complete chain.
  let anchor: Node | undefined;
  for (const n of all) {
    if (n.span.operation === null || !TASK_ANCHOR_OPS.has(n.span.operation)) continue;
    const r = resolve(n);
    if (r.anchorAbove !== null || !r.complete) continue;
    const better = !anchor
      || (n.span.operation === OP.invokeWorkflow && anchor.span.operation !== OP.invokeWorkflow)
      || (n.span.operation === anchor.span.operation && n.startMs < anchor.startMs);
    if (better) anchor = n;
  }
  // No workflow or agent span at the top (a bare generateText, a LangGraph graph, model calls on
  // their own): the run is the trace's root span, and ends with it.
  if (!anchor) {
    for (const n of all) {
      const p = n.span.parent_span_id;
      if ((p !== null && nodes.has(spanKey(traceId, p))) || !resolve(n).complete) continue;
      if (!anchor || n.startMs < anchor.startMs) anchor = n;
    }
  }
  const anchorDone = anchor !== undefined && anchor.endMs !== null;

  let unfinished = 0;
  const finished: Node[] = [];
  // Spans referenced as parents but not here yet are still running (spans export on end).
  const running = new Set<string>();
  for (const n of all) {
    const p = n.span.parent_span_id;
    if (p !== null && !nodes.has(spanKey(traceId, p))) running.add(p);
    if (n === anchor || n.span.operation === null || !SUBTASK_OPS.has(n.span.operation)) continue;
    if (n.endMs === null) unfinished++;
    else finished.push(n);
  }
  finished.sort((a, b) => a.endMs! - b.endMs! || a.startMs - b.startMs);
  const completed: string[] = [];
  const blockers: string[] = [];
  for (const n of finished) {
    const s = n.span;
    if (s.status === 'error') blockers.push(`${subtaskLabel(s)} failed${s.status_message ? `: ${s.status_message}` : ''}`);
    else completed.push(subtaskLabel(s));
  }
  const percentage = Math.min(99, Math.round((100 * finished.length) / (finished.length + running.size + unfinished + 1)));
  let conversation: string | null = null;
  for (const n of all) if (n.span.conversation_id) { conversation = n.span.conversation_id; break; }
  const metadata = (extra: JsonObject = {}): JsonObject => {
    const m: JsonObject = { source: 'opentelemetry', trace_id: traceId };
    if (conversation) m.conversation_id = conversation;
    if (anchor) m.root_span_id = anchor.span.span_id;
    m.subtasks_completed = completed.length;
    m.subtasks_failed = blockers.length;
    return Object.assign(m, extra);
  };

  const events: BatchEvent[] = [];
  const touchedKeys = new Set<string>();
  for (const n of touched) touchedKeys.add(n.key);
  for (const n of finished) {
    if (!touchedKeys.has(n.key)) continue;
    const s = n.span;
    const step: BatchEvent = {
      type: 'task', event_id: `otel:${traceId}:${s.span_id}:subtask`, task_id: taskId,
      metadata: metadata({ last_step: subtaskLabel(s), last_step_status: s.status }),
    };
    if (!anchorDone) step.status = 'in_progress';
    events.push(step);
  }

  const lists = { completed_subtasks: completed.slice(-MAX_SUBTASKS_LISTED), blockers: blockers.slice(-MAX_SUBTASKS_LISTED) };
  // Ids of the batch-level events follow the batch's own (fresh) spans, so a later batch that
  // only re-derives stored spans never reuses one.
  let lastFresh = touched[touched.length - 1];
  for (const n of touched) if (n.fresh) lastFresh = n;
  if (anchor && anchor.fresh) {
    const s = anchor.span;
    const status: TaskStatus = s.end_time === null ? 'in_progress' : s.status === 'error' ? 'failed' : 'completed';
    const extra: JsonObject = { started_at: s.start_time };
    if (s.end_time) extra.ended_at = s.end_time;
    if (s.status_message) extra.error = s.status_message;
    events.push({
      type: 'task', event_id: `otel:${traceId}:${s.span_id}:task`, task_id: taskId,
      description: reading(s).workflow_name ?? s.name,
      status, percentage: status === 'completed' ? 100 : percentage,
      agent_id: resolve(anchor).agent, ...lists, metadata: metadata(extra),
    });
  } else if (!anchorDone) {
    // The run goes on: what is done so far. The id follows the batch's last span, so a re-sent
    // batch is recognised.
    const last = lastFresh.span;
    let top = all[0];
    for (const n of all) if (n.startMs < top.startMs) top = n;
    const u: BatchEvent = {
      type: 'task', event_id: `otel:${traceId}:${last.span_id}:progress`, task_id: taskId,
      status: 'in_progress', percentage, ...lists, metadata: metadata(),
    };
    if (!anchor) u.description = top.span.name;
    events.push(u);
  } else {
    // More of a run that has finished (late spans): refresh the lists only.
    events.push({ type: 'task', event_id: `otel:${traceId}:${lastFresh.span.span_id}:late`, task_id: taskId, ...lists, metadata: metadata() });
  }
  return events;
}

/**
 * Agent and workflow spans may carry the usage of the model calls under them; counting both would
 * double the totals, so such a span's tokens count only when no span below it has any.
 */
function dropDoubleCountedTokens(nodes: Map<string, Node>, out: SpanInput[]): void {
  const hasTokensBelow = (n: Node): boolean => {
    const stack = [...n.children];
    while (stack.length) {
      const c = stack.pop()!;
      if (c.span.input_tokens !== null || c.span.output_tokens !== null) return true;
      stack.push(...c.children);
    }
    return false;
  };
  for (let i = 0; i < out.length; i++) {
    const s = out[i];
    if (s.operation === null || !TASK_ANCHOR_OPS.has(s.operation) || (s.input_tokens === null && s.output_tokens === null)) continue;
    const n = nodes.get(spanKey(s.trace_id, s.span_id))!;
    if (hasTokensBelow(n)) {
      out[i] = { ...s, input_tokens: null, output_tokens: null };
      n.span = out[i];
    }
  }
}
