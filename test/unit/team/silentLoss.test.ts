// Nothing acknowledged is lost on any machine: each way a folder's history can repeat itself
// (an older image loaded, a folder restored from a backup, the database and journal gone, one
// folder running in two places) and each record PostgreSQL refuses, with real servers against a
// real PostgreSQL. Every acknowledged decision must be in PostgreSQL exactly once, in the table
// that scope=team reads; every other kind (tasks, agents, messages, context, batches, spans,
// LangGraph puts, recovery points) once in the events and in its table; and the team status must
// say what happened.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { encodeRecord } from '../../../src/core/journal';
import { appendToJournal, journalText, tempDir } from '../support/fixtures';
import { startPg, type PgServer } from '../support/pgServer';
import { request } from '../server/support';
import { pgQuery, startTeamServe, waitFor, type TeamServe } from './support';

const SCHEMA = 'jarvis_context';

interface Written {
  kind: 'task' | 'agent' | 'message' | 'context' | 'batch' | 'spans' | 'langgraph' | 'checkpoint';
  marker: string;
  /** The table that holds a row per write of this kind, and the column holding the marker. */
  table?: { name: string; column: string };
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** An OTLP/JSON export of one span named `name`. */
function otlpSpan(name: string, i: number): object {
  const start = BigInt(Date.now()) * 1_000_000n;
  return { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'silent-loss' } }] }, scopeSpans: [{ spans: [{
    traceId: hex(i, 32), spanId: hex(i, 16), name, kind: 1,
    startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1_000_000n), status: {},
  }] }] }] };
}

