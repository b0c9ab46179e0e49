// The REST server: node:http on loopback, bearer token, the routes of API.md, graceful close.
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { ContextEngineApi, Disposable } from '../core/engineApi';
import { EngineClosedError, NotFoundError, PersistenceError, ValidationError } from '../core/errors';
import { errorText } from '../core/errorText';
import { silentLogger, type Logger } from '../core/ports';
import { nodeFileSystem } from '../core/nodeFs';
import { ingestSpool } from '../core/spool';
import { checkRequest } from './auth';
import { loadLastPort, loadOrCreateToken, removeEndpoint, saveLastPort, writeEndpoint, type Endpoint, type Holder } from './endpointFile';
import { clientName, DEFAULT_MAX_BODY_BYTES, HttpError, parseJson, readBody, sendEmpty, sendError, sendJson, sendText } from './http';
import type { ServerCounters } from './prometheus';
import { BASE_PATH, matchRoute, type RouteContext } from './routes';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_STREAM_BUFFER_BYTES, EventStreams, type StreamOptions } from './sse';
import { Query } from './validate';
import type { TeamReader } from '../team/teamMode';
import type { BatchEvent } from '../core/types';
import { DebugSessions } from '../debug/debugSessions';
import { callerOf, writtenEvents } from '../debug/writtenEvents';

/**
 * Another protocol served beside the REST API on the same port (e.g. OTLP's POST /v1/traces).
 * The handler owns the request entirely: Host/Origin/token checks, errors, the answer.
 */
export interface ServerMount {
  /** Exact pathname, outside the API's base path. */
  path: string;
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
  /** Events the mount stored on its own (OTLP's mapped spans): breakpoints see them, nobody is held. */
  onEventsWritten?(listener: (events: BatchEvent[]) => void): void;
}

export interface ServerOptions {
  engine: ContextEngineApi;
  /** Default: JARVIS_CONTEXT_PORT, else 0 (any free port). */
  port?: number;
  /** Loopback only: 127.0.0.1 (default), ::1 or localhost. */
  host?: string;
  /** Default: the storage folder's persisted token (created on first start). */
  token?: string;
  logger?: Logger;
  maxBodyBytes?: number;
  heartbeatMs?: number;
  /** A /stream client with this many bytes unsent is dropped. Default 1 MiB. */
  maxStreamBufferBytes?: number;
  /** Write endpoint.json into the engine's folder (default true). */
  writeEndpointFile?: boolean;
  /** Who runs this server, written to endpoint.json. */
  holder?: Holder;
  /** How long close() waits for requests in flight before cutting connections. Default 10 s. */
  closeTimeoutMs?: number;
  mounts?: ServerMount[];
  /** Team mode (GET /team, scope=team), when the server has a team database. */
  team?: TeamReader;
  /** A debug session not renewed within this is ended and its holds continue. Default 10 s (JARVIS_DEBUG_LEASE_MS). */
  debugLeaseMs?: number;
}

const LOOPBACK_BIND = new Set(['127.0.0.1', '::1', 'localhost']);

function portFromEnv(logger: Logger): number {
  const raw = process.env.JARVIS_CONTEXT_PORT;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    logger.warn(`[server] ignoring JARVIS_CONTEXT_PORT=${raw}: not a port number`);
    return 0;
  }
  return n;
}

const DEBUG_ACTIVE: Readonly<Record<string, string>> = { 'Jarvis-Debug': '1' };

function leaseFromEnv(logger: Logger): number | undefined {
  const raw = process.env.JARVIS_DEBUG_LEASE_MS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1000 || n > 300_000) {
    logger.warn(`[server] ignoring JARVIS_DEBUG_LEASE_MS=${raw}: milliseconds from 1000 to 300000`);
    return undefined;
  }
  return n;
}

