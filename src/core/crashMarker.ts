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

export function defaultIsProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
