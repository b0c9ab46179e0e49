// OpenTelemetry GenAI semantic conventions: the current attribute names (gen_ai.provider.name,
// gen_ai.usage.input_tokens, gen_ai.input/output.messages, gen_ai.tool.call.arguments/result) and
// the previous ones still emitted (gen_ai.system, gen_ai.usage.prompt_tokens, indexed
// gen_ai.prompt.N.* / gen_ai.completion.N.*).
import type { Json } from '../../core/types';
import { finishReasons, isObj, jsonAttr, nameAfter, num, str } from './read';
import { OP, type Convention, type RawSpan, type SpanReading, type ToolCallPart } from './types';

const KNOWN_OPERATIONS = new Set([
  'chat', 'create_agent', 'embeddings', 'execute_tool', 'generate_content', 'invoke_agent', 'invoke_workflow', 'plan',
  'retrieval', 'text_completion', 'create_memory', 'search_memory', 'update_memory', 'upsert_memory', 'delete_memory',
  'create_memory_store', 'delete_memory_store',
]);

// Values seen in gen_ai.operation.name that are not semconv operations.
const OPERATION_ALIASES: Record<string, string> = {
  workflow: OP.invokeWorkflow, agent: OP.invokeAgent, tool: OP.executeTool, task: OP.workflowStep, completion: 'text_completion',
};

// OpenAI Agents SDK and others hand off through a tool named transfer_to_<agent>.
const TRANSFER_TOOL = /^transfer_to_(.+)$/;

export function hasGenAiKey(attrs: object): boolean {
  if ('gen_ai.operation.name' in attrs) return true;
  for (const k in attrs) if (k.startsWith('gen_ai.')) return true;
  return false;
}

// Operations whose output (messages, tool calls, finish reasons) the mapping reads.
const ANSWERING = new Set(['chat', 'text_completion', 'generate_content', 'plan']);

function operation(span: RawSpan): string | null {
  const op = str(span.attributes, 'gen_ai.operation.name');
  if (op) return OPERATION_ALIASES[op] ?? op;
  // Span names are "{operation} {target}": trusted only for a known operation.
  const first = span.name.split(' ', 1)[0];
  return KNOWN_OPERATIONS.has(first) ? first : null;
}

/** gen_ai.output.messages (parts: text, reasoning, tool_call), else the indexed gen_ai.completion.N.* */
export function readOutputMessages(messages: Json | undefined, into: Partial<SpanReading>): void {
  const texts: string[] = [];
  const reasons: string[] = [];
  const calls: ToolCallPart[] = [];
  const finish: string[] = [];
  if (!Array.isArray(messages)) return;
  for (const m of messages) {
    if (!isObj(m)) continue;
    if (typeof m.finish_reason === 'string') finish.push(m.finish_reason.toLowerCase());
    for (const p of Array.isArray(m.parts) ? m.parts : []) {
      if (!isObj(p)) continue;
      if (p.type === 'text' && typeof p.content === 'string') texts.push(p.content);
      else if (p.type === 'reasoning' && typeof p.content === 'string') reasons.push(p.content);
      else if (p.type === 'tool_call' && typeof p.name === 'string') calls.push({ id: typeof p.id === 'string' ? p.id : null, name: p.name, arguments: p.arguments ?? null });
    }
  }
  if (texts.length) into.output_text = texts.join('\n');
  if (reasons.length) into.reasoning = reasons.join('\n');
  if (calls.length) into.tool_calls = calls;
  if (finish.length) into.finish_reasons = [...(into.finish_reasons ?? []), ...finish];
}

const INDEXED_TEXT = /^gen_ai\.completion\.\d+\.content$/;
const INDEXED_TOOL_NAME = /^gen_ai\.completion\.\d+\.tool_calls\.\d+\.name$/;
const INDEXED_FINISH = /^gen_ai\.completion\.\d+\.finish_reason$/;

function readIndexed(span: RawSpan, into: Partial<SpanReading>): void {
  const a = span.attributes;
  const texts: string[] = [];
  const calls: ToolCallPart[] = [];
  const finish: string[] = [];
  for (const k in a) {
    if (!k.startsWith('gen_ai.completion.')) continue;
    const v = a[k];
    if (typeof v !== 'string') continue;
    if (INDEXED_TEXT.test(k)) texts.push(v);
    else if (INDEXED_TOOL_NAME.test(k)) {
      const base = k.slice(0, -'name'.length);
      calls.push({ id: str(a, `${base}id`), name: v, arguments: jsonAttr(a, `${base}arguments`) ?? null });
    } else if (INDEXED_FINISH.test(k)) finish.push(v.toLowerCase());
  }
  if (texts.length && !into.output_text) into.output_text = texts.join('\n');
  if (calls.length && !into.tool_calls?.length) into.tool_calls = calls;
  if (finish.length) into.finish_reasons = [...(into.finish_reasons ?? []), ...finish];
}

export const genAi: Convention = {
  name: 'gen_ai',
  matches: span => hasGenAiKey(span.attributes),
  read(span) {
    const a = span.attributes;
    const op = operation(span);
    const out: Partial<SpanReading> = {
      operation: op,
      agent_id: str(a, 'gen_ai.agent.id'),
      agent_name: str(a, 'gen_ai.agent.name'),
      conversation_id: str(a, 'gen_ai.conversation.id'),
      tool_name: str(a, 'gen_ai.tool.name') ?? (op === OP.executeTool ? nameAfter(span.name, OP.executeTool) : null),
      tool_call_id: str(a, 'gen_ai.tool.call.id'),
      model: str(a, 'gen_ai.response.model', 'gen_ai.request.model'),
      provider: str(a, 'gen_ai.provider.name', 'gen_ai.system'),
      input_tokens: num(a, 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'),
      output_tokens: num(a, 'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'),
      finish_reasons: finishReasons(a['gen_ai.response.finish_reasons']),
      workflow_name: str(a, 'gen_ai.workflow.name'),
    };
    // JSON only where the mapping uses it: every span passes here while it is decoded.
    if (op === OP.executeTool) {
      out.tool_arguments = jsonAttr(a, 'gen_ai.tool.call.arguments');
      out.tool_result = jsonAttr(a, 'gen_ai.tool.call.result');
    }
    if (op === OP.invokeAgent || op === OP.plan) out.input = jsonAttr(a, 'gen_ai.input.messages');
    if (op === OP.invokeWorkflow && !out.workflow_name) out.workflow_name = nameAfter(span.name, OP.invokeWorkflow);
    if (op === OP.invokeAgent && !out.agent_name && !out.agent_id) out.agent_name = nameAfter(span.name, OP.invokeAgent);
    // Model calls named by another convention (OpenInference LLM, ADK call_llm) have no GenAI
    // operation here but may carry the messages: read them unless the span is something else.
    if (op === null || ANSWERING.has(op)) {
      readOutputMessages(jsonAttr(a, 'gen_ai.output.messages'), out);
      readIndexed(span, out);
    }
    const transfer = out.tool_name ? TRANSFER_TOOL.exec(out.tool_name) : null;
    // transfer_to_agent is Google ADK's, with the target in its arguments (googleAdk.ts).
    if (transfer && transfer[1] !== 'agent') out.handoff_to = transfer[1];
    if (op === OP.handoff) {
      out.handoff_to = str(a, 'gen_ai.handoff.to_agent');
      out.handoff_from = str(a, 'gen_ai.handoff.from_agent');
    }
    return out;
  },
};
