import * as crypto from 'crypto';
import * as vscode from 'vscode';
import type { EngineOptions } from '../core/config';
import type { ContextEngineApi } from '../core/engineApi';
import { errorText, errorWithStack } from '../core/errorText';
import type { Logger } from '../core/ports';
import { SerialQueue } from '../core/serialQueue';
import { OTEL_ENV, otelEnvironment } from '../otel/otelEnv';
import { ChangeBatch, ChangeDebouncer } from './changes';
import { alertSettingsOf, type JarvisConfig } from './config';
import { Disposable } from './lifecycle';
import type { RunningServer, ServerStarter } from './server';
import { storageFolderFor } from './storage';
import { SecondWriterError, ValidationError } from '../core/errors';
import type { Holder } from '../server/endpointFile';
import { findHoldingServer, RemoteEngine } from './remoteEngine';
import { checkTeamConfig } from '../team/teamConfig';
import { TeamMode, type ReplicatedEngine } from '../team/teamMode';

/** `recovering`: starting, and the last run crashed (the views say so while the store loads). */
export type SessionState = 'starting' | 'recovering' | 'ready' | 'failed' | 'closed';

/** Who holds the store the session shows: this window, or a live server the session attached to. */
export type StoreHolder = { kind: 'own' } | { kind: 'attached'; url: string; pid: number; holder: Holder | undefined };

/** How long a store held by another process without a server to attach to (one starting, or one closing) is waited for. */
const HELD_WAIT_MS = 15_000;
const HELD_POLL_MS = 200;

export interface SessionDeps {
  storageUri: vscode.Uri | undefined;
  folderCount: () => number;
  readWasm: () => Promise<Uint8Array>;
  openEngine: (options: EngineOptions) => Promise<ContextEngineApi>;
  startServer: ServerStarter | undefined;
  logger: (component?: string) => Logger;
  /** Where JARVIS_CONTEXT_URL / _TOKEN go for this folder's terminals. */
  terminalEnv: vscode.EnvironmentVariableCollection;
  /** Team mode's database URL (kept in SecretStorage), when one was given. */
  teamDatabaseUrl?: () => Promise<string | undefined>;
}

export const ENV_URL = 'JARVIS_CONTEXT_URL';
export const ENV_TOKEN = 'JARVIS_CONTEXT_TOKEN';
/** Where clients spool when the server is down; the server takes the spool in when it starts. */
export const ENV_PATH = 'JARVIS_CONTEXT_PATH';

/** One workspace folder's engine and REST server. Operations run one at a time, in order. */
export class WorkspaceSession extends Disposable {
  readonly key: string;
  private _engine: ContextEngineApi | undefined;
  private _server: RunningServer | undefined;
  private _team: TeamMode | undefined;
  private _state: SessionState = 'starting';
  private _error: unknown;
  private _storagePath: string | undefined;
  private _holder: StoreHolder | undefined;
  private config: JarvisConfig | undefined;
  private engineSubscription: { dispose(): void } | undefined;
  private readonly queue = new SerialQueue();
  private readonly log: Logger;

  private readonly _onDidChange = this._register(new vscode.EventEmitter<ChangeBatch>());
  /** Debounced engine changes; `all` when the engine was (re)opened, closed or the server moved. */
  readonly onDidChange = this._onDidChange.event;
  private readonly debouncer = this._register(new ChangeDebouncer(b => this._onDidChange.fire(b)));

  constructor(readonly folder: vscode.WorkspaceFolder, private readonly deps: SessionDeps) {
    super();
    this.key = crypto.createHash('sha256').update(folder.uri.toString()).digest('hex').slice(0, 12);
    this.log = deps.logger('session');
  }

  get engine(): ContextEngineApi | undefined {
    return this._engine;
  }
  get server(): RunningServer | undefined {
    return this._server;
  }
  /** Team mode, when this folder replicates to a team database. */
  get team(): TeamMode | undefined {
    return this._team;
  }
  get state(): SessionState {
    return this._state;
  }
  get error(): unknown {
    return this._error;
  }
  get storagePath(): string | undefined {
    return this._engine?.folder ?? this._storagePath;
  }
  /** Set while the engine is open: opened here, or attached to the server holding the store. */
  get holder(): StoreHolder | undefined {
    return this._engine ? this._holder : undefined;
  }

