// "Run the Example Orchestrator": the Python example that ships with the extension
// (examples/python/orchestrator.py and the client it imports), run in an integrated terminal of the
// current folder, so a new user sees agents, tasks, decisions and checkpoints arrive.
import * as path from 'path';
import * as vscode from 'vscode';
import { ENV_PATH, ENV_TOKEN, ENV_URL } from '../host/session';
import { COMMANDS } from '../ids';
import { type CommandContext, registerCommand, requireSession, UserFacingError } from './run';

export const EXAMPLE_TERMINAL_NAME = 'Jarvis Context: Example Orchestrator';

/** A path as one shell word (POSIX shells and PowerShell both take single quotes). */
function shellQuote(p: string): string {
  return `'${p.replace(/'/g, process.platform === 'win32' ? "''" : `'\\''`)}'`;
}

export function registerExampleCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    /** Options for scripted callers (tests): `{ stepSeconds }`, how long each subtask "works" (default 1). */
    registerCommand(ctx, COMMANDS.runExample, async (options?: { stepSeconds?: number }): Promise<vscode.Terminal> => {
      // It runs Python in a terminal of the folder: not in Restricted Mode (the menus hide it; a link may still call it).
      if (!vscode.workspace.isTrusted) throw new UserFacingError('The example orchestrator runs code in this folder: trust the workspace first (Manage Workspace Trust).');
      const s = requireSession(ctx);
      if (!s.server) throw new UserFacingError('The example reports to the REST server, which is not running (setting jarvis.server.enabled, or see the log).');
      const script = vscode.Uri.joinPath(ctx.extensionUri, 'examples', 'python', 'orchestrator.py');
      try {
        await vscode.workspace.fs.stat(script);
      } catch {
        throw new UserFacingError(`The example is missing from this installation (${script.fsPath}).`);
      }
      const step = typeof options?.stepSeconds === 'number' && options.stepSeconds >= 0 ? options.stepSeconds : 1;
      // The example imports the Python client, which ships beside it as a package folder.
      const clientDir = vscode.Uri.joinPath(ctx.extensionUri, 'clients', 'python').fsPath;
      const pythonPath = [clientDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
      const terminal = vscode.window.createTerminal({
        name: EXAMPLE_TERMINAL_NAME,
        iconPath: new vscode.ThemeIcon('pulse'),
        cwd: s.folder.uri,
        env: { [ENV_URL]: s.server.url, [ENV_TOKEN]: s.server.token, [ENV_PATH]: s.engine.folder, JARVIS_EXAMPLE_STEP_SECONDS: String(step), PYTHONPATH: pythonPath },
      });
      terminal.show(true);
      const python = process.platform === 'win32' ? 'python' : 'python3';
      terminal.sendText(`${python} ${shellQuote(script.fsPath)}`);
      return terminal;
    }),
  ];
}
