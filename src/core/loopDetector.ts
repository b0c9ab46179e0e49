import { createHash } from 'crypto';

// Loop detection's sliding window: per agent, the times of the last `repeats` occurrences of each
// distinct call (type, target, content hashed). A call is a loop when its oldest kept time is
// within the window: O(1) per observation, bounded memory per agent.

/** Distinct calls remembered per agent; the least recently seen goes first. */
const KEYS_PER_AGENT = 256;

interface Ring {
  times: number[];
  /** Next slot to write. */
  next: number;
  filled: number;
}

export class LoopDetector {
  private readonly agents = new Map<string, Map<string, Ring>>();

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
    let ring = calls.get(key);
    if (ring) {
      // Re-inserted: Map order is then least recently seen first.
      calls.delete(key);
    } else {
      ring = { times: new Array<number>(this.repeats), next: 0, filled: 0 };
      if (calls.size >= KEYS_PER_AGENT) calls.delete(calls.keys().next().value as string);
    }
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
      for (const [key, ring] of calls) {
        const newest = ring.times[(ring.next + this.repeats - 1) % this.repeats];
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

/** Keys longer than this are hashed: short ones are cheaper to keep whole than to hash. */
const KEEP_WHOLE = 256;

/** The identity of a call: its type, target and content (hashed when long, content may be large). */
export function callKey(type: string, target: string, content: string): string {
  const key = `${type}\0${target}\0${content}`;
  return key.length <= KEEP_WHOLE ? key : createHash('sha1').update(key).digest('base64');
}
