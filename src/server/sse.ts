// GET /stream: one Server-Sent Event per engine change, a heartbeat comment so proxies and clients
// notice dead connections, and everything released when the client goes away. The engine's change
// only queues the event: writing to the clients happens on the next turn of the event loop, each
// event serialized once for all of them, so a write is never slowed by how many clients listen.
// A client that stops reading is dropped once its unsent bytes pass a bound.
import type { IncomingMessage, ServerResponse } from 'http';
import type { ContextEngineApi, Disposable } from '../core/engineApi';
import type { ChangeEvent } from '../core/types';
import type { DebugAnnouncement } from '../debug/debugSessions';

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A client with this many bytes still unsent is dropped rather than buffered for without bound. */
export const DEFAULT_MAX_STREAM_BUFFER_BYTES = 1024 * 1024;

/** Clients written to in one turn of the event loop. */
const CLIENTS_PER_TURN = 16;

export interface StreamOptions {
  heartbeatMs: number;
  maxBufferedBytes: number;
}

export class EventStreams {
  private readonly clients = new Set<ServerResponse>();
  private subscription: Disposable | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private pending: string[] = [];
  private flushScheduled = false;
  /** The pass writing one chunk to the clients, a slice a turn; the next waits for it (order per client). */
  private pass: { chunk: string; clients: ServerResponse[]; next: number } | undefined;
  private nextId = 1;
  private droppedCount = 0;

  constructor(private readonly engine: ContextEngineApi, private readonly options: StreamOptions) {}

  get count(): number {
    return this.clients.size;
  }

  /** Clients dropped for not reading (since start). */
  get dropped(): number {
    return this.droppedCount;
  }

  attach(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Accel-Buffering': 'no',
    });
    res.write(': connected\n\n');
    this.clients.add(res);
    this.listen();
    const cleanup = (): void => this.remove(res);
    req.on('close', cleanup);
    res.on('close', cleanup);
    res.on('error', cleanup);
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const res of [...this.clients]) {
      this.remove(res);
      res.end();
    }
  }

  /** One engine subscription and one heartbeat for all clients, held while any is open. */
  private listen(): void {
    if (this.subscription) return;
    this.subscription = this.engine.onDidChange(event => this.changed(event));
    this.heartbeat = setInterval(() => this.queue(': heartbeat\n\n'), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  private remove(res: ServerResponse): void {
    if (!this.clients.delete(res) || this.clients.size > 0) return;
    this.subscription?.dispose();
    this.subscription = undefined;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.pending = [];
  }

  private changed(event: ChangeEvent): void {
    this.queue(`id: ${this.nextId++}\nevent: change\ndata: ${JSON.stringify(event)}\n\n`);
    // An alert also goes out whole, so a dashboard shows it without asking GET /alerts.
    if (event.kind === 'alert') {
      const ids = new Set(event.ids.map(Number));
      for (const alert of this.engine.getAlerts({ limit: 1000 }).filter(a => ids.has(a.id))) {
        this.queue(`id: ${this.nextId++}\nevent: alert\ndata: ${JSON.stringify(alert)}\n\n`);
      }
    }
  }

  /**
   * A debugger event (a hold created or resolved, a logpoint's line): a change of kind `debug`
   * naming it, then the whole of it as an event `debug`, so the debug adapter needs no second request.
   */
  announceDebug(a: DebugAnnouncement): void {
    if (this.clients.size === 0) return;
    const id = a.hold?.hold_id ?? String(a.log?.seq ?? '');
    this.queue(`id: ${this.nextId++}\nevent: change\ndata: ${JSON.stringify({ kind: 'debug', ids: [id], at: new Date().toISOString() })}\n\n`);
    this.queue(`id: ${this.nextId++}\nevent: debug\ndata: ${JSON.stringify(a)}\n\n`);
  }

  private queue(chunk: string): void {
    this.pending.push(chunk);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushScheduled || this.pass) return;
    this.flushScheduled = true;
    setImmediate(() => this.startPass());
  }

  /** Everything queued since the last pass goes out as one chunk, to every client of this moment. */
  private startPass(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    this.pass = { chunk: this.pending.join(''), clients: [...this.clients], next: 0 };
    this.pending = [];
    this.continuePass();
  }

  /** A slice of clients a turn of the event loop: requests are served between slices, not after thousands of writes. */
  private continuePass(): void {
    const pass = this.pass!;
    const end = Math.min(pass.clients.length, pass.next + CLIENTS_PER_TURN);
    for (; pass.next < end; pass.next++) {
      const res = pass.clients[pass.next]!;
      if (this.clients.has(res)) this.send(res, pass.chunk);
    }
    if (pass.next < pass.clients.length) {
      setImmediate(() => this.continuePass());
      return;
    }
    this.pass = undefined;
    if (this.pending.length) this.schedule();
  }

  private send(res: ServerResponse, chunk: string): void {
    // writableLength: what this response and its socket still hold unsent (the client is not reading).
    if (res.writableLength >= this.options.maxBufferedBytes) {
      this.droppedCount++;
      this.remove(res);
      res.destroy();
      return;
    }
    res.write(chunk);
  }
}
