// Helpers for suites running inside the extension host.
import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as vscode from 'vscode';
import type { JarvisContextExtensionApi } from '../../src/host/api';
import type { Sessions } from '../../src/host/sessions';
import type { AgentsView } from '../../src/views/agentsView';
import type { AlertNotifications } from '../../src/views/alertNotifications';
import type { AlertsView } from '../../src/views/alertsView';
import type { CheckpointsView } from '../../src/views/checkpointsView';
import type { DecisionsView } from '../../src/views/decisionsView';
import type { RecoveryOffers } from '../../src/views/recoveryNotification';
import type { StatusBar } from '../../src/views/statusBar';
import type { TasksView } from '../../src/views/tasksView';

/** The views as drawn, for the suites to look at. */
export interface Views {
  agents: AgentsView;
  tasks: TasksView;
  decisions: DecisionsView;
  checkpoints: CheckpointsView;
}

export const EXTENSION_ID = 'jarvis-context.jarvis-context';

export type TestApi = JarvisContextExtensionApi & {
  testing: {
    sessions: Sessions; views: Views; statusBar: StatusBar; offers: RecoveryOffers; log: vscode.LogOutputChannel;
    alerts: { view: AlertsView; tree: vscode.TreeView<unknown>; notifications: AlertNotifications };
  };
};

/** The extension, activated, with its folders' stores open (activation itself does not wait for them). */
export async function activate(): Promise<TestApi> {
  const api = await activateOnly();
  await waitFor(() => api.testing.sessions.all.every(s => s.state !== 'starting' && s.state !== 'recovering'), 'the stores open', 120_000);
  return api;
}

/** The extension, activated; its stores may still be opening. */
export async function activateOnly(): Promise<TestApi> {
  const ext = vscode.extensions.getExtension<TestApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} not found`);
  const api = await ext.activate();
  if (!api.testing) throw new Error('the extension did not start in test mode (ExtensionMode.Test)');
  return api;
}

/** Polls until `check` returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

/** `p`, or a failure naming `what` after `ms`. */
export const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);

/**
 * Asks the driver for a screenshot of the workbench, or of the part of it in `clip` (CSS pixels);
 * resolves with the PNG path (none outside the driver).
 */
export async function screenshot(name: string, timeoutMs = 20_000, clip?: { x: number; y: number; width: number; height: number }): Promise<string | undefined> {
  const out = process.env.HARNESS_OUT;
  if (!out || !process.env.HARNESS_DRIVER) return undefined; // no driver (test:electron): no screenshots
  const done = path.join(out, name + '.png.done');
  console.log(`__HARNESS_SCREENSHOT__ ${name}${clip ? ` ${clip.x},${clip.y},${clip.width},${clip.height}` : ''}`);
  await waitFor(() => fs.existsSync(done), `screenshot ${name}`, timeoutMs);
  return path.join(out, name + '.png');
}

/** A measured figure: a `FIGURE name=value` line in the run's output (figures.txt), for the README. */
export function figure(name: string, value: number): void {
  const line = `FIGURE ${name}=${Math.round(value)}`;
  fs.appendFileSync(harnessFile('figures.txt'), line + '\n');
  console.log(line);
}

export function harnessFile(name: string): string {
  const out = process.env.HARNESS_OUT ?? path.join(require('os').tmpdir(), 'jarvis-harness');
  fs.mkdirSync(out, { recursive: true });
  return path.join(out, name);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Calls the REST API of the current session's server. */
export async function rest(api: TestApi, method: string, route: string, body?: unknown): Promise<{ status: number; json: any }> {
  const server = api.testing.sessions.current?.server;
  if (!server) throw new Error('no REST server running');
  const res = await fetch(server.url + route, {
    method,
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Starts a shell in the integrated terminal that writes the two variables to a file. */
export async function terminalEnv(name: string): Promise<string> {
  const file = harnessFile(`${name}.env.txt`);
  fs.rmSync(file, { force: true });
  const terminal = vscode.window.createTerminal({
    name,
    shellPath: '/bin/sh',
    shellArgs: ['-c', `printf '%s\\n%s\\n' "$JARVIS_CONTEXT_URL" "$JARVIS_CONTEXT_TOKEN" > '${file}.tmp' && mv '${file}.tmp' '${file}'`],
  });
  try {
    await waitFor(() => fs.existsSync(file), `terminal ${name} output`, 30_000);
    return fs.readFileSync(file, 'utf8');
  } finally {
    terminal.dispose();
  }
}

/** Replaces the whole text of an editor. */
export async function replaceAll(editor: vscode.TextEditor, text: string): Promise<void> {
  const doc = editor.document;
  const all = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
  assert.ok(await editor.edit(b => b.replace(all, text)), 'the edit was not applied');
}

/**
 * Saves, again if the first one is refused: a save in the first moments after the workbench
 * opened the draft (long before a person types) can be refused while the editor still resolves it.
 */
export async function saveDraft(doc: vscode.TextDocument): Promise<void> {
  await waitFor(async () => (await doc.save()) || !doc.isDirty, 'the draft saved', 10_000);
}

/** The diff editor whose right side is `uri`, if one is open. */
export function diffTabOf(uri: vscode.Uri): vscode.TabInputTextDiff | undefined {
  for (const tab of vscode.window.tabGroups.all.flatMap(g => g.tabs)) {
    if (tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === uri.toString()) return tab.input;
  }
  return undefined;
}
