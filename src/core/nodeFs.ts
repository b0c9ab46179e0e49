import * as fs from 'fs';
import type { FileStat, FileSystemPort } from './ports';

// Callback APIs wrapped by hand: fs.promises' FileHandle adds a measurable cost to every journal flush.
function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

async function writeAll(fd: number, data: Uint8Array, position?: number): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const n = await call<number>(cb => fs.write(fd, data, off, data.length - off, position === undefined ? null : position + off, cb));
    off += n;
  }
}

const OPEN_FLAGS = { r: 'r', a: 'a', w: 'w', wx: 'wx', rw: fs.constants.O_RDWR | fs.constants.O_CREAT } as const;

/**
 * A store folder is the user's alone (0700) whoever made it: a client, a checkout or a tool run
 * under umask 000 may have made it open to all. Not a folder of another user's, nor a shared one
 * with the sticky bit (/tmp), which are not the store's to change.
 */
async function makePrivate(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const st = await call<fs.Stats>(cb => fs.stat(dir, cb));
  if ((st.mode & 0o077) === 0 || (st.mode & 0o1000) !== 0 || st.uid !== process.getuid?.()) return;
  await call<void>(cb => fs.chmod(dir, st.mode & 0o700, cb));
}

export const nodeFileSystem: FileSystemPort = {
  open: (p, flags) => call<number>(cb => fs.open(p, OPEN_FLAGS[flags], 0o600, cb)),
  write: writeAll,
  fsync: fd => call<void>(cb => fs.fsync(fd, cb)),
  fdatasync: fd => call<void>(cb => fs.fdatasync(fd, cb)),
  ftruncate: (fd, len) => call<void>(cb => fs.ftruncate(fd, len, cb)),
  close: fd => call<void>(cb => fs.close(fd, cb)),
  readFile: p => call<Buffer>(cb => fs.readFile(p, cb)),
  rename: (a, b) => call<void>(cb => fs.rename(a, b, cb)),
  unlink: p => call<void>(cb => fs.unlink(p, cb)),
  mkdir: async p => {
    await call<string | undefined>(cb => fs.mkdir(p, { recursive: true, mode: 0o700 }, cb));
    await makePrivate(p);
  },
  readdir: p => call<string[]>(cb => fs.readdir(p, cb)),
  stat: p => call<fs.Stats>(cb => fs.stat(p, cb)).then((s): FileStat => ({
    size: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory(), mode: s.mode & 0o7777, uid: s.uid,
  })),
  syncDir: async p => {
    // Windows cannot open a folder for fsync; NTFS journals metadata itself.
    if (process.platform === 'win32') return;
    const fd = await call<number>(cb => fs.open(p, 'r', cb));
    try {
      await call<void>(cb => fs.fsync(fd, cb));
    } finally {
      await call<void>(cb => fs.close(fd, cb));
    }
  },
};
