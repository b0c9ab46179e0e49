import { envNumber } from './envNumber';
import { ValidationError } from './errors';
import { getOwn, setOwn } from './ownKeys';
import type { Logger } from './ports';

// The watchdogs' thresholds (shared/API.md, GET /alerts): one definition, read by the engine, the
// CLI (flags and environment) and the extension (jarvis.alerts.*).

export interface AlertSettings {
  /** false: no watchdog runs (nothing observed on the write path, no timer). */
  enabled: boolean;
  /** The same call or message this many times within the window is a loop. */
  loopRepeats: number;
  loopWindowMs: number;
  /** An in-progress task without progress for this long is stalled. */
  stalledTaskMs: number;
  /** Tokens (input + output) any one task or agent may use; 0: no budget. */
  taskTokenBudget: number;
  agentTokenBudget: number;
  /** Budgets of named tasks and agents, over the defaults above. */
  taskBudgets: Record<string, number>;
  agentBudgets: Record<string, number>;
  /** How often the time-based rules (stuck, stalled) are checked. */
  checkIntervalMs: number;
  /** How often an alert's count and last_seen, changed in memory, are written to the journal. */
  persistIntervalMs: number;
}

export const ALERT_DEFAULTS: AlertSettings = {
  enabled: true,
  loopRepeats: 5,
  loopWindowMs: 120_000,
  stalledTaskMs: 15 * 60_000,
  taskTokenBudget: 0,
  agentTokenBudget: 0,
  taskBudgets: {},
  agentBudgets: {},
  checkIntervalMs: 2_000,
  persistIntervalMs: 10_000,
};

/** Fills in the defaults and refuses values that would make a rule meaningless, naming the setting. */
export function resolveAlertSettings(o: Partial<AlertSettings> = {}): AlertSettings {
  const s: AlertSettings = { ...ALERT_DEFAULTS, ...dropUndefined(o) };
  const positive = (name: keyof AlertSettings, integer = false): void => {
    const v = s[name] as number;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      throw new ValidationError(`alerts.${name}`, `must be a positive ${integer ? 'integer' : 'number'}`);
    }
  };
  positive('loopRepeats', true);
  if (s.loopRepeats < 2) throw new ValidationError('alerts.loopRepeats', 'must be at least 2');
  positive('loopWindowMs');
  positive('stalledTaskMs');
  positive('checkIntervalMs');
  positive('persistIntervalMs');
  for (const name of ['taskTokenBudget', 'agentTokenBudget'] as const) {
    if (!(s[name] >= 0) || !Number.isFinite(s[name])) throw new ValidationError(`alerts.${name}`, 'must be a number of tokens, 0 for none');
  }
  s.taskBudgets = budgetTable('alerts.taskBudgets', s.taskBudgets);
  s.agentBudgets = budgetTable('alerts.agentBudgets', s.agentBudgets);
  return s;
}

function budgetTable(name: string, v: unknown): Record<string, number> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(name, 'must be an object of id: tokens');
  const out: Record<string, number> = {};
  for (const [id, n] of Object.entries(v as Record<string, unknown>)) {
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new ValidationError(`${name}.${id}`, 'must be a number of tokens, 0 for none');
    setOwn(out, id, n);
  }
  return out;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The budget of one task or agent: its own entry, else the default; 0 is none. */
export function budgetOf(s: AlertSettings, type: 'task' | 'agent', id: string): number {
  const own = getOwn(type === 'task' ? s.taskBudgets : s.agentBudgets, id);
  return own ?? (type === 'task' ? s.taskTokenBudget : s.agentTokenBudget);
}

/** The environment variables of `jarvis-context serve` (README, Watchdogs and alerts). */
export const ALERT_ENV = {
  enabled: 'JARVIS_ALERTS',
  loopRepeats: 'JARVIS_ALERT_LOOP_REPEATS',
  loopWindowSeconds: 'JARVIS_ALERT_LOOP_WINDOW_SECONDS',
  stalledTaskMinutes: 'JARVIS_ALERT_STALLED_TASK_MINUTES',
  taskTokenBudget: 'JARVIS_ALERT_TASK_TOKEN_BUDGET',
  agentTokenBudget: 'JARVIS_ALERT_AGENT_TOKEN_BUDGET',
} as const;

/** Alert settings from the environment; invalid values are ignored with a warning. */
export function alertSettingsFromEnv(env: NodeJS.ProcessEnv, logger?: Logger): Partial<AlertSettings> {
  const out: Partial<AlertSettings> = {};
  const num = (name: string) => envNumber(env, name, logger);
  const enabled = env[ALERT_ENV.enabled];
  if (enabled !== undefined && enabled !== '') out.enabled = !/^(0|false|off|no)$/i.test(enabled);
  const repeats = num(ALERT_ENV.loopRepeats);
  if (repeats !== undefined && repeats >= 2) out.loopRepeats = Math.floor(repeats);
  const win = num(ALERT_ENV.loopWindowSeconds);
  if (win) out.loopWindowMs = win * 1000;
  const stalled = num(ALERT_ENV.stalledTaskMinutes);
  if (stalled) out.stalledTaskMs = stalled * 60_000;
  const tb = num(ALERT_ENV.taskTokenBudget);
  if (tb !== undefined) out.taskTokenBudget = tb;
  const ab = num(ALERT_ENV.agentTokenBudget);
  if (ab !== undefined) out.agentTokenBudget = ab;
  return out;
}
