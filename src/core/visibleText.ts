// Text from the orchestrator shown to a person: characters that reorder or hide text made visible.

/** Bidi controls and zero-width characters: they reorder or hide text, so one id can pass for another. */
const HIDDEN_CHARS = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** An id as it really is: each invisible or reordering character shown as `⟨U+202E⟩`. */
export function visibleId(id: string): string {
  return String(id).replace(HIDDEN_CHARS, ch => `⟨U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}
