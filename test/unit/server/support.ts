// Shared by the server tests: a real engine in a temp folder, a real server on 127.0.0.1, and a
// small HTTP client that can send what a well-behaved client would not (bad Host, Origin, ...).
import * as fs from 'fs';
import * as http from 'http';
import type { EngineOptions } from '../../../src/core/config';
import type { ContextEngine } from '../../../src/core/engine';
import { JarvisServer, type ServerOptions } from '../../../src/server/server';
import { openEngine, tempDir } from '../support/fixtures';

export { openEngine, tempDir };

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: any;
}

export interface RequestOptions {
  method?: string;
  /** JSON-encoded unless a string or Buffer. */
  body?: unknown;
  headers?: Record<string, string>;
  /** false: send no Authorization header. */
  token?: string | false;
  agent?: http.Agent;
}

export function request(baseUrl: string, route: string, token: string, opts: RequestOptions = {}): Promise<Answer> {
  const url = new URL(baseUrl + route);
  const body =
    opts.body === undefined ? undefined
      : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body
        : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  const t = opts.token === undefined ? token : opts.token;
  if (t !== false) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
  Object.assign(headers, opts.headers ?? {});
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers, agent: opts.agent }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface Harness {
  folder: string;
  engine: ContextEngine;
  server: JarvisServer;
  req(method: string, route: string, body?: unknown, opts?: RequestOptions): Promise<Answer>;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<ServerOptions> = {}, folder = tempDir(), engineOptions: Partial<EngineOptions> = {}): Promise<Harness> {
  const engine = await openEngine(folder, engineOptions);
  const server = await JarvisServer.start({ engine, port: 0, ...options });
  const agent = new http.Agent({ keepAlive: true });
  let closed = false;
  return {
    folder,
    engine,
    server,
    req: (method, route, body, opts = {}) => request(server.url, route, server.token, { method, body, agent, ...opts }),
    async close() {
      if (closed) return;
      closed = true;
      agent.destroy();
      await server.close();
      await engine.close();
      fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** What a rejected request must leave alone: everything a client can read back. */
export async function observableState(h: Harness): Promise<unknown> {
  const get = async (route: string): Promise<unknown> => {
    const r = await h.req('GET', route);
    if (r.status !== 200) throw new Error(`GET ${route}: ${r.status} ${r.text}`);
    return r.json;
  };
  const status = (await get('/status')) as { counts: unknown; checkpoint_count: number };
  const strip = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x) => (k === 'seconds_since_update' || k === 'health' || k === 'stale' ? undefined : x)));
  return strip({
    counts: status.counts,
    checkpoint_count: status.checkpoint_count,
    tasks: await get('/task-progress'),
    agents: await get('/agent-states'),
    decisions: await get('/decisions?limit=10000'),
    messages: await get('/messages?limit=10000'),
    context: await get('/context'),
    checkpoints: await get('/checkpoints'),
  });
}
