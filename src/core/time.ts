// The one time format of the store, file names and reports: ISO 8601 UTC to the millisecond.

let lastMs = NaN;
let lastIso = '';

/**
 * `ms` since the epoch as ISO 8601 UTC; a fraction of a millisecond (OTLP times are in
 * nanoseconds) is dropped, rounding down. Writes that arrive together share a millisecond, and
 * toISOString is costly enough to remember the last answer.
 */
export function iso(ms: number): string {
  const whole = Math.floor(ms);
  if (whole !== lastMs) {
    lastIso = new Date(whole).toISOString();
    lastMs = whole;
  }
  return lastIso;
}