  /** The engine, or an error saying why there is none (for commands and the exported API). */
  requireEngine(): ContextEngineApi {
    if (this._engine) return this._engine;
    if (this._state === 'failed') {
      throw new Error(`Jarvis Context could not open its storage: ${errorText(this._error)}`);
    }
    throw new Error('Jarvis Context is still starting; try again in a moment.');
  }

  /** The engine once the operations asked for so far (opening it, say) are done. */
  async engineWhenOpen(): Promise<ContextEngineApi> {
    await this.queue.idle();
    return this.requireEngine();
  }

  start(config: JarvisConfig): Promise<void> {
    return this.enqueue(async () => {
      await this.openEngine(config);
      if (this._engine) await this.startServer(config);
    });
  }

  /** Close and open again: the folder or an engine option changed. */
  reopen(config: JarvisConfig): Promise<void> {
    return this.enqueue(async () => {
      await this.stopServer();
      await this.closeEngine();
      await this.openEngine(config);
      if (this._engine) await this.startServer(config);
    });
  }

  restartServer(config: JarvisConfig): Promise<void> {
    return this.enqueue(async () => {
      await this.stopServer();
      if (this._engine) await this.startServer(config);
    });
  }

  /** Server down, final checkpoint, marker removed. */
  close(): Promise<void> {
    return this.enqueue(async () => {
      try {
        await this.stopServer();
      } finally {
        // Whatever the server did, the engine closes: its marker must go on a clean exit.
        await this.closeEngine();
        this._state = 'closed';
      }
    });
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    return this.queue.run(op);
  }

  private async openEngine(config: JarvisConfig): Promise<void> {
    this._state = 'starting';
    this._error = undefined;
    this.debouncer.push('all');
    const folder = storageFolderFor(this.deps.storageUri, this.folder, this.deps.folderCount(), config);
    this._storagePath = folder;
    this.config = config;
    try {
      if (!folder) throw new Error('no storage folder: set jarvis.contextPath (this window has no local workspace storage)');
      if (!(await this.openOrAttach(folder, config))) return;
    } catch (err) {
      this._state = 'failed';
      this._error = err;
      this.log.error(`could not open the engine on ${folder ?? '(none)'}: ${errorWithStack(err)}`);
    }
    this.debouncer.push('all');
    this.debouncer.flushNow();
  }

  /**
   * Attaches to the live server holding the store, or opens it here when none does. A store held
   * without a server to attach to (one starting, or closing after its server) is waited for.
   * False when the session was disposed meanwhile (the window is closing).
   */
  private async openOrAttach(folder: string, config: JarvisConfig): Promise<boolean> {
    const deadline = Date.now() + HELD_WAIT_MS;
    for (;;) {
      if (this.isDisposed) return false;
      const endpoint = await findHoldingServer(folder);
      if (endpoint) {
        try {
          const remote = await RemoteEngine.connect(folder, endpoint, this.deps.logger());
          this.attached(remote);
          return true;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          this.log.warn(`could not attach to the server at ${endpoint.url}: ${errorText(err)}; trying again`);
        }
      } else {
        try {
          await this.openOwn(folder, config);
          return true;
        } catch (err) {
          if (!(err instanceof SecondWriterError) || Date.now() > deadline) throw err;
        }
      }
      await new Promise(resolve => setTimeout(resolve, HELD_POLL_MS));
    }
  }

  private attached(remote: RemoteEngine): void {
    const { url, pid, holder } = remote.endpoint;
    this._engine = remote;
    this._holder = { kind: 'attached', url, pid, holder };
    const changes = remote.onDidChange(e => this.debouncer.push(e));
    const gone = remote.onDidGoAway(() => void this.takeOver(remote));
    this.engineSubscription = { dispose: () => { changes.dispose(); gone.dispose(); } };
    this._state = 'ready';
    this.log.info(`attached to the server at ${url} (pid ${pid}) holding ${remote.folder}; ` +
      'its own settings apply (checkpoint interval, staleness, alerts), not this window\'s');
  }

