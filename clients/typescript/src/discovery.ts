// Finding the server, and deciding whether an endpoint.json may say where it is. A cloned
// repository can ship memory/context/jarvis/endpoint.json; a client must not follow it to another
// host, nor away from the server its user named. The rules (the same in the Python client, held by
// clients/shared/cases.json):
//
// 1. A `url` option is used as is: endpoint.json is never read.
// 2. JARVIS_CONTEXT_URL (with JARVIS_CONTEXT_TOKEN) is used. The folder's endpoint.json may move it
//    (the server came back on another port) or say its server is dead, only when the folder was
//    named (the contextPath option or JARVIS_CONTEXT_PATH, not the default) and the file passes the
//    file checks and carries the same token.
// 3. Otherwise endpoint.json in the folder (contextPath, else JARVIS_CONTEXT_PATH, else
//    ./memory/context/jarvis) is used when it passes the file checks; when it does not, a warning,
//    and writes spool as with no server.
//
// File checks: a regular file, not a symlink; on POSIX owned by the current user and not writable
// by group or others; its URL http on a loopback host (127.0.0.0/8, ::1, localhost).
import * as fs from 'fs';
import * as path from 'path';

export const API_PREFIX = '/api/jarvis/context';
export const DEFAULT_CONTEXT_PATH = './memory/context/jarvis';
const ENDPOINT_FILE = 'endpoint.json';

export interface Endpoint {
  /** Base URL ending in /api/jarvis/context. */
  url: string;
  token: string;
  pid?: number;
  source: 'explicit' | 'env' | 'file';
  /** The endpoint.json it came from, when source is 'file'. */
  file?: string;
}

/** The storage folder the orchestrator shares with the server. */
export function contextPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.JARVIS_CONTEXT_PATH || DEFAULT_CONTEXT_PATH);
}

/** Accepts an origin (http://127.0.0.1:4100) or the full base URL, and returns the base URL. */
export function normalizeBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith(API_PREFIX) ? trimmed : trimmed + API_PREFIX;
}

/** http on 127.0.0.0/8, ::1 or localhost: what a server of this machine advertises. */
export function isLoopbackUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' || u.username !== '') return false;
  return u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(u.hostname);
}

/** A warning through the client's usual path (process warnings), for a refused endpoint.json. */
function warn(message: string): void {
  process.emitWarning(`Jarvis Context: ${message}`, 'JarvisContextWarning');
}

/**
 * endpoint.json of one folder, read again only when it changes; a refusal is warned once.
 * `refused` says why the file there was not taken.
 */
export class EndpointFile {
  readonly file: string;
  refused: string | undefined;
  /** The file as last read (device, inode, mtime, mode, owner). */
  stampRead: string | undefined;
  private found: Endpoint | undefined;

  constructor(readonly folder: string) {
    this.file = path.join(folder, ENDPOINT_FILE);
  }

  read(): Endpoint | undefined {
    const stamp = this.stamp();
    if (stamp === undefined) {
      this.stampRead = this.found = this.refused = undefined;
    } else if (stamp !== this.stampRead) {
      let found: Endpoint | undefined;
      let refused: string | undefined;
      try {
        found = this.load();
      } catch (e) {
        if (!(e instanceof Refused)) return undefined; // half-written by a server starting now: look again next time
        refused = e.message;
        if (refused !== this.refused) warn(`ignoring ${this.file}: ${refused}`);
      }
      this.stampRead = stamp;
      this.found = found;
      this.refused = refused;
    }
    return this.found;
  }

  private stamp(): string | undefined {
    try {
      // The server replaces the file by rename (a new inode); chmod and chown change the rest.
      const st = fs.lstatSync(this.file);
      return `${st.dev}:${st.ino}:${st.mtimeMs}:${st.mode}:${st.uid}`;
    } catch {
      return undefined;
    }
  }

  private load(): Endpoint {
    let fd: number;
    try {
      // No following a link; no waiting on a FIFO planted under the name (no effect on a regular file).
      fd = fs.openSync(this.file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
    } catch (e) {
      if (fs.lstatSync(this.file).isSymbolicLink()) throw new Refused('it is a symbolic link');
      throw e;
    }
    let raw: string;
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new Refused('not a regular file');
      const uid = process.geteuid?.();
      if (process.platform !== 'win32' && uid !== undefined) {
        if (st.uid !== uid) throw new Refused(`owned by uid ${st.uid}, not by this user (uid ${uid})`);
        if (st.mode & 0o022) throw new Refused(`writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`);
      }
      raw = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
    const parsed = JSON.parse(raw) as { url?: unknown; token?: unknown; pid?: unknown };
    if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string') throw new Error('not an endpoint');
    if (!isLoopbackUrl(parsed.url)) {
      throw new Refused(`its URL ${JSON.stringify(parsed.url)} is not http on this machine (127.0.0.0/8, ::1, localhost)`);
    }
    return {
      url: normalizeBaseUrl(parsed.url),
      token: parsed.token,
      pid: typeof parsed.pid === 'number' ? parsed.pid : undefined,
      source: 'file',
      file: this.file,
    };
  }
}

class Refused extends Error {}

/** endpoint.json of the folder when it passes the file checks (a refusal is warned). */
export function readEndpointFile(folder: string): Endpoint | undefined {
  return new EndpointFile(folder).read();
}

/** JARVIS_CONTEXT_URL / JARVIS_CONTEXT_TOKEN, else the folder's endpoint.json (rule 3 above). */
export function discoverEndpoint(env: NodeJS.ProcessEnv = process.env, folder?: string): Endpoint | undefined {
  if (env.JARVIS_CONTEXT_URL) {
    return { url: normalizeBaseUrl(env.JARVIS_CONTEXT_URL), token: env.JARVIS_CONTEXT_TOKEN ?? '', source: 'env' };
  }
  return readEndpointFile(folder ?? contextPath(env));
}
