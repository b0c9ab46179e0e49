import * as path from 'path';
import type { FileSystemPort } from './ports';

/**
 * Replaces `target` so that after a crash or power cut it holds either the old or the new bytes:
 * write a temporary file, fsync it, rename it over the target, fsync the folder.
 */
export async function writeFileAtomic(fs: FileSystemPort, target: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = `${target}.tmp`;
  const fd = await fs.open(tmp, 'w');
  try {
    await fs.write(fd, bytes);
    await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
  await fs.rename(tmp, target);
  await fs.syncDir(path.dirname(target));
}

/** Removes a file and makes the removal durable; a missing file is not an error. */
export async function unlinkDurable(fs: FileSystemPort, target: string): Promise<boolean> {
  try {
    await fs.unlink(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  await fs.syncDir(path.dirname(target));
  return true;
}

export async function readFileIfExists(fs: FileSystemPort, file: string): Promise<Uint8Array | undefined> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function listDir(fs: FileSystemPort, dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
