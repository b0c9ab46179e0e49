import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomicSync } from '../core/atomicFile';
import { TEAM_DIR } from './outbox';

// Who wrote a record: a stable id per storage folder (kept in the folder, so a restart or a new
// host name keeps it), with the host and user that run it now.

export interface Origin {
  id: string;
  host: string;
  user: string;
}

export const ORIGIN_FILE = 'origin.json';

export function loadOrCreateOrigin(folder: string): Origin {
  const dir = path.join(folder, TEAM_DIR);
  const file = path.join(dir, ORIGIN_FILE);
  let id: string | undefined;
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { id?: unknown };
    if (typeof parsed.id === 'string' && parsed.id) id = parsed.id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && !(e instanceof SyntaxError)) throw e;
  }
  if (!id) {
    id = randomUUID();
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(file, JSON.stringify({ id }) + '\n', 0o644);
  }
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch { /* no passwd entry (some containers) */ }
  return { id, host: os.hostname(), user };
}
