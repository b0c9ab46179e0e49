import * as path from 'path';
import { writeFileAtomic } from './atomicFile';
import type { EngineContext } from './engineContext';
import { EngineClosedError, PersistenceError, ValidationError } from './errors';
import { errorText as errText } from './errorText';
import { DB_FILE } from './fileNames';
import type { PersistenceHealth } from './health';
import { encodeRecord, type Journal } from './journal';
import type { JournalOp } from './ops';
import { SerialQueue } from './serialQueue';
import type { ApplyResult } from './store';

// The write path: every change is applied to the in-memory database and appended to the journal;
// it is acknowledged only once the journal is flushed. Writes that arrive together share one
// flush (group commit).

interface Pending {
  op: JournalOp;
  resolve: (r: ApplyResult) => void;
  reject: (e: unknown) => void;
}

export interface WritePathHooks {
  isClosed(): boolean;
  /** After a group commit, before the callers hear back; `ops` are the records it made durable. */
  committed(results: ApplyResult[], ops: JournalOp[]): void;
  /** A readable copy of the state when the disk fails (emergency_<time>.json). */
  writeEmergency(reason: string): Promise<void>;
}

export class WritePath {
  /** Sequence of the last journal record written. */
  seq = 0;
  eventsTotal = 0;
  private pending: Pending[] = [];
  private flushQueued = false;
  /** Serializes everything that touches the journal or exports the database. */
  private readonly ioQueue = new SerialQueue();

  constructor(
    private readonly ctx: EngineContext, readonly journal: Journal, private readonly health: PersistenceHealth,
    private readonly hooks: WritePathHooks,
  ) {}

