// GET /search and "Search Context…": decisions, messages, tasks, agents, spans and checkpoint
// labels, live and archived (the engine's reads reach into the archive segments), best match first.
//
// Words in any language: the query is cut into words with Intl.Segmenter (which knows that
// "データベース接続" is two words and "Ошибка соединения" two), and each word must occur in the
// record's text as a substring after Unicode normalisation (NFKC) and case folding. Substrings make
// German compounds findable by their parts ("Datenbank" finds "Datenbankverbindung") and need no
// word boundaries in scripts that have none. This scans what the reads return (bounded below);
// an index in the core (FTS4 over character n-grams) is the next step for very long histories.
import type { ContextEngineApi } from '../core/engineApi';
import type { Json } from '../core/types';

export type SearchKind = 'decision' | 'message' | 'task' | 'agent' | 'span' | 'checkpoint';

export interface SearchResult {
  kind: SearchKind;
  /** The record's id: a decision, message or checkpoint number, a task or agent id, `<trace id>/<span id>`. */
  id: string;
  ts: string;
  title: string;
  snippet: string;
}

/** Records read per kind (newest first). */
export const SEARCH_SCAN_LIMIT = 10_000;

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

interface Candidate {
  kind: SearchKind;
  id: string;
  ts: string;
  title: string;
  /** Everything searchable, title first. */
  text: string;
}

const json = (v: Json | undefined): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

async function candidates(engine: ContextEngineApi): Promise<Candidate[]> {
  const [decisions, messages, spans] = await Promise.all([
    engine.getDecisions({ limit: SEARCH_SCAN_LIMIT }),
    engine.getMessages({ limit: SEARCH_SCAN_LIMIT }),
    engine.getSpans({ limit: SEARCH_SCAN_LIMIT }),
  ]);
  const out: Candidate[] = [];
  for (const d of decisions) {
    out.push({ kind: 'decision', id: String(d.id), ts: d.ts, title: d.decision,
      text: [d.decision, d.decision_type, d.reasoning, d.agent_id ?? '', d.task_id ?? '', json(d.context), json(d.outcome)].join('\n') });
  }
  for (const m of messages) {
    out.push({ kind: 'message', id: String(m.id), ts: m.ts, title: `${m.from_agent} → ${m.to_agent}: ${m.message_type}`,
      text: [json(m.content), m.from_agent, m.to_agent, m.message_type].join('\n') });
  }
  for (const t of engine.getTasks()) {
    out.push({ kind: 'task', id: t.task_id, ts: t.updated_at, title: t.description || t.task_id,
      text: [t.description, t.task_id, t.status, t.agent_id ?? '', ...t.blockers, ...t.completed_subtasks].join('\n') });
  }
  for (const a of engine.getAgents()) {
    out.push({ kind: 'agent', id: a.agent_id, ts: a.last_seen, title: a.agent_id,
      text: [a.agent_id, a.status, a.current_task ?? '', ...a.capabilities, json(a.metadata)].join('\n') });
  }
  for (const s of spans) {
    out.push({ kind: 'span', id: `${s.trace_id}/${s.span_id}`, ts: s.start_time, title: s.name,
      text: [s.name, s.agent_id ?? '', s.tool_name ?? '', s.model ?? '', s.status_message ?? '', json(s.attributes as Json)].join('\n') });
  }
  for (const c of engine.listCheckpoints(SEARCH_SCAN_LIMIT)) {
    if (c.label) out.push({ kind: 'checkpoint', id: String(c.checkpoint_id), ts: c.created_at, title: c.label, text: c.label });
  }
  return out;
}

/** A line of context around the first match, at most ~140 characters, on one line. */
function snippet(text: string, folded: string, term: string): string {
  const one = (s: string) => s.replace(/\s+/g, ' ').trim();
  // NFKC and case folding can change lengths: find the position in the folded text, then cut the
  // original text around the same index (close enough for a preview).
  const at = Math.max(0, folded.indexOf(term));
  const start = Math.max(0, at - 50);
  const cut = one(text.slice(start, start + 140));
  return (start > 0 ? '…' : '') + cut + (start + 140 < text.length ? '…' : '');
}

export async function search(engine: ContextEngineApi, q: string, limit = 20): Promise<SearchResult[]> {
  const terms = queryTerms(q);
  if (terms.length === 0) return [];
  const scored: { score: number; c: Candidate; folded: string }[] = [];
  for (const c of await candidates(engine)) {
    const folded = fold(c.text);
    if (!terms.every(t => folded.includes(t))) continue;
    const title = fold(c.title);
    let score = 0;
    for (const t of terms) {
      score += title.includes(t) ? 3 : 1;
      if (title === t || title.startsWith(t)) score += 2;
    }
    scored.push({ score, c, folded });
  }
  scored.sort((a, b) => b.score - a.score || b.c.ts.localeCompare(a.c.ts));
  return scored.slice(0, limit).map(({ c, folded }) => ({
    kind: c.kind, id: c.id, ts: c.ts, title: c.title.length > 120 ? c.title.slice(0, 119) + '…' : c.title, snippet: snippet(c.text, folded, terms[0]),
  }));
}
