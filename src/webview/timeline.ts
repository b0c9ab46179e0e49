// The run timeline, drawn in its webview: a waterfall of lanes (SVG), a toolbar of
// @vscode-elements buttons with codicons, zoom (Ctrl+wheel, +/−, buttons), pan (drag, wheel,
// Shift+arrows) and keyboard navigation (arrows move between items, Enter reveals). Clicking an
// item asks the extension to reveal it in the sidebar. Bundled by esbuild into dist/webview/.
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import type { HostToTimeline, TimelineBar, TimelineMarker, TimelineModel, TimelineToHost } from '../timeline/protocol';

declare function acquireVsCodeApi(): { postMessage(m: TimelineToHost): void; getState(): unknown; setState(s: unknown): void };

const vscode = acquireVsCodeApi();
const SVG = 'http://www.w3.org/2000/svg';
const LABEL_W = 190;
const AXIS_H = 26;
const MARK_ROW = 20;
const ROW = 20;
const LANE_PAD = 8;
const MIN_SPAN_MS = 200;

type Item = { key: string; lane: string; t: number; end: number; row: number; detail: string[]; ref: TimelineBar['ref']; label: string };

let model: TimelineModel | undefined;
let items: Item[] = [];
let byKey = new Map<string, Item>();
/** Visible window; `follow` keeps the newest moment in view as the run goes on. */
let view = { start: 0, end: 1, follow: true };
let selected: string | null = null;

const chart = document.getElementById('chart') as HTMLDivElement;
const svg = document.getElementById('svg') as unknown as SVGSVGElement;
const summary = document.getElementById('summary') as HTMLElement;
const details = document.getElementById('details') as HTMLElement;
const range = document.getElementById('range') as HTMLElement;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

function tip(e: Element, lines: string[]): void {
  el('title', {}, e).textContent = lines.join('\n');
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const DAY = 86_400_000;
const dayName = (t: number) => new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
const sameDay = (a: number, b: number) => new Date(a).toDateString() === new Date(b).toDateString();
function clock(t: number, withSeconds: boolean): string {
  const d = new Date(t);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}${withSeconds ? `:${pad2(d.getSeconds())}` : ''}`;
}
/** A moment with its day when that is not today. */
function moment(t: number, withSeconds: boolean): string {
  return sameDay(t, Date.now()) ? clock(t, withSeconds) : `${dayName(t)} ${clock(t, withSeconds)}`;
}
function span(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * DAY) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${Math.round(ms / DAY)} days`;
}

const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200].map(s => s * 1000)
  .concat([1, 2, 7, 14, 30, 91, 182, 365].map(d => d * DAY));

function width(): number {
  return Math.max(200, chart.clientWidth - LABEL_W - 12);
}
const x = (t: number) => LABEL_W + ((t - view.start) / (view.end - view.start)) * width();
const tAt = (px: number) => view.start + ((px - LABEL_W) / width()) * (view.end - view.start);

function laneTops(m: TimelineModel): Map<string, { top: number; height: number }> {
  const out = new Map<string, { top: number; height: number }>();
  let y = AXIS_H;
  for (const l of m.lanes) {
    // Tall enough for the label's two lines, whatever the rows.
    const height = Math.max(MARK_ROW + Math.max(l.rows, l.key === 'run' ? 0 : 1) * ROW + LANE_PAD, 40);
    out.set(l.key, { top: y, height });
    y += height;
  }
  return out;
}

