// The pages' HTML, rendered in plain Node: the shell's security policy, escaping, rounding, and the
// report's sections and buttons (the webview itself is exercised by test/integration/suite/11-pages).
import * as assert from 'assert';
import type { EngineMetrics, EngineStatus, RecoveryReport, Task } from '../../../src/core/types';
import { BLOCKED_URL, html, joinHtml, pageHtml as pageSafeHtml, raw, SafeHtml } from '../../../src/views/pages/html';
import { renderReportBody as reportSafeHtml, reportTitle } from '../../../src/views/pages/reportHtml';
import { timelineHtml as timelineSafeHtml } from '../../../src/views/pages/timelineHtml';
import { renderRecoveryReport } from '../../../src/core/reportMarkdown';
import { bytes, figure, millis, renderStatusBody as statusSafeHtml } from '../../../src/views/pages/statusHtml';
import { fixtureStatus } from '../support/pageFixtures';

const renderReportBody = (...a: Parameters<typeof reportSafeHtml>): string => String(reportSafeHtml(...a));
const renderStatusBody = (...a: Parameters<typeof statusSafeHtml>): string => String(statusSafeHtml(...a));
const timelineHtml = (...a: Parameters<typeof timelineSafeHtml>): string => String(timelineSafeHtml(...a));

const T = '2026-12-01T12:00:00.000Z';
const task = (over: Partial<Task>): Task => ({
  task_id: 't', description: '', status: 'in_progress', percentage: 0, completed_subtasks: [], blockers: [], agent_id: null, metadata: {}, created_at: T, updated_at: T, ...over,
});

function report(over: Partial<RecoveryReport> = {}): RecoveryReport {
  return {
    file: 'recovery_report_x.json', created_at: T, trigger: 'crash', previous_run: { pid: 42, host: 'h', started_at: T }, loaded_from: 'database',
    steps: [{ step: 'load', ok: true, detail: 'database read' }],
    restored: { tasks: 2, agents: 1, decisions: 0, messages: 0, snapshots: 1, journal_records_replayed: 7 },
    stale_agents: [], incomplete_tasks: [task({ task_id: 'deploy', description: 'Deploy <prod>', percentage: 40.56012, blockers: ['quota & limits'] })],
    last_decisions: [{ id: 1, ts: T, decision_type: 'agent_assignment', context: {}, decision: 'Assign', reasoning: 'because', outcome: null, agent_id: null, task_id: null } as never],
    after_last_recovery_point: { recovery_point: { checkpoint_id: 3, created_at: T, label: 'before', kind: 'recovery' } as never, decisions: 1, messages: 2, task_events: 3 },
    crash_frontier: { last_activity_at: T, tasks_in_progress: [], agents_active_at_crash: [], tool_calls_after_recovery_point: [], unfinished_conversations: [] },
    lost: [], duration_ms: 3.14159, ...over,
  };
}

