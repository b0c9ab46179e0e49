import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { activate, EXTENSION_ID, type TestApi } from '../harness';

describe('activation', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
  });

  it('activates when asked (views, commands, a Jarvis folder, our terminal) and opens an engine on the workspace storage', async function () {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.strictEqual(ext.isActive, true);
    const session = api.testing.sessions.current!;
    assert.ok(session, 'no session for the workspace folder');
    assert.strictEqual(session.state, 'ready', `state ${session.state}: ${String(session.error)}`);
    assert.strictEqual(session.folder.uri.fsPath, vscode.workspace.workspaceFolders![0].uri.fsPath);
    // The engine lives in the extension's workspace storage and marks the run as live.
    const storage = session.engine!.folder;
    assert.ok(storage.includes(path.join('workspaceStorage')), `unexpected storage folder ${storage}`);
    assert.ok(fs.existsSync(path.join(storage, 'CRASH_DETECTED')), 'no crash marker while running');
    assert.strictEqual(api.testing.sessions.current!.engine!.recoveryReport, undefined, 'fresh storage reported a recovery');
  });

  it('exports the JarvisContextManager methods', async function () {
    for (const m of ['updateTaskProgress', 'logDecision', 'updateAgentState', 'logAgentMessage', 'updateContext', 'markRecoveryPoint', 'getContextStatus', 'restoreContext', 'recoverFromCrash']) {
      assert.strictEqual(typeof (api as unknown as Record<string, unknown>)[m], 'function', m);
    }
    const status = await api.getContextStatus();
    assert.strictEqual(status.persistence, 'ok');
    assert.strictEqual(status.storage_path, api.testing.sessions.current!.engine!.folder);
  });

  it('registers every command', async function () {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: { command: string }[] } };
    const all = new Set(await vscode.commands.getCommands(true));
    for (const c of pkg.contributes.commands) assert.ok(all.has(c.command), `${c.command} not registered`);
  });

  it('shows the status bar item, ready as soon as the engine is', function () {
    // the session repaints synchronously when it becomes ready: no waiting here
    // it names itself: never a bare "saved" that reads like a file-save indicator
    assert.match(api.testing.statusBar.text, /^\$\(database\) Jarvis: (checkpoint (just now|\d+ (s|min|h|d) ago)|no checkpoint yet)$/);
    assert.match(api.testing.statusBar.tooltipText, /^\*\*Jarvis Context\*\*/);
    assert.strictEqual(api.testing.statusBar.degraded, false);
  });
});