  /** The server that held the store went away: open it here (recovering it when it crashed). */
  private takeOver(remote: RemoteEngine): Promise<void> {
    return this.enqueue(async () => {
      if (this._engine !== remote || !this.config) return;
      this.log.info(`the server at ${remote.url} has gone away; opening ${remote.folder} here`);
      await this.stopServer();
      await this.closeEngine();
      await this.openEngine(this.config);
      if (this._engine) await this.startServer(this.config);
    });
  }

  private async openOwn(folder: string, config: JarvisConfig): Promise<void> {
    // Built before the engine opens: its outbox must see the journal from the first record on.
    const team = await this.teamFor(folder, config);
    const engine = await this.deps.openEngine({
      ...(team ? { journalTap: team.journalTap } : {}),
      folder,
      wasmBinary: await this.deps.readWasm(),
      logger: this.deps.logger(),
      checkpointIntervalMs: config.checkpointIntervalSeconds * 1000,
      historySize: config.historySize,
      staleAfterMs: config.staleAgentMinutes * 60_000,
      imageCount: config.imagesKeep,
      imageBytes: config.imagesMaxMegabytes * 1024 * 1024,
      alerts: alertSettingsOf(config),
      onRecovering: () => {
        this._state = 'recovering';
        this.debouncer.push('all');
        this.debouncer.flushNow();
      },
    }).catch(async (err: unknown) => {
      await team?.close().catch(() => undefined);
      throw err;
    });
    this._engine = engine;
    this._holder = { kind: 'own' };
    if (team && isReplicated(engine)) {
      await team.attach(engine);
      this._team = team;
    }
    this.engineSubscription = engine.onDidChange(e => this.debouncer.push(e));
    this._state = 'ready';
    this.log.info(`engine open on ${engine.folder}${engine.recoveryReport ? ' (recovered from a crash)' : ''}`);
  }

  /** Team mode for the folder when jarvis.team.project is set and a database URL was given; never waits for it. */
  private async teamFor(folder: string, config: JarvisConfig): Promise<TeamMode | undefined> {
    if (!config.teamProject) return undefined;
    const url = await this.deps.teamDatabaseUrl?.();
    if (!url) {
      this.log.warn(`jarvis.team.project is ${config.teamProject} but no team database was given: run "Connect Team Database…"`);
      return undefined;
    }
    try {
      // The team knows this store by the workspace folder it serves, not by its storage path.
      const teamConfig = { ...checkTeamConfig({ databaseUrl: url, project: config.teamProject, schema: config.teamSchema })!, place: this.folder.uri.fsPath };
      const team = new TeamMode(folder, teamConfig,
        this.deps.logger(), config.staleAgentMinutes > 0 ? config.staleAgentMinutes * 60_000 : undefined);
      return team;
    } catch (err) {
      this.log.error(`team mode is off: ${err instanceof ValidationError ? `jarvis.team.${err.field} ${err.problem}` : errorText(err)}`);
      return undefined;
    }
  }

  /** Checkpoint interval, history size, staleness and image retention change without reopening the engine. */
  applyLiveSettings(config: JarvisConfig): void {
    const engine = this._engine;
    if (!engine) return;
    try {
      engine.setCheckpointInterval(config.checkpointIntervalSeconds * 1000);
      engine.setHistorySize(config.historySize);
      if (config.staleAgentMinutes > 0) engine.setStaleAfterMs(config.staleAgentMinutes * 60_000);
      engine.setImageRetention({ count: config.imagesKeep, bytes: config.imagesMaxMegabytes * 1024 * 1024 });
      engine.setAlertSettings(alertSettingsOf(config)).catch(err => this.log.error(`could not apply the alert settings: ${errorWithStack(err)}`));
    } catch (err) {
      this.log.error(`could not apply the settings: ${errorWithStack(err)}`);
    }
    this.debouncer.push('all');
  }

