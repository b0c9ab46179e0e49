// The Traces view's model, vscode-free: conversations, then agent invocations (nested as they
// called each other), then the tool and model calls each made, with duration, status and tokens.
import type { Span, SpanStatus } from '../core/types';
import { costUsd, formatCost, type PriceTable, priceFor } from '../cost';
import { MODEL_OPERATIONS, OP } from './genaiAttributes';

export type TraceNodeKind = 'conversation' | 'workflow' | 'agent' | 'tool' | 'model' | 'plan' | 'other';

export interface TraceTreeNode {
  /** Stable across reloads: the conversation id, or trace:span. */
  key: string;
  kind: TraceNodeKind;
  label: string;
  span: Span | undefined;
  /** Conversations: from first start to last end of their spans. */
  durationMs: number | null;
  status: SpanStatus;
  inProgress: boolean;
  /** The node's own span plus everything below it. */
  tokens: { input: number; output: number };
  /** US dollars of the node's own span plus everything below it, for the models the price table knows. */
  cost: number;
  /** Tokens of models the price table does not know were spent here or below (the cost is a lower bound). */
  unpriced: boolean;
  agentId: string | null;
  taskId: string | null;
  children: TraceTreeNode[];
}

function kindOf(s: Span): TraceNodeKind {
  if (s.operation === OP.invokeWorkflow) return 'workflow';
  if (s.operation === OP.invokeAgent || s.operation === OP.createAgent) return 'agent';
  if (s.operation === OP.executeTool) return 'tool';
  if (s.operation === OP.plan) return 'plan';
  if (s.operation !== null && MODEL_OPERATIONS.has(s.operation)) return 'model';
  return 'other';
}

function labelOf(s: Span): string {
  switch (kindOf(s)) {
    case 'agent': return s.agent_name ?? s.agent_id ?? s.name;
    case 'tool': return s.tool_name ?? s.name;
    case 'model': return s.model ? `${s.operation} ${s.model}` : s.name;
    default: return s.name;
  }
}

const worse = (a: SpanStatus, b: SpanStatus): SpanStatus => (a === 'error' || b === 'error' ? 'error' : a === 'ok' || b === 'ok' ? 'ok' : 'unset');

/**
 * Only GenAI spans are shown (HTTP or database spans under a tool count towards nothing here; the
 * attributes document still has them). A span is placed under its nearest shown ancestor; one
 * whose ancestors are not stored (yet) goes directly under its conversation.
 */
export function buildTraceTree(spans: readonly Span[], prices: PriceTable = {}): TraceTreeNode[] {
  const byKey = new Map<string, Span>();
  for (const s of spans) byKey.set(`${s.trace_id}:${s.span_id}`, s);
  const shown = new Map<string, TraceTreeNode>();
  for (const s of spans) {
    if (s.operation === null) continue;
    const key = `${s.trace_id}:${s.span_id}`;
    shown.set(key, {
      key, kind: kindOf(s), label: labelOf(s), span: s, durationMs: s.duration_ms, status: s.status, inProgress: s.end_time === null,
      tokens: { input: s.input_tokens ?? 0, output: s.output_tokens ?? 0 }, agentId: s.agent_id, taskId: s.task_id, children: [],
      ...ownCost(s, prices),
    });
  }
  const conversations = new Map<string, TraceTreeNode>();
  const conversationOf = (s: Span): TraceTreeNode => {
    const id = s.conversation_id ?? `trace ${s.trace_id}`;
    let c = conversations.get(id);
    if (!c) {
      c = {
        key: `conversation:${id}`, kind: 'conversation', label: s.conversation_id ?? `trace ${s.trace_id.slice(0, 8)}`, span: undefined,
        durationMs: null, status: 'unset', inProgress: false, tokens: { input: 0, output: 0 }, cost: 0, unpriced: false, agentId: null, taskId: s.task_id, children: [],
      };
      conversations.set(id, c);
    }
    return c;
  };
  for (const node of shown.values()) {
    const s = node.span!;
    let parent: TraceTreeNode | undefined;
    for (let p = s.parent_span_id, guard = 0; p !== null && guard < 10_000; guard++) {
      const key = `${s.trace_id}:${p}`;
      parent = shown.get(key);
      if (parent) break;
      p = byKey.get(key)?.parent_span_id ?? null;
    }
    if (parent) parent.children.push(node);
    else conversationOf(s).children.push(node);
  }
  for (const c of conversations.values()) groupRuns(c);
  const finish = (n: TraceTreeNode): void => {
    n.children.sort((a, b) => startOf(a).localeCompare(startOf(b)));
    for (const c of n.children) {
      finish(c);
      n.tokens.input += c.tokens.input;
      n.tokens.output += c.tokens.output;
      n.cost += c.cost;
      n.unpriced ||= c.unpriced;
    }
  };
  for (const c of conversations.values()) {
    finish(c);
    for (const run of c.children) if (!run.span) summarize(run);
    summarize(c);
  }
  // Newest conversation first, as the other lists.
  return [...conversations.values()].sort((a, b) => firstStart(b).localeCompare(firstStart(a)));
}