function draw(): void {
  if (!model) return;
  const m = model;
  const w = width();
  const tops = laneTops(m);
  const total = [...tops.values()].reduce((n, l) => Math.max(n, l.top + l.height), AXIS_H) + 4;
  svg.replaceChildren();
  svg.setAttribute('width', String(LABEL_W + w + 8));
  svg.setAttribute('height', String(total));
  const clipId = 'plot';
  const defs = el('defs', {}, svg);
  el('rect', { x: LABEL_W, y: 0, width: w, height: total }, el('clipPath', { id: clipId }, defs));

  // Lanes: alternate backgrounds, labels on the left.
  m.lanes.forEach((l, i) => {
    const { top, height } = tops.get(l.key)!;
    el('rect', { x: 0, y: top, width: LABEL_W + w + 8, height, class: i % 2 ? 'lane odd' : 'lane' }, svg);
    const g = el('g', { class: l.ref ? 'lane-label link' : 'lane-label', 'data-key': `lane:${l.key}` }, svg);
    el('text', { x: 8, y: top + 14, class: 'lane-name' }, g).textContent = fit(l.label, LABEL_W - 14, 7.2);
    el('text', { x: 8, y: top + 29, class: 'lane-detail' }, g).textContent = fit(l.detail, LABEL_W - 14, 6.4);
    tip(g, [l.label, l.detail]);
  });

  // Time axis with ticks at a readable step.
  const ms = view.end - view.start;
  const step = STEPS.find(s => (s / ms) * w >= 90) ?? STEPS[STEPS.length - 1];
  const offset = new Date().getTimezoneOffset() * 60_000;
  const axis = el('g', { class: 'axis' }, svg);
  let lastDay = '';
  for (let t = Math.ceil((view.start - offset) / step) * step + offset, n = 0; t <= view.end && n < 200; t += step, n++) {
    const px = x(t);
    el('line', { x1: px, x2: px, y1: AXIS_H - 6, y2: total, class: 'grid' }, axis);
    // Days on day steps; on finer steps the day where it changes (and on the first tick).
    const day = dayName(t);
    const label = step >= DAY ? day : day !== lastDay && (lastDay || !sameDay(view.start, view.end)) ? `${day} ${clock(t, false)}` : clock(t, step < 60_000);
    lastDay = day;
    el('text', { x: px + 3, y: 14, class: 'tick' }, axis).textContent = label;
  }

  const plot = el('g', { 'clip-path': `url(#${clipId})` }, svg);
  let outages = 0;
  for (const o of m.outages) {
    const x1 = Math.max(LABEL_W, x(o.start));
    const x2 = Math.min(LABEL_W + w, x(o.end));
    if (x2 < LABEL_W || x1 > LABEL_W + w) continue;
    const r = el('rect', { x: x1, y: AXIS_H, width: Math.max(2, x2 - x1), height: total - AXIS_H, class: 'outage' }, plot);
    tip(r, [o.label]);
    outages++;
  }
  if (m.now >= view.start && m.now <= view.end) el('line', { x1: x(m.now), x2: x(m.now), y1: AXIS_H - 6, y2: total, class: 'now' }, plot);

  // A resume: from the checkpoint the run branched at to the moment it went on from it.
  let forks = 0;
  const run = tops.get('run');
  for (const f of m.forks) {
    if (!run || f.from === null || f.at < view.start || f.from > view.end) continue;
    const y = run.top + MARK_ROW / 2 + 1;
    const x1 = x(f.from);
    const x2 = x(f.at);
    el('path', { d: `M${x1} ${y} C${x1} ${y + 16} ${x2} ${y + 16} ${x2} ${y}`, class: 'fork-arc' }, plot);
    forks++;
  }

  // The stretches of one task cut by a crash or a resume, joined by a seam across the break.
  const seams = new Map<string, { x: number; y: number }>();
  let bars = 0;
  let reruns = 0;
  for (const b of m.bars) {
    if (b.end < view.start || b.start > view.end) continue;
    const lane = tops.get(b.lane);
    if (!lane) continue;
    const x1 = x(b.start);
    const bw = Math.max(3, x(Math.max(b.end, b.start + MIN_SPAN_MS)) - x1);
    const y = lane.top + MARK_ROW + b.row * ROW;
    const g = el('g', { class: `item bar ${b.kind} ${b.state}${b.part ? ` ${b.part}` : ''}${b.open ? ' open' : ''}${b.key === selected ? ' selected' : ''}`, 'data-key': b.key }, plot);
    if (b.part && b.ref.kind === 'task') {
      const prev = seams.get(b.ref.id);
      if (prev && b.part !== 'before') el('line', { x1: prev.x, y1: prev.y, x2: x1, y2: y + ROW / 2, class: 'seam' }, plot);
      seams.set(b.ref.id, { x: x1 + bw, y: y + ROW / 2 });
      if (b.part === 'rerun') reruns++;
    }
    el('rect', { x: x1, y: y + 2, width: bw, height: ROW - 5, rx: 3 }, g);
    const room = bw - 8;
    if (room > 24) el('text', { x: Math.max(x1, LABEL_W) + 4, y: y + 14, class: 'bar-label' }, g).textContent = fit(b.label, Math.min(room, x1 + bw - LABEL_W - 8), 6.6);
    tip(g, b.detail);
    bars++;
  }

  let markers = 0;
  let crashes = 0;
  // Markers of one lane closer than their size are set side by side, not on top of each other.
  const lastX = new Map<string, number>();
  for (const mk of m.markers) {
    if (mk.t < view.start || mk.t > view.end) continue;
    const lane = tops.get(mk.lane);
    if (!lane) continue;
    const prev = lastX.get(mk.lane);
    const px = prev !== undefined && x(mk.t) - prev < 12 ? prev + 12 : x(mk.t);
    lastX.set(mk.lane, px);
    const cy = lane.top + MARK_ROW / 2 + 1;
    const g = el('g', { class: `item marker ${mk.kind}${mk.key === selected ? ' selected' : ''}`, 'data-key': mk.key }, plot);
    marker(g, mk, px, cy, lane.top, total);
    tip(g, mk.detail);
    markers++;
    if (mk.kind === 'crash') crashes++;
  }

  const sameDayView = sameDay(view.start, view.end);
  range.textContent = `${moment(view.start, true)} – ${sameDayView ? clock(view.end, true) : moment(view.end, true)} · ${span(view.end - view.start)} shown${view.follow ? ' · following' : ''}`;
  showDetails();
  vscode.setState({ view, selected, folder: document.body.dataset.folder });
  vscode.postMessage({ type: 'rendered', lanes: m.lanes.map(l => l.label), bars, markers, crashes, outages, forks, reruns, selected, viewStart: view.start, viewEnd: view.end, width: w });
}