/** Maps what the engine throws to an answer; anything unexpected is a 500 and is logged. */
function toHttpError(e: unknown, logger: Logger): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof ValidationError) return new HttpError(400, 'invalid_field', e.message, e.field);
  if (e instanceof NotFoundError) return new HttpError(404, 'not_found', e.message, e.field);
  if (e instanceof PersistenceError) {
    return new HttpError(503, 'store_unavailable', `The store cannot write: ${e.message}. This write was not applied.`, undefined, {
      'Retry-After': '1',
    });
  }
  if (e instanceof EngineClosedError) {
    return new HttpError(503, 'store_unavailable', `${e.message} This write was not applied.`, undefined, { 'Retry-After': '1' });
  }
  logger.error(e instanceof Error ? e : new Error(String(e)));
  return new HttpError(500, 'internal_error', `Internal error: ${errorText(e)}`);
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export class JarvisServer implements Disposable {
  readonly url: string;
  private readonly counters: ServerCounters = { responses: new Map(), streams: 0 };
  private readonly streams: EventStreams;
  private inFlight = 0;
  private closing = false;
  private closed: Promise<void> | undefined;
  private drainWaiters: (() => void)[] = [];
  private endpoint: Endpoint | undefined;
  /** The folder's previous port, when another program held it and this server took a new one. */
  movedFrom: number | undefined;
  private readonly mounts = new Map<string, ServerMount>();
  private team: TeamReader | undefined;
  /** Debug sessions and the holds their breakpoints created (src/debug). */
  readonly debug: DebugSessions;

  private constructor(
    private readonly server: http.Server,
    private readonly engine: ContextEngineApi,
    readonly token: string,
    readonly host: string,
    readonly port: number,
    private readonly logger: Logger,
    private readonly maxBodyBytes: number,
    streamOptions: StreamOptions,
    private readonly closeTimeoutMs: number,
    debugLeaseMs: number | undefined,
  ) {
    const hostInUrl = host === '::1' ? '[::1]' : host;
    this.url = `http://${hostInUrl}:${port}${BASE_PATH}`;
    this.streams = new EventStreams(engine, streamOptions);
    this.debug = new DebugSessions({ engine, logger, leaseMs: debugLeaseMs, announce: a => this.streams.announceDebug(a) });
  }

  static async start(options: ServerOptions): Promise<JarvisServer> {
    const logger = options.logger ?? silentLogger;
    const host = options.host ?? '127.0.0.1';
    if (!LOOPBACK_BIND.has(host)) throw new Error(`The server listens on loopback only; ${host} is not 127.0.0.1, ::1 or localhost.`);
    for (const m of options.mounts ?? []) {
      if (m.path === BASE_PATH || m.path.startsWith(BASE_PATH + '/')) throw new Error(`A mount cannot shadow the API: ${m.path}`);
    }
    const port = options.port ?? portFromEnv(logger);
    // Events clients spooled while no server was up go in before anyone can read a stale state.
    try {
      await options.engine.noteSpoolIntake(await ingestSpool(options.engine, nodeFileSystem, logger));
    } catch (e) {
      logger.error(`[server] could not take in the spool: ${errorText(e)}; it stays on disk for the next start`);
    }
    const token = options.token ?? loadOrCreateToken(options.engine.folder, logger);
    const httpServer = http.createServer();
    // Longer than client agents' idle sockets usually live, so keep-alive clients rarely race a close.
    httpServer.keepAliveTimeout = 30_000;
    httpServer.headersTimeout = 35_000;
    httpServer.requestTimeout = 60_000;
    // A server that picks its own port comes back where the folder's last one was, so clients
    // holding its URL (terminals, orchestrators) find it again; another program there moves it.
    const keepsEndpoint = options.writeEndpointFile !== false;
    const last = port === 0 && keepsEndpoint ? loadLastPort(options.engine.folder) : undefined;
    let movedFrom: number | undefined;
    if (last !== undefined) {
      try {
        await listen(httpServer, last, host);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
        movedFrom = last;
        await listen(httpServer, 0, host);
      }
    } else {
      await listen(httpServer, port, host).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'EADDRINUSE' ? new Error(`Port ${port} on ${host} is already in use; pick another with --port or JARVIS_CONTEXT_PORT.`) : e;
      });
    }
    const bound = (httpServer.address() as AddressInfo).port;
    const s = new JarvisServer(
      httpServer, options.engine, token, host, bound, logger,
      options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      { heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, maxBufferedBytes: options.maxStreamBufferBytes ?? DEFAULT_MAX_STREAM_BUFFER_BYTES },
      options.closeTimeoutMs ?? 10_000,
      options.debugLeaseMs ?? leaseFromEnv(logger),
    );
    for (const m of options.mounts ?? []) {
      s.mounts.set(m.path, m);
      m.onEventsWritten?.(events => {
        const hold = s.debug.active ? s.debug.evaluate(writtenEvents('/events', {}, { events }, {}, new URLSearchParams()), false, null) : undefined;
        if (hold) void s.debug.recordHold(hold);
      });
    }
    s.team = options.team;
    httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void s.handle(req, res));
    httpServer.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Unparseable HTTP: answer 400 when the socket can still take it.
      if (socket.writable && err.code !== 'ECONNRESET') {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      } else {
        socket.destroy();
      }
    });
    if (keepsEndpoint) {
      try {
        s.endpoint = { url: s.url, token, pid: process.pid, ...(options.holder ? { holder: options.holder } : {}) };
        writeEndpoint(options.engine.folder, s.endpoint);
        saveLastPort(options.engine.folder, bound);
      } catch (e) {
        httpServer.close();
        throw e;
      }
    }
    if (movedFrom !== undefined) {
      s.movedFrom = movedFrom;
      logger.warn(`[server] port ${movedFrom}, where this folder's server was before, is taken by another program; ` +
        `listening on ${bound} instead: clients holding the old address must read endpoint.json (or be restarted)`);
    }
    logger.info(`[server] listening on ${s.url}`);
    return s;
  }

  get openStreams(): number {
    return this.streams.count;
  }

  /** /stream clients dropped for not reading their events. */
  get droppedStreams(): number {
    return this.streams.dropped;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let streamed = false;
    this.inFlight++;
    res.on('close', () => {
      const cls = `${Math.floor(res.statusCode / 100)}xx`;
      this.counters.responses.set(cls, (this.counters.responses.get(cls) ?? 0) + 1);
      if (!streamed) this.requestDone();
    });
    try {
      if (this.closing) {
        throw new HttpError(503, 'store_unavailable', 'The server is shutting down; retry against the next one.', undefined, {
          Connection: 'close',
        });
      }
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://127.0.0.1');
      } catch {
        throw new HttpError(400, 'invalid_field', 'url: not a valid request target', 'url');
      }
      const mount = this.mounts.get(url.pathname);
      if (mount) {
        await mount.handle(req, res);
        return;
      }
      checkRequest(req.headers, this.token);
      const gaveUp = req.headers['jarvis-hold-released'];
      if (typeof gaveUp === 'string') this.debug.clientGaveUp(gaveUp);
      // While a debug session exists every answer says so: clients then send where they were called from.
      // Passed to writeHead, not setHeader: Node's merged-headers path costs a write measurably.
      let debugHeaders = this.debug.active ? DEBUG_ACTIVE : undefined;
      const { route, params } = matchRoute(req.method ?? 'GET', url.pathname);
      let parsed: ReturnType<typeof parseJson>;
      const ctx: RouteContext = {
        engine: this.engine,
        req,
        res,
        params,
        query: new Query(url.searchParams),
        body: async () => (parsed = parseJson(await readBody(req, this.maxBodyBytes))),
        streams: this.streams,
        counters: this.counters,
        debug: this.debug,
        ...(this.team ? { team: this.team } : {}),
      };
      let answer = await route.handle(ctx);
      // The write is durable: only now may a breakpoint hold its caller.
      if (this.debug.active && req.method !== 'GET' && 'body' in answer && answer.status < 300 && !route.path.startsWith('/debug/')) {
        const events = writtenEvents(route.path, params, parsed, answer.body, url.searchParams);
        const hold = events.length ? this.debug.evaluate(events, true, callerOf(req.headers['jarvis-caller'])) : undefined;
        if (hold) await this.debug.recordHold(hold);
        if (hold?.state === 'open') {
          debugHeaders = { ...DEBUG_ACTIVE, 'Jarvis-Hold': hold.hold_id };
          // The body says it too (API.md's `held`), for clients that read bodies, not headers.
          const b = answer.body;
          if (b !== null && typeof b === 'object' && !Array.isArray(b)) {
            answer = { status: answer.status, body: { ...b, held: { hold_id: hold.hold_id, reason: hold.reason, renew_within_ms: this.debug.leaseOf(hold.session_id) } } };
          }
        }
      }
      // A write from an orchestrator that names itself: counted, so a crash notification can say
      // who came back. POST /events counts its spooled events itself; the debugger is no orchestrator.
      if (req.method !== 'GET' && route.path !== '/events' && !route.path.startsWith('/debug/') && 'status' in answer && answer.status < 300) {
        this.engine.noteClientWrite(clientName(req));
      }
      if ('streamed' in answer) {
        streamed = true;
        this.requestDone();
        return;
      }
      if (res.headersSent) return;
      if (this.closing) res.setHeader('Connection', 'close');
      if (answer.status === 204) sendEmpty(res, debugHeaders);
      else if ('text' in answer) sendText(res, answer.status, answer.contentType, answer.text);
      else sendJson(res, answer.status, answer.body, debugHeaders);
    } catch (e) {
      const err = toHttpError(e, this.logger);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err.status >= 500) this.logger.warn(`[server] ${req.method} ${req.url}: ${err.status} ${err.message}`);
      else this.logger.debug(`[server] ${req.method} ${req.url}: ${err.status} ${err.message}`);
      if (this.closing) res.setHeader('Connection', 'close');
      if (this.debug.active && !res.headersSent) res.setHeader('Jarvis-Debug', '1');
      sendError(res, err);
      if (err.status === 413) this.discardRest(req);
    }
  }

  /**
   * After a 413 the client may still be sending. Read and drop a bounded amount so it gets to read
   * the answer (closing on unread data would reset the connection), then cut it off.
   */
  private discardRest(req: http.IncomingMessage): void {
    let dropped = 0;
    const limit = 16 * this.maxBodyBytes;
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > limit) req.socket.destroy();
    });
    req.resume();
    const timer = setTimeout(() => req.socket.destroy(), 5_000);
    timer.unref();
    req.socket.once('close', () => clearTimeout(timer));
  }

  private requestDone(): void {
    this.inFlight--;
    if (this.inFlight === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      waiters.forEach(w => w());
    }
  }

  /**
   * Graceful: stop accepting, end event streams, let requests in flight (writes) finish, then close
   * the remaining connections and remove endpoint.json. The caller closes the engine afterwards.
   */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    this.closed = (async () => {
      const listenerClosed = new Promise<void>(resolve => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      // Held calls go on before the server waits for requests (their long polls are some of them).
      const released = this.debug.closeAll();
      this.streams.closeAll();
      if (this.inFlight > 0) {
        await new Promise<void>(resolve => {
          const timer = setTimeout(() => {
            this.logger.warn(`[server] ${this.inFlight} request(s) still running after ${this.closeTimeoutMs} ms; closing anyway`);
            resolve();
          }, this.closeTimeoutMs);
          this.drainWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      this.server.closeAllConnections();
      await released;
      await listenerClosed;
      if (this.endpoint) {
        try {
          removeEndpoint(this.engine.folder, this.endpoint);
        } catch (e) {
          this.logger.warn(`[server] could not remove endpoint.json: ${errorText(e)}`);
        }
      }
      this.logger.info('[server] closed');
    })();
    return this.closed;
  }

  dispose(): void {
    void this.close();
  }
}
