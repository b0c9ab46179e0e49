import type { Json } from './types';

// What search sees of a record, and how words are cut, in one place: the index (searchIndex.ts) is
// built from the same text the match is confirmed on.
//
// A query word matches when it occurs in the record's text as a substring after NFKC and case
// folding, or, for a word of five letters or more, when a word of the text starts with its stem
// (stemOf: the word less a short ending), so other forms of it match: "ошибки" finds "Ошибка",
// "failed" finds "failure". The index finds the records that may hold it, by prefix. For every run of letters,
// digits and marks in the folded text it stores (each cut to SUFFIX_CHARS characters):
// - the run itself: a word is found by any start of it ("verbind" finds "verbindung");
// - for a run of LONG_RUN characters or more (German compounds, identifiers run together), every
//   suffix of 3 or more: "verbindung" and "fehler" find "datenbankverbindungsfehler";
// - for a run in a script written without spaces (Chinese, Japanese, Thai, ...), every suffix:
//   any piece of "データベース接続を再試行する" is the start of one.
// A piece inside a shorter word ("ail" in "failed", "345" in "12345") is not found: measured (search
// bench), every suffix of every word is three times the terms (105 against 37 for a typical
// decision) and brought batched writes to 0.17 of their speed without an index, against 0.6.

export type SearchKind = 'decision' | 'message' | 'task' | 'agent' | 'span' | 'checkpoint';

/** The kinds kept in the index: append-only history. Tasks, agents and checkpoint labels are few and scanned. */
export type IndexedKind = 'decision' | 'message' | 'span';

/** A record as search reads it. */
export interface SearchCandidate {
  kind: SearchKind;
  /** The record's id: a decision, message or checkpoint number, a task or agent id, `<trace id>/<span id>`. */
  id: string;
  ts: string;
  title: string;
  /** Everything searchable, title first. */
  text: string;
}

/**
 * Longest suffix stored. Chosen by measurement (see the search bench): 12 characters cost about as
 * much as 10 or 16 per record and keep long query words selective.
 */
export const SUFFIX_CHARS = 12;

const ASCII = /^[\x00-\x7f]*$/;

export function fold(text: string): string {
  // ASCII (most records): NFKC changes nothing and the root locale's lower case is the plain one;
  // this skips most of the cost of cutting terms and of checking rows.
  return ASCII.test(text) ? text.toLowerCase() : text.normalize('NFKC').toLocaleLowerCase('und');
}

const segmenter = new Intl.Segmenter('und', { granularity: 'word' });

/** The words of a query, folded, each once; punctuation and spaces dropped. */
export function queryTerms(q: string): string[] {
  const out = new Set<string>();
  for (const s of segmenter.segment(fold(q))) {
    const w = s.segment.trim();
    if (w && (s.isWordLike || /[\p{L}\p{N}]/u.test(w))) out.add(w);
  }
  return [...out];
}

const RUN = /[\p{L}\p{N}\p{M}]+/gu;
const NO_SPACES = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const SURROGATE = /[\uD800-\uDFFF]/;

/** Runs this long or longer are indexed by their suffixes too. */
export const LONG_RUN = 8;

/** The index terms of a record's text, space separated (every term is letters, digits and marks only). */
export function indexTerms(text: string): string {
  const out = new Set<string>();
  if (ASCII.test(text)) {
    // The same runs as RUN finds in ASCII, cheaper to find.
    for (const run of text.toLowerCase().match(ASCII_RUN) ?? []) addRunTerms(run, out, true);
  } else {
    for (const m of fold(text).matchAll(RUN)) addRunTerms(m[0], out, false);
  }
  return [...out].join(' ');
}

const ASCII_RUN = /[a-z0-9]+/g;

function addRunTerms(run: string, out: Set<string>, ascii: boolean): void {
  // Cut by code points; most runs have no surrogate pairs and are cut as they are.
  const chars: ArrayLike<string> & { slice(a: number, b: number): string | string[] } = !ascii && SURROGATE.test(run) ? Array.from(run) : run;
  const cut = (i: number) => {
    const x = chars.slice(i, i + SUFFIX_CHARS);
    return typeof x === 'string' ? x : x.join('');
  };
  out.add(cut(0));
  const min = !ascii && NO_SPACES.test(run) ? 1 : chars.length >= LONG_RUN ? 3 : 0;
  if (min === 0) return;
  for (let i = 1; i + min <= chars.length; i++) out.add(cut(i));
}