function marker(g: SVGGElement, mk: TimelineMarker, px: number, cy: number, laneTop: number, total: number): void {
  switch (mk.kind) {
    case 'decision':
      el('path', { d: `M${px} ${cy - 6} L${px + 6} ${cy} L${px} ${cy + 6} L${px - 6} ${cy} Z` }, g);
      break;
    case 'message':
      el('circle', { cx: px, cy, r: 4 }, g);
      break;
    case 'checkpoint':
      el('line', { x1: px, x2: px, y1: laneTop, y2: total, class: 'rule' }, g);
      el('path', { d: `M${px} ${cy - 7} L${px + 8} ${cy - 4} L${px} ${cy - 1} Z` }, g);
      el('line', { x1: px, x2: px, y1: cy - 7, y2: cy + 7 }, g);
      break;
    case 'alert':
      el('path', { d: `M${px} ${cy - 7} L${px + 7} ${cy + 6} L${px - 7} ${cy + 6} Z` }, g);
      break;
    case 'fork':
      el('line', { x1: px, x2: px, y1: laneTop, y2: total, class: 'rule' }, g);
      // A branch: a stem and the arm that leaves it.
      el('path', { d: `M${px} ${cy + 7} L${px} ${cy - 7} M${px} ${cy + 2} Q${px} ${cy - 3} ${px + 7} ${cy - 6}` }, g);
      break;
    case 'crash':
      el('line', { x1: px, x2: px, y1: AXIS_H, y2: total, class: 'rule' }, g);
      el('path', { d: `M${px - 6} ${cy - 6} L${px + 6} ${cy + 6} M${px + 6} ${cy - 6} L${px - 6} ${cy + 6}`, class: 'cross' }, g);
      break;
  }
  // A wider, invisible target: markers are small.
  el('rect', { x: px - 8, y: cy - 9, width: 16, height: 18, class: 'hit' }, g);
}

/** Cuts text to about `px` pixels at `charPx` per character. */
function fit(text: string, px: number, charPx: number): string {
  const n = Math.floor(px / charPx);
  return text.length <= n ? text : n <= 1 ? '' : text.slice(0, n - 1) + '…';
}

function showDetails(): void {
  const it = selected ? byKey.get(selected) : undefined;
  if (!it) {
    details.textContent = 'Click an item to reveal it in the sidebar. Arrow keys move between items, Enter reveals, + and − zoom, 0 fits the newest run, Shift+0 the whole history.';
    details.classList.add('muted');
    return;
  }
  details.classList.remove('muted');
  details.replaceChildren();
  const [head, ...rest] = it.detail;
  const b = document.createElement('strong');
  b.textContent = head;
  details.append(b, ` · ${moment(it.t, true)}${it.end > it.t ? `–${sameDay(it.t, it.end) ? clock(it.end, true) : moment(it.end, true)}` : ''}`);
  for (const line of rest) {
    details.append(document.createElement('br'), line);
  }
}

