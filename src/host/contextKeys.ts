import * as vscode from 'vscode';

/** Context keys used in package.json `when` clauses (viewsWelcome, menus). */
export const CONTEXT_KEYS = {
  state: 'jarvis.state', // 'noFolder' | 'starting' | 'recovering' | 'ready' | 'failed'
  hasAgents: 'jarvis.hasAgents',
  hasTasks: 'jarvis.hasTasks',
  hasDecisions: 'jarvis.hasDecisions',
  hasCheckpoints: 'jarvis.hasCheckpoints',
  hasTraces: 'jarvis.hasTraces',
  hasAlerts: 'jarvis.hasAlerts',
  tasksFiltered: 'jarvis.tasksFiltered',
  serverRunning: 'jarvis.serverRunning',
  multiRoot: 'jarvis.multiRoot',
  resumePending: 'jarvis.resumePending',
  hasTeam: 'jarvis.hasTeam',
} as const;

const last = new Map<string, unknown>();

/** Sets a context key, skipping the round trip when the value did not change. */
export function setContextKey(key: string, value: unknown): void {
  if (last.get(key) === value) return;
  last.set(key, value);
  void vscode.commands.executeCommand('setContext', key, value);
}
