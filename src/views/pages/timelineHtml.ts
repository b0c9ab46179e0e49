// The HTML shell of the run timeline: a strict Content-Security-Policy (the bundled script and
// style only with the page's nonce, the codicon font and stylesheet only from the extension's
// dist/webview folder), theme colours through VS Code's CSS variables. No vscode import.
import { html, raw, type SafeHtml } from './html';

export interface TimelineHtmlOptions {
  title: string;
  /** The workspace folder's session key: kept in the webview's state, so a reload restores the right folder's timeline. */
  folder: string;
  nonce: string;
  /** `webview.cspSource`: where the webview may load the extension's files from. */
  cspSource: string;
  scriptUri: string;
  codiconsUri: string;
}

const STYLE = `
:root { color-scheme: light dark; }
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground);
  background: var(--vscode-editor-background); margin: 0; padding: 0; overflow: hidden; display: flex; flex-direction: column; height: 100vh; }
header { display: flex; align-items: center; gap: 10px; padding: 6px 12px; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); flex-wrap: wrap; }
header h1 { font-size: 1.1em; font-weight: 600; margin: 0 6px 0 0; }
header .tools { display: flex; gap: 2px; }
#summary, #range { color: var(--vscode-descriptionForeground); }
#range { margin-left: auto; font-variant-numeric: tabular-nums; }
.legend { display: flex; gap: 14px; padding: 4px 12px; color: var(--vscode-descriptionForeground); flex-wrap: wrap; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.2)); }
.legend .codicon { vertical-align: text-bottom; margin-right: 3px; }
.legend .sw { display: inline-block; width: 18px; height: 9px; border-radius: 2px; margin-right: 4px; vertical-align: middle; }
.sw.running { background: var(--vscode-charts-blue); } .sw.done { background: var(--vscode-charts-green); }
.sw.failed { background: var(--vscode-charts-red); } .sw.blocked { background: var(--vscode-charts-yellow); }
.sw.rerun { background: var(--vscode-charts-blue); outline: 2px solid var(--vscode-charts-orange); outline-offset: -2px; }
.c-fork { color: var(--vscode-charts-orange); }
.sw.waiting { background: transparent; border: 1px dashed var(--vscode-descriptionForeground); height: 7px; }
.c-decision { color: var(--vscode-charts-purple); } .c-message { color: var(--vscode-charts-blue); }
.c-checkpoint { color: var(--vscode-charts-green); } .c-alert { color: var(--vscode-editorWarning-foreground); } .c-crash { color: var(--vscode-charts-red); }
#chart { flex: 1; overflow: auto; outline: none; cursor: grab; }
#chart:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
#chart:active { cursor: grabbing; }
#details { min-height: 3.2em; max-height: 7em; overflow: auto; padding: 6px 12px; border-top: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35));
  font-variant-numeric: tabular-nums; }
#details.muted { color: var(--vscode-descriptionForeground); }
svg { display: block; user-select: none; font-family: var(--vscode-font-family); }
.lane { fill: transparent; } .lane.odd { fill: var(--vscode-list-hoverBackground, rgba(128,128,128,.06)); opacity: .55; }
.lane-name { fill: var(--vscode-foreground); font-weight: 600; font-size: 12px; }
.lane-detail { fill: var(--vscode-descriptionForeground); font-size: 11px; }
.lane-label.link { cursor: pointer; } .lane-label.link:hover .lane-name { text-decoration: underline; }
.tick { fill: var(--vscode-descriptionForeground); font-size: 11px; }
.grid { stroke: var(--vscode-panel-border, rgba(128,128,128,.25)); stroke-width: 1; opacity: .6; }
.now { stroke: var(--vscode-editorCursor-foreground, var(--vscode-foreground)); stroke-dasharray: 2 3; }
.outage { fill: var(--vscode-charts-red); opacity: .12; }
.item { cursor: pointer; }
.bar rect { stroke-width: 1; }
.bar.task rect { fill-opacity: .85; }
.bar.span rect { fill-opacity: .45; }
.bar.step rect { fill-opacity: .6; }
.bar.running rect { fill: var(--vscode-charts-blue); stroke: var(--vscode-charts-blue); }
.bar.done rect { fill: var(--vscode-charts-green); stroke: var(--vscode-charts-green); }
.bar.failed rect { fill: var(--vscode-charts-red); stroke: var(--vscode-charts-red); }
.bar.blocked rect { fill: var(--vscode-charts-yellow); stroke: var(--vscode-charts-yellow); }
.bar.waiting rect { fill: transparent; stroke: var(--vscode-descriptionForeground); stroke-dasharray: 3 2; }
.bar.open rect { stroke-dasharray: 4 2; }
.bar.before rect { fill-opacity: .4; }
.bar.rerun rect { stroke: var(--vscode-charts-orange); stroke-width: 2; }
.seam { stroke: var(--vscode-descriptionForeground); stroke-dasharray: 1 3; opacity: .8; }
.fork-arc { stroke: var(--vscode-charts-orange); stroke-width: 1.5; stroke-dasharray: 5 3; fill: none; }
.bar-label { fill: var(--vscode-editor-background); font-size: 11px; pointer-events: none; }
.bar.span .bar-label, .bar.step .bar-label, .bar.waiting .bar-label, .bar.before .bar-label { fill: var(--vscode-foreground); }
.item:hover rect:not(.hit), .item.selected rect:not(.hit) { stroke: var(--vscode-focusBorder); stroke-width: 2; }
.marker path, .marker circle { stroke: var(--vscode-editor-background); stroke-width: 1; }
.marker.decision path { fill: var(--vscode-charts-purple); }
.marker.message circle { fill: var(--vscode-charts-blue); }
.marker.checkpoint path { fill: var(--vscode-charts-green); } .marker.checkpoint line { stroke: var(--vscode-charts-green); }
.marker.checkpoint .rule { stroke-dasharray: 2 4; opacity: .5; }
.marker.alert path { fill: var(--vscode-editorWarning-foreground); }
.marker.crash line { stroke: var(--vscode-charts-red); stroke-width: 2; } .marker.crash .cross { stroke: var(--vscode-charts-red); stroke-width: 3; fill: none; }
.marker.selected path, .marker.selected circle, .marker:hover path, .marker:hover circle { stroke: var(--vscode-focusBorder); stroke-width: 2; }
.marker.fork path { fill: none; stroke: var(--vscode-charts-orange); stroke-width: 2.5; } .marker.fork line { stroke: var(--vscode-charts-orange); stroke-width: 2; opacity: .7; }
.hit { fill: transparent; }
`;

