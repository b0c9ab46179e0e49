// Team-mode test helpers: `jarvis-context serve` with a database URL as a child process whose
// every output byte is kept (to prove the password never appears), and PostgreSQL reads.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { findCli } from '../support/serveProcess';
import { request, type Answer } from '../server/support';

export interface TeamServe {
  child: ChildProcess;
  url: string;
  token: string;
  folder: string;
  /** Everything printed so far, stdout and stderr. */
  output(): string;
  exited: Promise<void>;
  req(method: string, route: string, body?: unknown): Promise<Answer>;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
}

export function startTeamServe(folder: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<TeamServe> {
  const child = spawn(process.execPath, [findCli(), 'serve', '--path', folder, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JARVIS_LOG_LEVEL: 'debug', ...env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const onData = (): void => {
      const m = /listening on (http\S+)/.exec(out);
      if (!m) return;
      child.stdout!.off('data', onData);
      const ep = JSON.parse(fs.readFileSync(path.join(folder, 'endpoint.json'), 'utf8')) as { url: string; token: string };
      resolve({
        child, url: m[1], token: ep.token, folder, exited, output: () => out,
        req: (method, route, body) => request(m[1], route, ep.token, { method, body }),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`server exited before listening: ${out}`)));
  });
}

export async function pgQuery<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise(r => setTimeout(r, everyMs));
  }
}
