// Reading the OpenTelemetry GenAI semantic conventions off one span's attributes: current names
// first, then the older or vendor names still emitted (OpenLLMetry, OpenInference, early semconv).
import type { Json, JsonObject } from '../core/types';

export const OP = {
  invokeAgent: 'invoke_agent',
  createAgent: 'create_agent',
  invokeWorkflow: 'invoke_workflow',
  executeTool: 'execute_tool',
  plan: 'plan',
  chat: 'chat',
  /** Not a semconv operation: OpenAI Agents SDK handoff spans ("Handoff: A -> B"). */
  handoff: 'handoff',
} as const;

/** Operations that are model calls (shown as such in the Traces view; candidates for tool choices). */
export const MODEL_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);

const KNOWN_OPERATIONS = new Set([
  'chat', 'create_agent', 'embeddings', 'execute_tool', 'generate_content', 'invoke_agent', 'invoke_workflow', 'plan',
  'retrieval', 'text_completion', 'create_memory', 'search_memory', 'update_memory', 'upsert_memory', 'delete_memory',
  'create_memory_store', 'delete_memory_store',
]);

// OpenInference (Arize) and OpenLLMetry (Traceloop) name the kind of span differently.
const OPENINFERENCE_KIND: Record<string, string> = { AGENT: 'invoke_agent', TOOL: 'execute_tool', LLM: 'chat', EMBEDDING: 'embeddings', RETRIEVER: 'retrieval' };
const TRACELOOP_KIND: Record<string, string> = { workflow: 'invoke_workflow', agent: 'invoke_agent', tool: 'execute_tool' };

export function str(attrs: JsonObject, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = attrs[k];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return null;
}

export function num(attrs: JsonObject, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = attrs[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  }
  return null;
}

/** gen_ai.operation.name, or what the span is by other conventions; null for non-GenAI spans. */
export function operationOf(attrs: JsonObject, name: string): string | null {
  const op = str(attrs, 'gen_ai.operation.name');
  if (op) return op;
  const oi = str(attrs, 'openinference.span.kind');
  if (oi && OPENINFERENCE_KIND[oi.toUpperCase()]) return OPENINFERENCE_KIND[oi.toUpperCase()];
  const tl = str(attrs, 'traceloop.span.kind');
  if (tl && TRACELOOP_KIND[tl]) return TRACELOOP_KIND[tl];
  if (/^handoff\b/i.test(name)) return OP.handoff;
  const llmType = str(attrs, 'llm.request.type');
  if (llmType === 'chat' || llmType === 'completion') return llmType === 'chat' ? 'chat' : 'text_completion';
  // Span names are "{operation} {target}" by the conventions; trusted only on a span that has
  // gen_ai.* attributes, and only for a known operation.
  const first = name.split(' ', 1)[0];
  if (KNOWN_OPERATIONS.has(first) && Object.keys(attrs).some(k => k.startsWith('gen_ai.'))) return first;
  return null;
}

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

const MAX_ID = 256;
const clip = (s: string | null): string | null => (s !== null && s.length > MAX_ID ? s.slice(0, MAX_ID) : s);

