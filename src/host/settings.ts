// Setting keys and defaults (no vscode import: the manifest unit test reads them).
import { DEFAULT_PRICES, type PriceTable } from '../cost';

/** Every setting the extension reads; `readConfig()` is the only place that reads them. */
export const SETTINGS = {
  contextPath: 'jarvis.contextPath',
  checkpointInterval: 'jarvis.checkpointInterval',
  historySize: 'jarvis.historySize',
  imagesKeep: 'jarvis.images.keep',
  imagesMaxMegabytes: 'jarvis.images.maxMegabytes',
  staleAgentMinutes: 'jarvis.staleAgentMinutes',
  serverEnabled: 'jarvis.server.enabled',
  serverPort: 'jarvis.server.port',
  retentionDays: 'jarvis.retentionDays',
  otelTerminalEnvironment: 'jarvis.otel.terminalEnvironment',
  costPrices: 'jarvis.cost.prices',
  alertsLoopRepeats: 'jarvis.alerts.loopRepeats',
  alertsLoopWindowSeconds: 'jarvis.alerts.loopWindowSeconds',
  alertsStalledTaskMinutes: 'jarvis.alerts.stalledTaskMinutes',
  alertsTaskTokenBudget: 'jarvis.alerts.taskTokenBudget',
  alertsAgentTokenBudget: 'jarvis.alerts.agentTokenBudget',
  alertsTaskBudgets: 'jarvis.alerts.taskBudgets',
  alertsAgentBudgets: 'jarvis.alerts.agentBudgets',
  alertsNotifications: 'jarvis.alerts.notifications',
  teamProject: 'jarvis.team.project',
  teamSchema: 'jarvis.team.schema',
} as const;

/** The watchdogs' settings (jarvis.alerts.*). */
export interface AlertsConfig {
  loopRepeats: number;
  loopWindowSeconds: number;
  stalledTaskMinutes: number;
  /** Tokens any one task / agent may use; 0: no budget. */
  taskTokenBudget: number;
  agentTokenBudget: number;
  /** Budgets of named tasks / agents, over the defaults. */
  taskBudgets: Record<string, number>;
  agentBudgets: Record<string, number>;
  /** One notification per new alert. */
  notifications: boolean;
}

export interface JarvisConfig {
  /** Absolute, or relative to the workspace folder; '' = the extension's workspace storage. */
  contextPath: string;
  checkpointIntervalSeconds: number;
  historySize: number;
  /** Database images kept under checkpoints/, and the megabytes they may take together. */
  imagesKeep: number;
  imagesMaxMegabytes: number;
  staleAgentMinutes: number;
  serverEnabled: boolean;
  serverPort: number;
  retentionDays: number;
  /** Also set OTEL_EXPORTER_OTLP_* for terminals, so OpenTelemetry SDKs send their traces here. */
  otelTerminalEnvironment: boolean;
  /** US dollars per million tokens, per model (name prefix). */
  costPrices: PriceTable;
  alerts: AlertsConfig;
  /** Team mode: the project this folder replicates to (with the URL kept in SecretStorage); '' = off. */
  teamProject: string;
  /** PostgreSQL schema of the team tables. */
  teamSchema: string;
}

export const CONFIG_DEFAULTS: JarvisConfig = {
  contextPath: '',
  checkpointIntervalSeconds: 30,
  historySize: 100,
  imagesKeep: 3,
  imagesMaxMegabytes: 256,
  staleAgentMinutes: 5,
  serverEnabled: true,
  serverPort: 0,
  retentionDays: 30,
  otelTerminalEnvironment: true,
  costPrices: DEFAULT_PRICES,
  alerts: {
    loopRepeats: 5, loopWindowSeconds: 120, stalledTaskMinutes: 15, taskTokenBudget: 0, agentTokenBudget: 0,
    taskBudgets: {}, agentBudgets: {}, notifications: true,
  },
  teamProject: '',
  teamSchema: 'jarvis_context',
};

/**
 * Settings that say where records go (a folder, a team project or schema): in Restricted Mode a
 * workspace's own value is not used (package.json `restrictedConfigurations`), so a repository
 * cannot send the store to a folder it planted.
 */
export const RESTRICTED_SETTINGS = [SETTINGS.contextPath, SETTINGS.teamProject, SETTINGS.teamSchema];
/** Settings whose change needs the engine reopened (its folder). */
export const ENGINE_SETTINGS = [SETTINGS.contextPath, SETTINGS.teamProject, SETTINGS.teamSchema];
/** Settings the running engine takes as they change. */
export const LIVE_ENGINE_SETTINGS = [
  SETTINGS.checkpointInterval, SETTINGS.historySize, SETTINGS.staleAgentMinutes, SETTINGS.imagesKeep, SETTINGS.imagesMaxMegabytes,
  SETTINGS.alertsLoopRepeats, SETTINGS.alertsLoopWindowSeconds, SETTINGS.alertsStalledTaskMinutes, SETTINGS.alertsTaskTokenBudget,
  SETTINGS.alertsAgentTokenBudget, SETTINGS.alertsTaskBudgets, SETTINGS.alertsAgentBudgets,
];
export const SERVER_SETTINGS = [SETTINGS.serverEnabled, SETTINGS.serverPort];
/** Settings that only change what terminals get. */
export const TERMINAL_SETTINGS = [SETTINGS.otelTerminalEnvironment];
