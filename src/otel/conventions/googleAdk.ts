// Google Agent Development Kit (scope gcp.vertex.agent): invoke_agent and execute_tool spans in
// GenAI terms, model calls named call_llm, and request, response, tool arguments and results as
// JSON strings under gcp.vertex.agent.*. transfer_to_agent names its target in its arguments.
// Gemini says STOP even when it calls functions: the calls are read from the response's parts.
import type { Json } from '../../core/types';
import { isObj, jsonAttr, str } from './read';
import { OP, type Convention, type SpanReading, type ToolCallPart } from './types';

const SCOPE = 'gcp.vertex.agent';

/** A Gemini response ({ content: { parts: [{ text }, { functionCall: { id, name, args } }] }, finishReason }). */
function readResponse(r: Json | undefined, into: Partial<SpanReading>): void {
  if (!isObj(r)) return;
  const content = isObj(r.content) ? r.content : null;
  const texts: string[] = [];
  const calls: ToolCallPart[] = [];
  for (const p of content && Array.isArray(content.parts) ? content.parts : []) {
    if (!isObj(p)) continue;
    if (typeof p.text === 'string' && p.thought !== true) texts.push(p.text);
    const fc = isObj(p.functionCall) ? p.functionCall : null;
    if (fc && typeof fc.name === 'string') calls.push({ id: typeof fc.id === 'string' ? fc.id : null, name: fc.name, arguments: fc.args ?? null });
  }
  if (texts.length) into.output_text = texts.join('\n');
  if (calls.length) into.tool_calls = calls;
  if (typeof r.finishReason === 'string') into.finish_reasons = [r.finishReason.toLowerCase()];
}

const notEmpty = (v: Json | undefined): Json | undefined => (isObj(v) && Object.keys(v).length === 0 ? undefined : v);

export const googleAdk: Convention = {
  name: 'google_adk',
  matches: span => span.scope === SCOPE || 'gcp.vertex.agent.event_id' in span.attributes || 'gcp.vertex.agent.llm_request' in span.attributes,
  read(span) {
    const a = span.attributes;
    const out: Partial<SpanReading> = {
      conversation_id: str(a, 'gcp.vertex.agent.session_id'),
    };
    if (span.name === 'call_llm') {
      out.operation = OP.chat;
      readResponse(jsonAttr(a, 'gcp.vertex.agent.llm_response'), out);
    } else if (span.name === 'invocation') {
      out.operation = OP.invokeWorkflow;
      out.workflow_name = 'invocation';
    }
    const tool = str(a, 'gen_ai.tool.name');
    if (tool !== null) {
      const args = notEmpty(jsonAttr(a, 'gcp.vertex.agent.tool_call_args'));
      out.tool_arguments = args;
      out.tool_result = notEmpty(jsonAttr(a, 'gcp.vertex.agent.tool_response'));
      // agent_name in the Python ADK, agentName in ADK JS.
      const target = isObj(args) ? args.agent_name ?? args.agentName : undefined;
      if (tool === 'transfer_to_agent' && typeof target === 'string') out.handoff_to = target;
    }
    return out;
  },
};