/** A LangGraph checkpoint put on thread `thread`, one channel. */
function langgraphPut(thread: string, i: number): object {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
  const id = hex(i, 8);
  return {
    thread_id: thread, checkpoint_ns: '', checkpoint_id: id, parent_checkpoint_id: null,
    checkpoint: { type: 'json', data: b64({ v: 4, id, ts: new Date().toISOString(), channel_versions: { a: 1 }, versions_seen: {} }) },
    channel_versions: { a: 1 }, metadata: { source: 'loop', step: i, parents: {} },
    blobs: [{ channel: 'a', version: '1', type: 'json', data: b64({ i }) }],
  };
}

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
  /**
   * One acknowledged write of every kind a folder replicates, each carrying a marker of its own:
   * task, agent, message, context, a batch, a recovery point, OpenTelemetry spans, a LangGraph put.
   */
  const writeEveryKind = async (s: TeamServe, prefix: string, from: number, to: number): Promise<Written[]> => {
    const out: Written[] = [];
    const ok = async (kind: Written['kind'], marker: string, r: Promise<{ status: number; json: any }>, table?: Written['table']) => {
      const a = await r;
      assert.ok(a.status === 200 || a.status === 201, `${kind} ${marker}: ${a.status} ${JSON.stringify(a.json)}`);
      out.push({ kind, marker, ...(table ? { table } : {}) });
    };
    const origin = new URL(s.url).origin;
    for (let i = from; i <= to; i++) {
      const m = (k: string) => `mk:${prefix}:${k}:${i}:`;
      await ok('task', m('task'), s.req('PUT', `/tasks/${encodeURIComponent(m('task'))}`, { status: 'in_progress', percentage: i % 100, description: 'step' }),
        { name: 'tasks', column: 'task_id' });
      await ok('agent', m('agent'), s.req('PUT', `/agents/${encodeURIComponent(m('agent'))}`, { status: 'busy' }), { name: 'agents', column: 'agent_id' });
      await ok('message', m('message'), s.req('POST', '/messages', { from_agent: 'planner', to_agent: 'coder', message_type: 'note', content: { tag: m('message') } }),
        { name: 'messages', column: "body->'content'->>'tag'" });
      await ok('context', m('context'), s.req('PUT', '/context', { tag: m('context') }));
      await ok('batch', m('batch'), s.req('POST', '/events', { events: [
        { type: 'decision', decision_type: 'batched', context: {}, decision: m('batch'), reasoning: 'r' },
        { type: 'message', from_agent: 'coder', to_agent: 'planner', message_type: 'note', content: { tag: `${m('batch')}msg` } },
      ] }));
      await ok('spans', m('spans'), request(origin, '/v1/traces', s.token, { method: 'POST', body: otlpSpan(m('spans'), i) }),
        { name: 'spans', column: "body->>'name'" });
      await ok('langgraph', m('langgraph'), s.req('POST', '/langgraph/checkpoints', langgraphPut(m('langgraph'), i)));
      if (i % 5 === 0) await ok('checkpoint', m('checkpoint'), s.req('POST', '/recovery-points', { label: m('checkpoint') }), { name: 'checkpoints', column: 'label' });
    }
    return out;
  };
  /**
   * Each write's record in PostgreSQL's events once, under its kind, and its row where the kind has
   * a table. `perOrigin`: a copied folder's records are once under each origin that holds them.
   */
  const assertEveryKindOnce = async (url: string, written: Written[], perOrigin = false): Promise<void> => {
    const rows = await pgQuery<{ kind: string; origin: string; body: string }>(url, `SELECT kind, origin, body::text AS body FROM ${SCHEMA}.events`);
    const problems: string[] = [];
    for (const w of written) {
      const holders = rows.filter(r => r.kind === w.kind && r.body.includes(`"${w.marker}"`)).map(r => r.origin);
      const once = perOrigin ? holders.length >= 1 && new Set(holders).size === holders.length : holders.length === 1;
      if (!once) problems.push(`${w.marker} in events ${holders.length} times`);
    }
    const byTable = new Map<string, Written[]>();
    for (const w of written) if (w.table) byTable.set(w.table.name, [...byTable.get(w.table.name) ?? [], w]);
    for (const [name, ws] of byTable) {
      const have = new Set((await pgQuery<{ k: string }>(url, `SELECT ${ws[0].table!.column} AS k FROM ${SCHEMA}.${name}`)).map(r => r.k));
      for (const w of ws) if (!have.has(w.marker)) problems.push(`${w.marker} has no row in ${name}`);
    }
    const kinds = [...new Set(written.map(w => w.kind))].sort();
    assert.deepStrictEqual(problems.slice(0, 10), [], `${problems.length} of ${written.length} writes (${kinds.join(', ')}) not replicated once`);
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
    const written = await writeEveryKind(s, 'a', 1, 5);
    await drained(s);
    await stop(s);
    s = await serve(folder, url);
    names.push(...await decide(s, 'a', 61, 120));
    written.push(...await writeEveryKind(s, 'a', 6, 10));
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
    // 60 decisions and the 5 in the batches of the second run; a message of its own and one in each batch.
    assert.strictEqual(report.lost_records.by_kind.decision, 65, JSON.stringify(report.lost_records));
    assert.strictEqual(report.lost_records.by_kind.message, 10, JSON.stringify(report.lost_records));
    assert.strictEqual(report.lost_records.by_kind.span, 5, JSON.stringify(report.lost_records));
    // Locally the decision ids of the older image are handed out again: in PostgreSQL they belong to another history.
    names.push(...await decide(s, 'b', 1, 80));
    written.push(...await writeEveryKind(s, 'b', 1, 5));
    const t = await drained(s);
    assert.notStrictEqual(t.epoch, '', 'the folder is in a new history');
    await assertAllOnce(url, names, s);
    await assertEveryKindOnce(url, written);
  });

  it('a folder restored from a backup: its new records collide with what PostgreSQL holds, are kept as a conflict and sent as a new history', async () => {
    const url = await pg.createDatabase(`s${++dbCount}`);
    const folder = tempDir();
    const backup = tempDir();
    let s = await serve(folder, url);
    const names = await decide(s, 'before', 1, 50);
    const written = await writeEveryKind(s, 'before', 1, 5);
    await drained(s);
    await stop(s);
    fs.cpSync(folder, backup, { recursive: true });
    s = await serve(folder, url);
    names.push(...await decide(s, 'lost-locally', 1, 100));
    written.push(...await writeEveryKind(s, 'lost-locally', 1, 5));
    await drained(s);
    await stop(s);
    fs.rmSync(folder, { recursive: true });
    fs.cpSync(backup, folder, { recursive: true });

    s = await serve(folder, url);
    names.push(...await decide(s, 'after-restore', 1, 120));
    written.push(...await writeEveryKind(s, 'after-restore', 1, 5));
    const t = await drained(s);
    assert.ok(t.conflicts >= 1, JSON.stringify(t));
    assert.ok(t.last_conflict && t.last_conflict.new_epoch === t.epoch, JSON.stringify(t.last_conflict));
    const kept = await pgQuery(url, `SELECT seq, new_epoch FROM ${SCHEMA}.conflicts`);
    assert.ok(kept.length >= 1, 'the conflict is kept in PostgreSQL');
    await assertAllOnce(url, names, s);
    await assertEveryKindOnce(url, written);
  });

  it('the database and the journal both gone: the newest image loads (never empty), a report is written, new records reach PostgreSQL', async () => {
    const url = await pg.createDatabase(`s${++dbCount}`);
    const folder = tempDir();
    let s = await serve(folder, url);
    const names = await decide(s, 'c', 1, 40);
    const written = await writeEveryKind(s, 'c', 1, 5);
    await drained(s);
    await stop(s);
    fs.unlinkSync(path.join(folder, 'jarvis_context.db'));
    fs.unlinkSync(path.join(folder, 'journal.jsonl'));
    s = await serve(folder, url);
    const report = await s.req('GET', '/recovery-report');
    assert.strictEqual(report.status, 200);
    assert.strictEqual(report.json.loaded_from, 'recovery_checkpoint');
    assert.strictEqual((await s.req('GET', '/decisions?limit=1000')).json.decisions.length, 45, 'the image\'s history is there (40, and 5 in batches)');
    names.push(...await decide(s, 'd', 1, 60));
    written.push(...await writeEveryKind(s, 'd', 1, 5));
    await drained(s);
    await assertAllOnce(url, names, s);
    await assertEveryKindOnce(url, written);
  });

  it('one folder copied and both copies running at once: the newcomer takes an origin of its own, both are shown, nothing is dropped', async () => {
    const url = await pg.createDatabase(`s${++dbCount}`);
    const a = tempDir();
    const b = tempDir();
    let sa = await serve(a, url);
    const names = await decide(sa, 'seed', 1, 10);
    const written = await writeEveryKind(sa, 'seed', 1, 5);
    await drained(sa);
    await stop(sa);
    fs.cpSync(a, b, { recursive: true });
    sa = await serve(a, url);
    await drained(sa);
    const sb = await serve(b, url);
    const [na, nb, wa, wb] = await Promise.all([decide(sa, 'from-a', 1, 150), decide(sb, 'from-b', 1, 150),
      writeEveryKind(sa, 'from-a', 1, 5), writeEveryKind(sb, 'from-b', 1, 5)]);
    names.push(...na, ...nb);
    written.push(...wa, ...wb);
    const [ta, tb] = await Promise.all([drained(sa), drained(sb)]);
    assert.notStrictEqual(ta.origin.id, tb.origin.id, 'the newcomer took an origin of its own');
    const origins = await waitFor('both origins listed', async () => {
      const list = (await team(sa)).origins as any[];
      return list.length === 2 ? list : undefined;
    });
    assert.deepStrictEqual(new Set(origins.map(o => o.folder)), new Set([a, b].map(f => path.resolve(f))));
    // The seed decisions were replicated under the first origin; the newcomer's copy of them is its own history.
    const rows = await pgQuery<{ d: string }>(url,
      `SELECT body->>'decision' AS d FROM ${SCHEMA}.decisions WHERE body->>'decision' NOT LIKE 'seed-%' AND body->>'decision' NOT LIKE 'mk:%'`);
    const got = rows.map(r => r.d).sort();
    assert.deepStrictEqual(got, [...na, ...nb].sort());
    await assertEveryKindOnce(url, written, true);
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
