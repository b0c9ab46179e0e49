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

/**
 * Coalesces bursts: the first event starts a short timer, later ones join the batch; a steady
 * stream still flushes every `maxWaitMs`, so 1,000 writes cost a handful of repaints, not 1,000.
 */
export class ChangeDebouncer {
  private batch: ChangeBatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;

  constructor(
    private readonly flush: (batch: ChangeBatch) => void,
    private readonly delayMs = 100,
    private readonly maxWaitMs = 500,
  ) {}

  push(event: ChangeEvent | 'all'): void {
    if (!this.batch) {
      this.batch = new ChangeBatch();
      this.firstAt = Date.now();
    }
    if (event === 'all') this.batch.all = true;
    else this.batch.add(event);
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.delayMs, this.firstAt + this.maxWaitMs - Date.now()));
    this.timer = setTimeout(() => this.fire(), wait);
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
    if (b) this.flush(b);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.batch = undefined;
  }
}
