/**
 * Runs jobs one at a time, in the order they were given; a job that fails does not stop the ones
 * after it. Each caller gets its own job's outcome.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(() => job());
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every job given so far has settled (never rejects). */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
