// The commands of `jarvis-context`. Each returns its exit status: 0 done, 1 failed, 2 wrong usage.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs, type ParseArgsConfig } from 'util';
import { alertSettingsFromEnv, type AlertSettings } from '../core/alertSettings';
import { configFromEnv, DEFAULTS } from '../core/config';
import { ContextEngine } from '../core/engine';
import type { Logger } from '../core/ports';
import { writeFileAtomicSync } from '../core/atomicFile';
import { SecondWriterError, ValidationError } from '../core/errors';
import { errorText } from '../core/errorText';
import type { RecoveryReport } from '../core/types';
import { checkCleanupDays, checkLabel } from '../core/validate';
import { readWasmBinary } from '../core/wasm';
import { otelEnvironment, shellExports } from '../otel/otelEnv';
import { otlpMounts } from '../otel/otlpReceiver';
import { ENDPOINT_FILE, loadOrCreateToken } from '../server/endpointFile';
import { JarvisServer } from '../server/server';
import { redactText, redactUrl } from '../team/redact';
import { checkTeamConfig, teamInputFromEnv, type TeamConfig } from '../team/teamConfig';
import { TeamMode } from '../team/teamMode';
import { COMMAND_HELP, USAGE } from './help';
import { findServer, RemoteError, RemoteServer } from './remote';
import { ARGV_PASSWORD_WARNING, hasUrlPassword, readUrlFile } from './secretArgs';
import { parseLogLevel, stderrLogger } from './stderrLogger';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** A failure the user can act on: its message is printed as is. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** The core validator's verdict on an option's value, as wrong usage (exit 2) naming the option. */
function usage<T>(option: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof ValidationError) throw new CliError(`${option}: ${e.problem}`, 2);
    throw e;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
const PATH_OPTION: Options = { path: { type: 'string' }, help: { type: 'boolean', short: 'h' } };

interface Command {
  options: Options;
  run(args: Record<string, string | boolean | undefined>, ctx: Ctx): Promise<number>;
}

interface Ctx {
  io: CliIo;
  folder: string;
  logger: Logger;
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

async function openEngine(ctx: Ctx, forServe = false, watch: WatchdogFlags = {}, team?: TeamMode): Promise<ContextEngine> {
  const env = configFromEnv(ctx.io.env, ctx.logger);
  const staleAfterMs = watch.staleAfterMs ?? env.staleAfterMs;
  return ContextEngine.open({
    ...(team ? { journalTap: team.journalTap } : {}),
    folder: ctx.folder,
    wasmBinary: readWasmBinary(),
    logger: ctx.logger,
    ...(staleAfterMs !== undefined ? { staleAfterMs } : {}),
    // One-shot commands only read alerts; the watchdogs run in a server.
    alerts: forServe ? { ...alertSettingsFromEnv(ctx.io.env, ctx.logger), ...watch.alerts } : { enabled: false },
    ...(env.historySize !== undefined ? { historySize: env.historySize } : {}),
    ...(env.imageCount !== undefined ? { imageCount: env.imageCount } : {}),
    ...(env.imageBytes !== undefined ? { imageBytes: env.imageBytes } : {}),
    // One-shot commands open, act and close: no timer needed.
    checkpointIntervalMs: forServe ? (env.checkpointIntervalMs ?? DEFAULTS.checkpointIntervalMs) : 0,
  });
}

/** Runs `act` against the server owning the folder, or else against the folder opened here. */
async function withTarget<T>(
  ctx: Ctx,
  remote: (server: RemoteServer) => Promise<T>,
  local: (engine: ContextEngine) => Promise<T>,
): Promise<T> {
  const server = await findServer(ctx.folder);
  if (server) {
    ctx.logger.debug(`[cli] using the server at ${server.endpoint.url}`);
    return remote(server);
  }
  if (!fs.existsSync(ctx.folder)) {
    throw new CliError(`No Jarvis Context store at ${ctx.folder}. Pass --path, or set JARVIS_CONTEXT_PATH.`);
  }
  const engine = await openEngine(ctx);
  // Holding the folder proves no server owns it: an endpoint.json left by a killed one is stale.
  fs.rmSync(path.join(ctx.folder, ENDPOINT_FILE), { force: true });
  try {
    if (engine.recoveryReport) ctx.io.err(`Recovered from a crash of the last writer; report: ${engine.recoveryReport.file}\n`);
    return await local(engine);
  } finally {
    await engine.close();
  }
}

/** Who holds the folder, said so the user knows where to look (VS Code's window, another terminal). */
async function heldBy(folder: string, e: SecondWriterError): Promise<Error> {
  const server = await findServer(folder);
  if (!server) return e;
  const { url, pid, holder } = server.endpoint;
  return new CliError(`${holder === 'VS Code' ? 'VS Code\'s server' : 'the server'} at ${url} (pid ${pid}) holds ${folder}. ` +
    `Clients and the other commands use it as it is; to serve from here, stop it first${holder === 'VS Code' ? ' (close the folder in VS Code)' : ''}.`);
}

interface WatchdogFlags {
  staleAfterMs?: number;
  alerts?: Partial<AlertSettings>;
}

const WATCHDOG_OPTIONS: Options = {
  'no-alerts': { type: 'boolean' },
  'stale-agent-minutes': { type: 'string' },
  'loop-repeats': { type: 'string' },
  'loop-window-seconds': { type: 'string' },
  'stalled-task-minutes': { type: 'string' },
  'task-token-budget': { type: 'string' },
  'agent-token-budget': { type: 'string' },
};

/** serve's watchdog flags; a bad value is wrong usage naming the flag. */
function watchdogFlags(args: Record<string, string | boolean | undefined>): WatchdogFlags {
  const num = (flag: string, min: number, integer = false): number | undefined => {
    const raw = args[flag];
    if (typeof raw !== 'string') return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new CliError(`--${flag}: ${raw} is not ${integer ? 'an integer' : 'a number'} of at least ${min}`, 2);
    }
    return n;
  };
  const alerts: Partial<AlertSettings> = {};
  if (args['no-alerts'] === true) alerts.enabled = false;
  const repeats = num('loop-repeats', 2, true);
  if (repeats !== undefined) alerts.loopRepeats = repeats;
  const win = num('loop-window-seconds', 0.001);
  if (win !== undefined) alerts.loopWindowMs = win * 1000;
  const stalled = num('stalled-task-minutes', 0.001);
  if (stalled !== undefined) alerts.stalledTaskMs = stalled * 60_000;
  const tb = num('task-token-budget', 0);
  if (tb !== undefined) alerts.taskTokenBudget = tb;
  const ab = num('agent-token-budget', 0);
  if (ab !== undefined) alerts.agentTokenBudget = ab;
  const stale = num('stale-agent-minutes', 0.001);
  return { alerts, ...(stale !== undefined ? { staleAfterMs: stale * 60_000 } : {}) };
}

