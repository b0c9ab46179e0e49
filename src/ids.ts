// Every command and view id the extension contributes; test/unit/manifest.test.ts holds them equal
// to package.json.

export const COMMANDS = {
  createCheckpoint: 'jarvis.createCheckpoint',
  recoverFromCrash: 'jarvis.recoverFromCrash',
  openRecoveryReport: 'jarvis.openRecoveryReport',
  openRecoveryReportJson: 'jarvis.openRecoveryReportJson',
  showStatus: 'jarvis.showStatus',
  showTimeline: 'jarvis.showTimeline',
  showMetrics: 'jarvis.showMetrics',
  copyServerInfo: 'jarvis.copyServerInfo',
  cleanUp: 'jarvis.cleanUp',
  compareCheckpoints: 'jarvis.compareCheckpoints',
  compareWithPrevious: 'jarvis.compareWithPrevious',
  openCheckpoint: 'jarvis.openCheckpoint',
  openDecision: 'jarvis.openDecision',
  openStorageFolder: 'jarvis.openStorageFolder',
  showLog: 'jarvis.showLog',
  filterTasks: 'jarvis.filterTasks',
  clearTaskFilter: 'jarvis.clearTaskFilter',
  refresh: 'jarvis.refresh',
  selectWorkspaceFolder: 'jarvis.selectWorkspaceFolder',
  openSpan: 'jarvis.openSpan',
  runExample: 'jarvis.runExample',
  search: 'jarvis.search',
  openSearchResult: 'jarvis.openSearchResult',
  showAlerts: 'jarvis.showAlerts',
  dismissAlert: 'jarvis.dismissAlert',
  showAlertSubject: 'jarvis.showAlertSubject',
  resumeFromCheckpoint: 'jarvis.resumeFromCheckpoint',
  editAndFork: 'jarvis.editAndFork',
  confirmFork: 'jarvis.confirmFork',
  resumeFromLastRecoveryPoint: 'jarvis.resumeFromLastRecoveryPoint',
  cancelResumePoint: 'jarvis.cancelResumePoint',
  connectTeamDatabase: 'jarvis.connectTeamDatabase',
  disconnectTeamDatabase: 'jarvis.disconnectTeamDatabase',
  openTeamRecoveryReport: 'jarvis.openTeamRecoveryReport',
  debugOrchestrator: 'jarvis.debugOrchestrator',
  addEventBreakpoint: 'jarvis.addEventBreakpoint',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** Commands only reachable from tree items or editor titles (hidden from the palette). */
export const INTERNAL_COMMANDS: readonly CommandId[] = [
  COMMANDS.compareWithPrevious,
  COMMANDS.openCheckpoint,
  COMMANDS.openDecision,
  COMMANDS.openSpan,
  COMMANDS.openSearchResult,
  COMMANDS.dismissAlert,
  COMMANDS.showAlertSubject,
  COMMANDS.confirmFork,
  COMMANDS.openTeamRecoveryReport,
];

/** The activity bar container: what a run is doing now. */
export const VIEW_CONTAINER = 'jarvis';
/** The panel container: history and diagnostics, wide enough for long rows. */
export const PANEL_CONTAINER = 'jarvisPanel';

export const VIEWS = {
  agents: 'jarvis.agents',
  tasks: 'jarvis.tasks',
  decisions: 'jarvis.decisions',
  checkpoints: 'jarvis.checkpoints',
  traces: 'jarvis.traces',
  alerts: 'jarvis.alerts',
  team: 'jarvis.team',
} as const;

/** Where each view lives; commands that reveal a view open its container first. */
export const VIEW_CONTAINERS: Record<typeof VIEW_CONTAINER | typeof PANEL_CONTAINER, readonly string[]> = {
  [VIEW_CONTAINER]: [VIEWS.agents, VIEWS.tasks, VIEWS.decisions],
  [PANEL_CONTAINER]: [VIEWS.alerts, VIEWS.checkpoints, VIEWS.traces, VIEWS.team],
};

export const STATUS_BAR_ID = 'jarvis.status';

/** The "Jarvis Context" terminal profile: a terminal that asks for the server's environment. */
export const TERMINAL_PROFILE = 'jarvis.terminal';
