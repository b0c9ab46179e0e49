import * as vscode from 'vscode';
import type { ChangeBatch } from './changes';
import { ENGINE_SETTINGS, LIVE_ENGINE_SETTINGS, readConfig, SERVER_SETTINGS, SETTINGS, TERMINAL_SETTINGS } from './config';
import { CONTEXT_KEYS, setContextKey } from './contextKeys';
import { Disposable } from './lifecycle';
import { type SessionDeps, WorkspaceSession } from './session';
import { CLI_STORE, cliStoreIn } from './storage';
import { ENDPOINT_FILE } from '../server/endpointFile';

/** How often a folder is looked at for a CLI store that appeared (one stat a folder). */
const CLI_STORE_LOOK_MS = 3_000;

export type SessionsDeps = Omit<SessionDeps, 'terminalEnv' | 'folderCount'> & {
  env: vscode.GlobalEnvironmentVariableCollection;
};

/**
 * One session (engine + server) per workspace folder. The views show the current one: the first
 * folder, or the one picked with "Select Workspace Folder" in a multi-root window.
 */
export class Sessions extends Disposable {
  private readonly byKey = new Map<string, WorkspaceSession>();
  private readonly subscriptions = new Map<string, vscode.Disposable>();
  private _current: WorkspaceSession | undefined;

  private readonly _onDidChange = this._register(new vscode.EventEmitter<{ session: WorkspaceSession; batch: ChangeBatch }>());
  /** Changes of any session (debounced per session). */
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidChangeCurrent = this._register(new vscode.EventEmitter<WorkspaceSession | undefined>());
  readonly onDidChangeCurrent = this._onDidChangeCurrent.event;

  constructor(private readonly deps: SessionsDeps) {
    super();
    this.deps.env.description = 'Jarvis Context: URL and token of the local REST server';
    this.deps.env.persistent = false; // a stale URL from an old window is worse than none
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.syncFolders()));
    this._register(vscode.workspace.onDidChangeConfiguration(e => this.onConfigChange(e)));
    // Trusted now: the workspace's own store settings apply (Restricted Mode ignored them).
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => {
      for (const s of this.all) {
        const config = readConfig(s.folder);
        if (config.contextPath || config.teamProject || cliStoreIn(s.folder)) void s.reopen(config);
      }
    }));
  }

  get current(): WorkspaceSession | undefined {
    return this._current;
  }

  get all(): WorkspaceSession[] {
    return [...this.byKey.values()];
  }

  forFolder(uri: vscode.Uri): WorkspaceSession | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    return this.all.find(s => folder && s.folder.uri.toString() === folder.uri.toString());
  }

  select(session: WorkspaceSession): void {
    if (this._current === session) return;
    this._current = session;
    this._onDidChangeCurrent.fire(session);
  }

  /** Opens engines for the folders that have none, closes those of removed folders. */
  async syncFolders(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    setContextKey(CONTEXT_KEYS.multiRoot, folders.length > 1);
    const wanted = new Set(folders.map(f => f.uri.toString()));
    const closing: Promise<void>[] = [];
    for (const [key, s] of this.byKey) {
      if (!wanted.has(s.folder.uri.toString())) {
        this.byKey.delete(key);
        this.subscriptions.get(key)?.dispose();
        this.subscriptions.delete(key);
        closing.push(s.close().finally(() => s.dispose()));
      }
    }
    const starting: Promise<void>[] = [];
    for (const folder of folders) {
      if (this.all.some(s => s.folder.uri.toString() === folder.uri.toString())) continue;
      const session = new WorkspaceSession(folder, {
        ...this.deps,
        folderCount: () => (vscode.workspace.workspaceFolders ?? []).length,
        terminalEnv: folders.length > 1 ? this.deps.env.getScoped({ workspaceFolder: folder }) : this.deps.env,
      });
      this.byKey.set(session.key, session);
      this.subscriptions.set(session.key, vscode.Disposable.from(
        session.onDidChange(batch => this._onDidChange.fire({ session, batch })),
        this.watchCliStore(session),
      ));
      starting.push(session.start(readConfig(folder)));
    }
    if (!this._current || !this.byKey.has(this._current.key)) {
      this._current = this.all[0];
      this._onDidChangeCurrent.fire(this._current);
    }
    setContextKey(CONTEXT_KEYS.state, this._current ? this._current.state : 'noFolder');
    await Promise.all([...closing, ...starting]);
  }

  /**
   * `jarvis-context serve` started in the folder after the session opened: the store the README
   * sets up is there now, so the session shows it (attaching to that server) instead of its own.
   * The file watcher says so at once; a look every few seconds covers a watcher that missed it
   * (the workbench restarts its watcher process after a failure, losing what it was asked).
   */
  private watchCliStore(session: WorkspaceSession): vscode.Disposable {
    let reopening = false;
    const check = (): void => {
      if (reopening || session.state === 'starting' || session.state === 'closed') return;
      const config = readConfig(session.folder);
      const store = vscode.workspace.isTrusted && !config.contextPath ? cliStoreIn(session.folder) : undefined;
      if (!store || session.storagePath === store) return;
      reopening = true;
      void session.reopen(config).finally(() => (reopening = false));
    };
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(session.folder, `${CLI_STORE}/${ENDPOINT_FILE}`), false, true, true);
    watcher.onDidCreate(check);
    const timer = setInterval(check, CLI_STORE_LOOK_MS);
    return vscode.Disposable.from(watcher, { dispose: () => clearInterval(timer) });
  }

  private onConfigChange(e: vscode.ConfigurationChangeEvent): void {
    for (const s of this.all) {
      const affects = (keys: string[]) => keys.some(k => e.affectsConfiguration(k, s.folder));
      const config = readConfig(s.folder);
      if (affects(ENGINE_SETTINGS)) void s.reopen(config);
      else {
        if (affects(LIVE_ENGINE_SETTINGS)) s.applyLiveSettings(config);
        if (affects(SERVER_SETTINGS)) void s.restartServer(config);
        else if (affects(TERMINAL_SETTINGS)) s.applyTerminalEnvironment(config);
      }
    }
    if (e.affectsConfiguration(SETTINGS.staleAgentMinutes) && this._current) {
      // Staleness is drawn by the views from the setting; repaint them.
      this._onDidChangeCurrent.fire(this._current);
    }
  }

  /** Closes every engine cleanly (final checkpoint, marker removed). */
  async closeAll(): Promise<void> {
    await Promise.allSettled(this.all.map(s => s.close()));
  }

  override dispose(): void {
    for (const d of this.subscriptions.values()) d.dispose();
    for (const s of this.byKey.values()) s.dispose();
    super.dispose();
  }
}
