// Genkit's own spans: no gen_ai.* at all. genkit:metadata:subtype says what an action is (flow,
// model, tool); genkit:input and genkit:output carry its request and response as JSON strings.
// A model's name is "<plugin>/<model>". Genkit's finish reasons have no "tool calls" (it says
// stop): the calls are read from the response's toolRequest parts. The generate util spans
// around model calls repeat the usage and are left unread.
import { isObj, jsonAttr, str } from './read';
import { OP, type Convention, type SpanReading, type ToolCallPart } from './types';

const SUBTYPE: Record<string, string> = { flow: OP.invokeWorkflow, model: OP.chat, tool: OP.executeTool };

/** A model response ({ message: { content: [{ text }, { toolRequest: { name, ref, input } }] }, finishReason, usage }). */
function readResponse(r: unknown, into: Partial<SpanReading>): void {
  if (!isObj(r)) return;
  const texts: string[] = [];
  const calls: ToolCallPart[] = [];
  const content = isObj(r.message) && Array.isArray(r.message.content) ? r.message.content : [];
  for (const p of content) {
    if (!isObj(p)) continue;
    if (typeof p.text === 'string') texts.push(p.text);
    const t = isObj(p.toolRequest) ? p.toolRequest : null;
    if (t && typeof t.name === 'string') calls.push({ id: typeof t.ref === 'string' ? t.ref : null, name: t.name, arguments: t.input ?? null });
  }
  if (texts.length) into.output_text = texts.join('\n');
  if (calls.length) into.tool_calls = calls;
  if (typeof r.finishReason === 'string') into.finish_reasons = [r.finishReason.toLowerCase()];
  const usage = isObj(r.usage) ? r.usage : null;
  if (usage && typeof usage.inputTokens === 'number') into.input_tokens = usage.inputTokens;
  if (usage && typeof usage.outputTokens === 'number') into.output_tokens = usage.outputTokens;
}

export const genkit: Convention = {
  name: 'genkit',
  matches: span => 'genkit:type' in span.attributes,
  read(span) {
    const a = span.attributes;
    const operation = SUBTYPE[(str(a, 'genkit:metadata:subtype') ?? '').toLowerCase()] ?? null;
    const name = str(a, 'genkit:name') ?? span.name;
    const out: Partial<SpanReading> = { operation };
    if (operation === OP.invokeWorkflow) out.workflow_name = name;
    if (operation === OP.chat) {
      const slash = name.indexOf('/');
      out.provider = slash > 0 ? name.slice(0, slash) : null;
      out.model = name.slice(slash + 1);
      readResponse(jsonAttr(a, 'genkit:output'), out);
    }
    if (operation === OP.executeTool) {
      out.tool_name = name;
      out.tool_arguments = jsonAttr(a, 'genkit:input');
      out.tool_result = jsonAttr(a, 'genkit:output');
    }
    return out;
  },
};
