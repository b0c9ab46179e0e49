// The "Jarvis Context" terminal profile (Terminal: New Terminal ▸ Jarvis Context). Choosing it is one
// of the few things that activate the extension (onTerminalProfile:jarvis.terminal): by the time the
// profile is asked for, activation has opened the store and started the server, so the terminal gets
// JARVIS_CONTEXT_URL, JARVIS_CONTEXT_TOKEN (and the OpenTelemetry variables) like any other terminal;
// they are also passed here explicitly, in case the environment collection is not applied yet.
import * as vscode from 'vscode';
import { TERMINAL_PROFILE } from '../ids';
import type { Sessions } from './sessions';
import { ENV_PATH, ENV_TOKEN, ENV_URL } from './session';

export function registerTerminalProfile(sessions: Sessions): vscode.Disposable {
  return vscode.window.registerTerminalProfileProvider(TERMINAL_PROFILE, {
    provideTerminalProfile(): vscode.TerminalProfile {
      const s = sessions.current;
      const env: Record<string, string> = {};
      if (s?.server) {
        env[ENV_URL] = s.server.url;
        env[ENV_TOKEN] = s.server.token;
      }
      if (s?.storagePath) env[ENV_PATH] = s.storagePath;
      return new vscode.TerminalProfile({
        name: 'Jarvis Context',
        iconPath: new vscode.ThemeIcon('pulse'),
        cwd: s?.folder.uri,
        env,
      });
    },
  });
}
