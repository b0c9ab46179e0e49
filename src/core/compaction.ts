import * as path from 'path';
import { writeFileAtomic } from './atomicFile';
import type { EngineContext } from './engineContext';
import { errorText as errText } from './errorText';
import { DB_FILE } from './fileNames';
import type { PersistenceHealth } from './health';
import { listImages, pruneImages, writeImage, type ImageRetention } from './images';
import { encodeRecord } from './journal';
import { SerialQueue } from './serialQueue';
import type { WritePath } from './writePath';

// Compaction folds the journal into jarvis_context.db by an atomic replace; each compaction's bytes
// are then written, gzipped and off the io queue, as a database image under checkpoints/.

export class Compactor {
  /** Size of the database file as last written or found. */
  dbBytes = 0;
  readonly stats = { count: 0, last_ms: 0 };
  imageBytes = 0;
  /** The newest compaction's bytes waiting to be imaged; only the newest is written. */
  private imagePending: { bytes: Uint8Array; seq: number } | undefined;
  /** Serializes image writes and pruning with each other, not with writes. */
  private readonly imageQueue = new SerialQueue();

  constructor(
    private readonly ctx: EngineContext, private readonly writes: WritePath, private readonly health: PersistenceHealth,
    private readonly writeEmergency: (reason: string) => Promise<void>,
  ) {}

  /** Folds the journal into the database file now; false when the database could not be written. */
  compact(): Promise<boolean> {
    return this.writes.io(() => this.compactNow());
  }

  /** The fold itself; call it from the io queue. */
  async compactNow(): Promise<boolean> {
    const { fs, folder, clock } = this.ctx;
    const t0 = performance.now();
    let bytes: Uint8Array;
    try {
      bytes = this.writes.exportImage();
      await writeFileAtomic(fs, path.join(folder, DB_FILE), bytes);
    } catch (e) {
      this.health.fail({ kind: 'database_unwritable', reason: `database could not be written: ${errText(e)}` });
      await this.writeEmergency(`database could not be written: ${errText(e)}`);
      return false;
    }
    const journal = this.writes.journal;
    if (journal.isOpen && this.ctx.tap) {
      try {
        await this.ctx.tap.beforeReset(journal.file, this.writes.seq);
      } catch (e) {
        // The database is durable and holds every record; the journal stays until the tap has them.
        this.ctx.log.warn(`[engine] journal kept at compaction (its records are not yet kept for replication): ${errText(e)}`);
        this.dbBytes = bytes.length;
        return true;
      }
    }
    try {
      if (journal.isOpen) await journal.reset(encodeRecord(this.writes.seq, { o: 'base', t: clock.now(), ids: { ...this.ctx.store.counters } }));
    } catch (e) {
      // The database holds every record already; a journal that cannot be emptied is replaced later.
      this.health.fail({ kind: 'journal_broken', reason: `journal could not be emptied: ${errText(e)}` });
      await this.writes.closeJournalQuietly();
      return false;
    }
    this.dbBytes = bytes.length;
    this.stats.count++;
    this.stats.last_ms = performance.now() - t0;
    this.health.recover('database_unwritable', 'journal_write_failed');
    this.queueImage(bytes, this.writes.seq);
    return true;
  }

  private queueImage(bytes: Uint8Array, seq: number): void {
    const idle = this.imagePending === undefined;
    this.imagePending = { bytes, seq };
    if (idle) void this.inImageQueue(() => this.writePendingImage());
  }

  private async writePendingImage(): Promise<void> {
    const job = this.imagePending;
    this.imagePending = undefined;
    if (!job) return;
    try {
      const img = await writeImage(this.ctx.fs, this.ctx.folder, job.bytes, this.ctx.clock.now(), job.seq);
      this.ctx.log.debug(`[engine] database image ${img.name} written (${img.bytes} bytes)`);
      await this.pruneImagesNow();
    } catch (e) {
      // The database file itself is durable; only the guard against its corruption is older.
      this.ctx.log.error(`[engine] could not write a database image: ${errText(e)}`);
    }
    await this.measureImages();
  }

  inImageQueue<T>(fn: () => Promise<T>): Promise<T> {
    return this.imageQueue.run(fn);
  }

  /** Removes images beyond the retention (or, dry, says which would go). Run it in the image queue. */
  async pruneImagesNow(dryRun = false): Promise<string[]> {
    const { fs, folder, log, settings } = this.ctx;
    try {
      const gone = await pruneImages(fs, folder, { count: settings.imageCount, bytes: settings.imageBytes }, log, dryRun);
      if (gone.length && !dryRun) log.info(`[engine] removed ${gone.length} old database images`);
      return gone;
    } catch (e) {
      log.warn(`[engine] could not prune database images: ${errText(e)}`);
      return [];
    }
  }

  async measureImages(): Promise<void> {
    try {
      this.imageBytes = (await listImages(this.ctx.fs, this.ctx.folder)).reduce((n, i) => n + i.bytes, 0);
    } catch (e) {
      this.ctx.log.warn(`[engine] could not measure the database images: ${errText(e)}`);
    }
  }

  /** How many database images are kept, and how many bytes they may take (settings). */
  setRetention(retention: ImageRetention): void {
    this.ctx.settings.imageCount = retention.count;
    this.ctx.settings.imageBytes = retention.bytes;
    void this.inImageQueue(async () => {
      await this.pruneImagesNow();
      await this.measureImages();
    });
  }

  /** Resolves once the pending image, if any, is written. */
  idle(): Promise<void> {
    return this.imageQueue.idle();
  }
}
