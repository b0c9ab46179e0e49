// The HTML shell of every Jarvis Context page (recovery report, status): a strict
// Content-Security-Policy with a per-page nonce, no network and no local resources, theme colours
// through VS Code's CSS variables, and one small script that turns clicks on [data-action] into
// typed messages. Every page writes its HTML through the `html` tagged template below, which
// escapes each value for where it sits: what a page shows from the store, or from another
// machine's report, is text.
// No vscode import: the pages' bodies are rendered and unit-tested in plain Node.
import * as crypto from 'crypto';

/** What a page's script sends to the extension. */
export type PageToHost =
  /** After every render: what the browser drew (tests read it; the page checks itself). */
  | { type: 'rendered'; title: string; headings: string[]; actions: string[]; tableRows: number; text: string }
  | { type: 'action'; action: string; arg?: string };

/** What the extension sends to a page. */
export type HostToPage =
  /** New content for <main>, kept scrolled where it was (live pages). */
  | { type: 'update'; html: string }
  /** Presses the button of that action, as a click would (keyboard shortcuts, tests). */
  | { type: 'press'; action: string };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
const escape = (text: string): string => text.replace(/[&<>"'`]/g, ch => ESCAPES[ch]!);

const MINT = Symbol('SafeHtml');

/** Markup the `html` template (or `raw`, for constant markup) produced; nothing else can make one. */
export class SafeHtml {
  readonly #html: string;
  constructor(mint: symbol, markup: string) {
    if (mint !== MINT) throw new Error('SafeHtml is made by html`…` or raw() only');
    this.#html = markup;
  }
  toString(): string {
    return this.#html;
  }
}

/** Constant markup written in this repository (a style sheet, a script): never data. */
export function raw(constant: string): SafeHtml {
  return new SafeHtml(MINT, constant);
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

/** Attributes whose value is a URL: only our own anchors, commands and webview resources pass. */
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'srcset', 'background', 'cite', 'data', 'ping']);
const ALLOWED_URL = /^(?:#[\w-]*|command:jarvis\.[\w.]+|https:\/\/[a-z0-9+%.-]+\.vscode-resource\.vscode-cdn\.net\/[^\s"'<>`]*|vscode-(?:webview-)?resource:[^\s"'<>`]*)$/i;
/** What a refused URL becomes (as Go's html/template does): visible when debugging, inert. */
export const BLOCKED_URL = '#blocked';

export function allowedUrl(url: string): boolean {
  return ALLOWED_URL.test(url);
}

/** Where an interpolation sits: text between tags (`code`: inside <script> or <style>), or inside a quoted attribute value. */
type Slot = { kind: 'text'; code: boolean } | { kind: 'attr'; name: string; first: boolean };

/** Reads the template's own literals (never data) to find each interpolation's context. */
function slotsOf(strings: TemplateStringsArray): Slot[] {
  let mode: 'text' | 'tag' | 'attr' = 'text';
  let word = '';
  let name = '';
  let eq = false;
  let quote = '';
  let first = true;
  let tag = '';
  let code = false;
  const slots: Slot[] = [];
  strings.forEach((lit, i) => {
    for (let j = 0; j < lit.length; j++) {
      const ch = lit[j]!;
      if (mode === 'text') {
        if (ch === '<' && /[A-Za-z/!]/.test(lit[j + 1] ?? '')) { mode = 'tag'; word = ''; eq = false; tag = ''; }
      } else if (mode === 'tag') {
        tag += ch;
        if (ch === '>') { mode = 'text'; code = /^(?:script|style)\b/i.test(tag); }
        else if (eq && (ch === '"' || ch === "'")) { mode = 'attr'; quote = ch; first = true; }
        else if (ch === '=') { name = word.toLowerCase(); eq = true; }
        else if (/\s/.test(ch)) word = '';
        else { if (eq) eq = false; word += ch; }
      } else {
        first = false;
        if (ch === quote) { mode = 'tag'; word = ''; eq = false; }
      }
    }
    if (i === strings.length - 1) return;
    if (mode === 'text') slots.push({ kind: 'text', code });
    else if (mode === 'attr') { slots.push({ kind: 'attr', name, first }); first = false; }
    else throw new Error(`html\`…\`: interpolation ${i} is inside a tag but not inside a quoted attribute value`);
  });
  return slots;
}

const slotCache = new WeakMap<TemplateStringsArray, Slot[]>();

function textValue(v: HtmlValue): string {
  if (v instanceof SafeHtml) return v.toString();
  if (Array.isArray(v)) return v.map(textValue).join('');
  if (v === null || v === undefined || v === false) return '';
  return escape(String(v));
}

function attrValue(v: HtmlValue, slot: Extract<Slot, { kind: 'attr' }>): string {
  if (v instanceof SafeHtml || Array.isArray(v)) throw new Error(`html\`…\`: markup in the attribute ${slot.name}`);
  const text = v === null || v === undefined || v === false ? '' : String(v);
  if (URL_ATTRIBUTES.has(slot.name)) {
    // A whole URL must be one of ours; after our own literal prefix (`#…`), data is a percent-encoded part.
    if (!slot.first) return escape(encodeURIComponent(text));
    if (!allowedUrl(text)) return BLOCKED_URL;
  }
  return escape(text);
}

/**
 * The one way pages write HTML: every interpolation is escaped for where it sits (text, or a
 * quoted attribute value; anywhere else is refused) unless it is SafeHtml; URL attributes take
 * only our own anchors, `command:jarvis.…` and webview resources.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let slots = slotCache.get(strings);
  if (!slots) slotCache.set(strings, (slots = slotsOf(strings)));
  let out = strings[0]!;
  values.forEach((v, i) => {
    const slot = slots![i]!;
    if (slot.kind === 'text' && slot.code && !(v instanceof SafeHtml)) throw new Error('html`…`: data inside <script> or <style>');
    out += (slot.kind === 'text' ? textValue(v) : attrValue(v, slot)) + strings[i + 1]!;
  });
  return new SafeHtml(MINT, out);
}

/** Items one after another with a plain-text separator. */
export function joinHtml(items: readonly HtmlValue[], separator: string): SafeHtml {
  return raw(items.map(textValue).join(escape(separator)));
}

export function newNonce(): string {
  return crypto.randomBytes(18).toString('base64');
}

/** A button that posts `{ type: 'action', action, arg }` (an empty data-arg posts no arg). */
export function button(action: string, label: string, options: { arg?: string | number; secondary?: boolean; title?: string } = {}): SafeHtml {
  return html`<button type="button" class="${options.secondary ? 'secondary' : 'primary'}" data-action="${action}" data-arg="${options.arg ?? ''}" title="${options.title ?? ''}">${label}</button>`;
}

const STYLE = `
:root { color-scheme: light dark; }
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground);
  background: var(--vscode-editor-background); margin: 0; padding: 16px 28px 40px; line-height: 1.5; max-width: 1100px; }
h1 { font-size: 1.6em; font-weight: 600; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.15em; font-weight: 600; margin: 1.6em 0 0.5em; padding-bottom: 4px; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); }
.sub { color: var(--vscode-descriptionForeground); margin: 0 0 12px; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0 4px; }
button { font: inherit; border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; padding: 4px 12px; cursor: pointer; }
button.primary { color: var(--vscode-button-foreground); background: var(--vscode-button-background); }
button.primary:hover { background: var(--vscode-button-hoverBackground); }
button.secondary { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
button.secondary:hover { background: var(--vscode-button-secondaryHoverBackground); }
button:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; padding: 4px 10px 4px 0; vertical-align: top; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.25)); }
th { color: var(--vscode-descriptionForeground); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0; }
dl.facts dt { color: var(--vscode-descriptionForeground); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); border-radius: 4px; padding: 8px 12px; }
.card .value { font-size: 1.5em; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--vscode-descriptionForeground); }
.ok { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
.warn { color: var(--vscode-editorWarning-foreground); }
.bad { color: var(--vscode-errorForeground); }
.muted { color: var(--vscode-descriptionForeground); }
progress { -webkit-appearance: none; appearance: none; width: 80px; height: 6px; vertical-align: middle; margin-right: 6px; border: none; border-radius: 3px; background: rgba(128, 128, 128, 0.25); }
progress::-webkit-progress-bar { background: rgba(128, 128, 128, 0.25); border-radius: 3px; }
progress::-webkit-progress-value { background: var(--vscode-progressBar-background); border-radius: 3px; }
code { font-family: var(--vscode-editor-font-family); font-size: 0.95em; }
ul { margin: 4px 0; padding-left: 20px; }
`;

const SCRIPT = `
const vscode = acquireVsCodeApi();
const main = document.querySelector('main');
function rendered() {
  vscode.postMessage({
    type: 'rendered',
    title: document.querySelector('h1') ? document.querySelector('h1').textContent : '',
    headings: Array.from(document.querySelectorAll('h2'), h => h.textContent),
    actions: Array.from(document.querySelectorAll('[data-action]'), b => b.dataset.action),
    tableRows: document.querySelectorAll('tbody tr').length,
    text: main.innerText.slice(0, 20000),
  });
}
document.addEventListener('click', e => {
  const b = e.target.closest('[data-action]');
  if (b) vscode.postMessage({ type: 'action', action: b.dataset.action, arg: b.dataset.arg || undefined });
});
window.addEventListener('message', e => {
  const m = e.data;
  if (m && m.type === 'update') {
    const y = window.scrollY;
    main.innerHTML = m.html;
    window.scrollTo(0, y);
    rendered();
  } else if (m && m.type === 'press') {
    const b = document.querySelector('[data-action="' + CSS.escape(m.action) + '"]');
    if (b) b.click();
  }
});
rendered();
`;

/** The whole document: CSP, style and script with the nonce, `body` inside <main>. */
export function pageHtml(options: { title: string; body: SafeHtml; nonce: string }): SafeHtml {
  const n = options.nonce;
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${n}'; script-src 'nonce-${n}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${options.title}</title>
<style nonce="${n}">${raw(STYLE)}</style>
</head>
<body>
<main>${options.body}</main>
<script nonce="${n}">${raw(SCRIPT)}</script>
</body>
</html>`;
}
