// What the decoder stores in a span's columns (operation, agent, tool, model, tokens), read through
// the conventions (conventions/index.ts), and the helpers the mapping shares.
import type { Json, JsonObject } from '../core/types';
import { readSpan } from './conventions';
import { isToolFinish } from './conventions/read';
import { OP, type SpanReading } from './conventions/types';

export { OP };
export { isObj, jsonAttr, num, str } from './conventions/read';

/** Operations that are model calls (shown as such in the Traces view; candidates for tool choices). */
export const MODEL_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);

export interface GenAiFields {
  operation: string | null;
  /** The agent the span itself names (gen_ai.agent.id, else its name). */
  agent_id: string | null;
  agent_name: string | null;
  conversation_id: string | null;
  tool_name: string | null;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
}

export function genAiFields(attrs: JsonObject, name: string, scope: string | null = null): GenAiFields {
  const r = readSpan({ attributes: attrs, name, scope });
  return {
    operation: r.operation,
    agent_id: r.agent_id,
    agent_name: r.agent_name,
    conversation_id: r.conversation_id,
    tool_name: r.tool_name,
    model: r.model,
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
  };
}

/** A model call that asked for tools: tool calls in its output, or a finish reason saying so. */
export function finishedWithToolCalls(r: SpanReading): boolean {
  return r.tool_calls.length > 0 || r.finish_reasons.some(isToolFinish);
}

/** Long strings are cut so a tool result cannot bloat every message and report it lands in. */
export function bounded(v: Json | undefined, max = 8_192): Json | null {
  if (v === undefined) return null;
  if (typeof v === 'string') return v.length > max ? `${v.slice(0, max)}… (${v.length} characters)` : v;
  const s = JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : v;
}
