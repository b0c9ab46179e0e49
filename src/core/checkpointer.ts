import type { Archive } from './archive';
import type { Compactor } from './compaction';
import type { EngineContext } from './engineContext';
import { errorText as errText } from './errorText';
import type { PersistenceHealth } from './health';
import type { CheckpointOp, SnapshotOp } from './ops';
import { SerialQueue } from './serialQueue';
import { newestChain, snapshotParts } from './snapshotStore';
import { SnapshotTracker, type PreparedSnapshot, type SnapshotSource } from './snapshots';
import { iso } from './time';
import type { CheckpointResult, RecoveryStep, SnapshotKind } from './types';
import type { WritePath } from './writePath';

/** Decisions that a snapshot (and GET /context) carries besides tasks and agents. */
export const RECENT_DECISIONS_IN_CONTEXT = 20;

// Checkpoints: the periodic one on its timer (a snapshot when something changed, then compaction
// and archiving when due) and the recovery points callers ask for. Each is one journal record.

export class Checkpointer {
  readonly tracker = new SnapshotTracker();
  /** Serializes checkpoints, archive moves and cleanup with each other. */
  private readonly maintenance = new SerialQueue();
  private timer: NodeJS.Timeout | undefined;
  readonly durations: number[] = [];
  count = 0;
  lastAt: string | null = null;
  dedupHits = 0;

  constructor(
    private readonly ctx: EngineContext, private readonly writes: WritePath, private readonly compactor: Compactor,
    private readonly archive: Archive, private readonly health: PersistenceHealth,
  ) {}

  /** Runs `fn` alone among checkpoints, archiving and cleanup. */
  maintain<T>(fn: () => Promise<T>): Promise<T> {
    return this.maintenance.run(fn);
  }

  idle(): Promise<void> {
    return this.maintenance.idle();
  }

  /** Starts (or, with 0, stops) the periodic checkpoint at the settings' interval. */
  startTimer(): void {
    this.stopTimer();
    const ms = this.ctx.settings.checkpointIntervalMs;
    if (ms > 0) {
      this.timer = setInterval(() => {
        this.autoCheckpoint().catch(e => this.ctx.log.error(`[engine] automatic checkpoint failed: ${errText(e)}`));
      }, ms);
      this.timer.unref();
    }
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The periodic checkpoint: a snapshot when the context changed, then compaction and archiving when due. */
  autoCheckpoint(kind: SnapshotKind = 'auto'): Promise<CheckpointResult | undefined> {
    return this.maintain(async () => {
      const t0 = performance.now();
      const snap = this.tracker.prepare(this.source());
      let result: CheckpointResult | undefined;
      if (snap) {
        const op = await this.store(kind, null, snap);
        result = this.result(op, false, t0);
      } else {
        this.dedupHits++;
      }
      const { settings, store } = this.ctx;
      if (this.writes.journal.size > settings.journalCompactBytes || this.health.degraded) await this.compactor.compact();
      if (store.usedBytes() > settings.liveDbLimitBytes) await this.archive.archiveOldest();
      this.record(t0);
      return result;
    });
  }

  /** A recovery point (or manual checkpoint): the snapshot's delta when the state changed, and the checkpoint. */
  recoveryPoint(kind: SnapshotKind, label: string | null): Promise<CheckpointResult> {
    return this.maintain(async () => {
      const t0 = performance.now();
      const snap = this.tracker.prepare(this.source());
      if (!snap) this.dedupHits++;
      const op = await this.store(kind, label, snap);
      this.record(t0);
      return this.result(op, !snap, t0);
    });
  }

  /** Writes a checkpoint and, when given, the snapshot it points to, by one record and one fdatasync. */
  private async store(kind: SnapshotKind, label: string | null, snap: PreparedSnapshot | undefined): Promise<CheckpointOp> {
    const { store, clock } = this.ctx;
    let snapshot: SnapshotOp | undefined;
    let snapshotId = this.tracker.latestId;
    if (snap) {
      snapshotId = ++store.counters.snapshot;
      snapshot = {
        o: 'snapshot', t: clock.now(), id: snapshotId, kind, label, hash: snap.hash, delta: snap.delta,
        chain_start: snap.chainStart ?? snapshotId, size: snap.size,
      };
    }
    // The tracker always has a newest snapshot or prepares a first one.
    if (snapshotId === undefined) throw new Error('no snapshot to point the checkpoint to');
    const op: CheckpointOp = { o: 'checkpoint', t: clock.now(), id: ++store.counters.checkpoint, kind, label, snapshot_id: snapshotId, snapshot };
    try {
      await this.writes.submit(op, true);
    } catch (e) {
      snap?.abandon();
      throw e;
    }
    snap?.apply(snapshotId);
    this.ctx.emit('checkpoint', [String(op.id)]);
    return op;
  }

  private result(op: CheckpointOp, deduplicated: boolean, t0: number): CheckpointResult {
    return { checkpoint_id: op.id, created_at: iso(op.t), duration_ms: performance.now() - t0, deduplicated, kind: op.kind, file: null };
  }

  private record(t0: number): void {
    this.durations.push(performance.now() - t0);
    if (this.durations.length > 500) this.durations.shift();
    this.count++;
    this.lastAt = iso(this.ctx.clock.now());
  }

  /** What a snapshot is made of, read from the live store. */
  private source(): SnapshotSource {
    const { store, clock, settings } = this.ctx;
    const now = clock.now();
    return {
      task: id => store.getTask(id),
      agent: id => store.getAgent(id, now, settings.staleAfterMs),
      tasks: () => store.getTasks(),
      agents: () => store.getAgents(now, settings.staleAfterMs),
      recentDecisions: () => store.getDecisions({ limit: RECENT_DECISIONS_IN_CONTEXT }),
      state: () => store.getState().state,
    };
  }

  /** Rebuilds the newest snapshot's content from its chain, so the next snapshot is its delta. */
  resetTracker(steps?: RecoveryStep[]): void {
    const store = this.ctx.store;
    const head = newestChain(store);
    try {
      this.tracker.reset(head && snapshotParts(store, head.id), head);
    } catch (e) {
      // The next snapshot starts a new chain; older checkpoints stay as they are.
      this.ctx.log.error(`[engine] newest snapshot unreadable, the next one is stored whole: ${errText(e)}`);
      steps?.push({ step: 'read the newest snapshot', ok: false, detail: `${errText(e)}; the next snapshot starts a new chain` });
      this.tracker.reset(undefined, undefined);
    }
  }
}
