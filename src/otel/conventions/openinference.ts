// OpenInference (Arize; LangChain/LangGraph, OpenAI Agents and others): openinference.span.kind,
// llm.*, tool.*, input/output.value, graph.node.*, and metadata (a JSON string) where LangGraph
// names its nodes (langgraph_node).
import type { Json, JsonObject } from '../../core/types';
import { finishReasons, isObj, jsonAttr, num, parsed, str } from './read';
import { OP, type Convention, type RawSpan, type SpanReading, type ToolCallPart } from './types';

const KIND: Record<string, string> = {
  AGENT: OP.invokeAgent, TOOL: OP.executeTool, LLM: OP.chat, EMBEDDING: 'embeddings', RETRIEVER: 'retrieval', RERANKER: 'retrieval',
};

const OPENAI_AGENTS_SCOPE = '@arizeai/openinference-instrumentation-openai-agents';

const OUTPUT_TEXT = /^llm\.output_messages\.\d+\.message\.content$/;
const OUTPUT_TOOL_NAME = /^llm\.output_messages\.\d+\.message\.tool_calls\.\d+\.tool_call\.function\.name$/;

function metadataOf(a: JsonObject): JsonObject | null {
  const m = parsed(a.metadata);
  return isObj(m) ? m : null;
}

/** LangChain serialises messages ({ lc, type: 'constructor', kwargs: { content, tool_call_id } }): their content. */
function unwrapLangChain(outer: Json | undefined): { value: Json | undefined; toolCallId: string | null } {
  // Tool spans wrap it once more: { output: <message> }.
  const v = isObj(outer) && isObj(outer.output) && Object.keys(outer).length === 1 ? outer.output : outer;
  if (!isObj(v) || v.lc === undefined || !isObj(v.kwargs)) return { value: outer, toolCallId: null };
  const k = v.kwargs;
  return { value: parsed(k.content ?? undefined), toolCallId: typeof k.tool_call_id === 'string' ? k.tool_call_id : null };
}

function readOutputMessages(a: JsonObject, into: Partial<SpanReading>): void {
  const texts: string[] = [];
  const calls: ToolCallPart[] = [];
  for (const k in a) {
    if (!k.startsWith('llm.output_messages.')) continue;
    const v = a[k];
    if (typeof v !== 'string') continue;
    if (OUTPUT_TEXT.test(k)) texts.push(v);
    else if (OUTPUT_TOOL_NAME.test(k)) {
      const base = k.slice(0, -'function.name'.length);
      calls.push({ id: str(a, `${base}id`), name: v, arguments: jsonAttr(a, `${base}function.arguments`) ?? null });
    }
  }
  if (texts.length) into.output_text = texts.join('\n');
  if (calls.length) into.tool_calls = calls;
}

export const openInference: Convention = {
  name: 'openinference',
  matches: span => 'openinference.span.kind' in span.attributes,
  read(span: RawSpan) {
    const a = span.attributes;
    const kind = (str(a, 'openinference.span.kind') ?? '').toUpperCase();
    const meta = metadataOf(a);
    const node = meta && typeof meta.langgraph_node === 'string' ? meta.langgraph_node : null;
    let operation: string | null = KIND[kind] ?? null;
    // LangGraph: the node's own CHAIN span carries its name; runnables inside it inherit the
    // metadata; __start__ and the like are the graph's plumbing. The graph's own span has no node:
    // an agent when its author named it (createReactAgent({ name })), else a run.
    const graph = kind === 'CHAIN' && meta !== null && meta.ls_integration === 'langgraph';
    if (kind === 'CHAIN' && node !== null && span.name === node && !node.startsWith('__')) operation = OP.workflowStep;
    else if (graph && node === null) operation = span.name === 'LangGraph' ? OP.invokeWorkflow : OP.invokeAgent;
    // OpenAI Agents: handoffs are spans of their own ("handoff to B", from and to in input and
    // output); the trace itself is an AGENT span without a graph node: the run.
    const handoff = /^handoff\b/i.test(span.name);
    if (handoff) operation = OP.handoff;
    if (kind === 'AGENT' && span.scope === OPENAI_AGENTS_SCOPE && !('graph.node.id' in a)) operation = OP.invokeWorkflow;
    const out: Partial<SpanReading> = {
      operation,
      conversation_id: str(a, 'session.id') ?? (meta && typeof meta.thread_id === 'string' ? meta.thread_id : null),
      model: str(a, 'llm.model_name'),
      provider: str(a, 'llm.provider', 'llm.system'),
      input_tokens: num(a, 'llm.token_count.prompt'),
      output_tokens: num(a, 'llm.token_count.completion'),
      step_name: operation === OP.workflowStep ? node : null,
      workflow_name: operation === OP.invokeWorkflow ? span.name : null,
      finish_reasons: finishReasons(a['llm.finish_reason']),
    };
    // input.value and output.value can be a whole conversation on every CHAIN span: parsed only
    // where the mapping reads them.
    if (operation === OP.invokeAgent || operation === OP.plan || handoff) out.input = jsonAttr(a, 'input.value');
    if (operation === OP.plan || handoff) out.output = jsonAttr(a, 'output.value');
    if (handoff) {
      const from = out.input;
      const to = out.output;
      if (isObj(from) && typeof from.from_agent === 'string') out.handoff_from = from.from_agent;
      if (isObj(to) && typeof to.to_agent === 'string') out.handoff_to = to.to_agent;
    }
    if (operation === OP.invokeAgent) {
      // Agent names: agent.name, else the graph node, else the span name.
      out.agent_name = str(a, 'agent.name', 'graph.node.name', 'graph.node.id') ?? span.name;
    }
    if (operation === OP.executeTool) {
      out.tool_name = str(a, 'tool.name', 'tool_call.function.name') ?? span.name;
      const result = unwrapLangChain(jsonAttr(a, 'output.value'));
      out.tool_call_id = str(a, 'tool_call.id') ?? result.toolCallId;
      out.tool_arguments = jsonAttr(a, 'tool_call.function.arguments', 'input.value');
      out.tool_result = result.value;
    }
    if (operation === OP.chat) readOutputMessages(a, out);
    return out;
  },
};
