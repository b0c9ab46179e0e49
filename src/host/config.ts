import * as vscode from 'vscode';
import { sanitizePrices } from '../cost';
import { CONFIG_DEFAULTS, type JarvisConfig, SETTINGS } from './settings';

export { CONFIG_DEFAULTS, ENGINE_SETTINGS, type JarvisConfig, LIVE_ENGINE_SETTINGS, SERVER_SETTINGS, SETTINGS, TERMINAL_SETTINGS } from './settings';

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
    contextPath: typeof contextPath === 'string' ? contextPath.trim() : d.contextPath,
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
  };
}