/**
 * The full-text query for records that may hold all of `terms` (the substring check drops the
 * others); undefined when the terms hold no letter or digit. Pieces of one or two characters in a
 * spaced script match so many words that they are left to the check when a longer piece is there.
 */
export function matchQuery(terms: string[]): string | undefined {
  const pieces = new Set<string>();
  // The stem is a prefix of the word: records with the word itself are found by it too.
  for (const t of terms) for (const m of (stemOf(t) ?? t).matchAll(RUN)) pieces.add(Array.from(m[0]).slice(0, SUFFIX_CHARS).join(''));
  if (pieces.size === 0) return undefined;
  const long = [...pieces].filter(p => Array.from(p).length > 2 || NO_SPACES.test(p));
  return (long.length ? long : [...pieces]).map(p => `${p}*`).join(' ');
}

const json = (v: Json | undefined): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

export interface DecisionFields {
  id: number; ts: string; decision_type: string; context: Json; decision: string; reasoning: string;
  outcome?: Json | null; agent_id?: string | null; task_id?: string | null;
}
export interface MessageFields { id: number; ts: string; from_agent: string; to_agent: string; message_type: string; content: Json }
export interface SpanFields {
  id: number; trace_id: string; span_id: string; start_time: string; name: string; agent_id: string | null;
  tool_name: string | null; model: string | null; status_message: string | null; attributes: unknown;
}

export function decisionCandidate(d: DecisionFields): SearchCandidate {
  return { kind: 'decision', id: String(d.id), ts: d.ts, title: d.decision,
    text: [d.decision, d.decision_type, d.reasoning, d.agent_id ?? '', d.task_id ?? '', json(d.context), json(d.outcome)].join('\n') };
}

export function messageCandidate(m: MessageFields): SearchCandidate {
  return { kind: 'message', id: String(m.id), ts: m.ts, title: `${m.from_agent} → ${m.to_agent}: ${m.message_type}`,
    text: [json(m.content), m.from_agent, m.to_agent, m.message_type].join('\n') };
}

export function spanCandidate(s: SpanFields): SearchCandidate {
  return { kind: 'span', id: `${s.trace_id}/${s.span_id}`, ts: s.start_time, title: s.name,
    text: [s.name, s.agent_id ?? '', s.tool_name ?? '', s.model ?? '', s.status_message ?? '', json(s.attributes as Json)].join('\n') };
}

/** Words of letters this long or longer match their other forms too. */
export const STEM_MIN = 5;
const LETTERS = /^[\p{L}\p{M}]+$/u;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

/**
 * The start the forms of a (folded) query word share, by a light rule for any language written
 * with spaces: a word of letters only loses its last letter at 5 letters, two at 6 or 7, three
 * at 8 or more ("ошибки" → "ошиб", "connection" → "connect"); shorter words, words with digits and
 * scripts without spaces are matched as they are (undefined).
 */
export function stemOf(term: string): string | undefined {
  if (!LETTERS.test(term) || NO_SPACES.test(term)) return undefined;
  const chars = Array.from(term);
  const drop = chars.length >= 8 ? 3 : chars.length >= 6 ? 2 : chars.length >= STEM_MIN ? 1 : 0;
  return drop ? chars.slice(0, chars.length - drop).join('') : undefined;
}

/** Where a (folded) query word matches in folded text: the word anywhere, else its stem at a word's start; -1 when it does not. */
export function matchAt(folded: string, term: string): number {
  const at = folded.indexOf(term);
  const stem = at < 0 ? stemOf(term) : undefined;
  if (!stem) return at;
  for (let i = folded.indexOf(stem); i >= 0; i = folded.indexOf(stem, i + 1)) {
    const before = Array.from(folded.slice(Math.max(0, i - 2), i)).pop();
    if (before === undefined || !WORD_CHAR.test(before)) return i;
  }
  return -1;
}

/** Whether every (folded) term matches the candidate's text. */
export function matchesAll(c: SearchCandidate, terms: string[]): boolean {
  const folded = fold(c.text);
  return terms.every(t => matchAt(folded, t) >= 0);
}
