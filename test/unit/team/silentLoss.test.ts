// Nothing acknowledged is lost on any machine: each way a folder's history can repeat itself
// (an older image loaded, a folder restored from a backup, the database and journal gone, one
// folder running in two places) and each record PostgreSQL refuses, with real servers against a
// real PostgreSQL. Every acknowledged decision must be in PostgreSQL exactly once, in the table
// that scope=team reads, and the team status must say what happened.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { encodeRecord } from '../../../src/core/journal';
import { appendToJournal, journalText, tempDir } from '../support/fixtures';
import { startPg, type PgServer } from '../support/pgServer';
import { pgQuery, startTeamServe, waitFor, type TeamServe } from './support';

const SCHEMA = 'jarvis_context';

describe('team mode: no silent loss when a history repeats itself', function () {
  this.timeout(240_000);
  let pg: PgServer;
  let dbCount = 0;
  const running: TeamServe[] = [];
  const serve = async (folder: string, url: string, env: NodeJS.ProcessEnv = {}): Promise<TeamServe> => {
    const s = await startTeamServe(folder, ['--database-url', url, '--project', 'shop'], env);
    running.push(s);
    return s;
  };
  const stop = async (s: TeamServe): Promise<void> => {
    await s.stop();
    running.splice(running.indexOf(s), 1);
  };
  const team = async (s: TeamServe): Promise<any> => (await s.req('GET', '/team')).json;
  const drained = (s: TeamServe): Promise<any> =>
    waitFor('replication caught up', async () => {
      const t = await team(s);
      return t.connected && t.pending === 0 ? t : undefined;
    }, 60_000);
  /** Writes decisions named `${prefix}-${i}` for i in [from, to], each acknowledged (201). */
  const decide = async (s: TeamServe, prefix: string, from: number, to: number): Promise<string[]> => {
    const names: string[] = [];
    for (let i = from; i <= to; i++) {
      const name = `${prefix}-${i}`;
      const r = await s.req('POST', '/decisions', { decision_type: 'step', context: { i }, decision: name, reasoning: 'r' });
      assert.strictEqual(r.status, 201, JSON.stringify(r.json));
      names.push(name);
    }
    return names;
  };
  /** Every name in PostgreSQL's decisions table once, and the same as scope=team reads. */
  const assertAllOnce = async (url: string, names: string[], reader?: TeamServe): Promise<void> => {
    const rows = await pgQuery<{ d: string; n: string }>(url, `SELECT body->>'decision' AS d, count(*) AS n FROM ${SCHEMA}.decisions GROUP BY 1`);
    const counts = new Map(rows.map(r => [r.d, Number(r.n)]));
    const missing = names.filter(n => !counts.has(n));
    const twice = names.filter(n => (counts.get(n) ?? 0) > 1);
    assert.deepStrictEqual({ missing: missing.length, twice: twice.length }, { missing: 0, twice: 0 },
      `missing ${missing.slice(0, 5).join(', ')}…; twice ${twice.slice(0, 5).join(', ')}…`);
    const events = await pgQuery<{ d: string; n: string }>(url,
      `SELECT body->'d'->>'decision' AS d, count(*) AS n FROM ${SCHEMA}.events WHERE kind = 'decision' GROUP BY 1`);
    const ev = new Map(events.map(r => [r.d, Number(r.n)]));
    assert.deepStrictEqual(names.filter(n => ev.get(n) !== 1), [], 'each decision\'s record is in the events once');
    if (reader) {
      const listed = ((await reader.req('GET', '/decisions?scope=team&limit=10000')).json.decisions as any[]).map(d => d.decision as string);
      assert.deepStrictEqual(names.filter(n => !listed.includes(n)), [], 'scope=team lists every decision');
    }
  };
  const images = (folder: string): string[] => fs.readdirSync(path.join(folder, 'checkpoints')).filter(f => f.startsWith('image_')).sort();

  before(async () => { pg = await startPg(); });
  afterEach(async () => {
    await Promise.all(running.splice(0).map(s => s.stop()));
  });
  after(() => pg?.stop());

  it('database corrupt and the newest image gone: the older image starts a new history, row ids reused locally never collide, the report counts what the folder lost', async () => {
    const url = await pg.createDatabase(`s${++dbCount}`);
    const folder = tempDir();
    let s = await serve(folder, url);
    const names = await decide(s, 'a', 1, 60);
    await drained(s);
    await stop(s);
    s = await serve(folder, url);
    names.push(...await decide(s, 'a', 61, 120));
    await drained(s);
    await stop(s);
    const imgs = images(folder);
    assert.ok(imgs.length >= 2, imgs.join());
    fs.writeFileSync(path.join(folder, 'jarvis_context.db'), 'damaged beyond reading');
    fs.unlinkSync(path.join(folder, 'checkpoints', imgs[imgs.length - 1]));

    s = await serve(folder, url);
    const report = (await s.req('GET', '/recovery-report')).json;
    assert.strictEqual(report.loaded_from, 'recovery_checkpoint');
    assert.ok(report.new_history, 'a new history');
    assert.strictEqual(report.lost_records.by_kind.decision, 60, JSON.stringify(report.lost_records));
    // Locally the decision ids of the older image are handed out again: in PostgreSQL they belong to another history.
    names.push(...await decide(s, 'b', 1, 80));
    const t = await drained(s);
    assert.notStrictEqual(t.epoch, '', 'the folder is in a new history');
    await assertAllOnce(url, names, s);
  });

  it('a folder restored from a backup: its new records collide with what PostgreSQL holds, are kept as a conflict and sent as a new history', async () => {
    const url = await pg.createDatabase(`s${++dbCount}`);
    const folder = tempDir();
    const backup = tempDir();
    let s = await serve(folder, url);
    const names = await decide(s, 'before', 1, 50);
    await drained(s);
    await stop(s);
    fs.cpSync(folder, backup, { recursive: true });
    s = await serve(folder, url);
    names.push(...await decide(s, 'lost-locally', 1, 100));
    await drained(s);
    await stop(s);
    fs.rmSync(folder, { recursive: true });
    fs.cpSync(backup, folder, { recursive: true });

    s = await serve(folder, url);
    names.push(...await decide(s, 'after-restore', 1, 120));
    const t = await drained(s);
    assert.ok(t.conflicts >= 1, JSON.stringify(t));
    assert.ok(t.last_conflict && t.last_conflict.new_epoch === t.epoch, JSON.stringify(t.last_conflict));
    const kept = await pgQuery(url, `SELECT seq, new_epoch FROM ${SCHEMA}.conflicts`);
    assert.ok(kept.length >= 1, 'the conflict is kept in PostgreSQL');
    await assertAllOnce(url, names, s);
  });

  it('the database and the journal both gone: the newest image loads (never empty), a report is written, new records reach PostgreSQL', async () => {
    const url = await pg.createDatabase(`s${++dbCount}`);
    const folder = tempDir();
    let s = await serve(folder, url);
    const names = await decide(s, 'c', 1, 40);
    await drained(s);
    await stop(s);
    fs.unlinkSync(path.join(folder, 'jarvis_context.db'));
    fs.unlinkSync(path.join(folder, 'journal.jsonl'));
    s = await serve(folder, url);
    const report = await s.req('GET', '/recovery-report');
    assert.strictEqual(report.status, 200);
    assert.strictEqual(report.json.loaded_from, 'recovery_checkpoint');
    assert.strictEqual((await s.req('GET', '/decisions?limit=1000')).json.decisions.length, 40, 'the image\'s history is there');
    names.push(...await decide(s, 'd', 1, 60));
    await drained(s);
    await assertAllOnce(url, names, s);
  });

  it('one folder copied and both copies running at once: the newcomer takes an origin of its own, both are shown, nothing is dropped', async () => {
    const url = await pg.createDatabase(`s${++dbCount}`);
    const a = tempDir();
    const b = tempDir();
    let sa = await serve(a, url);
    const names = await decide(sa, 'seed', 1, 10);
    await drained(sa);
    await stop(sa);
    fs.cpSync(a, b, { recursive: true });
    sa = await serve(a, url);
    await drained(sa);
    const sb = await serve(b, url);
    const [na, nb] = await Promise.all([decide(sa, 'from-a', 1, 150), decide(sb, 'from-b', 1, 150)]);
    names.push(...na, ...nb);
    const [ta, tb] = await Promise.all([drained(sa), drained(sb)]);
    assert.notStrictEqual(ta.origin.id, tb.origin.id, 'the newcomer took an origin of its own');
    const origins = await waitFor('both origins listed', async () => {
      const list = (await team(sa)).origins as any[];
      return list.length === 2 ? list : undefined;
    });
    assert.deepStrictEqual(new Set(origins.map(o => o.folder)), new Set([a, b].map(f => path.resolve(f))));
    // The seed decisions were replicated under the first origin; the newcomer's copy of them is its own history.
    const rows = await pgQuery<{ d: string }>(url, `SELECT body->>'decision' AS d FROM ${SCHEMA}.decisions WHERE body->>'decision' NOT LIKE 'seed-%'`);
    const got = rows.map(r => r.d).sort();
    assert.deepStrictEqual(got, [...na, ...nb].sort());
  });

  it('a record PostgreSQL refuses (from an older version\'s journal) stalls visibly, goes aside, and never blocks the records behind it', async () => {
    const url = await pg.createDatabase(`s${++dbCount}`);
    const folder = tempDir();
    let s = await serve(folder, url);
    const names = await decide(s, 'e', 1, 5);
    await drained(s);
    await stop(s);
    // An older version accepted a lone surrogate; PostgreSQL's jsonb refuses it.
    const journal = path.join(folder, 'journal.jsonl');
    const text = journalText(journal);
    const lastSeq = Math.max(...text.trim().split('\n').map(l => Number(l.split('\t')[1])));
    const bad = { o: 'decision', t: Date.now(), id: 1000, d: { decision_type: 'step', context: {}, decision: 'bad \ud800 record', reasoning: 'r' } };
    appendToJournal(journal, encodeRecord(lastSeq + 1, bad as any));

    s = await serve(folder, url);
    const refusedAt = Date.now();
    const stalled = await waitFor('stalled', async () => {
      const t = await team(s);
      return t.state === 'stalled' ? t : undefined;
    }, 10_000, 20);
    assert.ok(Date.now() - refusedAt < 10_000);
    assert.match(stalled.last_error, /./);
    const alert = await waitFor('a replication alert', async () =>
      ((await s.req('GET', '/alerts?active=true')).json.alerts as any[]).find(x => x.kind === 'replication' && x.subject.id === 'stalled'), 10_000);
    assert.match(alert.message, /stalled/);
    names.push(...await decide(s, 'f', 1, 20));
    const t = await drained(s);
    assert.strictEqual(t.set_aside, 1);
    assert.strictEqual(t.state, 'replicating');
    const active = (await s.req('GET', '/alerts?active=true')).json.alerts as any[];
    assert.ok(!active.some(x => x.kind === 'replication' && x.subject.id === 'stalled'), 'the stall alert ended');
    assert.ok(active.some(x => x.kind === 'replication' && x.subject.id === 'set_aside'), 'the set-aside records are shown');
    const aside = fs.readFileSync(path.join(folder, 'team', 'aside.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l));
    assert.deepStrictEqual(aside.map(x => [x.seq, x.op.d.decision]), [[lastSeq + 1, 'bad \ud800 record']]);
    await assertAllOnce(url, names, s);
  });

  it('a recovery report file that is not a report (the text null, newest by name) is skipped: no 500, replication goes on', async () => {
    const url = await pg.createDatabase(`s${++dbCount}`);
    const folder = tempDir();
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(folder, 'recovery_report_9999-12-31T23-59-59-999Z.json'), 'null');
    fs.writeFileSync(path.join(folder, 'recovery_report_9999-12-31T23-59-59-998Z.json'), '{"trigger":"crash","file":"../../etc/passwd"}');
    const s = await serve(folder, url);
    const latest = await s.req('GET', '/recovery-report');
    assert.strictEqual(latest.status, 404, JSON.stringify(latest.json));
    assert.deepStrictEqual((await s.req('GET', '/recovery-reports')).json.reports, []);
    const names = await decide(s, 'g', 1, 10);
    const t = await drained(s);
    assert.strictEqual(t.last_error, null);
    await assertAllOnce(url, names, s);
    assert.match(s.output(), /not a recovery report/);
  });

  it('a backlog of 1 MB records drains in transactions bounded by bytes (each record alone under a 1.5 MB bound); lag is known after a restart', async () => {
    const url = await pg.createDatabase(`s${++dbCount}`);
    const folder = tempDir();
    // The bound scaled down with the records: 1 MB records under a 1.5 MB bound go one by one,
    // as 1 MB records under the real 32 MB bound go 16 at a time (PostgreSQL's jsonb stops at 256 MB).
    const env = { JARVIS_TEAM_BATCH_BYTES: String(1.5 * 1024 * 1024) };
    let s = await serve(folder, url, env);
    await drained(s);
    await pg.stopImmediate();
    const big = 'x'.repeat(900 * 1024);
    const names: string[] = [];
    for (let i = 1; i <= 12; i++) {
      const name = `big-${i}`;
      const r = await s.req('POST', '/decisions', { decision_type: 'blob', context: {}, decision: name, reasoning: big });
      assert.strictEqual(r.status, 201);
      names.push(name);
    }
    await stop(s);
    s = await serve(folder, url, env);
    const waiting = await waitFor('the backlog waits', async () => {
      const t = await team(s);
      return t.pending >= 12 ? t : undefined;
    });
    assert.ok(typeof waiting.lag_ms === 'number' && waiting.lag_ms > 0, `lag after a restart: ${waiting.lag_ms}`);
    assert.ok(waiting.last_error, 'the outage is said');
    await pg.start();
    await waitFor('drained', async () => {
      const t = await team(s);
      return t.connected && t.pending === 0 ? t : undefined;
    }, 180_000, 200);
    await assertAllOnce(url, names);
    const tx = await pgQuery<{ n: string }>(url, `SELECT count(DISTINCT xmin::text) AS n FROM ${SCHEMA}.events WHERE kind = 'decision' AND body->'d'->>'decision_type' = 'blob'`);
    assert.strictEqual(Number(tx[0].n), 12, 'each 1 MB record in a transaction of its own');
  });
});

describe('team mode: time from the receiver', function () {
  this.timeout(120_000);
  let pg: PgServer;
  const running: TeamServe[] = [];
  before(async () => { pg = await startPg(); });
  afterEach(async () => {
    await Promise.all(running.splice(0).map(s => s.stop()));
  });
  after(() => pg?.stop());

  it('an origin whose clock is 10 minutes slow shows its live agent as live; a decision dated 2099 is flagged and ordered by its arrival', async () => {
    const url = await pg.createDatabase('clocks');
    const args = ['--database-url', url, '--project', 'shop'];
    const skew = path.join(__dirname, '..', 'support', 'skewClock.js');
    const slow = await startTeamServe(tempDir(), args, { NODE_OPTIONS: `--require ${skew}`, JARVIS_TEST_CLOCK_SKEW_MS: String(-10 * 60_000) });
    running.push(slow);
    const fair = await startTeamServe(tempDir(), args);
    running.push(fair);
    assert.strictEqual((await slow.req('PUT', '/agents/slow-worker', { status: 'working' })).status, 200);
    const seen = await waitFor('the slow origin\'s agent seen by the other', async () =>
      ((await fair.req('GET', '/agent-states?scope=team')).json.agents as any[]).find(a => a.agent_id === 'slow-worker'));
    assert.ok(Date.parse(seen.last_seen) < Date.now() - 9 * 60_000, 'its own clock says 10 minutes ago');
    assert.strictEqual(seen.stale, false, JSON.stringify(seen));
    assert.strictEqual(seen.health, 'healthy');

    const future = await fair.req('POST', '/events', { events: [{ type: 'decision', ts: '2099-01-01T00:00:00Z', decision_type: 'plan', context: {}, decision: 'from the future', reasoning: 'r' }] });
    assert.strictEqual(future.status, 201, JSON.stringify(future.json));
    assert.strictEqual((await slow.req('POST', '/decisions', { decision_type: 'plan', context: {}, decision: 'later, from a slow clock', reasoning: 'r' })).status, 201);
    const list = await waitFor('both decisions listed', async () => {
      const d = (await fair.req('GET', '/decisions?scope=team')).json.decisions as any[];
      return d.length === 2 ? d : undefined;
    });
    assert.deepStrictEqual(list.map(d => d.decision), ['later, from a slow clock', 'from the future'], 'newest arrival first');
    assert.strictEqual(list[1].ts_future, true);
    assert.strictEqual(list[1].ts, '2099-01-01T00:00:00.000Z', 'the sender\'s claim is kept');
    assert.strictEqual(list[0].ts_future, undefined);
  });
});
