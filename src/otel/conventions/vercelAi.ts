// Vercel AI SDK telemetry (experimental_telemetry): ai.operationId names the span
// (ai.generateText, its ai.generateText.doGenerate model calls, ai.toolCall), ai.* carries the rest.
// A top-level call with a functionId is an agent of that name; without one, a run.
import { finishReasons, isObj, jsonAttr, num, str } from './read';
import { OP, type Convention, type SpanReading, type ToolCallPart } from './types';

const TOP_LEVEL = new Set(['ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject']);
const MODEL_CALL = new Set(['ai.generateText.doGenerate', 'ai.streamText.doStream', 'ai.generateObject.doGenerate', 'ai.streamObject.doStream']);
const EMBEDDING = new Set(['ai.embed.doEmbed', 'ai.embedMany.doEmbed']);

function toolCalls(v: unknown): ToolCallPart[] {
  const out: ToolCallPart[] = [];
  if (!Array.isArray(v)) return out;
  for (const c of v) {
    if (!isObj(c) || typeof c.toolName !== 'string') continue;
    const args = c.input ?? c.args ?? null;
    out.push({ id: typeof c.toolCallId === 'string' ? c.toolCallId : null, name: c.toolName, arguments: typeof args === 'string' ? jsonAttr({ v: args }, 'v') ?? null : args });
  }
  return out;
}

export const vercelAi: Convention = {
  name: 'vercel_ai',
  matches: span => 'ai.operationId' in span.attributes,
  read(span) {
    const a = span.attributes;
    const id = str(a, 'ai.operationId') ?? '';
    const functionId = str(a, 'ai.telemetry.functionId');
    const out: Partial<SpanReading> = {
      model: str(a, 'ai.response.model', 'ai.model.id'),
      provider: str(a, 'ai.model.provider'),
      input_tokens: num(a, 'ai.usage.inputTokens', 'ai.usage.promptTokens'),
      output_tokens: num(a, 'ai.usage.outputTokens', 'ai.usage.completionTokens'),
      finish_reasons: finishReasons(a['ai.response.finishReason']),
      output_text: str(a, 'ai.response.text') ?? '',
      reasoning: str(a, 'ai.response.reasoning') ?? '',
      conversation_id: str(a, 'ai.telemetry.metadata.conversationId', 'ai.telemetry.metadata.sessionId', 'ai.telemetry.metadata.threadId'),
    };
    if (TOP_LEVEL.has(id)) {
      out.operation = functionId ? OP.invokeAgent : OP.invokeWorkflow;
      if (functionId) out.agent_name = functionId;
      else out.workflow_name = id;
      out.input = jsonAttr(a, 'ai.prompt');
    } else if (MODEL_CALL.has(id)) {
      out.operation = OP.chat;
      out.tool_calls = toolCalls(jsonAttr(a, 'ai.response.toolCalls'));
    } else if (id === 'ai.toolCall') {
      out.operation = OP.executeTool;
      out.tool_name = str(a, 'ai.toolCall.name');
      out.tool_call_id = str(a, 'ai.toolCall.id');
      out.tool_arguments = jsonAttr(a, 'ai.toolCall.args', 'ai.toolCall.input');
      out.tool_result = jsonAttr(a, 'ai.toolCall.result', 'ai.toolCall.output');
    } else if (EMBEDDING.has(id)) {
      out.operation = 'embeddings';
    }
    return out;
  },
};
