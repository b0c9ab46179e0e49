// Loaded with `node --require` into a server process to play a machine whose clock is off by
// JARVIS_TEST_CLOCK_SKEW_MS: Date.now() and `new Date()` move, the monotonic clock does not.
const skew = Number(process.env.JARVIS_TEST_CLOCK_SKEW_MS) || 0;
const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);

class SkewedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(realNow() + skew);
    else super(...(args as [number]));
  }

  static override now(): number {
    return realNow() + skew;
  }
}

globalThis.Date = SkewedDate as DateConstructor;