  private async closeEngine(): Promise<void> {
    const engine = this._engine;
    if (!engine) return;
    this.engineSubscription?.dispose();
    this.engineSubscription = undefined;
    this._engine = undefined;
    this.debouncer.push('all');
    this.debouncer.flushNow();
    const team = this._team;
    this._team = undefined;
    await team?.close().catch(err => this.log.error(`stopping team replication failed: ${errorText(err)}`));
    try {
      await engine.close();
      this.log.info(engine instanceof RemoteEngine ? `detached from the server at ${engine.url}` : `engine closed on ${engine.folder}`);
    } catch (err) {
      this.log.error(`closing the engine failed: ${errorWithStack(err)}`);
    }
  }

  private async startServer(config: JarvisConfig): Promise<void> {
    if (this._engine instanceof RemoteEngine) {
      // Terminals, the example and "Copy Server URL" reach the server that holds the store.
      const { url, token } = this._engine.endpoint;
      this._server = { url, token, close: async () => undefined };
      this.deps.terminalEnv.replace(ENV_URL, url);
      this.deps.terminalEnv.replace(ENV_TOKEN, token);
      this.deps.terminalEnv.replace(ENV_PATH, this._engine.folder);
      this.applyTerminalEnvironment(config);
      this.debouncer.push('all');
      return;
    }
    if (!config.serverEnabled || !this._engine) return;
    if (!this.deps.startServer) {
      this.log.warn('REST server not available in this build');
      return;
    }
    try {
      this._server = await this.deps.startServer({
        engine: this._engine,
        // 0 = any free port, or JARVIS_CONTEXT_PORT when the server reads it
        port: config.serverPort || undefined,
        logger: this.deps.logger(),
        ...(this._team ? { team: this._team } : {}),
      });
      this.deps.terminalEnv.replace(ENV_URL, this._server.url);
      this.deps.terminalEnv.replace(ENV_TOKEN, this._server.token);
      this.deps.terminalEnv.replace(ENV_PATH, this._engine.folder);
      this.applyTerminalEnvironment(config);
      this.log.info(`REST server listening on ${this._server.url}`);
    } catch (err) {
      this.log.error(`REST server did not start on port ${config.serverPort}: ${errorWithStack(err)}`);
      this._server = undefined;
    }
    this.debouncer.push('all');
  }

  /** OTEL_EXPORTER_OTLP_* for terminals while the server runs, unless jarvis.otel.terminalEnvironment is off. */
  applyTerminalEnvironment(config: JarvisConfig): void {
    const server = this._server;
    if (server && config.otelTerminalEnvironment) {
      for (const [name, value] of Object.entries(otelEnvironment(server.url, server.token))) this.deps.terminalEnv.replace(name, value);
    } else {
      for (const name of Object.values(OTEL_ENV)) this.deps.terminalEnv.delete(name);
    }
  }

  private async stopServer(): Promise<void> {
    const server = this._server;
    if (!server) return;
    this._server = undefined;
    this.deps.terminalEnv.delete(ENV_URL);
    this.deps.terminalEnv.delete(ENV_TOKEN);
    this.deps.terminalEnv.delete(ENV_PATH);
    for (const name of Object.values(OTEL_ENV)) this.deps.terminalEnv.delete(name);
    try {
      await server.close();
    } catch (err) {
      this.log.error(`closing the REST server failed: ${errorWithStack(err)}`);
    }
    this.debouncer.push('all');
  }

  /** Disposal cannot wait; deactivate() awaits close() first. */
  override dispose(): void {
    this.engineSubscription?.dispose();
    super.dispose();
  }
}

function isReplicated(engine: ContextEngineApi): engine is ReplicatedEngine {
  return typeof (engine as Partial<ReplicatedEngine>).journalSeq === 'number' && typeof (engine as Partial<ReplicatedEngine>).journalFile === 'string';
}
