// Clients for orchestrators written in TypeScript / JavaScript.
//
//   const cm = new JarvisContextManager();            // JARVIS_CONTEXT_URL/TOKEN, else endpoint.json
//   await cm.updateTaskProgress('task-1', { status: 'in_progress', percentage: 10 });
//   const jarvis = new JarvisOrchestratorWithContext(myOrchestrator, { contextManager: cm });
//   @integrateContextManager class MyOrchestrator { ... }   // or integrateContextManager(MyOrchestrator)
//
// JarvisContextClient is the typed client for every route of shared/API.md; errors are
// JarvisContextError (API code, HTTP status, field). See examples/typescript/orchestrator.ts.
export { JarvisContextError, JarvisContextValidationError, RunCancelled } from './errors.js';
export { captureCaller } from './debugHold.js';
export type { ClientErrorCode } from './errors.js';
export { discoverEndpoint, contextPath, normalizeBaseUrl, readEndpointFile, isLoopbackUrl, API_PREFIX, DEFAULT_CONTEXT_PATH } from './discovery.js';
export type { Endpoint } from './discovery.js';
export { JarvisContextClient } from './httpClient.js';
export type { ClientOptions, CheckpointSummary, StreamEvent } from './httpClient.js';
export { JarvisContextManager } from './contextManager.js';
export type { ContextManagerOptions, ContextPatch, ContextStatus, WriteResult } from './contextManager.js';
export { Spool, SPOOL_FILE, REJECTED_FILE } from './spool.js';
export type { SpooledEvent } from './spool.js';
export * from './types.js';
export { JarvisOrchestratorWithContext, integrateContextManager, contextManagerOf } from './orchestratorWithContext.js';
export { resumeCalls } from './orchestratorHooks.js';
export type { ContextHooksOptions, HookedMethod, ResumeCall } from './orchestratorHooks.js';
