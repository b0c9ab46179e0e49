import * as vscode from 'vscode';
import { readConfig, SETTINGS } from '../host/config';
import { COMMANDS } from '../ids';
import { isValidDatabaseUrl } from '../team/pgErrors';
import { redactUrl } from '../team/redact';
import { type CommandContext, registerCommand, requireSession, UserFacingError } from './run';

// Team mode from VS Code: the database URL (with its password) lives in SecretStorage, never in
// settings; the project and schema are settings. Changing either reopens the folders' engines.

export const TEAM_SECRET_KEY = 'jarvis.team.databaseUrl';

export function registerTeamCommands(ctx: CommandContext, secrets: vscode.SecretStorage): vscode.Disposable[] {
  const reopenAll = async (): Promise<void> => {
    await Promise.all(ctx.sessions.all.map(s => s.reopen(readConfig(s.folder))));
  };
  return [
    // Scripts and tests may pass the URL and the project; people are asked.
    registerCommand(ctx, COMMANDS.connectTeamDatabase, async (givenUrl?: unknown, givenProject?: unknown) => {
      if (typeof givenUrl === 'string' && !isValidDatabaseUrl(givenUrl.trim())) throw new UserFacingError('The team database URL must be a postgres:// or postgresql:// URL.');
      const url = typeof givenUrl === 'string' ? givenUrl : await vscode.window.showInputBox({
        title: 'Connect Team Database',
        prompt: 'PostgreSQL URL, e.g. postgres://user:password@host:5432/database?sslmode=require. Kept in VS Code\'s secret storage, never in settings.',
        password: true,
        ignoreFocusOut: true,
        validateInput: v => (isValidDatabaseUrl(v.trim()) ? undefined : 'A postgres:// or postgresql:// URL'),
      });
      if (!url) return;
      await secrets.store(TEAM_SECRET_KEY, url.trim());
      ctx.log.info(`[team] database set to ${redactUrl(url.trim())}`);
      const inspect = vscode.workspace.getConfiguration().inspect<string>(SETTINGS.teamProject);
      const current = inspect?.workspaceValue ?? inspect?.globalValue ?? '';
      const wanted = typeof givenProject === 'string' && givenProject.trim() ? givenProject.trim() : undefined;
      if (!current || (wanted && wanted !== current)) {
        const project = wanted ?? await vscode.window.showInputBox({
          title: 'Connect Team Database',
          prompt: 'Project name: every folder with the same project and database sees the others (setting jarvis.team.project)',
          ignoreFocusOut: true,
          validateInput: v => (v.trim() ? undefined : 'A project name'),
        });
        if (!project) return;
        // The setting's change reopens the engines with team mode on.
        await vscode.workspace.getConfiguration().update(SETTINGS.teamProject, project.trim(), vscode.ConfigurationTarget.Workspace);
      } else {
        await reopenAll();
      }
      void vscode.window.showInformationMessage(`Jarvis Context replicates to ${redactUrl(url.trim())}.`);
    }),
    // From the Team view: another origin's recovery report, read from the team database.
    registerCommand(ctx, COMMANDS.openTeamRecoveryReport, async (ref?: { origin?: unknown; file?: unknown }) => {
      const team = requireSession(ctx).team;
      if (!team) throw new UserFacingError('Team mode is off: run "Connect Team Database…" first.');
      const origin = typeof ref?.origin === 'string' ? ref.origin : undefined;
      if (!origin) throw new UserFacingError('Open a recovery report from the Team view.');
      const file = typeof ref?.file === 'string' ? ref.file : undefined;
      const report = await team.recoveryReport(origin, file);
      if (!report) throw new UserFacingError('That recovery report is no longer in the team database.');
      const info = (await team.status()).origins.find(o => o.id === origin);
      return ctx.pages.teamReport(report, { host: info?.host ?? origin, user: info?.user ?? 'unknown' });
    }),
    registerCommand(ctx, COMMANDS.disconnectTeamDatabase, async () => {
      await secrets.delete(TEAM_SECRET_KEY);
      ctx.log.info('[team] database forgotten; team mode is off');
      await reopenAll();
    }),
  ];
}
