// VoltAgent's own OpenTelemetry spans: no gen_ai.* at all. span.type says what a span is (tool,
// llm; an agent's own span has none), entity.* names the agent, llm.model the model,
// llm.usage.* the tokens. A sub-agent's spans keep the supervisor as entity and name the acting
// agent in subagent.*; the supervisor delegates through its delegate_task tool (targetAgents).
import { finishReasons, isObj, jsonAttr, num, str } from './read';
import { OP, type Convention, type SpanReading } from './types';

const TYPE: Record<string, string> = { tool: OP.executeTool, llm: OP.chat, workflow: OP.invokeWorkflow, 'workflow-step': OP.workflowStep };

export const voltAgent: Convention = {
  name: 'voltagent',
  matches: span => 'entity.type' in span.attributes || span.scope === '@voltagent/core',
  read(span) {
    const a = span.attributes;
    const type = (str(a, 'span.type') ?? '').toLowerCase();
    const sub = a['voltagent.is_subagent'] === true || a['agent.is_subagent'] === true ? str(a, 'subagent.id', 'subagent.name') : null;
    let operation: string | null = TYPE[type] ?? null;
    if (!type && str(a, 'entity.type') === 'agent') operation = OP.invokeAgent;
    const out: Partial<SpanReading> = {
      operation,
      // The agent acting: the sub-agent inside a delegation, else the entity.
      agent_id: sub ?? str(a, 'entity.id'),
      agent_name: sub ? str(a, 'subagent.name') : str(a, 'entity.name'),
      conversation_id: str(a, 'conversation.id'),
      model: str(a, 'llm.model', 'ai.model.name'),
      input_tokens: num(a, 'llm.usage.prompt_tokens', 'usage.prompt_tokens', 'usage.input_tokens'),
      output_tokens: num(a, 'llm.usage.completion_tokens', 'usage.completion_tokens', 'usage.output_tokens'),
      finish_reasons: finishReasons(a['llm.finish_reason']),
    };
    // Inputs and outputs parsed where the mapping reads them: tools, and a delegation's input.
    if (operation === OP.executeTool || operation === OP.invokeAgent) out.input = jsonAttr(a, 'input');
    if (operation === OP.executeTool) out.output = jsonAttr(a, 'output');
    if (operation === OP.executeTool) {
      out.tool_name = str(a, 'tool.name', 'span.label');
      out.tool_call_id = str(a, 'tool.call.id');
      out.tool_arguments = out.input;
      out.tool_result = out.output;
      const args = out.input;
      if (out.tool_name === 'delegate_task' && isObj(args) && Array.isArray(args.targetAgents) && typeof args.targetAgents[0] === 'string') {
        out.handoff_to = args.targetAgents[0];
      }
    }
    return out;
  },
};
