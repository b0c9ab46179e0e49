import * as vscode from 'vscode';
import type { AlertSettings } from '../core/alertSettings';
import { sanitizePrices } from '../cost';
import { CONFIG_DEFAULTS, type JarvisConfig, SETTINGS } from './settings';

export { CONFIG_DEFAULTS, ENGINE_SETTINGS, type JarvisConfig, LIVE_ENGINE_SETTINGS, RESTRICTED_SETTINGS, SERVER_SETTINGS, SETTINGS, TERMINAL_SETTINGS } from './settings';

function num(value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? value : fallback;
}

function str(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value.trim() : fallback;
}

export function readConfig(scope?: vscode.ConfigurationScope): JarvisConfig {
  const c = vscode.workspace.getConfiguration(undefined, scope);
  const d = CONFIG_DEFAULTS;
  const contextPath = c.get<unknown>(SETTINGS.contextPath);
  return {
    // Restricted Mode: workspace storage only. A user-level path may be relative to the (untrusted) folder.
    contextPath: typeof contextPath === 'string' && vscode.workspace.isTrusted ? contextPath.trim() : d.contextPath,
    checkpointIntervalSeconds: num(c.get(SETTINGS.checkpointInterval), d.checkpointIntervalSeconds, 0),
    historySize: Math.floor(num(c.get(SETTINGS.historySize), d.historySize, 1)),
    imagesKeep: Math.floor(num(c.get(SETTINGS.imagesKeep), d.imagesKeep, 1)),
    imagesMaxMegabytes: num(c.get(SETTINGS.imagesMaxMegabytes), d.imagesMaxMegabytes, 1),
    staleAgentMinutes: num(c.get(SETTINGS.staleAgentMinutes), d.staleAgentMinutes, 0),
    serverEnabled: c.get<unknown>(SETTINGS.serverEnabled) !== false,
    serverPort: Math.floor(num(c.get(SETTINGS.serverPort), d.serverPort, 0, 65535)),
    retentionDays: num(c.get(SETTINGS.retentionDays), d.retentionDays, 1),
    otelTerminalEnvironment: c.get<unknown>(SETTINGS.otelTerminalEnvironment) !== false,
    costPrices: sanitizePrices(c.get<unknown>(SETTINGS.costPrices)),
    teamProject: str(c.get<unknown>(SETTINGS.teamProject), d.teamProject),
    teamSchema: str(c.get<unknown>(SETTINGS.teamSchema), d.teamSchema) || d.teamSchema,
    alerts: {
      loopRepeats: Math.floor(num(c.get(SETTINGS.alertsLoopRepeats), d.alerts.loopRepeats, 2)),
      loopWindowSeconds: num(c.get(SETTINGS.alertsLoopWindowSeconds), d.alerts.loopWindowSeconds, 1),
      stalledTaskMinutes: num(c.get(SETTINGS.alertsStalledTaskMinutes), d.alerts.stalledTaskMinutes, 0.1),
      taskTokenBudget: num(c.get(SETTINGS.alertsTaskTokenBudget), d.alerts.taskTokenBudget, 0),
      agentTokenBudget: num(c.get(SETTINGS.alertsAgentTokenBudget), d.alerts.agentTokenBudget, 0),
      taskBudgets: budgets(c.get(SETTINGS.alertsTaskBudgets)),
      agentBudgets: budgets(c.get(SETTINGS.alertsAgentBudgets)),
      notifications: c.get<unknown>(SETTINGS.alertsNotifications) !== false,
    },
  };
}

/** The well-formed entries of an id: tokens table. */
function budgets(value: unknown): Record<string, number> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]) && e[1] >= 0));
}

/** The engine's watchdog thresholds from the settings. */
export function alertSettingsOf(config: JarvisConfig): Partial<AlertSettings> {
  const a = config.alerts;
  return {
    loopRepeats: a.loopRepeats, loopWindowMs: a.loopWindowSeconds * 1000, stalledTaskMs: a.stalledTaskMinutes * 60_000,
    taskTokenBudget: a.taskTokenBudget, agentTokenBudget: a.agentTokenBudget, taskBudgets: a.taskBudgets, agentBudgets: a.agentBudgets,
  };
}
