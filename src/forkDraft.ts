// The text of an "Edit and Fork…" draft: the orchestrator state as JSON the user edits. No vscode
// import (unit-tested in plain Node); forkDraftDocuments.ts turns a problem into a diagnostic.
import type { JsonObject } from './core/types';

export type DraftCheck =
  | { ok: true; state: JsonObject }
  /** `offset`: where in the text the problem is (the end when the text stops short). */
  | { ok: false; message: string; offset: number };

/** The state a draft holds, or what is wrong with it, in words for a diagnostic. */
export function checkStateDraft(text: string): DraftCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const raw = (e as Error).message;
    const at = /position (\d+)/.exec(raw);
    const offset = at ? Math.min(Number(at[1]), text.length) : text.length;
    // V8 says where as "at position N (line L column C)": the editor shows the place itself.
    const why = raw.replace(/\s*in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '');
    return { ok: false, message: `Not valid JSON: ${why}. Nothing was stored; fix it and save again.`, offset };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { ok: false, message: `The orchestrator state must be a JSON object ({ … }), not ${what}. Nothing was stored.`, offset: 0 };
  }
  return { ok: true, state: value as JsonObject };
}

/** Line and column (0-based) of an offset, for a diagnostic's range. */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

/** What the draft starts as: the state pretty-printed, as the diff against the checkpoint shows it. */
export function draftText(state: JsonObject): string {
  return JSON.stringify(state, null, 2) + '\n';
}
