import { randomUUID } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { readFileIfExists, writeFileAtomic } from '../core/atomicFile';
import { nodeFileSystem } from '../core/nodeFs';
import type { FileSystemPort } from '../core/ports';
import { TEAM_DIR } from './outbox';

// Who wrote a record: a stable id per storage folder (kept in the folder, so a restart or a new
// host name keeps it), with the host and user that run it now.

export interface Origin {
  id: string;
  host: string;
  user: string;
}

export const ORIGIN_FILE = 'origin.json';

export async function loadOrCreateOrigin(folder: string, fs: FileSystemPort = nodeFileSystem): Promise<Origin> {
  const dir = path.join(folder, TEAM_DIR);
  const file = path.join(dir, ORIGIN_FILE);
  let id: string | undefined;
  const bytes = await readFileIfExists(fs, file);
  if (bytes) {
    try {
      const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as { id?: unknown };
      if (typeof parsed.id === 'string' && parsed.id) id = parsed.id;
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
    }
  }
  if (!id) id = await writeNewOriginId(folder, fs);
  return withHost(id);
}

/** A new id for this folder: another live server holds the old one (a copied folder). */
export async function newOrigin(folder: string, fs: FileSystemPort = nodeFileSystem): Promise<Origin> {
  return withHost(await writeNewOriginId(folder, fs));
}

async function writeNewOriginId(folder: string, fs: FileSystemPort): Promise<string> {
  const id = randomUUID();
  const dir = path.join(folder, TEAM_DIR);
  await fs.mkdir(dir);
  // The folder's entry made durable too: an id that vanishes after a power cut would make this
  // folder a new origin, its records sent again under another name.
  await fs.syncDir(folder);
  await writeFileAtomic(fs, path.join(dir, ORIGIN_FILE), JSON.stringify({ id }) + '\n');
  return id;
}

function withHost(id: string): Origin {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch { /* no passwd entry (some containers) */ }
  return { id, host: os.hostname(), user };
}