function rebuildItems(m: TimelineModel): void {
  items = [
    ...m.bars.map(b => ({ key: b.key, lane: b.lane, t: b.start, end: b.end, row: 1 + b.row, detail: b.detail, ref: b.ref, label: b.label })),
    ...m.markers.map(k => ({ key: k.key, lane: k.lane, t: k.t, end: k.t, row: 0, detail: k.detail, ref: k.ref, label: k.label })),
  ].sort((a, b) => a.t - b.t);
  byKey = new Map(items.map(i => [i.key, i]));
}

/** Fits the newest run (the whole history with `all`). */
function fitAll(all = false): void {
  if (!model) return;
  const from = all ? model.start : model.runStart;
  const to = Math.max(model.end, model.now);
  const margin = (to - from) * 0.02 + 500;
  view = { start: from - margin, end: to + margin, follow: true };
}

/** Draws on the next frame: a drag or a wheel sends many events per frame, a day's chart is thousands of shapes. */
let frame = 0;
function drawSoon(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    draw();
  });
}

function zoom(factor: number, at?: number, soon = false): void {
  const anchor = at ?? (view.start + view.end) / 2;
  const len = Math.min(Math.max((view.end - view.start) * factor, 1_000), 400 * 86_400_000);
  const f = (anchor - view.start) / (view.end - view.start);
  view = { start: anchor - f * len, end: anchor - f * len + len, follow: false };
  if (soon) drawSoon();
  else draw();
}

function pan(fraction: number, soon = false): void {
  const d = (view.end - view.start) * fraction;
  view = { start: view.start + d, end: view.end + d, follow: false };
  if (soon) drawSoon();
  else draw();
}

function select(key: string | null, reveal: boolean): void {
  selected = key;
  const it = key ? byKey.get(key) : undefined;
  if (it && (it.end < view.start || it.t > view.end)) {
    const len = view.end - view.start;
    view = { start: it.t - len * 0.3, end: it.t + len * 0.7, follow: false };
  }
  draw();
  if (it && reveal) vscode.postMessage({ type: 'reveal', ref: it.ref, key: it.key });
}

/** The item next to the selected one: in time along its lane, or the nearest in time on the lane above/below. */
function neighbour(dir: 'left' | 'right' | 'up' | 'down'): string | null {
  if (!model) return null;
  const cur = selected ? byKey.get(selected) : undefined;
  const visible = items.filter(i => i.end >= view.start && i.t <= view.end);
  if (!cur) return (visible[0] ?? items[0])?.key ?? null;
  if (dir === 'left' || dir === 'right') {
    const same = items.filter(i => i.lane === cur.lane);
    const at = same.indexOf(cur);
    return (same[dir === 'left' ? at - 1 : at + 1] ?? cur).key;
  }
  const lanes = model.lanes.map(l => l.key);
  for (let li = lanes.indexOf(cur.lane) + (dir === 'up' ? -1 : 1); li >= 0 && li < lanes.length; li += dir === 'up' ? -1 : 1) {
    const there = items.filter(i => i.lane === lanes[li]);
    if (there.length === 0) continue;
    return there.reduce((best, i) => (Math.abs(i.t - cur.t) < Math.abs(best.t - cur.t) ? i : best)).key;
  }
  return cur.key;
}

function keyOf(target: EventTarget | null): string | null {
  const g = (target as Element | null)?.closest?.('[data-key]');
  return g ? g.getAttribute('data-key') : null;
}

// Clicks: an item selects and reveals; a lane label reveals its agent.
svg.addEventListener('click', e => {
  if (dragged) return;
  const key = keyOf(e.target);
  if (!key || !model) return;
  if (key.startsWith('lane:')) {
    const lane = model.lanes.find(l => `lane:${l.key}` === key);
    if (lane?.ref) vscode.postMessage({ type: 'reveal', ref: lane.ref, key });
    return;
  }
  select(key, true);
  chart.focus();
});

