// LangGraph threads as the Checkpoints view and its documents show them: plain data and text, no
// vscode import (unit-tested in plain Node). A run is one (thread, namespace); its checkpoints are
// its steps, each described by step, the node(s) that wrote it and LangGraph's source.
import type { LgSummary, LgTuple } from './core/langgraph';
import { setOwn } from './core/ownKeys';
import { ago, visibleId } from './format';

export interface LgStep {
  summary: LgSummary;
  step: number | undefined;
  /** input, loop, update, fork (LangGraph's metadata.source), or '' when it has none. */
  source: string;
  /** The nodes whose writes made this checkpoint; empty for input and for forks. */
  writers: string[];
}

export interface LgRun {
  thread_id: string;
  checkpoint_ns: string;
  /** Newest first. */
  steps: LgStep[];
  /** A subgraph's run: the step of the thread's own run it ran from (metadata.parents), when shown. */
  fromStep?: number;
}

/** Node name of a task path: `~__pregel_pull, agent` → `agent`; push tasks name their node after the marker too. */
export function taskNode(path: string): string | undefined {
  const parts = path.split(',').map(p => p.trim());
  if (parts[0] !== '~__pregel_pull' && parts[0] !== '~__pregel_push') return undefined;
  const name = parts.slice(1).find(p => p !== '' && !/^(\d+|true|false|~__pregel_\w+)$/.test(p));
  return name === '__start__' ? 'start' : name;
}

/**
 * Who wrote a checkpoint: `metadata.writes` when the graph recorded it (LangGraph for Python before
 * 0.3), else the tasks that ran from its parent (their writes are stored against the parent).
 * Input and forks are written by nobody in the graph.
 */
function writersOf(c: LgSummary, source: string, parent: LgSummary | undefined): string[] {
  const w = c.metadata.writes;
  if (w !== null && typeof w === 'object' && !Array.isArray(w) && Object.keys(w).length > 0) return Object.keys(w).map(visibleId);
  if (source !== 'loop' || !parent) return [];
  const names = parent.task_paths.map(taskNode).filter((n): n is string => n !== undefined);
  return [...new Set(names)].map(visibleId);
}

/** Runs, newest first (by their newest checkpoint); within a thread the root namespace before its subgraphs. */
export function groupRuns(summaries: LgSummary[]): LgRun[] {
  const byId = new Map(summaries.map(s => [runKey(s) + '\u0000' + s.checkpoint_id, s]));
  const runs = new Map<string, LgRun>();
  for (const s of summaries) {
    const key = runKey(s);
    let run = runs.get(key);
    if (!run) runs.set(key, (run = { thread_id: s.thread_id, checkpoint_ns: s.checkpoint_ns, steps: [] }));
    const source = typeof s.metadata.source === 'string' ? s.metadata.source : '';
    const parent = s.parent_checkpoint_id === null ? undefined : byId.get(key + '\u0000' + s.parent_checkpoint_id);
    run.steps.push({ summary: s, step: typeof s.metadata.step === 'number' ? s.metadata.step : undefined, source, writers: writersOf(s, source, parent) });
  }
  for (const run of runs.values()) {
    run.steps.sort((a, b) => (a.summary.checkpoint_id < b.summary.checkpoint_id ? 1 : -1));
    // Runs of one subgraph look alike: the step they ran from tells them apart.
    const parents = run.steps[0].summary.metadata.parents;
    const root = run.checkpoint_ns && parents !== null && typeof parents === 'object' ? (parents as Record<string, unknown>)[''] : undefined;
    const from = typeof root === 'string' ? byId.get(runKey({ thread_id: run.thread_id, checkpoint_ns: '' }) + '\u0000' + root)?.metadata.step : undefined;
    if (typeof from === 'number') run.fromStep = from;
  }
  const newest = (r: LgRun) => r.steps[0].summary.checkpoint_id;
  const threadNewest = new Map<string, string>();
  for (const r of runs.values()) if ((threadNewest.get(r.thread_id) ?? '') < newest(r)) threadNewest.set(r.thread_id, newest(r));
  return [...runs.values()].sort((a, b) =>
    a.thread_id === b.thread_id
      ? (a.checkpoint_ns === '' ? -1 : b.checkpoint_ns === '' ? 1 : newest(a) < newest(b) ? 1 : -1)
      : threadNewest.get(a.thread_id)! < threadNewest.get(b.thread_id)! ? 1 : -1);
}

export function runKey(k: { thread_id: string; checkpoint_ns: string }): string {
  return `${k.thread_id}\u0000${k.checkpoint_ns}`;
}

/** `sub:6f1…|inner:92c…` → `sub › inner`: the subgraph nodes, without their task ids. */
export function namespaceName(ns: string): string {
  return ns.split('|').map(part => visibleId(part.split(':')[0])).join(' › ');
}