  /** Queues an op for the next group commit; resolves once it is applied and durable. */
  submit(op: JournalOp, internal = false): Promise<ApplyResult> {
    if (this.hooks.isClosed() && !internal) return Promise.reject(new EngineClosedError());
    return new Promise<ApplyResult>((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        // setImmediate lets every caller of this turn join the same flush.
        setImmediate(() => void this.io(() => this.flush()));
      }
    });
  }

  /** Runs `fn` alone on the journal and the database export. */
  io<T>(fn: () => Promise<T>): Promise<T> {
    return this.ioQueue.run(fn);
  }

  idle(): Promise<void> {
    return this.ioQueue.idle();
  }

  /** Database image with the journal position recorded in it; call only from the io queue. */
  exportImage(): Uint8Array {
    const store = this.ctx.store;
    store.setMeta('last_seq', this.seq);
    store.saveCounters();
    store.setMeta('events_total', this.eventsTotal);
    return store.db.export();
  }

  /**
   * Group commit: apply every queued op inside one transaction, append their records, fdatasync,
   * then commit and acknowledge. If the flush fails, roll back: nothing unacknowledged stays visible.
   */
  private async flush(): Promise<void> {
    const { store } = this.ctx;
    this.flushQueued = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (this.health.journalBroken && !(await this.repairJournal())) {
      const err = new PersistenceError(`cannot write the journal: ${this.health.reason}`);
      batch.forEach(p => p.reject(err));
      return;
    }
    const seqBefore = this.seq;
    const taskEventsBefore = store.counters.task_event;
    store.exec('BEGIN');
    let done = this.apply(batch, false);
    if (!done) {
      // One op failed: start again with a savepoint around each, so only that one is refused.
      store.exec('ROLLBACK');
      store.dropCaches();
      store.counters.task_event = taskEventsBefore;
      store.exec('BEGIN');
      done = this.apply(batch, true)!;
    }
    let text = '';
    for (const d of done) text += encodeRecord(++this.seq, d.p.op);
    try {
      if (text) await this.journal.append(text);
    } catch (e) {
      store.exec('ROLLBACK');
      store.dropCaches();
      // Ids handed out at submit time stay used (later queued ops hold higher ones); gaps are harmless.
      this.seq = seqBefore;
      store.counters.task_event = taskEventsBefore;
      // Answer only once the failed bytes are cut off, so a refused write cannot come back later.
      const cut = await this.onJournalFailure(e);
      const err = new PersistenceError(cut
        ? `the write could not be made durable (${errText(e)}); it was not stored`
        : `the write could not be made durable (${errText(e)}) and the journal could not be cut back: it was not acknowledged, but may reappear after a restart`, e);
      done.forEach(d => d.p.reject(err));
      return;
    }
    store.exec('COMMIT');
    this.eventsTotal += done.length;
    if (text) this.health.recover('journal_write_failed');
    const results = done.map(d => d.r);
    if (done.length) this.ctx.tap?.committed(seqBefore + 1, done.map(d => d.p.op));
    this.hooks.committed(results, done.map(d => d.p.op));
    for (const { p, r } of done) p.resolve(r);
  }

  /**
   * Applies the ops inside the open transaction. Without savepoints (a third of the cost of a small
   * write) the first failure returns undefined and the caller rolls back; with them, a failed op
   * is rolled back alone and refused.
   */
  private apply(batch: Pending[], savepoints: boolean): { p: Pending; r: ApplyResult }[] | undefined {
    const { store, log } = this.ctx;
    const done: { p: Pending; r: ApplyResult }[] = [];
    for (const p of batch) {
      if (!savepoints) {
        try {
          done.push({ p, r: store.applyOp(p.op) });
        } catch {
          return undefined;
        }
        continue;
      }
      try {
        store.run('SAVEPOINT op');
        const r = store.applyOp(p.op);
        store.run('RELEASE op');
        done.push({ p, r });
      } catch (e) {
        store.exec('ROLLBACK TO op; RELEASE op');
        store.dropCaches();
        log.error(`[engine] could not apply a ${p.op.o} write: ${(e as Error).message}`);
        p.reject(e instanceof ValidationError ? e : new PersistenceError(`could not apply the write: ${(e as Error).message}`, e));
      }
    }
    return done;
  }

  /** Returns whether the failed bytes were cut off durably. */
  private async onJournalFailure(e: unknown): Promise<boolean> {
    const reason = `journal write failed: ${errText(e)}`;
    this.health.fail({ kind: 'journal_write_failed', reason });
    let cut = true;
    try {
      // The failed bytes may or may not be on disk: cut them off so they can never be replayed.
      await this.journal.discardUnsynced();
    } catch (e2) {
      cut = false;
      this.ctx.log.error(`[engine] could not cut the journal back after a failed write: ${errText(e2)}`);
      this.health.fail({ kind: 'journal_broken', reason: `${reason}; it could not be cut back: ${errText(e2)}` });
      await this.closeJournalQuietly();
    }
    await this.hooks.writeEmergency(reason);
    return cut;
  }

  /** After the journal itself failed: write the database whole, then start a fresh journal. */
  private async repairJournal(): Promise<boolean> {
    try {
      const bytes = this.exportImage();
      await writeFileAtomic(this.ctx.fs, path.join(this.ctx.folder, DB_FILE), bytes);
      await this.journal.open();
      // Records the tap still needs go elsewhere first (the file may end in refused bytes, so it
      // cannot be kept as it is): if they cannot, the repair fails and is tried again.
      await this.ctx.tap?.beforeReset(this.journal.file, this.seq);
      await this.journal.reset(encodeRecord(this.seq, { o: 'base', t: this.ctx.clock.now(), ids: { ...this.ctx.store.counters } }));
      this.health.recover();
      this.ctx.log.info('[engine] journal repaired: database rewritten and a new journal started');
      return true;
    } catch (e) {
      this.health.fail({ kind: 'journal_broken', reason: `journal cannot be reopened: ${errText(e)}` });
      return false;
    }
  }

  /** Closing a journal that already failed: its own error says nothing new, but is logged. */
  async closeJournalQuietly(): Promise<void> {
    await this.journal.close().catch(e => this.ctx.log.warn(`[engine] closing the failed journal: ${errText(e)}`));
  }
}
