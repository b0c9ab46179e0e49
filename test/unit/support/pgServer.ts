// A throwaway PostgreSQL for the team-mode tests and the bench: Debian's postgresql package
// (initdb, pg_ctl), a temp data folder owned by the `postgres` user when we run as root, a free
// loopback port, a password login over TCP. Missing binaries are a failure that says how to
// install them, never a silent skip.
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';

export const PG_USER = 'jarvis';
/** A password with characters that need escaping in a URL, to test that it never leaks. */
export const PG_PASSWORD = 's3cr3t-P@ss/w0rd!';

export interface PgServer {
  port: number;
  dataDir: string;
  /** postgres://jarvis:<password>@127.0.0.1:<port>/<db> */
  url(db?: string, password?: string): string;
  /** A fresh database; answers its URL. */
  createDatabase(name: string): Promise<string>;
  start(): Promise<void>;
  /** `pg_ctl stop -m immediate`: processes killed, no shutdown checkpoint (a crash). */
  stopImmediate(): Promise<void>;
  /** Stops it for good and removes its folder. */
  stop(): void;
}

function findBin(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir && fs.existsSync(p)) return p;
  }
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const p = path.join(base, v, 'bin', name);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

export function pgBinaries(): { initdb: string; pgCtl: string } {
  const initdb = findBin('initdb');
  const pgCtl = findBin('pg_ctl');
  if (!initdb || !pgCtl) {
    throw new Error('PostgreSQL is not installed: initdb and pg_ctl were not found on PATH nor in /usr/lib/postgresql/*/bin. ' +
      'Install it (Debian/Ubuntu: apt-get install postgresql; .ci/run does) to run the team-mode tests.');
  }
  return { initdb, pgCtl };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const isRoot = process.getuid?.() === 0;

/** The same, without blocking the event loop (tests that write while PostgreSQL stops). */
function runAsAsync(cmd: string, args: string[]): Promise<void> {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: '/', stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', code => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err}`))));
  });
}

/** Runs a PostgreSQL tool as `postgres` when we are root (initdb refuses root). */
function runAs(cmd: string, args: string[]): void {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: 'utf8', cwd: '/' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export async function startPg(): Promise<PgServer> {
  const { initdb, pgCtl } = pgBinaries();
  // The postgres user must reach the folder: a private TMPDIR (the integration runner's) is not
  // traversable by others, so as root the folder goes to /tmp.
  const root = fs.mkdtempSync(path.join(isRoot && fs.existsSync('/tmp') ? '/tmp' : os.tmpdir(), 'jarvis-pg-'));
  const dataDir = path.join(root, 'data');
  const pwFile = path.join(root, 'pw');
  fs.writeFileSync(pwFile, PG_PASSWORD + '\n');
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    fs.chownSync(root, uid, gid);
    fs.chownSync(pwFile, uid, gid);
  }
  runAs(initdb, ['-D', dataDir, '-U', PG_USER, '--pwfile', pwFile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  // fsync off: a killed server (the tests' "crash") keeps what the OS holds; commits still wait
  // for their WAL to be written, so nothing acknowledged by PostgreSQL is lost by -m immediate.
  const opts = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=60`;
  const startArgs = ['-D', dataDir, '-o', opts, '-l', path.join(root, 'log'), '-w', '-t', '60', 'start'];
  runAs(pgCtl, startArgs);
  const url = (db = 'postgres', password = PG_PASSWORD): string =>
    `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  let running = true;
  const stopWith = (mode: string): void => {
    if (!running) return;
    runAs(pgCtl, ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    running = false;
  };
  const server: PgServer = {
    port,
    dataDir,
    url,
    async createDatabase(name) {
      const c = new Client({ connectionString: url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}"`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    async start() {
      if (running) return;
      await runAsAsync(pgCtl, startArgs);
      running = true;
    },
    async stopImmediate() {
      if (!running) return;
      await runAsAsync(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', '-t', '60', 'stop']);
      running = false;
    },
    stop() {
      stopWith('fast');
      if (!process.env.JARVIS_KEEP_TEMP) fs.rmSync(root, { recursive: true, force: true });
    },
  };
  // A test process that dies without stopping it must not leave a server behind.
  process.once('exit', () => {
    if (running) {
      try {
        runAs(pgCtl, ['-D', dataDir, '-m', 'immediate', 'stop']);
      } catch { /* already gone */ }
    }
  });
  return server;
}
