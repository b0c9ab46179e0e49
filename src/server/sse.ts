// GET /stream: one Server-Sent Event per engine change, a heartbeat comment so proxies and clients
// notice dead connections, and everything released when the client goes away.
import type { IncomingMessage, ServerResponse } from 'http';
import type { ContextEngineApi } from '../core/engineApi';

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A client this far behind is dropped rather than buffered for without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export class EventStreams {
  private readonly open = new Set<() => void>();
  private nextId = 1;

  constructor(private readonly engine: ContextEngineApi, private readonly heartbeatMs: number) {}

  get count(): number {
    return this.open.size;
  }

  attach(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Accel-Buffering': 'no',
    });
    res.write(': connected\n\n');
    const write = (chunk: string): void => {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy();
        return;
      }
      res.write(chunk);
    };
    const subscription = this.engine.onDidChange(event => {
      write(`id: ${this.nextId++}\nevent: change\ndata: ${JSON.stringify(event)}\n\n`);
      // An alert also goes out whole, so a dashboard shows it without asking GET /alerts.
      if (event.kind === 'alert') {
        const ids = new Set(event.ids.map(Number));
        for (const alert of this.engine.getAlerts({ limit: 1000 }).filter(a => ids.has(a.id))) {
          write(`id: ${this.nextId++}\nevent: alert\ndata: ${JSON.stringify(alert)}\n\n`);
        }
      }
    });
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), this.heartbeatMs);
    heartbeat.unref();
    let closed = false;
    const cleanup = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      subscription.dispose();
      this.open.delete(end);
    };
    const end = (): void => {
      cleanup();
      res.end();
    };
    this.open.add(end);
    req.on('close', cleanup);
    res.on('close', cleanup);
    res.on('error', cleanup);
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const end of [...this.open]) end();
  }
}
