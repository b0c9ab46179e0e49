// What phase "debugkill" leaves for phase "debugverify" (the next extension host).

export interface DebugKill {
  run: string;
  control: string;
  orchestrator_pid: number;
  exthost_pid: number;
  hold_id: string;
  hold_timeout_ms: number;
  steps_before: number;
  kill_requested_at_ms: number;
}
export const DEBUG_KILL_FILE = 'debugkill.json';
export const HOLD_TIMEOUT_MS = 3000;
