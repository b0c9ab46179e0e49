// GET /spans: what arrived over OTLP, newest first, with the agent, task and conversation it was
// mapped to and the convention that read it; `before` (a span's id) pages back.
import type { ContextEngineApi } from '../core/engineApi';
import type { Span, SpanQuery } from '../core/types';
import { readSpan } from '../otel/conventions';
import { fieldError } from './http';
import { positiveId, type Query } from './validate';

export interface SpansPage {
  spans: (Span & { convention: string | null })[];
  /** The `before` of the next page back; null when this page is the last. */
  next_before: number | null;
}

export async function listSpans(engine: ContextEngineApi, query: Query): Promise<SpansPage> {
  const limit = query.limit(100);
  const q: SpanQuery = { limit };
  const since = query.since();
  if (since !== undefined) q.since = since;
  const before = query.get('before');
  if (before !== undefined) q.beforeId = positiveId(before, 'before');
  const trace = query.get('trace_id');
  if (trace !== undefined) {
    if (!/^[0-9a-fA-F]{32}$/.test(trace)) throw fieldError('trace_id', 'must be 32 hexadecimal digits');
    q.trace_id = trace.toLowerCase();
  }
  for (const f of ['agent_id', 'task_id', 'conversation_id'] as const) {
    const v = query.id(f);
    if (v !== undefined) q[f] = v;
  }
  const spans = await engine.getSpans(q);
  return {
    spans: spans.map(s => ({ ...s, convention: readSpan(s).convention })),
    next_before: spans.length === limit ? spans[spans.length - 1].id : null,
  };
}
