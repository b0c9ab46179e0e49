// Team mode against a real PostgreSQL (a throwaway server, see support/pgServer.ts): servers as
// users run them, killed for real, PostgreSQL itself stopped with -m immediate.
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { MemoryLogger, openEngine, tempDir } from '../support/fixtures';
import { PG_PASSWORD, startPg, type PgServer } from '../support/pgServer';
import { TeamMode } from '../../../src/team/teamMode';
import { checkTeamConfig } from '../../../src/team/teamConfig';
import { pgQuery, startTeamServe, waitFor, type TeamServe } from './support';

const SCHEMA = 'jarvis_context';
const secrets = [PG_PASSWORD, encodeURIComponent(PG_PASSWORD)];
const noSecret = (what: string, text: string): void => {
  for (const s of secrets) assert.ok(!text.includes(s), `${what} shows the password: ${text.slice(0, 2000)}`);
};

describe('team mode with a real PostgreSQL', function () {
  this.timeout(120_000);
  let pg: PgServer;
  let dbCount = 0;
  const newDb = (): Promise<string> => pg.createDatabase(`t${++dbCount}`);
  const running: TeamServe[] = [];
  const serve = async (folder: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<TeamServe> => {
    const s = await startTeamServe(folder, args, env);
    running.push(s);
    return s;
  };

  before(async () => { pg = await startPg(); });
  afterEach(async () => {
    await Promise.all(running.splice(0).map(s => s.stop()));
  });
  after(() => pg?.stop());

  it('two servers starting at once on an empty database: one migration; each sees the other through scope=team within a second', async () => {
    const url = await newDb();
    const [a, b] = await Promise.all([
      serve(tempDir(), ['--database-url', url, '--project', 'shop']),
      serve(tempDir(), ['--database-url', url, '--project', 'shop']),
    ]);
    const team = async (s: TeamServe): Promise<any> => (await s.req('GET', '/team')).json;
    await waitFor('both servers connected', async () => (await team(a)).connected && (await team(b)).connected);
    const migrations = await pgQuery(url, `SELECT version FROM ${SCHEMA}.schema_migrations`);
    assert.deepStrictEqual(migrations.map(r => r.version).sort(), [1, 2]);

    const t0 = Date.now();
    await Promise.all([a, b].map(async (s, i) => {
      const who = i === 0 ? 'a' : 'b';
      assert.strictEqual((await s.req('PUT', `/agents/agent-${who}`, { status: 'working', current_task: `task-${who}` })).status, 200);
      assert.strictEqual((await s.req('PUT', `/tasks/task-${who}`, { description: `task of ${who}`, status: 'in_progress', percentage: 40 })).status, 200);
      assert.strictEqual((await s.req('POST', '/decisions', { decision_type: 'assign', context: {}, decision: `decision of ${who}`, reasoning: 'r' })).status, 201);
      assert.strictEqual((await s.req('POST', '/messages', { from_agent: `agent-${who}`, to_agent: 'boss', message_type: 'note', content: `hello from ${who}` })).status, 201);
    }));
    const origins = { a: (await team(a)).origin.id as string, b: (await team(b)).origin.id as string };
    assert.notStrictEqual(origins.a, origins.b);
    for (const [s, other] of [[a, 'b'], [b, 'a']] as const) {
      await waitFor(`server sees ${other}'s records`, async () => {
        const agents = (await s.req('GET', '/agent-states?scope=team')).json.agents as any[];
        const tasks = (await s.req('GET', '/task-progress?scope=team')).json.tasks as any[];
        const decisions = (await s.req('GET', '/decisions?scope=team')).json.decisions as any[];
        const messages = (await s.req('GET', '/messages?scope=team')).json.messages as any[];
        const from = origins[other];
        return agents.some(x => x.agent_id === `agent-${other}` && x.origin === from)
          && tasks.some(x => x.task_id === `task-${other}` && x.origin === from && x.percentage === 40)
          && decisions.some(x => x.decision === `decision of ${other}` && x.origin === from)
          && messages.some(x => x.content === `hello from ${other}` && x.origin === from);
      }, 5_000, 10);
    }
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 1_000, `seen after ${elapsed} ms`);
    // Without scope the lists stay this folder's own.
    const local = (await a.req('GET', '/agent-states')).json.agents as any[];
    assert.deepStrictEqual(local.map(x => x.agent_id), ['agent-a']);
    const st = await team(a);
    assert.strictEqual(st.enabled, true);
    assert.strictEqual(st.project, 'shop');
    assert.deepStrictEqual(new Set(st.origins.map((o: any) => o.id)), new Set([origins.a, origins.b]));
    assert.strictEqual(st.last_error, null);
    noSecret('GET /team', JSON.stringify(st));
    noSecret('endpoint.json', fs.readFileSync(path.join(a.folder, 'endpoint.json'), 'utf8'));
  });

  it('an agent heard from by its messages alone stays fresh for the team; an idle one with nothing to do is at rest there', async () => {
    const url = await newDb();
    const [a, b] = await Promise.all([
      serve(tempDir(), ['--database-url', url, '--project', 'shop']),
      serve(tempDir(), ['--database-url', url, '--project', 'shop']),
    ]);
    assert.strictEqual((await a.req('PUT', '/agents/chatty', { status: 'busy', current_task: 'talk' })).status, 200);
    assert.strictEqual((await a.req('PUT', '/agents/resting', { status: 'idle', current_task: null })).status, 200);
    const teamAgent = async (id: string): Promise<any> => ((await b.req('GET', '/agent-states?scope=team')).json.agents as any[]).find(x => x.agent_id === id);
    // Both were written before either is looked for; the other server may see one before the other.
    await waitFor('resting seen by the other server', async () => (await teamAgent('resting')) !== undefined, 10_000, 20);
    const first = await waitFor('chatty seen by the other server', async () => (await teamAgent('chatty'))?.last_seen, 10_000, 20);
    assert.strictEqual((await teamAgent('resting')).at_rest, true);
    assert.strictEqual((await teamAgent('chatty')).at_rest, false);
    // last_seen stays within a second (store.ts): wait until that second has passed
    await waitFor('a second past its last_seen', async () => Date.now() > Date.parse(first) + 1_050, 5_000);
    assert.strictEqual((await a.req('POST', '/messages', { from_agent: 'chatty', to_agent: 'peer', message_type: 'note', content: 'still here' })).status, 201);
    const local = ((await a.req('GET', '/agent-states')).json.agents as any[]).find(x => x.agent_id === 'chatty');
    assert.ok(local.last_seen > first, 'the message did not move last_seen at home');
    await waitFor('the message moved last_seen for the team', async () => (await teamAgent('chatty'))?.last_seen === local.last_seen, 10_000, 20);
  });

  it('wrong URL, wrong password, unknown host, refused connection: a clear last_error, local writes unaffected, no password anywhere', async () => {
    await newDb();
    const cases: [string, string, RegExp][] = [
      ['not a URL', `not-a-url:${PG_PASSWORD}`, /not a postgres:\/\/ or postgresql:\/\/ URL/],
      ['wrong password', pg.url(`t${dbCount}`, `${PG_PASSWORD}-wrong`), /refused the login of user "jarvis": wrong password/],
      ['unknown host', `postgres://jarvis:${encodeURIComponent(PG_PASSWORD)}@no-such-host.invalid:5432/x`, /unknown host no-such-host\.invalid/],
      ['refused', `postgres://jarvis:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:1/x`, /127\.0\.0\.1:1 refused the connection/],
    ];
    const servers = await Promise.all(cases.map(([, url]) => serve(tempDir(), ['--project', 'shop'], { JARVIS_CONTEXT_DATABASE_URL: url })));
    await Promise.all(servers.map(async (s, i) => {
      const [what, , expected] = cases[i];
      const st = await waitFor(`${what}: last_error`, async () => {
        const j = (await s.req('GET', '/team')).json;
        return j.last_error ? j : undefined;
      });
      assert.match(st.last_error, expected, what);
      assert.strictEqual(st.connected, false, what);
      assert.strictEqual((await s.req('POST', '/decisions', { decision_type: 'x', context: {}, decision: 'still local', reasoning: 'r' })).status, 201, what);
      assert.strictEqual((await s.req('GET', '/decisions')).json.decisions[0].decision, 'still local', what);
      const teamList = await s.req('GET', '/decisions?scope=team');
      assert.strictEqual(teamList.status, 503, what);
      assert.strictEqual(teamList.json.error.code, 'team_unavailable', what);
      noSecret(`${what}: GET /team`, JSON.stringify(st));
      noSecret(`${what}: scope=team error`, teamList.text);
      noSecret(`${what}: endpoint.json`, fs.readFileSync(path.join(s.folder, 'endpoint.json'), 'utf8'));
    }));
    await Promise.all(servers.map(s => s.stop()));
    servers.forEach((s, i) => noSecret(`${cases[i][0]}: server output`, s.output()));
  });

  it('a server killed between PostgreSQL\'s commit and the position\'s advance sends again on restart: no duplicates', async () => {
    const url = await newDb();
    const folder = tempDir();
    // The position is saved only after a minute: the kill surely falls between commit and advance.
    const env = { JARVIS_TEAM_POSITION_SAVE_MS: '60000' };
    const s1 = await serve(folder, ['--database-url', url, '--project', 'shop'], env);
    for (let i = 0; i < 200; i++) {
      assert.strictEqual((await s1.req('POST', '/decisions', { decision_type: 'x', context: { i }, decision: `d${i}`, reasoning: 'r' })).status, 201);
    }
    const origin = (await s1.req('GET', '/team')).json.origin.id as string;
    await waitFor('200 decisions in PostgreSQL', async () =>
      (await pgQuery(url, `SELECT count(*)::int AS n FROM ${SCHEMA}.decisions WHERE origin = $1`, [origin]))[0].n === 200);
    const replicated = (await s1.req('GET', '/team')).json.replicated_through as number;
    s1.child.kill('SIGKILL');
    await s1.exited;
    const pos = fs.existsSync(path.join(folder, 'team', 'position.json'))
      ? JSON.parse(fs.readFileSync(path.join(folder, 'team', 'position.json'), 'utf8')).seq as number : 0;
    assert.ok(pos < replicated, `position ${pos} was already at ${replicated}: the kill did not fall in the window`);

    const s2 = await serve(folder, ['--database-url', url, '--project', 'shop']);
    assert.strictEqual((await s2.req('POST', '/decisions', { decision_type: 'x', context: {}, decision: 'after restart', reasoning: 'r' })).status, 201);
    await waitFor('the new decision in PostgreSQL', async () =>
      (await pgQuery(url, `SELECT count(*)::int AS n FROM ${SCHEMA}.decisions WHERE origin = $1`, [origin]))[0].n === 201);
    await waitFor('caught up', async () => (await s2.req('GET', '/team')).json.pending === 0);
    const [d] = await pgQuery(url, `SELECT count(*)::int AS n, count(DISTINCT body->>'decision')::int AS distinct_n FROM ${SCHEMA}.decisions WHERE origin = $1`, [origin]);
    assert.deepStrictEqual(d, { n: 201, distinct_n: 201 });
    const [ev] = await pgQuery(url, `SELECT count(*)::int AS n, count(DISTINCT body->>'id')::int AS ids FROM ${SCHEMA}.events WHERE origin = $1 AND kind = 'decision'`, [origin]);
    assert.deepStrictEqual(ev, { n: 201, ids: 201 });
  });

  it('PostgreSQL stopped -m immediate in the middle of 10,000 writes: every acknowledged write exactly once, no local write failed', async () => {
    const url = await newDb();
    const folder = tempDir();
    const log = new MemoryLogger();
    const team = new TeamMode(folder, checkTeamConfig({ databaseUrl: url, project: 'shop' })!, log);
    // A small journal: compactions happen during the outage, so the outbox segments are used.
    const engine = await openEngine(folder, { journalTap: team.journalTap, journalCompactBytes: 64 * 1024 });
    try {
      await team.attach(engine);
      await waitFor('connected', async () => (await team.status()).connected);
      const N = 10_000;
      const failures: unknown[] = [];
      let acked = 0;
      let outage: Promise<void> | undefined;
      const batch = 50;
      for (let i = 0; i < N; i += batch) {
        if (i === 3_000) outage = pg.stopImmediate();
        if (i === 5_000) await engine.compact();
        if (i === 7_000) {
          await outage;
          await engine.compact();
          assert.ok(fs.readdirSync(path.join(folder, 'team', 'outbox')).length > 0, 'unreplicated records kept in outbox segments at compaction');
          outage = pg.start();
        }
        await Promise.all(Array.from({ length: batch }, (_, k) => engine.logDecision({
          decision_type: 'step', context: { i: i + k }, decision: `decision ${i + k}`, reasoning: 'r',
        }).then(() => void acked++, e => void failures.push(e))));
      }
      await outage;
      assert.deepStrictEqual(failures, []);
      assert.strictEqual(acked, N);
      await waitFor('caught up', async () => {
        const st = await team.status();
        return st.connected && st.pending === 0;
      }, 60_000, 50);
      const origin = (await team.status()).origin.id;
      const expected = createHash('md5').update(Array.from({ length: N }, (_, i) => `decision ${i}`).join('\n')).digest('hex');
      const [d] = await pgQuery(url, `SELECT count(*)::int AS n, md5(string_agg(body->>'decision', E'\\n' ORDER BY id)) AS sum
        FROM ${SCHEMA}.decisions WHERE origin = $1`, [origin]);
      assert.deepStrictEqual(d, { n: N, sum: expected });
      const [ev] = await pgQuery(url, `SELECT count(*)::int AS n, min(seq)::int AS lo, max(seq)::int AS hi FROM ${SCHEMA}.events WHERE origin = $1`, [origin]);
      assert.strictEqual(ev.n, ev.hi - ev.lo + 1, 'events are contiguous');
      assert.strictEqual(ev.hi, engine.journalSeq);
      assert.ok(log.lines.some(l => /refused the connection|shutting down|was cut/.test(l.text)), 'the outage was seen and said');
    } finally {
      await team.close();
      await engine.close();
    }
  });

  it('restarted while PostgreSQL is down: the records kept in outbox segments and the journal are sent from disk', async () => {
    const url = await newDb();
    const folder = tempDir();
    const config = checkTeamConfig({ databaseUrl: url, project: 'shop' })!;
    const first = new TeamMode(folder, config, new MemoryLogger());
    let engine = await openEngine(folder, { journalTap: first.journalTap, journalCompactBytes: 32 * 1024 });
    await first.attach(engine);
    await waitFor('connected', async () => (await first.status()).connected);
    const origin = (await first.status()).origin.id;
    await pg.stopImmediate();
    try {
      for (let i = 0; i < 2_000; i += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, k) => engine.logAgentMessage({ from_agent: 'a', to_agent: 'b', message_type: 'm', content: `m${i + k}` })));
        if (i % 500 === 0) await engine.compact();
      }
      await first.close();
      // A clean close compacts once more: what PostgreSQL lacks goes to the outbox first.
      await engine.close();
      assert.ok(fs.readdirSync(path.join(folder, 'team', 'outbox')).length >= 2);
    } finally {
      await pg.start();
    }
    const second = new TeamMode(folder, config, new MemoryLogger());
    engine = await openEngine(folder, { journalTap: second.journalTap });
    try {
      await second.attach(engine);
      await engine.logAgentMessage({ from_agent: 'a', to_agent: 'b', message_type: 'm', content: 'm2000' });
      await waitFor('caught up', async () => {
        const st = await second.status();
        return st.connected && st.pending === 0;
      }, 30_000, 50);
      const [m] = await pgQuery(url, `SELECT count(*)::int AS n, count(DISTINCT body->>'content')::int AS d FROM ${SCHEMA}.messages WHERE origin = $1`, [origin]);
      assert.deepStrictEqual(m, { n: 2_001, d: 2_001 });
      await waitFor('outbox emptied', async () => fs.readdirSync(path.join(folder, 'team', 'outbox')).length === 0, 5_000);
    } finally {
      await second.close();
      await engine.close();
    }
  });

  it('a folder with history, connected for the first time, sends its state (backfill)', async () => {
    const url = await newDb();
    const folder = tempDir();
    const plain = await openEngine(folder);
    await plain.updateAgentState('old-agent', { status: 'idle' });
    await plain.updateTaskProgress('old-task', { description: 'from before', status: 'completed', percentage: 100 });
    await plain.logDecision({ decision_type: 'x', context: {}, decision: 'old decision', reasoning: 'r' });
    await plain.close();
    const s = await serve(folder, ['--database-url', url, '--project', 'shop']);
    await waitFor('backfilled', async () => {
      const d = (await s.req('GET', '/decisions?scope=team')).json.decisions as any[];
      const t = (await s.req('GET', '/task-progress?scope=team')).json.tasks as any[];
      const a = (await s.req('GET', '/agent-states?scope=team')).json.agents as any[];
      return d.some(x => x.decision === 'old decision') && t.some(x => x.task_id === 'old-task') && a.some(x => x.agent_id === 'old-agent');
    });
  });

  it('readers hear of another origin\'s batches through LISTEN/NOTIFY', async () => {
    const url = await newDb();
    const config = checkTeamConfig({ databaseUrl: url, project: 'shop' })!;
    const [fa, fb] = [tempDir(), tempDir()];
    const [ta, tb] = [new TeamMode(fa, config, new MemoryLogger()), new TeamMode(fb, config, new MemoryLogger())];
    const [ea, eb] = [await openEngine(fa, { journalTap: ta.journalTap }), await openEngine(fb, { journalTap: tb.journalTap })];
    await ta.attach(ea);
    await tb.attach(eb);
    try {
      await waitFor('both connected', async () => (await ta.status()).connected && (await tb.status()).connected);
      let heard = 0;
      const sub = ta.listen(() => void heard++);
      try {
        // The LISTEN is in place once a notification of our own arrives.
        await waitFor('listening', async () => {
          await ea.logDecision({ decision_type: 'x', context: {}, decision: 'ping', reasoning: 'r' });
          return heard > 0;
        }, 10_000, 200);
        const before = heard;
        const t0 = Date.now();
        await eb.logDecision({ decision_type: 'x', context: {}, decision: 'from b', reasoning: 'r' });
        await waitFor('notified of b', async () => heard > before, 5_000, 5);
        assert.ok(Date.now() - t0 < 1_000, `heard after ${Date.now() - t0} ms`);
      } finally {
        sub.dispose();
      }
    } finally {
      await Promise.all([ta.close(), tb.close()]);
      await Promise.all([ea.close(), eb.close()]);
    }
  });

  it('scope=team without a team database is refused, naming the field', async () => {
    const s = await serve(tempDir(), []);
    const r = await s.req('GET', '/agent-states?scope=team');
    assert.strictEqual(r.status, 400);
    assert.match(r.json.error.message, /scope/);
    assert.deepStrictEqual((await s.req('GET', '/team')).json, { enabled: false });
  });
});
