// VoltAgent's own OpenTelemetry spans: no gen_ai.* at all. span.type says what the span is
// (agent, tool, llm), entity.* names the agent, llm.model the model, usage.* the tokens, and a
// sub-agent call carries subagent.*.
import { jsonAttr, num, str } from './read';
import { OP, type Convention, type SpanReading } from './types';

const TYPE: Record<string, string> = { agent: OP.invokeAgent, tool: OP.executeTool, llm: OP.chat, workflow: OP.invokeWorkflow, 'workflow-step': OP.workflowStep };

export const voltAgent: Convention = {
  name: 'voltagent',
  matches: span => 'entity.type' in span.attributes || ('span.type' in span.attributes && ('entity.id' in span.attributes || 'llm.model' in span.attributes)),
  read(span) {
    const a = span.attributes;
    const type = (str(a, 'span.type') ?? '').toLowerCase();
    const operation = TYPE[type] ?? null;
    const out: Partial<SpanReading> = {
      operation,
      conversation_id: str(a, 'conversation.id', 'session.id'),
      model: str(a, 'llm.model', 'ai.model.id'),
      provider: str(a, 'llm.provider'),
      input_tokens: num(a, 'usage.prompt_tokens', 'usage.input_tokens', 'llm.usage.prompt_tokens'),
      output_tokens: num(a, 'usage.completion_tokens', 'usage.output_tokens', 'llm.usage.completion_tokens'),
      input: jsonAttr(a, 'input', 'agent.input'),
      output: jsonAttr(a, 'output', 'agent.output'),
    };
    if (operation === OP.invokeAgent) {
      out.agent_id = str(a, 'entity.id', 'agent.id');
      out.agent_name = str(a, 'entity.name', 'agent.name');
    }
    if (operation === OP.executeTool) {
      out.tool_name = str(a, 'tool.name', 'entity.name');
      out.tool_call_id = str(a, 'tool.call.id', 'tool.call_id');
      out.tool_arguments = jsonAttr(a, 'tool.arguments', 'tool.args', 'input');
      out.tool_result = jsonAttr(a, 'tool.result', 'output');
    }
    const sub = str(a, 'subagent.name', 'subagent.id');
    if (sub) out.handoff_to = sub;
    return out;
  },
};
