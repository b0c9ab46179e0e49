// endpoint.json: how clients find the server (url, token, pid), and the token kept per storage
// folder so that clients holding it keep working across restarts.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomicSync } from '../core/atomicFile';
import type { Logger } from '../core/ports';
import { privateFileProblem } from '../core/privateFile';
import { isLoopbackHost, isTokenShape, newToken } from './auth';

export const ENDPOINT_FILE = 'endpoint.json';
/** Outlives endpoint.json (removed on clean shutdown) so the token stays the same for the folder. */
export const TOKEN_FILE = 'endpoint_token';
/** The port the folder's server last listened on: the next start takes it again when it is free. */
export const PORT_FILE = 'endpoint_port';

/** Who runs the server: said to a second writer that finds the store held. */
export const HOLDERS = ['VS Code', 'jarvis-context serve'] as const;
export type Holder = (typeof HOLDERS)[number];

export interface Endpoint {
  url: string;
  token: string;
  pid: number;
  holder?: Holder;
}

/** A real endpoint.json is a few hundred bytes; a larger one is not read. */
const MAX_ENDPOINT_BYTES = 16 * 1024;

/**
 * The folder's token, created on first use. One we did not make (its shape is not ours, or the file
 * is not private to this user: planted, so known to whoever planted it) is replaced, and logged.
 */
export function loadOrCreateToken(folder: string, log?: Pick<Logger, 'warn'>): string {
  const file = path.join(folder, TOKEN_FILE);
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    const problem = isTokenShape(t) ? privateFileProblem({ ...fs.statSync(file), isDirectory: false }) : 'it is not a token this server made';
    if (problem === undefined) return t;
    log?.warn(`[server] ${TOKEN_FILE} replaced by a new token: ${problem}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = newToken();
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(file, token + '\n');
  return token;
}

/** The folder's last port, or undefined when none was kept (or the file is damaged). */
export function loadLastPort(folder: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(path.join(folder, PORT_FILE), 'utf8').trim());
    return Number.isInteger(n) && n > 0 && n <= 65535 ? n : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return undefined;
  }
}

export function saveLastPort(folder: string, port: number): void {
  if (loadLastPort(folder) !== port) writeFileAtomicSync(path.join(folder, PORT_FILE), `${port}\n`);
}

export function writeEndpoint(folder: string, endpoint: Endpoint): void {
  writeFileAtomicSync(path.join(folder, ENDPOINT_FILE), JSON.stringify(endpoint, null, 2) + '\n');
}

export function readEndpoint(folder: string): Endpoint | undefined {
  const file = path.join(folder, ENDPOINT_FILE);
  let raw: string;
  try {
    // Ours only: written by this user, 0600, never a link (a cloned repository or another user
    // of the machine could otherwise point the CLI, and its token, at a server of theirs).
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > MAX_ENDPOINT_BYTES || privateFileProblem({ isDirectory: false, mode: st.mode, uid: st.uid })) return undefined;
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(raw) as Partial<Endpoint>;
    if (isEndpoint(v)) {
      const holder = HOLDERS.find(h => h === v.holder);
      return { url: v.url, token: v.token, pid: v.pid, ...(holder ? { holder } : {}) };
    }
  } catch {
    // A damaged file is as good as none: the server rewrites it on start.
  }
  return undefined;
}

/**
 * Read back as input: a server of ours listens on loopback over http, and its token fits in a
 * header. A file naming another host would send the token (and what is asked) elsewhere.
 */
function isEndpoint(v: Partial<Endpoint>): v is Endpoint {
  if (typeof v.url !== 'string' || typeof v.token !== 'string' || !Number.isSafeInteger(v.pid) || (v.pid as number) <= 0) return false;
  if (!/^[\x21-\x7e]{1,512}$/.test(v.token)) return false;
  try {
    const u = new URL(v.url);
    return u.protocol === 'http:' && isLoopbackHost(u.host) && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** Removes endpoint.json only if it still describes this server (a newer one may have replaced it). */
export function removeEndpoint(folder: string, mine: Endpoint): void {
  const current = readEndpoint(folder);
  if (current && current.pid === mine.pid && current.url === mine.url) {
    fs.rmSync(path.join(folder, ENDPOINT_FILE), { force: true });
  }
}
