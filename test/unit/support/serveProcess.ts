// `jarvis-context serve` in a child process, as users run it, for kill drills and benchmarks.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface ServeProcess {
  child: ChildProcess;
  /** The API base URL the server printed (…/api/jarvis/context). */
  url: string;
  /** scheme://host:port, for routes outside the API (OTLP's /v1/traces). */
  origin: string;
  token: string;
  /** Resolves when the child has exited, however it ended. */
  exited: Promise<void>;
  /** What it wrote to stderr so far. */
  stderr: () => string;
}

/** dist/cli.js, from out/test/... or out/bench/... */
export function findCli(): string {
  // The bench's --against points at another build's CLI.
  if (process.env.JARVIS_BENCH_CLI) return process.env.JARVIS_BENCH_CLI;
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const cli = path.join(dir, 'dist', 'cli.js');
    if (fs.existsSync(cli)) return cli;
  }
  throw new Error('dist/cli.js not found: run npm run build first');
}

/** Starts the server on `folder` and resolves once it listens and endpoint.json names its token. */
export function startServe(folder: string, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [findCli(), 'serve', '--path', folder, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JARVIS_LOG_LEVEL: 'warn', ...env },
  });
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (!m) return;
      const ep = JSON.parse(fs.readFileSync(path.join(folder, 'endpoint.json'), 'utf8')) as { url: string; token: string };
      if (ep.url !== m[1]) reject(new Error(`endpoint.json names ${ep.url}, the server printed ${m[1]}`));
      else resolve({ child, url: m[1], origin: new URL(m[1]).origin, token: ep.token, exited, stderr: () => err });
    });
    void exited.then(() => reject(new Error(`server exited before listening: ${err}`)));
  });
}
