import type { Json } from './types';

// What search sees of a record, and how words are cut, in one place: the index (searchIndex.ts) is
// built from the same text the match is confirmed on, so it can never miss what the check accepts.
//
// A query word matches when it occurs in the record's text as a substring after NFKC and case
// folding. The index stores, for every run of letters, digits and marks in the folded text, each of
// its suffixes cut to SUFFIX_CHARS characters. Any piece of a query word that occurs in the text
// lies inside one run, so it is the start of one of that run's suffixes: a prefix query on the
// piece (cut to SUFFIX_CHARS) finds every record that holds it. Compounds ("Datenbank" in
// "Datenbankverbindung"), words inside words and scripts without spaces need nothing else.

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

export function fold(text: string): string {
  return text.normalize('NFKC').toLocaleLowerCase('und');
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

/** The index terms of a record's text, space separated (every term is letters, digits and marks only). */
export function indexTerms(text: string): string {
  const out = new Set<string>();
  for (const m of fold(text).matchAll(RUN)) {
    const chars = Array.from(m[0]);
    for (let i = 0; i < chars.length; i++) out.add(chars.slice(i, i + SUFFIX_CHARS).join(''));
  }
  return [...out].join(' ');
}

/**
 * The full-text query that finds every record holding all of `terms` (and a few more, which the
 * substring check drops); undefined when the terms hold no letter or digit. Pieces of one or two
 * characters match so many suffixes that they are left to the check when a longer piece is there.
 */
export function matchQuery(terms: string[]): string | undefined {
  const pieces = new Set<string>();
  for (const t of terms) for (const m of t.matchAll(RUN)) pieces.add(Array.from(m[0]).slice(0, SUFFIX_CHARS).join(''));
  if (pieces.size === 0) return undefined;
  const long = [...pieces].filter(p => Array.from(p).length > 2);
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

/** Whether every (folded) term occurs in the candidate's text. */
export function matchesAll(c: SearchCandidate, terms: string[]): boolean {
  const folded = fold(c.text);
  return terms.every(t => folded.includes(t));
}