function reportPath(folder: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(folder, file);
}

/** --database-url (or --database-url-file) / --project / --schema, else the environment; a bad value is wrong usage. */
function serveTeamConfig(args: Record<string, string | boolean | undefined>, io: CliIo): TeamConfig | undefined {
  const fromEnv = teamInputFromEnv(io.env);
  const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
  const given = str(args['database-url']);
  const file = str(args['database-url-file']);
  if (given !== undefined && file !== undefined) throw new CliError('--database-url and --database-url-file: give one of them', 2);
  if (given !== undefined && hasUrlPassword(given)) io.err(ARGV_PASSWORD_WARNING);
  let fromFile: string | undefined;
  if (file !== undefined) {
    try {
      fromFile = readUrlFile(file, io.err);
    } catch (e) {
      throw new CliError(`--database-url-file: cannot read ${file}: ${(e as Error).message}`, 2);
    }
  }
  const input = {
    databaseUrl: given ?? fromFile ?? fromEnv.databaseUrl,
    project: str(args.project) ?? fromEnv.project,
    schema: str(args.schema) ?? fromEnv.schema,
  };
  try {
    return checkTeamConfig(input);
  } catch (e) {
    if (e instanceof ValidationError) throw new CliError(`--${e.field}: ${e.problem}`, 2);
    throw e;
  }
}

