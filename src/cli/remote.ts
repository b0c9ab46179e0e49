// Talking to a running server that owns the folder: found through endpoint.json (pid alive and the
// URL answering with the token).
import * as http from 'http';
import { readEndpoint, type Endpoint } from '../server/endpointFile';

export class RemoteError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An answer larger than this is not one of ours: the request fails rather than buffering it. */
const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

export interface RemoteAnswer {
  status: number;
  body: unknown;
}

export class RemoteServer {
  constructor(readonly endpoint: Endpoint) {}

  request(method: string, route: string, body?: unknown, timeoutMs = 120_000): Promise<RemoteAnswer> {
    const url = new URL(this.endpoint.url + route);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method,
          headers: {
            Authorization: `Bearer ${this.endpoint.token}`,
            Accept: 'application/json',
            ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }),
          },
          timeout: timeoutMs,
        },
        res => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`the answer from ${url.origin} is over ${MAX_ANSWER_BYTES} bytes`));
            else chunks.push(c);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // Not JSON: keep the text.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The body of a 2xx answer; otherwise a RemoteError with the server's message. */
  async call(method: string, route: string, body?: unknown, timeoutMs?: number): Promise<unknown> {
    const r = await this.request(method, route, body, timeoutMs);
    if (r.status >= 200 && r.status < 300) return r.body;
    const err = (r.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new RemoteError(r.status, err?.code ?? 'http_error', `The server answered ${r.status}: ${err?.message ?? String(r.body)}`);
  }
}

/** The live server owning `folder`, or undefined when there is none (no file, dead pid, no answer). */
export async function findServer(folder: string): Promise<RemoteServer | undefined> {
  const endpoint = readEndpoint(folder);
  if (!endpoint || !isProcessAlive(endpoint.pid)) return undefined;
  const remote = new RemoteServer(endpoint);
  try {
    const r = await remote.request('GET', '/status', undefined, 3_000);
    return r.status === 200 ? remote : undefined;
  } catch {
    return undefined;
  }
}