/** The whole document; the script draws into #svg once the extension sends the model. */
export function timelineHtml(o: TimelineHtmlOptions): SafeHtml {
  const n = o.nonce;
  const legend = raw([
    '<span><span class="sw running"></span>running</span>',
    '<span><span class="sw done"></span>done</span>',
    '<span><span class="sw failed"></span>failed</span>',
    '<span><span class="sw blocked"></span>blocked</span>',
    '<span><span class="sw waiting"></span>waiting</span>',
    '<span>tasks solid, spans pale</span>',
    '<span class="c-decision"><i class="codicon codicon-lightbulb"></i>decision</span>',
    '<span class="c-message"><i class="codicon codicon-mail"></i>message</span>',
    '<span class="c-checkpoint"><i class="codicon codicon-bookmark"></i>checkpoint</span>',
    '<span class="c-alert"><i class="codicon codicon-warning"></i>alert</span>',
    '<span class="c-crash"><i class="codicon codicon-debug-disconnect"></i>crash</span>',
    '<span class="c-fork"><i class="codicon codicon-repo-forked"></i>resumed from a checkpoint</span>',
    '<span><span class="sw rerun"></span>↻ ran again</span>',
  ].join(''));
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${n}'; style-src ${o.cspSource} 'nonce-${n}'; font-src ${o.cspSource}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${o.codiconsUri}" id="vscode-codicon-stylesheet" nonce="${n}">
<title>${o.title}</title>
<style nonce="${n}">${raw(STYLE)}</style>
</head>
<body data-folder="${o.folder}">
<header>
<h1>${o.title}</h1>
<span class="tools">
<vscode-toolbar-button id="zoomIn" icon="zoom-in" label="Zoom in (+)" title="Zoom in (+)"></vscode-toolbar-button>
<vscode-toolbar-button id="zoomOut" icon="zoom-out" label="Zoom out (−)" title="Zoom out (−)"></vscode-toolbar-button>
<vscode-toolbar-button id="fit" icon="screen-full" label="Fit the newest run (0)" title="Fit the newest run (0)"></vscode-toolbar-button>
<vscode-toolbar-button id="fitAll" icon="history" label="Whole history (Shift+0)" title="Whole history (Shift+0)"></vscode-toolbar-button>
<vscode-toolbar-button id="follow" icon="debug-continue" label="Follow the newest" title="Follow the newest"></vscode-toolbar-button>
</span>
<span id="summary">Loading…</span>
<span id="range"></span>
</header>
<div class="legend">${legend}</div>
<div id="chart" tabindex="0" role="application" aria-label="Run timeline: arrow keys move between items, Enter reveals the item in the sidebar, plus and minus zoom">
<svg id="svg" xmlns="http://www.w3.org/2000/svg"></svg>
</div>
<div id="details" aria-live="polite"></div>
<script nonce="${n}" src="${o.scriptUri}"></script>
</body>
</html>`;
}