// Drag pans; Ctrl/Cmd+wheel zooms at the pointer, Shift+wheel (or a sideways wheel) pans.
let drag: { x: number; start: number; end: number } | null = null;
let dragged = false;
svg.addEventListener('pointerdown', e => {
  if (e.button !== 0 || e.offsetX < LABEL_W) return;
  drag = { x: e.clientX, start: view.start, end: view.end };
  dragged = false;
});
window.addEventListener('pointermove', e => {
  if (!drag) return;
  const dx = e.clientX - drag.x;
  if (Math.abs(dx) > 3) dragged = true;
  if (!dragged) return;
  const d = (dx / width()) * (drag.end - drag.start);
  view = { start: drag.start - d, end: drag.end - d, follow: false };
  drawSoon();
});
window.addEventListener('pointerup', () => {
  drag = null;
  setTimeout(() => (dragged = false), 0);
});
chart.addEventListener('wheel', e => {
  if (e.ctrlKey || e.metaKey) {
    e.preventDefault();
    const rect = svg.getBoundingClientRect();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, tAt(e.clientX - rect.left), true);
  } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
    e.preventDefault();
    pan((e.shiftKey ? e.deltaY : e.deltaX) / width(), true);
  }
}, { passive: false });

chart.addEventListener('keydown', e => {
  const k = e.key;
  if (k === '+' || k === '=') zoom(0.8);
  else if (k === '-' || k === '_') zoom(1.25);
  else if (k === '0') { fitAll(e.shiftKey); draw(); }
  else if (e.shiftKey && (k === 'ArrowLeft' || k === 'ArrowRight')) pan(k === 'ArrowLeft' ? -0.2 : 0.2);
  else if (k === 'ArrowLeft' || k === 'ArrowRight' || k === 'ArrowUp' || k === 'ArrowDown') select(neighbour(k.slice(5).toLowerCase() as 'left'), false);
  else if (k === 'Home' || k === 'End') select((k === 'Home' ? items[0] : items[items.length - 1])?.key ?? null, false);
  else if (k === 'Enter' || k === ' ') { if (selected) select(selected, true); }
  else if (k === 'Escape') select(null, false);
  else return;
  e.preventDefault();
});

document.getElementById('zoomIn')!.addEventListener('click', () => zoom(0.8));
document.getElementById('zoomOut')!.addEventListener('click', () => zoom(1.25));
document.getElementById('fit')!.addEventListener('click', () => { fitAll(); draw(); });
document.getElementById('fitAll')!.addEventListener('click', () => { fitAll(true); draw(); });
document.getElementById('follow')!.addEventListener('click', () => {
  if (!model) return;
  const len = view.end - view.start;
  const end = Math.max(model.end, model.now) + len * 0.05;
  view = { start: end - len, end, follow: true };
  draw();
});

new ResizeObserver(() => drawSoon()).observe(chart);

window.addEventListener('message', (e: MessageEvent<HostToTimeline>) => {
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  if (m.type === 'model') {
    const first = !model;
    const before = model;
    model = m.model;
    rebuildItems(model);
    summary.textContent = model.summary + (model.truncated ? ' · the oldest items are left out' : '');
    if (selected && !byKey.has(selected)) selected = null;
    if (first) {
      const saved = vscode.getState() as { view?: typeof view; selected?: string } | undefined;
      if (saved?.view && !saved.view.follow) view = saved.view;
      else fitAll();
      if (saved?.selected && byKey.has(saved.selected)) selected = saved.selected;
    } else if (view.follow && before) {
      // Following: keep the zoom, slide so the newest moment stays in view.
      const len = view.end - view.start;
      const fitted = view.start <= before.runStart && view.end >= Math.max(before.end, before.now);
      if (fitted) fitAll();
      else view = { start: Math.max(model.end, model.now) + len * 0.05 - len, end: Math.max(model.end, model.now) + len * 0.05, follow: true };
    }
    draw();
  } else if (m.type === 'key') {
    chart.focus();
    chart.dispatchEvent(new KeyboardEvent('keydown', { key: m.key, shiftKey: !!m.shiftKey, bubbles: true }));
  } else if (m.type === 'click' || m.type === 'select') {
    if (m.type === 'select') return select(m.key, false);
    if (!byKey.has(m.key) && !m.key.startsWith('lane:')) return;
    if (byKey.has(m.key)) select(m.key, false); // brings it into view, so it can be clicked
    const target = svg.querySelector(`[data-key="${CSS.escape(m.key)}"]`);
    target?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  }
});

vscode.postMessage({ type: 'ready' });
