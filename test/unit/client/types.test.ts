// The client package has its own copy of the API's types (it depends on nothing of ours); these
// checks fail `npm run typecheck` (the first step of `npm test`) when they drift from the server's;
// there is nothing to run.
import type * as Client from 'jarvis-context-client';
import type * as Core from '../../../src/core/types';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;

export type TypesAgree = [
  Check<Same<Client.Task, Core.Task>>,
  Check<Same<Client.TaskUpdate, Core.TaskUpdate>>,
  Check<Same<Client.Agent, Core.Agent>>,
  Check<Same<Client.AgentUpdate, Core.AgentUpdate>>,
  Check<Same<Client.Decision, Core.Decision>>,
  Check<Same<Client.DecisionInput, Core.DecisionInput>>,
  Check<Same<Client.Message, Core.Message>>,
  Check<Same<Client.MessageInput, Core.MessageInput>>,
  Check<Same<Client.ContextView, Core.ContextView>>,
  Check<Same<Client.EngineStatus, Core.EngineStatus>>,
  Check<Same<Client.EngineMetrics, Core.EngineMetrics>>,
  Check<Same<Client.BatchEvent, Core.BatchEvent>>,
  Check<Same<Client.BatchResult, Core.BatchResult>>,
  Check<Same<Client.CheckpointResult, Core.CheckpointResult>>,
  Check<Same<Client.CleanupResult, Core.CleanupResult>>,
  Check<Same<Client.TaskStatus, Core.TaskStatus>>,
  // Spans are plain objects on the client's side: what the server sends is assignable.
  Check<Core.RecoveryReport extends Client.RecoveryReport ? true : false>,
];
