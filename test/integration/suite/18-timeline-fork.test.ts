// The run timeline after a resume, in the real workbench: an orchestrator works, a recovery point
// is taken, it stops; the user resumes from the point and the orchestrator runs two tasks again.
// The page draws the resume branching from its checkpoint, and each task as two stretches, the one
// after marked as run again. Everything goes through the REST API, as an orchestrator does.
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { Pages } from '../../../src/views/pages/pages';
import { activate, closeAllEditors, rest, screenshot, type TestApi, waitFor, within } from '../harness';

describe('run timeline after a resume', function () {
  let api: TestApi;
  this.timeout(120_000);

  before(async function () {
    api = await activate();
    await closeAllEditors();
  });
  after(closeAllEditors);

  it('draws where the run branched and the tasks that ran again, apart from what ran before', async function () {
    const pages = (api.testing as unknown as { pages: Pages }).pages;
    // An orchestrator reports a step every so often: the stretches have a width on the chart.
    const step = () => new Promise(r => setTimeout(r, 700));
    const task = async (id: string, body: object) => assert.strictEqual((await rest(api, 'PUT', `/tasks/${id}`, { agent_id: 'fk-coder', ...body })).status, 200);
    assert.strictEqual((await rest(api, 'PUT', '/agents/fk-coder', { status: 'busy', current_task: 'fk-login' })).status, 200);
    await task('fk-login', { description: 'Implement OAuth login with PKCE', status: 'in_progress', percentage: 10 });
    await task('fk-docs', { description: 'Write the API docs', status: 'in_progress', percentage: 20 });
    await step();
    const point = await rest(api, 'POST', '/recovery-points', { label: 'fk-before-tokens' });
    assert.strictEqual(point.status, 201, JSON.stringify(point.json));
    for (const p of [40, 60]) {
      await step();
      await task('fk-login', { percentage: p });
      await task('fk-docs', { percentage: p + 20 });
    }
    await step();
    await step();
    // The user resumes from the recovery point; the orchestrator restores it on its next start.
    const resume = await rest(api, 'POST', '/resume-point', { checkpoint_id: point.json.checkpoint_id });
    assert.strictEqual(resume.status, 201, JSON.stringify(resume.json));
    await step();
    assert.strictEqual((await rest(api, 'DELETE', '/resume-point')).status, 204);
    for (const p of [20, 45]) {
      await step();
      await task('fk-login', { percentage: p });
      await task('fk-docs', { percentage: p + 30 });
    }
    await task('fk-docs', { status: 'completed', percentage: 100 });

    await vscode.commands.executeCommand('jarvis.showTimeline');
    const page = await waitFor(() => pages.open.timelines[0], 'the timeline page');
    // Fitted to the newest run, in view: the resume's branch, and both tasks' second stretches.
    const r = await within(page.whenRendered(x => x.forks >= 1 && x.reruns >= 2), 30_000, 'the resume and the re-run tasks drawn');
    const model = (page as unknown as { model: import('../../../src/timeline/model').TimelineModel }).model;
    const login = model.bars.filter(b => b.ref.kind === 'task' && b.ref.id === 'fk-login');
    assert.deepStrictEqual(login.map(b => b.part), ['before', 'rerun']);
    assert.ok(login[0].end < login[1].start, 'the two stretches overlap');
    assert.strictEqual(login[1].label, '↻ Implement OAuth login with PKCE');
    const fork = model.markers.find(k => k.kind === 'fork' && k.label === `Resumed from #${point.json.checkpoint_id}`);
    assert.ok(fork, JSON.stringify(model.markers.filter(k => k.kind === 'fork')));
    assert.match(fork.detail.at(-1)!, /^ran again: .*fk-login/);
    assert.ok(r.markers >= 2);
    await page.click(fork.key);
    await within(page.whenRendered(x => x.selected === fork.key), 10_000, 'the resume selected');
    const png = await screenshot('timeline-fork');
    if (png) assert.ok(fs.statSync(png).size > 10_000, 'screenshot too small');
  });
});