describe('pages', function () {
  it('the report names its moment in local time with the zone, and what arrived since', function () {
    const zone = /UTC([+-]\d\d:\d\d)?/;
    const r = report({ as_of: T, as_of_ids: { decision: 1, message: 0, task_event: 3, checkpoint: 1, span: 0 } });
    const quiet = renderReportBody(r, Date.parse(T), { as_of: T, decisions: 0, messages: 0, task_events: 0, checkpoints: 0, spans: 0, tasks: [] });
    assert.match(quiet, new RegExp(`describes the state at <strong>\\d\\d:\\d\\d:\\d\\d\\.000 ${zone.source}</strong>`));
    assert.ok(quiet.includes('<h2>Since this report</h2>') && quiet.includes('the report and the sidebar agree'));
    const moved = renderReportBody(r, Date.parse(T), {
      as_of: T, decisions: 0, messages: 26, task_events: 1, checkpoints: 0, spans: 0, tasks: [task({ task_id: 'review', description: 'Review the parser', percentage: 50 })],
    });
    assert.match(moved, /Arrived after [^:]+:\d\d:\d\d [^:]*: 1 task update, 26 messages\. They are in the sidebar, not in this report\./);
    assert.match(moved, /<td>Review the parser<\/td><td>in progress<\/td><td class="num"><progress max="100" value="50"><\/progress>50%/);
    // Spool intake: crash reports only; none waiting says so; torn lines and refusals are named.
    assert.ok(renderReportBody(report({ spool_intake: null })).includes('No spooled events were waiting'));
    const taken = renderReportBody(report({ as_of: '2026-12-01T12:00:14.000Z', crash_frontier: { ...report().crash_frontier, last_activity_at: T },
      spool_intake: { accepted: 26, duplicates: 0, rejected: 1, unreadable_lines: 2 } }));
    assert.ok(taken.includes('26 spooled events taken in when the server came back.'), taken);
    assert.ok(taken.includes('away for about 14 s'));
    assert.ok(taken.includes('1 event refused') && taken.includes('2 torn lines skipped'));
    assert.doesNotMatch(renderReportBody(report({ trigger: 'manual', spool_intake: undefined })), /Spooled while/);
  });

  it('the report says what an older image could not bring back, by kind, and that a new history starts (page and Markdown)', function () {
    const r = report({
      loaded_from: 'recovery_checkpoint', new_history: 'loaded from the recovery checkpoint',
      lost_records: { from: 704, to: 1052, count: 349, by_kind: { decision: 100, message: 1, task_event: 0, span: 0, snapshot: 0, checkpoint: 2 } },
    });
    const page = renderReportBody(r);
    assert.ok(page.includes('Records 704 to 1,052 (349) are in no readable file: 100 decisions, 1 message, 2 checkpoints.'), page);
    assert.ok(page.includes('starts a new history (loaded from the recovery checkpoint)'));
    const md = renderRecoveryReport(r);
    assert.ok(md.replace(/\\/g, '').includes('Records 704 to 1,052 (349) are in no readable file: 100 decisions, 1 message, 2 checkpoints.'), md);
    assert.ok(!md.includes('Nothing: every acknowledged write was restored'));
    assert.match(md, /starts a new history/);
    assert.ok(!renderReportBody(report()).includes('no readable file'), 'nothing said when nothing was lost');
  });

  it('the shell allows only its own nonce: no network, no inline handlers', function () {
    const page = String(pageSafeHtml({ title: 'a "b"', body: raw('<p>x</p>'), nonce: 'N0nce' }));
    assert.match(page, /content="default-src 'none'; style-src 'nonce-N0nce'; script-src 'nonce-N0nce';"/);
    assert.ok(page.includes('<style nonce="N0nce">') && page.includes('<script nonce="N0nce">'));
    assert.ok(page.includes('<title>a &quot;b&quot;</title>'));
    assert.doesNotMatch(page, /https?:\/\/|onclick=|style="/);
    assert.strictEqual(String(html`<p title="${`"'`}">${`<a href='x'>&</a>`}</p>`), '<p title="&quot;&#39;">&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;</p>');
  });

  it('the timeline loads its script and the codicon font from the extension only, with its nonce', function () {
    const src = 'https://file+.vscode-resource.vscode-cdn.net';
    const html = timelineHtml({ title: 'Run <timeline>', folder: 'f"1', nonce: 'N0nce', cspSource: src, scriptUri: `${src}/ext/dist/webview/timeline.js`, codiconsUri: `${src}/ext/dist/webview/codicon.css` });
    assert.match(html, new RegExp(`content="default-src 'none'; script-src 'nonce-N0nce'; style-src ${src.replace(/[.+]/g, '\\$&')} 'nonce-N0nce'; font-src ${src.replace(/[.+]/g, '\\$&')}"`));
    assert.ok(html.includes(`<script nonce="N0nce" src="${src}/ext/dist/webview/timeline.js"></script>`));
    assert.ok(html.includes('id="vscode-codicon-stylesheet"'), 'vscode-elements find the codicons by this id');
    assert.ok(html.includes('<h1>Run &lt;timeline&gt;</h1>') && html.includes('<body data-folder="f&quot;1">'));
    // Nothing else from the network, no inline handlers or style attributes (the CSP would refuse them anyway).
    assert.deepStrictEqual([...html.matchAll(/https?:\/\/[^\s"';)]+/g)].map(m => m[0]).filter(u => !u.startsWith(src) && u !== 'http://www.w3.org/2000/svg'), []);
    assert.doesNotMatch(html, /onclick=|style="|unsafe-inline|unsafe-eval/);
  });

  it('the report has its sections, a task table, rounded figures and escaped text', function () {
    const body = renderReportBody(report());
    for (const h of ['Summary', 'Incomplete tasks (1)', 'Crash frontier', 'Stale agents (0)', 'Since the last recovery point', 'Last decisions (1)', 'Steps taken']) {
      assert.ok(body.includes(`<h2>${h}</h2>`), h);
    }
    assert.match(body, /<tbody>\s*<tr><td>Deploy &lt;prod&gt;/, 'task row');
    assert.ok(body.includes('quota &amp; limits') && !body.includes('<prod>'));
    assert.ok(body.includes('>41%</td>') && !body.includes('40.56'), 'percentage not rounded');
    assert.ok(body.includes('took 3.1 ms'));
    assert.ok(body.includes('Agent assignment'));
    assert.deepStrictEqual([...body.matchAll(/data-action="(\w+)"/g)].map(m => m[1]),
      ['openCheckpoint', 'resumeFromCheckpoint', 'editAndFork', 'copyMarkdown', 'openMarkdown', 'openJson']);
    // Open, resume and fork all name the recovery point this report names.
    assert.deepStrictEqual([...body.matchAll(/data-arg="(\d+)"/g)].map(m => m[1]), ['3', '3', '3']);
    assert.ok(body.includes('>Resume from #3</button>') && body.includes('>Edit and Fork…</button>'));
    // without a recovery point there is no checkpoint to open, resume from or fork
    const none = renderReportBody(report({ after_last_recovery_point: { recovery_point: null, decisions: 0, messages: 0, task_events: 0 } }));
    assert.doesNotMatch(none, /openCheckpoint|resumeFromCheckpoint|editAndFork/);
    assert.match(reportTitle(report(), Date.parse(T)), /^Recovery report — \d\d:\d\d:\d\d$/);
  });

  it('another machine\'s report (team mode) is read-only: it says where it comes from, and only Copy as Markdown acts', function () {
    const body = renderReportBody(report(), Date.parse(T), undefined, { host: 'build-<box>', user: 'alice' });
    assert.deepStrictEqual([...body.matchAll(/data-action="(\w+)"/g)].map(m => m[1]), ['copyMarkdown']);
    assert.ok(body.includes('build-&lt;box&gt; · alice · ') && !body.includes('build-<box>'));
    assert.match(body, /written on build-&lt;box&gt; and read from the team database\. Read-only here/);
    // Its facts are all there, the recovery point it names included.
    assert.ok(body.includes('<h2>Incomplete tasks (1)</h2>') && body.includes('Recovery point #3'));
  });

  it('status figures read as figures', function () {
    assert.strictEqual(bytes(641), '641 B');
    assert.strictEqual(bytes(1536), '1.5 KB');
    assert.strictEqual(bytes(40_560_120), '39 MB');
    assert.strictEqual(millis(40.5601200000001), '41 ms');
    assert.strictEqual(millis(0.4213), '0.42 ms');
    assert.strictEqual(millis(2345), '2.3 s');
    assert.strictEqual(figure(40.5601200000001), '40.6');
    assert.strictEqual(figure(12345), '12,345');
    const status: EngineStatus = {
      session_id: 's', started_at: T, last_checkpoint_at: null, checkpoint_count: 0, recovered_from_crash: false, storage_path: '/x',
      persistence: 'ok', persistence_error: null, counts: { agents: 1, tasks: 2, decisions: 0, messages: 0, snapshots: 0 },
      since_start: { started_at: T, spool_at_start: null, spool_from_clients: { accepted: 0, duplicates: 0 }, clients: [] },
    };
    const metrics = {
      checkpoint: { count: 2, avg_ms: 40.5601200000001, p95_ms: 61.2, last_ms: 3.3 }, compaction: { count: 0, last_ms: 0 },
      db_bytes: 0, journal_bytes: 0, archive_bytes: 0, storage_bytes: { database: 2048, journal: 641, images: 0, archive: 0, total: 2689 },
      memory_bytes: 1 << 20, events_total: 3, dedup_hits: 1, recovery: { last_ms: null }, snapshot_rates: { hourly: 1.333333, daily: 2 },
      activity: { messages_per_hour: 0, decisions_per_hour: 0.25 }, storage: { growth_rate_mb_per_day: 0.0123 },
    } as EngineMetrics;
    const body = renderStatusBody({ folderName: 'ws', status, metrics, serverUrl: null, holder: { kind: 'own' }, checkpoints: { count: 1, newest: null } });
    assert.ok(body.includes('Store opened by VS Code: <code>/x</code>'), body);
    assert.doesNotMatch(body, /\d\.\d{3,}/);
    assert.ok(body.includes('41 ms on average'), body);
    assert.ok(body.includes('<div class="label">agent</div>') && body.includes('<div class="label">tasks</div>'));
    assert.ok(body.includes('none yet'), 'compactions');
    assert.doesNotMatch(body, /copyServerInfo/, 'no server, no copy button');
  });

  it('the status page says which server holds a store it is attached to, and where the store is', function () {
    const d = fixtureStatus();
    const body = renderStatusBody(d);
    assert.ok(body.includes('Store attached to the server at http://127.0.0.1:41234/api/jarvis/context (pid 4242, jarvis-context serve): <code>'), body);
    assert.ok(body.includes('<dt>Held</dt><dd>attached to the server at'), body);
  });

  it('html`…` escapes every interpolation for where it sits, and refuses the places it cannot make safe', function () {
    const x = `<b onclick="a">&'\``;
    assert.strictEqual(String(html`<p>${x}</p>`), '<p>&lt;b onclick=&quot;a&quot;&gt;&amp;&#39;&#96;</p>');
    assert.strictEqual(String(html`<p title="${x}" class='${x}'>x</p>`),
      '<p title="&lt;b onclick=&quot;a&quot;&gt;&amp;&#39;&#96;" class=\'&lt;b onclick=&quot;a&quot;&gt;&amp;&#39;&#96;\'>x</p>');
    // Nested templates and lists pass as markup; null, undefined and false write nothing; numbers are text.
    const items = ['a<', 'b'].map(i => html`<li>${i}</li>`);
    assert.strictEqual(String(html`<ul>${items}</ul>${null}${undefined}${false}${0}`), '<ul><li>a&lt;</li><li>b</li></ul>0');
    assert.strictEqual(String(joinHtml([html`<b>1</b>`, '<2>'], ' & ')), '<b>1</b> &amp; &lt;2&gt;');
    // Unquoted attribute values, attribute names and markup inside an attribute are refused outright.
    assert.throws(() => html`<p title=${'x'}>`, /inside a tag/);
    assert.throws(() => html`<p ${'onclick="x"'}>`, /inside a tag/);
    assert.throws(() => html`<p title="${html`<b>`}">`, /markup in the attribute title/);
    assert.throws(() => html`<script nonce="${'n'}">${'alert(1)'}</script>`, /inside <script> or <style>/);
    assert.throws(() => html`<style>${'body{}'}</style>`, /inside <script> or <style>/);
    assert.strictEqual(String(html`<style>${raw('a>b{}')}</style><p>${'<'}</p>`), '<style>a>b{}</style><p>&lt;</p>');
    // URLs: our anchors, jarvis commands and webview resources; anything else, or a URL built around data, is blocked.
    const link = (u: string): string => String(html`<a href="${u}">x</a>`);
    for (const ok of ['#incomplete-tasks', 'command:jarvis.openCheckpoint', 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/timeline.js']) {
      assert.strictEqual(link(ok), `<a href="${ok}">x</a>`);
    }
    for (const bad of ['javascript:alert(1)', 'https://evil.example', '//evil.example', 'data:text/html,x', 'command:workbench.action.terminal.sendSequence', ' javascript:x', 'JAVASCRIPT:x']) {
      assert.strictEqual(link(bad), `<a href="${BLOCKED_URL}">x</a>`, bad);
    }
    assert.strictEqual(String(html`<a href="#task-${'a b"<:/'}">x</a>`), '<a href="#task-a%20b%22%3C%3A%2F">x</a>');
    assert.strictEqual(String(html`<form action="${'https://evil.example'}"></form>`), `<form action="${BLOCKED_URL}"></form>`);
    // Only the helper mints SafeHtml: a look-alike object is text, and the constructor refuses callers.
    const fake = { toString: () => '<script>x</script>' } as unknown as string;
    assert.strictEqual(String(html`${fake}`), '&lt;script&gt;x&lt;/script&gt;');
    assert.throws(() => new SafeHtml(Symbol('SafeHtml'), '<script>'), /made by html/);
  });
});
