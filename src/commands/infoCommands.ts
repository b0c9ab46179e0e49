import * as vscode from 'vscode';
import { showDocument } from '../documentUris';
import { COMMANDS } from '../ids';
import { type CommandContext, registerCommand, requireSession, UserFacingError } from './run';

/** The server URL as the user can reach it (remote windows forward the port). */
export async function externalUrl(url: string): Promise<string> {
  try {
    return (await vscode.env.asExternalUri(vscode.Uri.parse(url))).toString(true);
  } catch {
    return url;
  }
}

export function registerInfoCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    // One live page holds both: the status on top, the metrics below.
    registerCommand(ctx, COMMANDS.showStatus, () => ctx.pages.status(requireSession(ctx))),
    registerCommand(ctx, COMMANDS.showMetrics, () => ctx.pages.status(requireSession(ctx))),
    registerCommand(ctx, COMMANDS.showTimeline, () => ctx.pages.timeline(requireSession(ctx))),
    registerCommand(ctx, COMMANDS.showLog, () => ctx.log.show()),

    registerCommand(ctx, COMMANDS.copyServerInfo, async () => {
      const s = requireSession(ctx);
      if (!s.server) throw new UserFacingError('The REST server is not running (setting jarvis.server.enabled, or see the log).');
      // The variables are for processes beside the extension host: they get the local URL.
      const text = `JARVIS_CONTEXT_URL=${s.server.url}\nJARVIS_CONTEXT_TOKEN=${s.server.token}\n`;
      await vscode.env.clipboard.writeText(text);
      const shown = await externalUrl(s.server.url);
      void vscode.window.showInformationMessage(
        shown === s.server.url
          ? `Copied JARVIS_CONTEXT_URL and JARVIS_CONTEXT_TOKEN (${s.server.url}).`
          : `Copied JARVIS_CONTEXT_URL and JARVIS_CONTEXT_TOKEN. From this machine the server is at ${shown}.`,
      );
      return text;
    }),

    registerCommand(ctx, COMMANDS.openStorageFolder, async () => {
      const s = ctx.sessions.current;
      const folder = s?.storagePath;
      if (!folder) throw new UserFacingError('No storage folder yet.');
      const uri = vscode.Uri.file(folder);
      if (!vscode.env.remoteName && vscode.env.uiKind === vscode.UIKind.Desktop) {
        await vscode.commands.executeCommand('revealFileInOS', uri);
      } else {
        // No OS file manager on the far side of a remote window: offer the files to open instead.
        void pickStorageFile(uri);
      }
      return uri;
    }),
  ];
}

async function pickStorageFile(folder: vscode.Uri): Promise<void> {
  const entries = await vscode.workspace.fs.readDirectory(folder);
  const files = entries.filter(([, t]) => t === vscode.FileType.File).map(([name]) => name).sort();
  const pick = await vscode.window.showQuickPick(files, { title: `Jarvis Context storage: ${folder.fsPath}`, placeHolder: 'File to open' });
  if (pick && !/\.(db|sqlite)$/.test(pick)) await showDocument(vscode.Uri.joinPath(folder, pick));
}