export function genAiFields(attrs: JsonObject, name: string): GenAiFields {
  const operation = operationOf(attrs, name);
  const agentName = str(attrs, 'gen_ai.agent.name', 'agent.name');
  const traceloopName = operation === 'invoke_agent' ? str(attrs, 'traceloop.entity.name') : null;
  const agentId = str(attrs, 'gen_ai.agent.id') ?? agentName ?? traceloopName;
  let toolName = str(attrs, 'gen_ai.tool.name', 'tool.name');
  if (!toolName && operation === 'execute_tool') {
    toolName = str(attrs, 'traceloop.entity.name') ?? (name.startsWith('execute_tool ') ? name.slice('execute_tool '.length) : null);
  }
  return {
    operation,
    agent_id: clip(agentId),
    agent_name: agentName ?? traceloopName,
    conversation_id: clip(str(attrs, 'gen_ai.conversation.id', 'session.id', 'traceloop.association.properties.session_id')),
    tool_name: toolName,
    model: str(attrs, 'gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name'),
    input_tokens: num(attrs, 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt', 'llm.usage.prompt_tokens'),
    output_tokens: num(attrs, 'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion', 'llm.usage.completion_tokens'),
  };
}

export function providerOf(attrs: JsonObject): string | null {
  return str(attrs, 'gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system');
}

/** A JSON-valued attribute, which the conventions allow as a JSON string too. */
export function jsonAttr(attrs: JsonObject, ...keys: string[]): Json | undefined {
  for (const k of keys) {
    const v = attrs[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'string') {
      const t = v.trimStart();
      if (t.startsWith('{') || t.startsWith('[')) {
        try {
          return JSON.parse(v) as Json;
        } catch {
          return v;
        }
      }
    }
    return v;
  }
  return undefined;
}

export interface ToolCallPart { id: string | null; name: string; arguments: Json | null }

export interface ModelOutput {
  text: string;
  reasoning: string;
  toolCalls: ToolCallPart[];
  finishReasons: string[];
}

/**
 * What a model call answered: gen_ai.output.messages (parts of type text, reasoning, tool_call),
 * else the older indexed attributes (gen_ai.completion.N.*, llm.output_messages.N.*).
 */
export function modelOutput(attrs: JsonObject): ModelOutput {
  const out: ModelOutput = { text: '', reasoning: '', toolCalls: [], finishReasons: [] };
  const fr = attrs['gen_ai.response.finish_reasons'];
  if (Array.isArray(fr)) out.finishReasons = fr.filter((x): x is string => typeof x === 'string');
  else if (typeof fr === 'string') out.finishReasons = [fr];
  const messages = jsonAttr(attrs, 'gen_ai.output.messages');
  const texts: string[] = [];
  const reasons: string[] = [];
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (!isObj(m)) continue;
      if (typeof m.finish_reason === 'string') out.finishReasons.push(m.finish_reason);
      for (const p of Array.isArray(m.parts) ? m.parts : []) {
        if (!isObj(p)) continue;
        if (p.type === 'text' && typeof p.content === 'string') texts.push(p.content);
        else if (p.type === 'reasoning' && typeof p.content === 'string') reasons.push(p.content);
        else if (p.type === 'tool_call' && typeof p.name === 'string') {
          out.toolCalls.push({ id: typeof p.id === 'string' ? p.id : null, name: p.name, arguments: p.arguments ?? null });
        }
      }
    }
  } else {
    // Indexed attributes: gen_ai.completion.0.content, gen_ai.completion.0.tool_calls.0.name,
    // llm.output_messages.0.message.tool_calls.0.tool_call.function.name.
    for (const [k, v] of Object.entries(attrs)) {
      if (typeof v !== 'string') continue;
      if (/^gen_ai\.completion\.\d+\.content$/.test(k) || /^llm\.output_messages\.\d+\.message\.content$/.test(k)) texts.push(v);
      else if (/^(gen_ai\.completion|llm\.output_messages)\.\d+\.(message\.)?tool_calls\.\d+\.(tool_call\.function\.)?name$/.test(k)) {
        const argKey = k.replace(/name$/, 'arguments');
        const idKey = k.replace(/(tool_call\.function\.)?name$/, k.includes('tool_call.function') ? 'tool_call.id' : 'id');
        out.toolCalls.push({ id: typeof attrs[idKey] === 'string' ? (attrs[idKey] as string) : null, name: v, arguments: jsonAttr(attrs, argKey) ?? null });
      } else if (/^gen_ai\.completion\.\d+\.finish_reason$/.test(k)) out.finishReasons.push(v);
    }
  }
  out.text = texts.join('\n');
  out.reasoning = reasons.join('\n');
  return out;
}

const TOOL_FINISH = new Set(['tool_calls', 'tool_call', 'tool_use', 'function_call']);
export function finishedWithToolCalls(o: ModelOutput): boolean {
  return o.toolCalls.length > 0 || o.finishReasons.some(r => TOOL_FINISH.has(r));
}

export function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Long strings are cut so a tool result cannot bloat every message and report it lands in. */
export function bounded(v: Json | undefined, max = 8_192): Json | null {
  if (v === undefined) return null;
  if (typeof v === 'string') return v.length > max ? `${v.slice(0, max)}… (${v.length} characters)` : v;
  const s = JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : v;
}
