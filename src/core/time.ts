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

/** Local date and time with the zone, for people: "2026-12-01 15:02:25 UTC+01:00". Files keep ISO. */
export function localStamp(isoTime: string): string {
  const d = new Date(isoTime);
  if (Number.isNaN(d.getTime())) return isoTime;
  const p = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'UTC' : `UTC${off > 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone}`;
}
