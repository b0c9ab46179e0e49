// The text of an "Edit and Fork…" draft: the orchestrator state as JSON the user edits. No vscode
// import (unit-tested in plain Node); forkDraftDocuments.ts turns a problem into a diagnostic.
import { canonicalJson } from './core/canonicalJson';
import { setOwn } from './core/ownKeys';
import type { JsonObject } from './core/types';

export type DraftCheck =
  | { ok: true; state: JsonObject }
  /** `offset`: where in the text the problem is (the end when the text stops short). */
  | { ok: false; message: string; offset: number };

/** The state a draft holds, or what is wrong with it, in words for a diagnostic. */
export function checkStateDraft(text: string): DraftCheck {
  const r = parseObjectDraft(text, 'The orchestrator state');
  return r.ok ? { ok: true, state: r.value as JsonObject } : r;
}

/** A draft's text as a JSON object, or where and why it is not one. */
function parseObjectDraft(text: string, what: string): { ok: true; value: Record<string, unknown> } | { ok: false; message: string; offset: number } {
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
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { ok: false, message: `${what} must be a JSON object ({ … }), not ${kind}. Nothing was stored.`, offset: 0 };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

export type ChannelDraftCheck =
  | { ok: true; /** Channel → new value: the channels whose value the draft changed. */ edits: Record<string, unknown> }
  | { ok: false; message: string; offset: number };

/**
 * What a LangGraph Edit and Fork… draft changes. `original`: the channel values as the draft
 * started (channel → value, notes for `opaque` ones); `channels`: every channel of the checkpoint.
 * An opaque (non-JSON) value must stay as its note; a channel left out is left as it is.
 */
export function checkChannelDraft(text: string, original: Record<string, unknown>, opaque: ReadonlySet<string>, channels: readonly string[]): ChannelDraftCheck {
  const r = parseObjectDraft(text, 'The channel values');
  if (!r.ok) return r;
  const edits: Record<string, unknown> = {};
  const at = (channel: string) => Math.max(0, text.indexOf(JSON.stringify(channel)));
  for (const [channel, value] of Object.entries(r.value)) {
    if (!Object.hasOwn(original, channel)) {
      if (!channels.includes(channel)) {
        return { ok: false, message: `This checkpoint has no channel "${channel}": only its channels can be edited. Nothing was stored.`, offset: at(channel) };
      }
    } else if (canonicalJson(value) === canonicalJson(original[channel])) continue;
    if (opaque.has(channel)) {
      return { ok: false, message: `Channel "${channel}" holds a value that is not JSON: it is shown read-only and cannot be edited here. Put its note back as it was. Nothing was stored.`, offset: at(channel) };
    }
    setOwn(edits, channel, value);
  }
  return { ok: true, edits };
}

/** Line and column (0-based) of an offset, for a diagnostic's range. */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

/** What the draft starts as: the state pretty-printed, as the diff against the checkpoint shows it. */
export function draftText(state: Record<string, unknown>): string {
  return JSON.stringify(state, null, 2) + '\n';
}
