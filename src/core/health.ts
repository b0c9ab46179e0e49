import type { Logger } from './ports';

// Whether the store can make writes durable. One state at a time, named, instead of flags that
// must agree.

export type HealthState =
  | { kind: 'ok' }
  /** A journal append failed and was cut back: refused writes are gone; the next good flush ends it. */
  | { kind: 'journal_write_failed'; reason: string }
  /** The journal could not be cut back or emptied: it is rebuilt (database written whole) before the next write. */
  | { kind: 'journal_broken'; reason: string }
  /** Compaction could not write the database: journaling goes on, compaction is retried at every checkpoint. */
  | { kind: 'database_unwritable'; reason: string };

export class PersistenceHealth {
  private current: HealthState = { kind: 'ok' };

  constructor(private readonly log: Logger, private readonly onChange: () => void) {}

  get state(): HealthState {
    return this.current;
  }

  get degraded(): boolean {
    return this.current.kind !== 'ok';
  }

  get reason(): string | null {
    return this.current.kind === 'ok' ? null : this.current.reason;
  }

  get journalBroken(): boolean {
    return this.current.kind === 'journal_broken';
  }

  /** A failure, said loudly. A broken journal stays the state until it is rebuilt. */
  fail(state: Exclude<HealthState, { kind: 'ok' }>): void {
    const was = this.current;
    this.log.error(`[engine] PERSISTENCE FAILING: ${state.reason}`);
    if (was.kind === 'journal_broken' && state.kind !== 'journal_broken') return;
    this.current = state;
    if (was.kind === 'ok') this.onChange();
  }

  /** Back to ok, when the current failure is one of `kinds` (any, when none are given). */
  recover(...kinds: HealthState['kind'][]): void {
    if (this.current.kind === 'ok' || (kinds.length && !kinds.includes(this.current.kind))) return;
    this.current = { kind: 'ok' };
    this.log.info('[engine] persistence restored');
    this.onChange();
  }
}
