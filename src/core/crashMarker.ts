import * as nodeFs from 'fs';
import * as path from 'path';
import { readFileIfExists, unlinkDurable, writeFileAtomic } from './atomicFile';
import type { FileSystemPort } from './ports';

// CRASH_DETECTED exists from open to clean close. Found at open with its owner gone, it means the
// last run died; with its owner alive, another writer holds the folder.

export const MARKER_FILE = 'CRASH_DETECTED';

export interface MarkerInfo {
  pid: number;
  host: string;
  started_at: string;
  session_id: string;
}

export type MarkerRead = { kind: 'none' } | { kind: 'present'; info: MarkerInfo } | { kind: 'unreadable'; raw: string };

export async function readMarker(fs: FileSystemPort, folder: string): Promise<MarkerRead> {
  const bytes = await readFileIfExists(fs, path.join(folder, MARKER_FILE));
  if (!bytes) return { kind: 'none' };
  const raw = Buffer.from(bytes).toString('utf8');
  try {
    const info = JSON.parse(raw) as MarkerInfo;
    if (typeof info.pid === 'number' && typeof info.host === 'string') return { kind: 'present', info };
  } catch {
    // A marker torn by a crash while it was written: that run crashed too.
  }
  return { kind: 'unreadable', raw: raw.slice(0, 200) };
}

export function writeMarker(fs: FileSystemPort, folder: string, info: MarkerInfo): Promise<void> {
  return writeFileAtomic(fs, path.join(folder, MARKER_FILE), JSON.stringify(info, null, 2) + '\n');
}

export async function removeMarker(fs: FileSystemPort, folder: string): Promise<void> {
  await unlinkDurable(fs, path.join(folder, MARKER_FILE));
}

/**
 * For a process exiting: removes the marker at once, synchronously and durably, when it is still
 * the one this run wrote (`sessionId`). False when it is gone or another run's.
 */
export function removeOwnMarkerSync(folder: string, sessionId: string): boolean {
  const file = path.join(folder, MARKER_FILE);
  try {
    const info = JSON.parse(nodeFs.readFileSync(file, 'utf8')) as Partial<MarkerInfo>;
    if (info.session_id !== sessionId) return false;
    nodeFs.unlinkSync(file);
    const fd = nodeFs.openSync(folder, 'r');
    try {
      nodeFs.fsyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * The marker once its owner is gone or has let go, or after `timeoutMs` whatever holds it: a
 * window reloading starts its new process while the old one is still closing the store.
 */
export async function markerOnceReleased(
  fs: FileSystemPort, folder: string, held: (m: MarkerRead) => boolean, timeoutMs: number, pollMs = 50,
): Promise<MarkerRead> {
  const until = Date.now() + timeoutMs;
  let found = await readMarker(fs, folder);
  while (held(found) && Date.now() < until) {
    await new Promise(r => setTimeout(r, pollMs));
    found = await readMarker(fs, folder);
  }
  return found;
}

export function defaultIsProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
