// Mastra's OpenTelemetry exporter: GenAI attributes plus mastra.span.type (agent_run, workflow_run,
// workflow_step, tool_call, model_inference, ...), finish reasons as a JSON string of an array,
// other inputs and outputs as mastra.<type>.input/output. Older exporters made model_generation the
// model call (gen_ai.operation.name chat, read by genai.ts); newer ones put model_inference spans
// under it and leave it without usage.
import { jsonAttr, nameAfter, str } from './read';
import { OP, type Convention, type SpanReading } from './types';

const TYPE: Record<string, string> = {
  agent_run: OP.invokeAgent, workflow_run: OP.invokeWorkflow, workflow_step: OP.workflowStep,
  tool_call: OP.executeTool, mcp_tool_call: OP.executeTool, model_inference: OP.chat,
};

export const mastra: Convention = {
  name: 'mastra',
  matches: span => 'mastra.span.type' in span.attributes,
  read(span) {
    const a = span.attributes;
    const type = (str(a, 'mastra.span.type') ?? '').toLowerCase();
    const operation = TYPE[type] ?? null;
    const out: Partial<SpanReading> = { operation };
    if (operation === OP.workflowStep) out.step_name = nameAfter(span.name, 'workflow_step') ?? span.name;
    if (operation === OP.invokeWorkflow) out.workflow_name = nameAfter(span.name, OP.invokeWorkflow) ?? nameAfter(span.name, 'workflow_run') ?? span.name;
    // What a delegation carried (the mapping reads no other input or output).
    if (operation === OP.invokeAgent) out.input = jsonAttr(a, 'mastra.agent_run.input');
    return out;
  },
};
