import { addChangeIds } from '../core/changeIds';
import type { ChangeEvent, ChangeKind } from '../core/types';

/** Engine change events merged over a short window: what the views repaint. */
export class ChangeBatch {
  /** True when everything may have changed (engine opened or swapped). */
  all = false;
  readonly ids = new Map<ChangeKind, Set<string>>();

  static everything(): ChangeBatch {
    const b = new ChangeBatch();
    b.all = true;
    return b;
  }

  add(event: ChangeEvent): void {
    addChangeIds(this.ids, event.kind, event.ids);
  }

  has(...kinds: ChangeKind[]): boolean {
    return this.all || kinds.some(k => this.ids.has(k));
  }

  idsOf(kind: ChangeKind): ReadonlySet<string> {
    return this.ids.get(kind) ?? new Set();
  }
}

/** Changes the user must hear of at once: never held back to join a batch. */
const URGENT: ReadonlySet<ChangeKind> = new Set<ChangeKind>(['alert', 'recovery', 'resume', 'persistence']);

/**
 * Coalesces bursts without delaying the first change: a change after a quiet spell is delivered
 * at once (on the next turn, so the events of one group commit travel together), later ones join
 * a batch delivered `gapMs` after the previous delivery. A steady stream thus costs at most one
 * repaint per gap, however many writes it carries, and an urgent kind (an alert, a recovery)
 * never waits for the gap.
 */
export class ChangeDebouncer {
  private batch: ChangeBatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private lastFlush = -Infinity;

  constructor(
    private readonly flush: (batch: ChangeBatch) => void,
    private readonly gapMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(event: ChangeEvent | 'all'): void {
    if (!this.batch) this.batch = new ChangeBatch();
    if (event === 'all') this.batch.all = true;
    else this.batch.add(event);
    const urgent = event !== 'all' && URGENT.has(event.kind);
    const at = urgent ? 0 : Math.max(0, this.lastFlush + this.gapMs - this.now());
    // A timer already due sooner stays; one due later is brought forward.
    if (this.timer && this.timerAt <= this.now() + at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = this.now() + at;
    this.timer = setTimeout(() => this.fire(), at);
  }

  /** Delivers the pending batch now: a state change (opened, failed, closed) is not a burst to wait out. */
  flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.fire();
  }

  private fire(): void {
    const b = this.batch;
    this.batch = undefined;
    this.timer = undefined;
    if (!b) return;
    this.lastFlush = this.now();
    this.flush(b);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.batch = undefined;
  }
}
