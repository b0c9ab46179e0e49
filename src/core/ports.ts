// The engine's only ways out to the world. Production passes node:fs, Date.now and a log channel;
// tests pass temp folders, a fake clock and a power-cut file system (test/unit/support/powercutFs.ts).

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
  /** Permission bits and owner, where the file system has them (not on Windows). */
  mode?: number;
  uid?: number;
}

/**
 * Every file operation the engine performs. Paths are absolute. Errors carry Node's `code`
 * (ENOENT, EEXIST, ENOSPC, EIO, ...). `open` flags: 'r' read, 'a' append (create), 'w' truncate
 * (create), 'wx' create exclusively, 'rw' read and write where told (create, no truncate).
 */
export interface FileSystemPort {
  open(path: string, flags: 'r' | 'a' | 'w' | 'wx' | 'rw'): Promise<number>;
  /** Writes all of `data` at `position` when given, else at the end (append) or the current position. */
  write(fd: number, data: Uint8Array, position?: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  fdatasync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates the folder and its parents; no error when it exists. The folder is left private to the user (0700). */
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<FileStat>;
  /** fsync of a folder, so that creates, renames and unlinks in it survive a power cut. */
  syncDir(path: string): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now() };

export const silentLogger: Logger = {
  trace() {}, debug() {}, info() {}, warn() {}, error() {},
};