/**
 * A conversation holds the runs (traces) that shared it. A run with one top node is that node; a
 * run whose top is several nodes (its root span not stored, or not a GenAI span) gets a node of its
 * own, so its spans are not mixed with the other runs'.
 */
function groupRuns(c: TraceTreeNode): void {
  const byTrace = new Map<string, TraceTreeNode[]>();
  for (const n of c.children) {
    const t = n.span!.trace_id;
    const list = byTrace.get(t);
    if (list) list.push(n);
    else byTrace.set(t, [n]);
  }
  if (byTrace.size < 2) return;
  c.children = [...byTrace].map(([traceId, nodes]) => nodes.length === 1 ? nodes[0] : {
    key: `run:${traceId}`, kind: 'workflow' as const, label: `run ${traceId.slice(0, 8)}`, span: undefined,
    durationMs: null, status: 'unset' as SpanStatus, inProgress: false, tokens: { input: 0, output: 0 }, cost: 0, unpriced: false,
    agentId: null, taskId: nodes[0].taskId, children: nodes,
  });
}

/** What a span's own tokens cost (model calls carry the tokens; an agent span's own are rare). */
function ownCost(s: Span, prices: PriceTable): { cost: number; unpriced: boolean } {
  const input = s.input_tokens ?? 0;
  const output = s.output_tokens ?? 0;
  if (!input && !output) return { cost: 0, unpriced: false };
  const price = priceFor(s.model, prices);
  return price ? { cost: costUsd(input, output, price), unpriced: false } : { cost: 0, unpriced: true };
}

/** A span node's start, or its first child's (conversations and runs have no span of their own). */
function startOf(n: TraceTreeNode): string {
  return n.span?.start_time ?? (n.children.length ? startOf(n.children[0]) : '');
}

function firstStart(n: TraceTreeNode): string {
  return n.children.length ? startOf(n.children[0]) : '';
}

/** A node without a span of its own: from the first start to the last end of its children. */
function summarize(n: TraceTreeNode): void {
  let start = Infinity;
  let end = -Infinity;
  for (const child of n.children) {
    start = Math.min(start, Date.parse(startOf(child)));
    if (child.inProgress) n.inProgress = true;
    const childEnd = child.span ? (child.span.end_time === null ? null : Date.parse(child.span.end_time)) : child.durationMs === null ? null : Date.parse(startOf(child)) + child.durationMs;
    if (childEnd !== null) end = Math.max(end, childEnd);
    n.status = worse(n.status, child.status);
  }
  n.durationMs = end >= start ? end - start : null;
}

/** "1.2 s · error · 180→70 tokens · $0.02" (a "+" when some tokens are of models without a price; "no price" when none has one) */
export function describeTraceNode(n: TraceTreeNode): string {
  const parts: string[] = [];
  if (n.inProgress) parts.push('running');
  else if (n.durationMs !== null) parts.push(n.durationMs < 1000 ? `${Math.round(n.durationMs)} ms` : `${(n.durationMs / 1000).toFixed(1)} s`);
  if (n.status === 'error') parts.push('error');
  if (n.tokens.input || n.tokens.output) parts.push(`${n.tokens.input}→${n.tokens.output} tokens`);
  if (n.cost > 0) parts.push(`${formatCost(n.cost)}${n.unpriced ? '+' : ''}`);
  // Tokens of a model the price table does not know: said so, never "$0".
  else if (n.unpriced) parts.push('no price');
  return parts.join(' · ');
}
