// The rendered pages in the real workbench: the webview draws the report's sections and its
// buttons act (their clicks go through the page's own script), the status page is live, and
// documents carry titles a person reads.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import type { RecoveryReport } from '../../../src/core/types';
import type { Page } from '../../../src/views/pages/page';
import type { Pages } from '../../../src/views/pages/pages';
import { activate, closeAllEditors, screenshot, type TestApi, waitFor } from '../harness';

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);

describe('rendered pages', function () {
  let api: TestApi;
  let pages: Pages;

  before(async function () {
    api = await activate();
    pages = (api.testing as unknown as { pages: Pages }).pages;
    await closeAllEditors();
  });
  after(closeAllEditors);

  it('the recovery report renders its sections, the incomplete tasks as a table and its buttons', async function () {
    await api.markRecoveryPoint('pages-test');
    await api.updateTaskProgress('pages-task', { description: 'Render the report', status: 'in_progress', percentage: 42.4, blockers: ['needs a <webview>'] });
    const report = await vscode.commands.executeCommand<RecoveryReport>('jarvis.recoverFromCrash');
    const page = await waitFor(() => pages.open.reports[0], 'the report page');
    const r = await within(page.whenRendered(), 20_000, 'the report drawn by the webview');
    assert.match(page.panel.title, /^Recovery report — \d\d:\d\d:\d\d$/);
    assert.strictEqual(r.title, 'Recovery analysis');
    for (const h of ['Summary', `Incomplete tasks (${report.incomplete_tasks.length})`, 'Crash frontier', 'Since the last recovery point', 'Steps taken']) {
      assert.ok(r.headings.includes(h), `no section "${h}": ${r.headings.join(' | ')}`);
    }
    assert.ok(r.tableRows >= report.incomplete_tasks.length, `${r.tableRows} rows`);
    assert.deepStrictEqual(r.actions, ['openCheckpoint', 'resumeFromCheckpoint', 'editAndFork', 'copyMarkdown', 'openMarkdown', 'openJson']);
    // escaped, rounded: the blocker's markup is text, 42.4 % reads 42%
    assert.ok(r.text.includes('needs a <webview>') && /\b42%/.test(r.text), r.text.slice(0, 2000));
    assert.doesNotMatch(r.text, /\*\*When:\*\*|\| --- \|/, 'Markdown source in the page');
  });

  it('its buttons act: Copy as Markdown, Open Checkpoint, Open Markdown File', async function () {
    const page: Page = pages.open.reports[0];
    await vscode.env.clipboard.writeText('');
    await page.press('copyMarkdown');
    await waitFor(async () => (await vscode.env.clipboard.readText()).startsWith('# Jarvis Context recovery report'), 'the Markdown on the clipboard');

    await page.press('openCheckpoint');
    const activeUri = (scheme: string) => {
      const u = vscode.window.activeTextEditor?.document.uri;
      return u?.scheme === scheme ? u : undefined;
    };
    const cp = await waitFor(() => activeUri('jarvis-context'), 'the checkpoint editor');
    assert.match(cp.path, /^\/checkpoints\/\d+\/Recovery point #\d+ — pages-test\.json$/);

    await page.press('openMarkdown'); // the page is hidden behind the checkpoint: press shows it first
    const md = await waitFor(() => activeUri('file'), 'the Markdown file');
    assert.strictEqual(path.dirname(md.fsPath), api.testing.sessions.current!.engine!.folder);
    assert.match(md.fsPath, /recovery_report_.*\.md$/);
  });

  it('a crash report names the breakpoint holds left open, as text', async function () {
    await closeAllEditors();
    const base = await vscode.commands.executeCommand<RecoveryReport>('jarvis.recoverFromCrash');
    await closeAllEditors();
    const report: RecoveryReport = {
      ...base, trigger: 'crash', file: base.file.replace(/\.json$/, '-held.json'),
      breakpoint_holds_at_crash: [{
        hold_id: 'mx9-3', breakpoint: 'tool:search', reason: 'breakpoint', filter: null, event_kind: 'tool', event_name: '<b>search</b>',
        agent_id: 'coder', task_id: 'deploy', source: { file: '/work/orch/run.py', line: 42, function: 'run_tools' }, since: base.created_at,
      }],
    };
    const page = pages.report(api.testing.sessions.current!, report);
    const r = await within(page.whenRendered(), 20_000, 'the report drawn by the webview');
    assert.strictEqual(r.title, 'Recovered from a crash');
    assert.ok(r.headings.includes('Breakpoint holds open at the crash (1)'), r.headings.join(' | '));
    assert.ok(r.text.includes('breakpoint tool:search at tool <b>search</b> by coder in task deploy'), r.text.slice(0, 3000));
    assert.ok(r.text.includes('called from /work/orch/run.py:42 (run_tools)') && r.text.includes('went on by itself'));
    await screenshot('report-held-breakpoints');
  });

  it('Show Status opens a live page with rounded figures', async function () {
    await closeAllEditors();
    await vscode.commands.executeCommand('jarvis.showStatus');
    const page = await waitFor(() => pages.open.statuses[0], 'the status page');
    const first = await within(page.whenRendered(), 20_000, 'the status page drawn');
    assert.match(page.panel.title, /^Jarvis Context Status — /);
    for (const h of ['What is recorded', 'Checkpoints', 'Storage', 'Activity', 'Server']) assert.ok(first.headings.includes(h), `no "${h}"`);
    assert.doesNotMatch(first.text, /\d\.\d{3,}/, 'a figure with more than two decimals');
    assert.match(first.text, /\d+(\.\d)? (KB|MB|B)\b/);
    const agents = api.testing.sessions.current!.engine!.getStatus().counts.agents;
    await api.updateAgentState('status-page-agent', { status: 'busy' });
    const next = await within(page.whenRendered(x => x.text.includes(`${agents + 1}\nagent${agents + 1 === 1 ? '' : 's'}`)), 20_000, 'the status page to follow the engine');
    assert.ok(next);
    await screenshot('status');
    // Show Metrics is the same page
    await vscode.commands.executeCommand('jarvis.showMetrics');
    assert.strictEqual(pages.open.statuses.length, 1);
  });

  it('documents carry titles a person reads', async function () {
    const engine = api.testing.sessions.current!.engine!;
    await api.logDecision({ decision_type: 'retry_policy', context: {}, decision: 'Retry deploy-staging after quota raise', reasoning: 'transient' });
    const d = (await engine.getDecisions({ limit: 50 })).find(x => x.decision === 'Retry deploy-staging after quota raise')!;
    const uri = await vscode.commands.executeCommand<vscode.Uri>('jarvis.openDecision', d.id);
    assert.strictEqual(path.posix.basename(uri.path), `Decision #${d.id} — Retry deploy-staging after quota raise.json`);
    assert.strictEqual(JSON.parse(vscode.window.activeTextEditor!.document.getText()).id, d.id);
  });
});
