// The one model every convention is read into: what a span is (run, agent invocation, model call,
// tool call, handoff, workflow step) and what it carries. A convention is a small table-driven
// reader; a new framework is a new file listed in index.ts.
import type { Json, JsonObject } from '../../core/types';

/** What a span is, as operation names (the GenAI ones where one exists). */
export const OP = {
  invokeAgent: 'invoke_agent',
  createAgent: 'create_agent',
  /** A run: a workflow, a graph, a top-level generateText call without an agent name. */
  invokeWorkflow: 'invoke_workflow',
  /** A node of a graph or a step of a workflow. */
  workflowStep: 'workflow_step',
  executeTool: 'execute_tool',
  plan: 'plan',
  chat: 'chat',
  handoff: 'handoff',
} as const;

export interface ToolCallPart { id: string | null; name: string; arguments: Json | null }

/** A span as every convention reads it; null or empty where the span does not say. */
export interface SpanReading {
  /** The convention that recognised the span (null: none did). */
  convention: string | null;
  operation: string | null;
  agent_id: string | null;
  agent_name: string | null;
  conversation_id: string | null;
  tool_name: string | null;
  tool_call_id: string | null;
  tool_arguments: Json | undefined;
  tool_result: Json | undefined;
  model: string | null;
  provider: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  /** Lower case, as sent ("tool_calls", "tool-calls", "function_call", ...). */
  finish_reasons: string[];
  /** What a model call asked for. */
  tool_calls: ToolCallPart[];
  output_text: string;
  reasoning: string;
  /** What an agent, step or run was given (a delegation's content). */
  input: Json | undefined;
  output: Json | undefined;
  /** The agent a handoff or transfer goes to. */
  handoff_to: string | null;
  handoff_from: string | null;
  /** A graph node's or workflow step's name. */
  step_name: string | null;
  workflow_name: string | null;
}

/** The span as the reader sees it: attributes, name and instrumentation scope. */
export interface RawSpan {
  attributes: JsonObject;
  name: string;
  scope: string | null;
}

export interface Convention {
  readonly name: string;
  /** Cheap: a marker attribute or scope; the readers run only for conventions that match. */
  matches(span: RawSpan): boolean;
  /** The fields this convention knows; the ones it leaves out are read by the next. */
  read(span: RawSpan): Partial<SpanReading>;
}

export function emptyReading(): SpanReading {
  return {
    convention: null, operation: null, agent_id: null, agent_name: null, conversation_id: null, tool_name: null, tool_call_id: null,
    tool_arguments: undefined, tool_result: undefined, model: null, provider: null, input_tokens: null, output_tokens: null,
    finish_reasons: [], tool_calls: [], output_text: '', reasoning: '', input: undefined, output: undefined,
    handoff_to: null, handoff_from: null, step_name: null, workflow_name: null,
  };
}
