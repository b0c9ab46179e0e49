import type { JournalOp } from './ops';

/**
 * An observer of the journal for work that happens after the acknowledgement (team mode ships
 * every record to PostgreSQL). It never delays a write: `committed` is called synchronously and
 * must only queue; `beforeReset` runs when the journal is about to be emptied, off the write path.
 */
export interface JournalTap {
  /** After a group commit, before the callers hear back: the records `firstSeq`, `firstSeq + 1`, ... */
  committed(firstSeq: number, ops: readonly JournalOp[]): void;
  /**
   * Before the journal is emptied (compaction, repair), while nothing writes to it: keep what is
   * still needed from `journalFile`. A rejection keeps the journal as it is; the database holds
   * every record already, so replay stays idempotent and the next compaction tries again.
   */
  beforeReset(journalFile: string, throughSeq: number): Promise<void>;
  /** The highest sequence number the tap's own files know (asked once, before the store loads). */
  highestSeq?(): Promise<number>;
}
