// Finding the server: JARVIS_CONTEXT_URL / JARVIS_CONTEXT_TOKEN (set for VS Code terminals), else
// endpoint.json ({ url, token, pid }) in the storage folder (JARVIS_CONTEXT_PATH, default as the CLI).
import * as fs from 'fs';
import * as path from 'path';

export const API_PREFIX = '/api/jarvis/context';
export const DEFAULT_CONTEXT_PATH = './memory/context/jarvis';

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

export function readEndpointFile(folder: string): Endpoint | undefined {
  const file = path.join(folder, 'endpoint.json');
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(raw) as { url?: unknown; token?: unknown; pid?: unknown };
    if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string') return undefined;
    return {
      url: normalizeBaseUrl(parsed.url),
      token: parsed.token,
      pid: typeof parsed.pid === 'number' ? parsed.pid : undefined,
      source: 'file',
      file,
    };
  } catch {
    // Half-written by a server starting right now: treat as absent, the caller retries later.
    return undefined;
  }
}

export function discoverEndpoint(env: NodeJS.ProcessEnv = process.env, folder?: string): Endpoint | undefined {
  if (env.JARVIS_CONTEXT_URL) {
    return { url: normalizeBaseUrl(env.JARVIS_CONTEXT_URL), token: env.JARVIS_CONTEXT_TOKEN ?? '', source: 'env' };
  }
  return readEndpointFile(folder ?? contextPath(env));
}
