import * as path from 'path';
import { writeFileAtomic } from './atomicFile';
import type { Archive } from './archive';
import type { Compactor } from './compaction';
import type { EngineContext } from './engineContext';
import { ARCHIVE_DIR, segmentFile } from './fileNames';
import { countLangGraphOlderThan } from './langgraph/apply';
import type { CleanupOp, SegmentInfo } from './ops';
import { iso } from './time';
import type { CleanupResult } from './types';
import type { WritePath } from './writePath';

/**
 * Removes history older than `days` from the live database and the segments (dropped whole or
 * rewritten), and database images beyond the retention. Recovery points are kept, with every older
 * snapshot their deltas need. With `dryRun`, only counts. Run it in the maintenance queue.
 */
export async function cleanup(
  ctx: EngineContext, parts: { writes: WritePath; archive: Archive; compactor: Compactor }, days: number, dryRun: boolean,
): Promise<CleanupResult> {
  const { store, clock, fs, folder } = ctx;
  const { writes, archive, compactor } = parts;
  const cutoff = iso(clock.now() - days * 86_400_000);
  const kept = store.keptSnapshots(cutoff);
  const removed = { ...store.countOlderThan(cutoff, kept), checkpoint_files: 0, langgraph_checkpoints: countLangGraphOlderThan(store, cutoff) };
  const drop: string[] = [];
  const rewrite: { old: string; keep: Uint8Array; info: SegmentInfo }[] = [];
  for (const seg of store.listSegments()) {
    if (seg.min_ts >= cutoff) continue;
    // A segment older than the cutoff goes whole, unless it holds snapshots a kept checkpoint needs.
    if (seg.max_ts < cutoff && seg.snapshots === 0) {
      drop.push(seg.name);
      removed.decisions += seg.decisions; removed.messages += seg.messages;
      removed.task_events += seg.task_events; removed.snapshots += seg.snapshots; removed.spans += seg.spans ?? 0;
      continue;
    }
    await archive.withSegment(seg.name, s => {
      const c = s.countOlderThan(cutoff, kept);
      removed.decisions += c.decisions; removed.messages += c.messages;
      removed.task_events += c.task_events; removed.snapshots += c.snapshots; removed.spans += c.spans;
      if (dryRun) return;
      s.deleteOlderThan(cutoff, kept);
      const keep = s.db.export();
      rewrite.push({
        old: seg.name, keep,
        info: { ...seg, name: segmentFile(clock.now(), writes.seq, `_r${rewrite.length}`), min_ts: cutoff, bytes: keep.length,
          decisions: seg.decisions - c.decisions, messages: seg.messages - c.messages,
          task_events: seg.task_events - c.task_events, snapshots: seg.snapshots - c.snapshots,
          spans: (seg.spans ?? 0) - c.spans, max_ids: s.maxIds() },
      });
    });
  }
  // Database images beyond the retention (checkpoints/) go with the rest.
  removed.checkpoint_files = (await compactor.inImageQueue(() => compactor.pruneImagesNow(true))).length;
  if (dryRun) return { dry_run: true, cutoff, removed };
  for (const r of rewrite) {
    await writes.io(() => writeFileAtomic(fs, path.join(folder, ARCHIVE_DIR, r.info.name), r.keep));
  }
  const op: CleanupOp = { o: 'cleanup', t: clock.now(), cutoff, drop_segments: [...drop, ...rewrite.map(r => r.old)], replace_segments: rewrite.map(r => r.info) };
  await writes.submit(op);
  // Only now that the op is durable are the old files garbage.
  for (const name of op.drop_segments) await archive.removeSegmentFile(name);
  await compactor.inImageQueue(async () => {
    await compactor.pruneImagesNow();
    await compactor.measureImages();
  });
  archive.recount();
  ctx.emit('cleanup', []);
  return { dry_run: false, cutoff, removed };
}
