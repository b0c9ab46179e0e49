// GET /search and "Search Context…": decisions, messages, tasks, agents, spans and checkpoint
// labels, live and archived, best match first.
//
// Words in any language: the query is cut into words with Intl.Segmenter (which knows that
// "データベース接続" is two words and "Ошибка соединения" two), and each word must occur in the
// record's text as a substring after Unicode normalisation (NFKC) and case folding. Substrings make
// German compounds findable by their parts ("Datenbank" finds "Datenbankverbindung") and need no
// word boundaries in scripts that have none. Decisions, messages and spans, the history that grows
// without bound, are found through the engine's search index over the whole history
// (src/core/searchText.ts says how); tasks, agents and checkpoint labels are few and read here.
import type { ContextEngineApi } from '../core/engineApi';
import type { Json } from '../core/types';
import { fold, matchAt, matchesAll, queryTerms, type SearchCandidate, type SearchKind } from '../core/searchText';

export { fold, queryTerms, type SearchKind };

export interface SearchResult {
  kind: SearchKind;
  /** The record's id: a decision, message or checkpoint number, a task or agent id, `<trace id>/<span id>`. */
  id: string;
  ts: string;
  title: string;
  snippet: string;
}

/** Checkpoints read (newest first); matches of each history kind ranked (newest first). */
export const SEARCH_SCAN_LIMIT = 10_000;

const json = (v: Json | undefined): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** Tasks, agents and checkpoint labels: records that change, few enough to read whole. */
function currentRecords(engine: ContextEngineApi): SearchCandidate[] {
  const out: SearchCandidate[] = [];
  for (const t of engine.getTasks()) {
    out.push({ kind: 'task', id: t.task_id, ts: t.updated_at, title: t.description || t.task_id,
      text: [t.description, t.task_id, t.status, t.agent_id ?? '', ...t.blockers, ...t.completed_subtasks].join('\n') });
  }
  for (const a of engine.getAgents()) {
    out.push({ kind: 'agent', id: a.agent_id, ts: a.last_seen, title: a.agent_id,
      text: [a.agent_id, a.status, a.current_task ?? '', ...a.capabilities, json(a.metadata)].join('\n') });
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
  const at = Math.max(0, matchAt(folded, term));
  const start = Math.max(0, at - 50);
  const cut = one(text.slice(start, start + 140));
  return (start > 0 ? '…' : '') + cut + (start + 140 < text.length ? '…' : '');
}

export async function search(engine: ContextEngineApi, q: string, limit = 20): Promise<SearchResult[]> {
  const terms = queryTerms(q);
  if (terms.length === 0) return [];
  const found = [...(await engine.searchHistory(q, SEARCH_SCAN_LIMIT)), ...currentRecords(engine).filter(c => matchesAll(c, terms))];
  const scored = found.map(c => {
    const title = fold(c.title);
    let score = 0;
    for (const t of terms) {
      const at = matchAt(title, t);
      score += at >= 0 ? 3 : 1;
      if (title === t || at === 0) score += 2;
    }
    return { score, c };
  });
  scored.sort((a, b) => b.score - a.score || b.c.ts.localeCompare(a.c.ts));
  return scored.slice(0, limit).map(({ c }) => ({
    kind: c.kind, id: c.id, ts: c.ts, title: c.title.length > 120 ? c.title.slice(0, 119) + '…' : c.title, snippet: snippet(c.text, fold(c.text), terms[0]),
  }));
}
