import type { BatchEvent } from './types';
import { ValidationError } from './errors';
import { checkBatch } from './validate';

// A spool line is history the server takes on a client's word: it is checked as the event of
// POST /events it stands for, and the file must be private to this user (privateFile.ts).

export type SpoolLine =
  | { kind: 'event'; event: BatchEvent }
  | { kind: 'refused'; raw: unknown; reason: string; field: string }
  /** Not JSON: a client killed mid-append (its call never returned). */
  | { kind: 'torn' };

/** One spool line, checked as one event of POST /events that carries its event_id. */
export function parseSpoolLine(line: string): SpoolLine {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { kind: 'torn' };
  }
  try {
    // Checked as the engine will check it; stored as read.
    const [event] = checkBatch([raw]);
    if (event.event_id === undefined) throw new ValidationError('events[0].event_id', 'is required in a spool (clients give every spooled event one)');
    return { kind: 'event', event: raw as BatchEvent };
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { kind: 'refused', raw, reason: e.message, field: e.field };
  }
}