/**
 * The run's row: "thread-7", or "thread-7 › sub" with "from step 4" ("sub" alone when drawn under
 * the thread's own run, `nested`), and the age of its newest checkpoint; the count in the hover.
 */
export function runItem(r: LgRun, nested: boolean, now?: number): { label: string; description: string; tooltip: string } {
  const ns = r.checkpoint_ns ? namespaceName(r.checkpoint_ns) : '';
  const label = nested && ns ? ns : visibleId(r.thread_id) + (ns ? ` › ${ns}` : '');
  const n = r.steps.length;
  const from = r.fromStep === undefined ? '' : `from step ${r.fromStep}`;
  const lines = [`LangGraph thread ${visibleId(r.thread_id)}`];
  if (r.checkpoint_ns) lines.push(`Subgraph namespace ${visibleId(r.checkpoint_ns)}${from ? `, run ${from} of the thread` : ''}`);
  lines.push(`${n} checkpoint${n === 1 ? '' : 's'}, the newest ${ago(r.steps[0].summary.created_at, now)}`);
  return { label, description: `${from ? `${from} · ` : ''}${ago(r.steps[0].summary.created_at, now)}`, tooltip: lines.join('\n') };
}

/** What wrote the checkpoint, in a few words: "agent", "tools, audit", "input", "fork of step 2". */
export function writerText(s: LgStep, parentStep?: number): string {
  if (s.writers.length > 0) return s.writers.join(', ');
  switch (s.source) {
    case 'input': return 'input';
    case 'fork': return parentStep === undefined ? 'fork' : `fork of step ${parentStep}`;
    case 'update': return parentStep === undefined ? 'edited' : `edit of step ${parentStep}`;
    default: return s.step === 0 ? 'start' : '—';
  }
}

/**
 * The checkpoint's row: label "2  agent" (step, then who wrote it: what a reader scans for) and
 * description "loop · 20 s ago", the source left out where the label says it ("input", "fork of
 * step 2"); everything else in the hover.
 */
export function stepItem(s: LgStep, parentStep: number | undefined, now?: number): { label: string; description: string } {
  const step = s.step === undefined ? '?' : String(s.step);
  const said = s.writers.length === 0 && (s.source === 'input' || s.source === 'fork');
  return { label: `${step}  ${writerText(s, parentStep)}`, description: `${said ? '' : `${s.source || 'no source'} · `}${ago(s.summary.created_at, now)}` };
}

const SOURCE_MEANINGS: Record<string, string> = {
  input: 'the input the graph was invoked with',
  loop: 'made by the graph as a step ran',
  update: 'an edit of the state (updateState, or Edit and Fork… here)',
  fork: 'a copy of an earlier checkpoint to continue from it (Resume from This Checkpoint)',
};

/** The hover: every detail, plain lines (the view renders them as Markdown, escaped). */
export function stepTooltipLines(s: LgStep, parentStep: number | undefined): string[] {
  const c = s.summary;
  const lines = [
    `Step ${s.step ?? '?'} — ${writerText(s, parentStep)}`,
    `Source: ${s.source || 'none'}${SOURCE_MEANINGS[s.source] ? ` (${SOURCE_MEANINGS[s.source]})` : ''}`,
    `Thread ${visibleId(c.thread_id)}${c.checkpoint_ns ? `, namespace ${visibleId(c.checkpoint_ns)}` : ''}`,
    `Checkpoint ${c.checkpoint_id}`,
  ];
  if (c.parent_checkpoint_id) lines.push(`Parent ${c.parent_checkpoint_id}`);
  const next = [...new Set(c.task_paths.map(taskNode).filter((n): n is string => n !== undefined))];
  if (next.length) lines.push(`Tasks that ran from it: ${next.map(visibleId).join(', ')}`);
  if (typeof c.metadata.run_id === 'string') lines.push(`Run ${visibleId(c.metadata.run_id)}`);
  return lines;
}

/** The text standing for a value that is not JSON: it is shown, never edited. */
export function opaqueValueNote(type: string, base64: string): string {
  const bytes = Math.floor((base64.length * 3) / 4) - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
  const why = type === 'json' ? 'too big to show here' : 'not JSON';
  return `‹${visibleId(type)} value, ${bytes.toLocaleString('en-US')} bytes: ${why}, shown read-only and left as it is›`;
}

/**
 * The checkpoint's channel values as one JSON object (channel → value), as the diff and the Edit
 * and Fork… draft show them. A value that is not JSON (or too big to render) stands as a note.
 */
export function channelValues(t: Pick<LgTuple, 'channel_values'>): { values: Record<string, unknown>; opaque: Set<string> } {
  const values: Record<string, unknown> = {};
  const opaque = new Set<string>();
  for (const b of t.channel_values) {
    const json = b.type === 'json' && b.json !== undefined;
    if (!json) opaque.add(b.channel);
    setOwn(values, b.channel, json ? b.json : opaqueValueNote(b.type, b.data));
  }
  return { values, opaque };
}
