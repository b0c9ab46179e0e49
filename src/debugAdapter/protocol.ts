// The few Debug Adapter Protocol shapes the `jarvis` adapter speaks (no dependency on
// @vscode/debugprotocol: only what is used here).

export interface DapRequest {
  seq: number;
  type: 'request';
  command: string;
  arguments?: Record<string, unknown>;
}

export interface DapResponse {
  seq: number;
  type: 'response';
  request_seq: number;
  success: boolean;
  command: string;
  message?: string;
  body?: unknown;
}

export interface DapEvent {
  seq: number;
  type: 'event';
  event: string;
  body?: unknown;
}

export type DapMessage = DapRequest | DapResponse | DapEvent;

export interface DapSource {
  name: string;
  path: string;
}

export interface DapVariable {
  name: string;
  value: string;
  type?: string;
  variablesReference: number;
  evaluateName?: string;
}

export interface DapStackFrame {
  id: number;
  name: string;
  line: number;
  column: number;
  source?: DapSource;
  presentationHint?: 'normal' | 'label' | 'subtle';
  canRestart?: boolean;
}

export const EXCEPTION_FILTERS = [
  { filter: 'alert', label: 'On alert', description: 'Stop when a watchdog raises an alert (shown; the run is not held)' },
  { filter: 'task_failed', label: 'On failed task', description: 'Stop when a task is set to failed' },
  { filter: 'blocker', label: 'On blocker', description: 'Stop when a task becomes blocked or gets blockers' },
  { filter: 'recovery', label: 'On crash recovery', description: 'Stop when the orchestrator resumes after a crash' },
] as const;