const commands: Record<string, Command> = {
  serve: {
    options: { ...PATH_OPTION, port: { type: 'string' }, ...WATCHDOG_OPTIONS, 'database-url': { type: 'string' }, 'database-url-file': { type: 'string' }, project: { type: 'string' }, schema: { type: 'string' } },
    async run(args, ctx) {
      const watch = watchdogFlags(args);
      const teamConfig = serveTeamConfig(args, ctx.io);
      let port: number | undefined;
      if (typeof args.port === 'string') {
        port = Number(args.port);
        if (!/^\d{1,5}$/.test(args.port) || port > 65535) throw new CliError(`--port: ${args.port} is not a port number`, 2);
      }
      // Signals are handled from the start: a SIGTERM during start-up still ends cleanly.
      let stopRequested: string | undefined;
      let stop: (signal: string) => void = signal => {
        stopRequested ??= signal;
      };
      const onInt = (): void => stop('SIGINT');
      const onTerm = (): void => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      let engine: ContextEngine | undefined;
      let server: JarvisServer | undefined;
      // Built before the engine opens: its outbox sees the journal from the first record on.
      const team = teamConfig && new TeamMode(ctx.folder, teamConfig, ctx.logger);
      try {
        engine = await openEngine(ctx, true, watch, team);
        // Never waits for PostgreSQL: replication connects (and retries) in the background.
        await team?.attach(engine);
        // One token for the REST API and OTLP's POST /v1/traces on the same port.
        const token = loadOrCreateToken(engine.folder, ctx.logger);
        server = await JarvisServer.start({
          engine, port, token, logger: ctx.logger, mounts: otlpMounts({ engine, token, logger: ctx.logger }), holder: 'jarvis-context serve',
          ...(team ? { team } : {}),
        });
      } catch (e) {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        await team?.close();
        await engine?.close();
        throw e instanceof SecondWriterError ? await heldBy(ctx.folder, e) : e;
      }
      if (teamConfig) ctx.io.out(`team mode: project ${teamConfig.project}, database ${redactUrl(teamConfig.databaseUrl)}, schema ${teamConfig.schema}\n`);
      if (engine.recoveryReport) ctx.io.err(`Recovered from a crash of the last writer; report: ${engine.recoveryReport.file}\n`);
      ctx.io.out(`Jarvis Context serving ${ctx.folder}\nlistening on ${server.url}\n`);
      const [openEngineNow, runningServer] = [engine, server];
      return new Promise<number>(resolve => {
        let stopping = false;
        stop = (signal: string): void => {
          if (stopping) return;
          stopping = true;
          ctx.logger.info(`[cli] ${signal}: shutting down`);
          void (async () => {
            let code = 0;
            try {
              await runningServer.close();
            } catch (e) {
              ctx.logger.error(e as Error);
              code = 1;
            }
            try {
              await team?.close();
            } catch (e) {
              ctx.logger.error(redactText(errorText(e), teamConfig?.databaseUrl));
            }
            try {
              await openEngineNow.close();
            } catch (e) {
              ctx.logger.error(e as Error);
              code = 1;
            }
            process.off('SIGINT', onInt);
            process.off('SIGTERM', onTerm);
            resolve(code);
          })();
        };
        if (stopRequested) stop(stopRequested);
      });
    },
  },

  status: {
    options: PATH_OPTION,
    async run(_args, ctx) {
      const status = await withTarget(ctx, s => s.call('GET', '/status'), async e => e.getStatus());
      ctx.io.out(json(status));
      return 0;
    },
  },

  checkpoint: {
    options: { ...PATH_OPTION, label: { type: 'string' } },
    async run(args, ctx) {
      const label = usage('--label', () => checkLabel('label', args.label));
      const result = await withTarget(
        ctx,
        s => s.call('POST', '/checkpoint', label === undefined ? {} : { label }),
        e => e.checkpoint(label),
      );
      ctx.io.out(json(result));
      return 0;
    },
  },

  recover: {
    options: PATH_OPTION,
    async run(_args, ctx) {
      const file = await withTarget(
        ctx,
        async s => {
          ctx.io.err('A server owns this folder (so nothing crashed); running the recovery analysis now.\n');
          return (await s.call('POST', '/recover') as RecoveryReport).file;
        },
        async e => {
          if (e.recoveryReport) return e.recoveryReport.file;
          ctx.io.err('No crash to recover from; running the recovery analysis now.\n');
          return (await e.analyzeRecovery()).file;
        },
      );
      ctx.io.out(reportPath(ctx.folder, file) + '\n');
      return 0;
    },
  },

  report: {
    options: { ...PATH_OPTION, format: { type: 'string' } },
    async run(args, ctx) {
      const format = args.format ?? 'md';
      if (format !== 'md' && format !== 'json') throw new CliError(`--format: ${String(format)} is not md or json`, 2);
      const text = await withTarget(
        ctx,
        async s => {
          let report: RecoveryReport;
          try {
            report = (await s.call('GET', '/recovery-report')) as RecoveryReport;
          } catch (e) {
            if (e instanceof RemoteError && e.status === 404) return undefined;
            throw e;
          }
          if (format === 'json') return json(report);
          // The engine writes the Markdown rendering beside the JSON.
          const md = reportPath(ctx.folder, report.file).replace(/\.json$/, '.md');
          if (!fs.existsSync(md)) throw new CliError(`The Markdown rendering ${md} is missing; try --format json.`);
          return fs.readFileSync(md, 'utf8');
        },
        async e => {
          const report = await e.getLatestRecoveryReport();
          if (!report) return undefined;
          return format === 'json' ? json(report) : e.renderRecoveryReport(report);
        },
      );
      if (text === undefined) throw new CliError(`No recovery report in ${ctx.folder}: there has been no recovery.`);
      ctx.io.out(text.endsWith('\n') ? text : text + '\n');
      return 0;
    },
  },

  export: {
    options: { ...PATH_OPTION, out: { type: 'string' } },
    async run(args, ctx) {
      const data = await withTarget(ctx, exportThroughServer, e => e.exportAll());
      const text = json(data);
      if (typeof args.out === 'string') {
        writeFileAtomicSync(path.resolve(args.out), text);
        ctx.io.err(`Exported to ${path.resolve(args.out)}\n`);
      } else {
        ctx.io.out(text);
      }
      return 0;
    },
  },

  cleanup: {
    options: { ...PATH_OPTION, 'older-than-days': { type: 'string' }, 'dry-run': { type: 'boolean' } },
    async run(args, ctx) {
      const raw = args['older-than-days'];
      if (typeof raw !== 'string') throw new CliError('--older-than-days N is required', 2);
      const days = usage('--older-than-days', () => checkCleanupDays('older_than_days', raw.trim() === '' ? NaN : Number(raw)));
      const dryRun = args['dry-run'] === true;
      const result = await withTarget(
        ctx,
        s => s.call('POST', '/cleanup', { older_than_days: days, dry_run: dryRun }),
        e => e.cleanup({ olderThanDays: days, dryRun }),
      );
      ctx.io.out(json(result));
      return 0;
    },
  },

  env: {
    options: PATH_OPTION,
    async run(_args, ctx) {
      const server = await findServer(ctx.folder);
      if (!server) throw new CliError(`No server is running for ${ctx.folder}; start one with 'jarvis-context serve'.`);
      const { url, token } = server.endpoint;
      // JARVIS_CONTEXT_PATH names the folder: clients then spool there, and follow its
      // endpoint.json when the server moves (never a default folder's). The OTEL_* lines point
      // OpenTelemetry SDKs at the same server (POST /v1/traces).
      ctx.io.out(shellExports({
        JARVIS_CONTEXT_URL: url, JARVIS_CONTEXT_TOKEN: token, JARVIS_CONTEXT_PATH: ctx.folder, ...otelEnvironment(url, token),
      }));
      return 0;
    },
  },
};

