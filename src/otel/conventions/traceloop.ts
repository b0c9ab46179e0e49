// OpenLLMetry (Traceloop): traceloop.span.kind (workflow, task, agent, tool), traceloop.entity.*,
// llm.request.type and llm.usage.*; messages as the previous GenAI indexed attributes (genai.ts).
import type { Json } from '../../core/types';
import { isObj, jsonAttr, num, parsed, str } from './read';
import { OP, type Convention, type SpanReading } from './types';

const KIND: Record<string, string> = { workflow: OP.invokeWorkflow, task: OP.workflowStep, agent: OP.invokeAgent, tool: OP.executeTool };

// LangChain tools are traced by class ("DynamicStructuredTool"); the tool's own name is in the input.
const CLASS_NAMES = /^(Dynamic(Structured)?Tool|StructuredTool|Tool)$/;

function toolNameIn(v: Json | undefined): string | null {
  const p = parsed(v);
  if (!isObj(p)) return null;
  for (const key of ['name', 'tool_name']) if (typeof p[key] === 'string') return p[key] as string;
  // A LangChain ToolMessage ({ lc, kwargs: { name, tool_call_id, content } }), or inputs wrapped.
  for (const key of ['kwargs', 'inputs', 'input']) {
    const inner = parsed(p[key]);
    if (isObj(inner) && typeof inner.name === 'string') return inner.name;
  }
  return null;
}

/** A LangChain ToolMessage output: its content and call id. */
function toolMessage(v: Json | undefined): { content: Json | undefined; id: string | null } | null {
  const p = parsed(v);
  if (!isObj(p) || p.lc === undefined || !isObj(p.kwargs)) return null;
  return { content: parsed(p.kwargs.content ?? undefined), id: typeof p.kwargs.tool_call_id === 'string' ? p.kwargs.tool_call_id : null };
}

export const traceloop: Convention = {
  name: 'traceloop',
  matches: span => 'traceloop.span.kind' in span.attributes || 'traceloop.entity.name' in span.attributes || 'llm.request.type' in span.attributes,
  read(span) {
    const a = span.attributes;
    const kind = str(a, 'traceloop.span.kind');
    const entity = str(a, 'traceloop.entity.name');
    const requestType = str(a, 'llm.request.type');
    // gen_ai.operation.name, when there, says it better (newer versions mark tools as kind "task").
    let operation: string | null = kind && !('gen_ai.operation.name' in a) ? KIND[kind] ?? null : null;
    if (!operation && requestType) operation = requestType === 'chat' ? OP.chat : requestType === 'completion' ? 'text_completion' : requestType === 'embedding' ? 'embeddings' : null;
    const isTool = operation === OP.executeTool || str(a, 'gen_ai.operation.name') === OP.executeTool;
    // The entity's input and output can be a whole conversation: parsed where the mapping reads them.
    const input = isTool || operation === OP.invokeAgent ? jsonAttr(a, 'traceloop.entity.input') : undefined;
    const output = isTool ? jsonAttr(a, 'traceloop.entity.output') : undefined;
    const out: Partial<SpanReading> = {
      operation,
      conversation_id: str(a, 'traceloop.association.properties.session_id', 'traceloop.association.properties.thread_id'),
      input, output,
      workflow_name: str(a, 'traceloop.workflow.name'),
      input_tokens: num(a, 'llm.usage.prompt_tokens'),
      output_tokens: num(a, 'llm.usage.completion_tokens'),
    };
    if (operation === OP.invokeAgent) out.agent_name = entity;
    if (operation === OP.workflowStep) out.step_name = entity;
    if (isTool) {
      out.tool_name = entity && CLASS_NAMES.test(entity) ? toolNameIn(output) ?? toolNameIn(input) ?? entity : entity;
      const args = parsed(input);
      // { args: ['{"city":"Paris"}'] }: the one argument, parsed.
      out.tool_arguments = isObj(args) && Array.isArray(args.args) && args.args.length === 1 ? parsed(args.args[0]) : input;
      const message = toolMessage(output);
      out.tool_result = message ? message.content : output;
      if (message?.id) out.tool_call_id = message.id;
    }
    return out;
  },
};
