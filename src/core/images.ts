import * as path from 'path';
import { promisify } from 'util';
import * as zlib from 'zlib';
import { listDir, writeFileAtomic } from './atomicFile';
import { CHECKPOINT_DIR, imageFile, parseImageName } from './fileNames';
import type { FileSystemPort, Logger } from './ports';

// Database images guard against a corrupt database file: each compaction's image, gzipped, written
// after the acknowledgement path has moved on (zlib works on libuv's thread pool). The newest few
// are kept; the fallback chain of recovery opens the newest readable one.

const gzip = promisify(zlib.gzip);

export interface ImageRetention {
  /** Images kept; at least 1. */
  count: number;
  /** Bytes the images may take together; the newest is kept whatever its size. */
  bytes: number;
}

export interface ImageInfo {
  name: string;
  bytes: number;
  gzip: boolean;
}

/** Newest first. */
export async function listImages(fs: FileSystemPort, folder: string): Promise<ImageInfo[]> {
  const dir = path.join(folder, CHECKPOINT_DIR);
  const found = (await listDir(fs, dir)).map(parseImageName).filter(n => n !== undefined);
  found.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  const out: ImageInfo[] = [];
  for (const f of found) {
    try {
      out.push({ name: f.name, bytes: (await fs.stat(path.join(dir, f.name))).size, gzip: f.gzip });
    } catch (e) {
      // Listed but gone: another pruning raced us, or the folder is failing; nothing to count.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return out;
}

export async function readImage(fs: FileSystemPort, folder: string, image: Pick<ImageInfo, 'name' | 'gzip'>): Promise<Uint8Array> {
  const bytes = await fs.readFile(path.join(folder, CHECKPOINT_DIR, image.name));
  return image.gzip ? zlib.gunzipSync(bytes) : bytes;
}

/** Writes the image of a database that holds the journal up to `seq`; returns its name and size. */
export async function writeImage(fs: FileSystemPort, folder: string, db: Uint8Array, ms: number, seq: number): Promise<ImageInfo> {
  const name = imageFile(ms, seq);
  const bytes = await gzip(db, { level: 4 });
  await writeFileAtomic(fs, path.join(folder, CHECKPOINT_DIR, name), bytes);
  return { name, bytes: bytes.length, gzip: true };
}

/** Removes the images beyond the retention, oldest first, and stray temporary files; returns what went. */
export async function pruneImages(fs: FileSystemPort, folder: string, keep: ImageRetention, log: Logger, dryRun = false): Promise<string[]> {
  const dir = path.join(folder, CHECKPOINT_DIR);
  const images = await listImages(fs, folder);
  const doomed: string[] = [];
  let bytes = 0;
  images.forEach((img, i) => {
    bytes += img.bytes;
    if (i > 0 && (i >= Math.max(1, keep.count) || bytes > keep.bytes)) doomed.push(img.name);
  });
  // A temporary file is one whose write never finished (a crash); the engine writes one at a time.
  doomed.push(...(await listDir(fs, dir)).filter(f => f.endsWith('.tmp')));
  if (dryRun || doomed.length === 0) return doomed;
  const gone: string[] = [];
  for (const f of doomed) {
    try {
      await fs.unlink(path.join(dir, f));
      gone.push(f);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`[images] could not remove ${f}: ${(e as Error).message}`);
    }
  }
  // No folder sync: a removal lost to a power cut only means pruning that file again.
  return gone;
}