/**
 * The export API.md does not have a route for: assembled from the read routes. Lists are capped
 * at the API's 10,000 entries.
 */
async function exportThroughServer(s: RemoteServer): Promise<unknown> {
  const get = (route: string): Promise<unknown> => s.call('GET', route);
  return {
    exported_at: new Date().toISOString(),
    source: s.endpoint.url,
    status: await get('/status'),
    context: await get('/context'),
    tasks: ((await get('/task-progress')) as { tasks: unknown }).tasks,
    agents: ((await get('/agent-states')) as { agents: unknown }).agents,
    decisions: ((await get('/decisions?limit=10000')) as { decisions: unknown }).decisions,
    messages: ((await get('/messages?limit=10000')) as { messages: unknown }).messages,
    checkpoints: ((await get('/checkpoints?limit=10000')) as { checkpoints: unknown }).checkpoints,
    spans: ((await get('/spans?limit=10000')) as { spans: unknown }).spans,
    recovery_reports: ((await get('/recovery-reports')) as { reports: unknown }).reports,
  };
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    io.err(`jarvis-context: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false }).values as Record<
      string, string | boolean | undefined
    >;
  } catch (e) {
    io.err(`jarvis-context ${name}: ${errorText(e)}\n\n${COMMAND_HELP[name]}`);
    return 2;
  }
  if (values.help) {
    io.out(COMMAND_HELP[name]);
    return 0;
  }
  const folder = path.resolve(
    typeof values.path === 'string' ? values.path : (io.env.JARVIS_CONTEXT_PATH || DEFAULTS.cliContextPath),
  );
  const logger = stderrLogger(parseLogLevel(io.env.JARVIS_LOG_LEVEL, name === 'serve' ? 'info' : 'warn'), io.err);
  try {
    return await command.run(values, { io, folder, logger });
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`jarvis-context ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    // Engine errors (SecondWriterError, PersistenceError, ...) say what to do; print them as they are.
    io.err(`jarvis-context ${name}: ${err.message}\n`);
    logger.debug(err.stack ?? err.message);
    return 1;
  }
}
