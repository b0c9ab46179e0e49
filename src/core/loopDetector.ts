import { createHash } from 'crypto';

// Loop detection's sliding window: per agent, the times of the last `repeats` occurrences of each
// distinct call (type, target, content hashed). A call is a loop when its oldest kept time is
// within the window: O(1) per observation, bounded memory per agent.

/** Distinct calls remembered per agent; beyond twice this, the least recently seen half goes. */
const KEYS_PER_AGENT = 256;

/** The times of a call's last `repeats` occurrences; a call seen once is just its time. */
interface Ring {
  times: number[];
  /** Next slot to write. */
  next: number;
  filled: number;
}

export class LoopDetector {
  private readonly agents = new Map<string, Map<string, Ring | number>>();

  constructor(private repeats: number, private windowMs: number) {}

  configure(repeats: number, windowMs: number): void {
    if (repeats !== this.repeats) this.agents.clear();
    this.repeats = repeats;
    this.windowMs = windowMs;
  }

  /** Records one occurrence at `t`; true when it is at least the `repeats`-th within the window. */
  observe(agent: string, key: string, t: number): boolean {
    let calls = this.agents.get(agent);
    if (!calls) this.agents.set(agent, (calls = new Map()));
    const seen = calls.get(key);
    if (seen === undefined) {
      // Most calls are never repeated: one number, no ring, until a second occurrence.
      calls.set(key, t);
      if (calls.size > 2 * KEYS_PER_AGENT) prune(calls, KEYS_PER_AGENT);
      return false;
    }
    let ring: Ring;
    if (typeof seen === 'number') {
      ring = { times: new Array<number>(this.repeats).fill(0), next: 1, filled: 1 };
      ring.times[0] = seen;
    } else {
      ring = seen;
    }
    // Re-inserted: Map order is then least recently seen first.
    calls.delete(key);
    calls.set(key, ring);
    ring.times[ring.next] = t;
    ring.next = (ring.next + 1) % this.repeats;
    ring.filled = Math.min(ring.filled + 1, this.repeats);
    // After the write, `next` points at the oldest of the last `repeats` times.
    return ring.filled === this.repeats && t - ring.times[ring.next] <= this.windowMs;
  }

  /** Forgets calls not seen within the window (the timer calls this, not the write path). */
  sweep(now: number): void {
    for (const [agent, calls] of this.agents) {
      for (const [key, seen] of calls) {
        const newest = typeof seen === 'number' ? seen : seen.times[(seen.next + this.repeats - 1) % this.repeats];
        if (now - newest > this.windowMs) calls.delete(key);
      }
      if (calls.size === 0) this.agents.delete(agent);
    }
  }

  get size(): number {
    let n = 0;
    for (const calls of this.agents.values()) n += calls.size;
    return n;
  }
}

/** Keeps the `keep` most recently seen entries (Map order is least recent first). */
function prune(calls: Map<string, unknown>, keep: number): void {
  let drop = calls.size - keep;
  for (const key of calls.keys()) {
    if (drop-- <= 0) break;
    calls.delete(key);
  }
}

/** Keys longer than this are hashed: short ones are cheaper to keep whole than to hash. */
const KEEP_WHOLE = 256;

/** The identity of a call: its type, target and content (hashed when long, content may be large). */
export function callKey(type: string, target: string, content: string): string {
  const key = `${type}\0${target}\0${content}`;
  return key.length <= KEEP_WHOLE ? key : createHash('sha1').update(key).digest('base64');
}
