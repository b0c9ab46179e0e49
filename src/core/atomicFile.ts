import * as nodeFs from 'fs';
import * as path from 'path';
import type { FileSystemPort } from './ports';

// Atomic file replacement and the small reads around it. writeFileAtomic goes through the
// engine's file system port (power-cut tests swap it); writeFileAtomicSync is the same replace on
// node's fs for callers that cannot wait (endpoint.json, the CLI's export).

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

/**
 * writeFileAtomic on node's fs, synchronously. The temporary file is named per process, so two
 * processes writing the same file never share one; `mode` (0600: endpoint.json holds a token)
 * is set on the new file whatever the umask.
 */
export function writeFileAtomicSync(target: string, data: Uint8Array | string, mode = 0o600): void {
  const tmp = `${target}.${process.pid}.tmp`;
  const fd = nodeFs.openSync(tmp, 'w', mode);
  try {
    nodeFs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    nodeFs.fsyncSync(fd);
  } finally {
    nodeFs.closeSync(fd);
  }
  try {
    nodeFs.chmodSync(tmp, mode);
    nodeFs.renameSync(tmp, target);
  } catch (e) {
    nodeFs.rmSync(tmp, { force: true });
    throw e;
  }
  // Windows cannot open a folder for fsync; NTFS journals metadata itself.
  if (process.platform === 'win32') return;
  const dir = nodeFs.openSync(path.dirname(target), 'r');
  try {
    nodeFs.fsyncSync(dir);
  } finally {
    nodeFs.closeSync(dir);
  }
}
