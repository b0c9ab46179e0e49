// Across machines, after a crash (issue 11): a recovery report written by one server is read by
// another through the team database, and an origin silent past the staleness threshold is lost,
// with its unfinished tasks. Real servers, killed with SIGKILL, against a real PostgreSQL.
import * as assert from 'assert';
import { tempDir } from '../support/fixtures';
import { startPg, type PgServer } from '../support/pgServer';
import { startTeamServe, waitFor, type TeamServe } from './support';

describe('team mode: recovery reports and lost origins across servers', function () {
  this.timeout(120_000);
  let pg: PgServer;
  let dbCount = 0;
  const running: TeamServe[] = [];
  const serve = async (folder: string, args: string[]): Promise<TeamServe> => {
    const s = await startTeamServe(folder, args);
    running.push(s);
    return s;
  };
  const kill = async (s: TeamServe): Promise<void> => {
    s.child.kill('SIGKILL');
    await s.exited;
  };

  before(async () => { pg = await startPg(); });
  afterEach(async () => {
    await Promise.all(running.splice(0).map(s => s.stop()));
  });
  after(() => pg?.stop());

  it('a crash report written by one server is readable from the other: summary on GET /team, the report itself on request', async () => {
    const url = await pg.createDatabase(`r${++dbCount}`);
    const args = ['--database-url', url, '--project', 'shop'];
    const folderB = tempDir();
    const a = await serve(tempDir(), args);
    let b = await serve(folderB, args);
    await waitFor('both connected', async () => (await a.req('GET', '/team')).json.connected && (await b.req('GET', '/team')).json.connected);
    const originB = (await b.req('GET', '/team')).json.origin.id as string;
    assert.strictEqual((await b.req('PUT', '/tasks/migrate', { description: 'migrate the orders table', status: 'in_progress', percentage: 60 })).status, 200);
    assert.strictEqual((await b.req('PUT', '/tasks/done', { description: 'finished', status: 'completed', percentage: 100 })).status, 200);
    // Before any crash, B has no report.
    await waitFor('B listed by A', async () => ((await a.req('GET', '/team')).json.origins as any[]).some(o => o.id === originB));
    const before = ((await a.req('GET', '/team')).json.origins as any[]).find(o => o.id === originB);
    assert.strictEqual(before.last_recovery, null);
    assert.strictEqual(before.lost, false);
    const none = await a.req('GET', `/team/recovery-report?origin=${originB}`);
    assert.strictEqual(none.status, 404);
    assert.strictEqual(none.json.error.field, 'origin');

    await kill(b);
    running.splice(running.indexOf(b), 1);
    b = await serve(folderB, args);

    const summary = await waitFor('B\'s crash report summary on A', async () =>
      ((await a.req('GET', '/team')).json.origins as any[]).find(o => o.id === originB)?.last_recovery ?? undefined);
    assert.strictEqual(summary.trigger, 'crash');
    assert.strictEqual(summary.incomplete_tasks, 1);
    assert.match(summary.file, /\.json$/);
    assert.ok(Number.isFinite(Date.parse(summary.created_at)));

    const latest = await a.req('GET', `/team/recovery-report?origin=${encodeURIComponent(originB)}`);
    assert.strictEqual(latest.status, 200, JSON.stringify(latest.json));
    assert.strictEqual(latest.json.origin, originB);
    assert.strictEqual(latest.json.file, summary.file);
    assert.strictEqual(latest.json.trigger, 'crash');
    assert.deepStrictEqual(latest.json.incomplete_tasks.map((t: any) => [t.task_id, t.percentage]), [['migrate', 60]]);
    // The same report as B's own server has it.
    const own = await b.req('GET', '/recovery-report');
    assert.deepStrictEqual({ ...latest.json, origin: undefined }, { ...own.json, origin: undefined });

    const byFile = await a.req('GET', `/team/recovery-report?origin=${originB}&file=${encodeURIComponent(summary.file)}`);
    assert.strictEqual(byFile.status, 200);
    assert.strictEqual(byFile.json.created_at, latest.json.created_at);
    const list = await a.req('GET', `/team/recovery-reports?origin=${originB}`);
    assert.deepStrictEqual(list.json.reports.map((r: any) => [r.origin, r.file]), [[originB, summary.file]]);
    const all = await a.req('GET', '/team/recovery-reports?limit=5');
    assert.deepStrictEqual(all.json.reports.map((r: any) => r.origin), [originB], 'A never crashed');

    // Bad input names the field; an unknown file is a 404 naming it.
    const noOrigin = await a.req('GET', '/team/recovery-report');
    assert.deepStrictEqual([noOrigin.status, noOrigin.json.error.field], [400, 'origin']);
    const unknown = await a.req('GET', `/team/recovery-report?origin=${originB}&file=nope.json`);
    assert.deepStrictEqual([unknown.status, unknown.json.error.field], [404, 'file']);
    const badLimit = await a.req('GET', '/team/recovery-reports?limit=0');
    assert.deepStrictEqual([badLimit.status, badLimit.json.error.field], [400, 'limit']);
  });

  it('an origin silent past the folder\'s staleness threshold is lost, with its incomplete tasks; a live one is not', async () => {
    const url = await pg.createDatabase(`r${++dbCount}`);
    const args = ['--database-url', url, '--project', 'shop'];
    // 0.2 min: 12 s, above the two heartbeats (10 s) an origin is given at least.
    const a = await serve(tempDir(), [...args, '--stale-agent-minutes', '0.2']);
    const b = await serve(tempDir(), args);
    const c = await serve(tempDir(), args);
    const originOf = async (s: TeamServe): Promise<string> => (await s.req('GET', '/team')).json.origin.id as string;
    await waitFor('all connected', async () => (await Promise.all([a, b, c].map(async s => (await s.req('GET', '/team')).json.connected))).every(Boolean));
    const [originB, originC] = [await originOf(b), await originOf(c)];
    assert.strictEqual((await b.req('PUT', '/tasks/index', { description: 'rebuild the index', status: 'in_progress', percentage: 30 })).status, 200);
    assert.strictEqual((await b.req('PUT', '/tasks/shipped', { description: 'shipped', status: 'completed', percentage: 100 })).status, 200);
    await waitFor('B\'s tasks in the team lists', async () =>
      ((await a.req('GET', '/task-progress?scope=team')).json.tasks as any[]).filter(t => t.origin === originB).length === 2);
    const st0 = (await a.req('GET', '/team')).json;
    assert.strictEqual(st0.stale_after_ms, 12_000);
    assert.ok(st0.origins.every((o: any) => o.lost === false), JSON.stringify(st0.origins));

    const killedAt = Date.now();
    await kill(b);
    const lostB = await waitFor('B lost on A', async () => {
      const o = ((await a.req('GET', '/team')).json.origins as any[]).find(x => x.id === originB);
      return o?.lost ? o : undefined;
    }, 40_000, 250);
    const after = Date.now() - killedAt;
    assert.ok(after >= 12_000 - 5_500, `lost after ${after} ms, before the threshold (12 s less one heartbeat)`);
    const st = (await a.req('GET', '/team')).json;
    // C is idle but alive (heartbeats), A is this server: neither is lost.
    assert.strictEqual(st.origins.find((o: any) => o.id === originC).lost, false);
    assert.strictEqual(st.origins.find((o: any) => o.id === st.origin.id).lost, false);
    assert.ok(Date.now() - Date.parse(lostB.last_seen) >= 12_000);
    // Its unfinished work is still readable, as last replicated.
    const tasks = ((await a.req('GET', '/task-progress?scope=team')).json.tasks as any[]).filter(t => t.origin === originB);
    assert.deepStrictEqual(tasks.filter(t => t.status !== 'completed').map(t => [t.task_id, t.percentage]), [['index', 30]]);
    // C's server, with the default threshold (5 min), does not call B lost yet.
    assert.strictEqual(((await c.req('GET', '/team')).json.origins as any[]).find(o => o.id === originB).lost, false);
  });
});
