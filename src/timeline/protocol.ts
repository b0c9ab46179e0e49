// What the run timeline's webview and the extension say to each other, and the model they share.
// Imports nothing: the webview script (src/webview, DOM types) and the extension both compile it.

/** What a click on an item reveals (in the sidebar) or opens. */
export type TimelineRef =
  | { kind: 'agent'; id: string }
  | { kind: 'task'; id: string }
  | { kind: 'span'; trace_id: string; span_id: string; name: string }
  | { kind: 'decision'; id: number }
  | { kind: 'message'; id: number }
  | { kind: 'checkpoint'; id: number }
  | { kind: 'alert'; id: number }
  | { kind: 'report'; file: string }
  | { kind: 'langgraph'; thread_id: string; checkpoint_ns: string; checkpoint_id: string };

/** `step`: a LangGraph step, from its parent checkpoint to the checkpoint it wrote. */
export type BarKind = 'task' | 'span' | 'step';
export type MarkerKind = 'decision' | 'message' | 'checkpoint' | 'alert' | 'crash' | 'fork';
/** How a bar is coloured: the state of the task or span. */
export type BarState = 'running' | 'done' | 'failed' | 'waiting' | 'blocked';

export interface TimelineLane {
  /** `run` (checkpoints, crashes, alerts of no agent), an agent id, `unassigned`, or a LangGraph thread's (LANGGRAPH_LANE). */
  key: string;
  label: string;
  /** Second line: health or status, and cost. */
  detail: string;
  /** Bar rows the lane needs (overlapping bars stack); markers have their own row above them. */
  rows: number;
  ref?: TimelineRef;
}

export interface TimelineBar {
  key: string;
  kind: BarKind;
  lane: string;
  row: number;
  start: number;
  /** For a bar still going on, the model's `now`. */
  end: number;
  open: boolean;
  state: BarState;
  /**
   * A task cut by a crash or a resume: `before` what ran up to it; after it, `rerun` (resumed from a
   * checkpoint, or started over) or `continued` (went on from where it was).
   */
  part?: 'before' | 'rerun' | 'continued';
  label: string;
  /** Hover and the details strip, one fact per line. */
  detail: string[];
  ref: TimelineRef;
}

export interface TimelineMarker {
  key: string;
  kind: MarkerKind;
  lane: string;
  t: number;
  label: string;
  detail: string[];
  ref: TimelineRef;
}

/** A stretch when the engine was down: from the last activity before a crash to the recovery. */
export interface TimelineOutage {
  start: number;
  end: number;
  label: string;
}

/** A resume: the run went on from an earlier checkpoint (`from`, where it branched; null when not read) at `at`. */
export interface TimelineFork {
  /** The resume's marker. */
  key: string;
  from: number | null;
  at: number;
}

export interface TimelineModel {
  /** Where the items begin and end (ms since the epoch); `end` is at least the newest item. */
  start: number;
  end: number;
  /** Where the latest run begins: the newest stretch of activity without a pause of RUN_GAP_MS. The view opens fitted to it. */
  runStart: number;
  now: number;
  lanes: TimelineLane[];
  bars: TimelineBar[];
  markers: TimelineMarker[];
  outages: TimelineOutage[];
  forks: TimelineFork[];
  /** One line over the lanes: counts and the cost of the run. */
  summary: string;
  /** Something was left out for size (the newest are kept). */
  truncated: boolean;
}

/** Extension → webview. */
export type HostToTimeline =
  /** The whole model, after every change (the view keeps its zoom, or follows the end when it did). */
  | { type: 'model'; model: TimelineModel }
  /** Clicks the item with that key, as a mouse would (tests, "reveal in timeline"). */
  | { type: 'click'; key: string }
  /** Shows and selects the item with that key without revealing it elsewhere. */
  | { type: 'select'; key: string }
  /** Presses a key in the chart, as the keyboard would (tests). */
  | { type: 'key'; key: string; shiftKey?: boolean };

/** Webview → extension. */
export type TimelineToHost =
  /** The script is up and wants the model. */
  | { type: 'ready' }
  /** An item was clicked (or Enter pressed on it): reveal it in the sidebar. */
  | { type: 'reveal'; ref: TimelineRef; key: string }
  /** After each draw: what is on screen (tests read it). */
  | { type: 'rendered'; lanes: string[]; bars: number; markers: number; crashes: number; outages: number; forks: number; reruns: number; selected: string | null; viewStart: number; viewEnd: number; width: number };
