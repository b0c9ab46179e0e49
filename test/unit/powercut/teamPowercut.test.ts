// Team mode through power cuts, against a real PostgreSQL (support/pgServer.ts): the engine and its
// outbox write through one PowercutFs; the power goes at each file operation team mode makes in
// turn (every one of them, enumerated from a calibration run) and at a seeded sample of the
// engine's own; a new engine and team mode boot on what survived and replication finishes. Then
// PostgreSQL must hold every acknowledged record exactly once: nothing lost, nothing twice, one
// origin. JARVIS_TEAM_POWERCUT_ENGINE_SAMPLES sets the engine-side sample (default 20).
import * as assert from 'assert';
import { createHash } from 'crypto';
import { ContextEngine, type EngineOptions, type FileStat, type FileSystemPort } from '../../../src/core';
import type { JournalTap } from '../../../src/core/journalTap';
import type { JournalOp } from '../../../src/core/ops';
import { checkTeamConfig } from '../../../src/team/teamConfig';
import type { TeamMode as TeamModeClass } from '../../../src/team/teamMode';
import { FakeClock, MemoryLogger, WASM } from '../support/fixtures';
import { startPg, type PgServer } from '../support/pgServer';
import { PowercutFs, Rng } from '../support/powercutFs';
import type { Socket } from 'net';
import { Client } from 'pg';

const FOLDER = '/pc/team';
const SCHEMA = 'jarvis_context';
const ROUNDS = 6;
const WRITES_PER_ROUND = 10;
const ENGINE_SAMPLES = Number(process.env.JARVIS_TEAM_POWERCUT_ENGINE_SAMPLES ?? 20);

// The position is saved every 20 ms instead of 200 (read when the module loads): more saves, so
// more of them to cut, in a workload short enough to repeat a hundred times.
let TeamMode: typeof TeamModeClass;
async function loadTeamMode(): Promise<void> {
  const before = process.env.JARVIS_TEAM_POSITION_SAVE_MS;
  process.env.JARVIS_TEAM_POSITION_SAVE_MS = '20';
  try {
    TeamMode = (await import('../../../src/team/teamMode')).TeamMode;
  } finally {
    if (before === undefined) delete process.env.JARVIS_TEAM_POSITION_SAVE_MS;
    else process.env.JARVIS_TEAM_POSITION_SAVE_MS = before;
  }
}

type Side = 'team' | 'engine';
interface CutPlan { side: Side | 'none'; k: number }

/**
 * The engine's file system as both the engine and team mode see it: counts the operations that
 * change the disk (open for writing, write, fsync, fdatasync, ftruncate, rename, unlink, mkdir,
 * folder sync), team mode's (under team/) apart from the engine's, and cuts the power before the
 * k-th of one side. `onCut` runs at once: the dead process ships nothing more.
 */
class CuttingFs implements FileSystemPort {
  readonly counts = { team: 0, engine: 0 };
  /** The operation the power went at. */
  cutOp: string | undefined;
  /** Outbox segments and positions renamed into place while the power was on. */
  segments = 0;
  positions = 0;
  private readonly paths = new Map<number, string>();
  constructor(readonly inner: PowercutFs, private readonly plan: CutPlan, private readonly onCut: () => void) {}

  private step(op: string, p: string): void {
    if (this.inner.dead) return;
    const side: Side = p.startsWith(`${FOLDER}/team`) ? 'team' : 'engine';
    const n = ++this.counts[side];
    if (this.plan.side === side && n === this.plan.k) this.cut(`${side} #${n}: ${op} ${p.slice(FOLDER.length + 1) || '.'}`);
  }

  cut(what: string): void {
    if (this.inner.dead) return;
    this.cutOp = what;
    this.inner.cut();
    this.onCut();
  }

  private pathOf(fd: number): string {
    return this.paths.get(fd) ?? '?';
  }

  async open(p: string, flags: 'r' | 'a' | 'w' | 'wx' | 'rw'): Promise<number> {
    if (flags !== 'r') this.step(`open ${flags}`, p);
    const fd = await this.inner.open(p, flags);
    this.paths.set(fd, p);
    return fd;
  }
  write(fd: number, data: Uint8Array, position?: number): Promise<void> { this.step('write', this.pathOf(fd)); return this.inner.write(fd, data, position); }
  fsync(fd: number): Promise<void> { this.step('fsync', this.pathOf(fd)); return this.inner.fsync(fd); }
  fdatasync(fd: number): Promise<void> { this.step('fdatasync', this.pathOf(fd)); return this.inner.fdatasync(fd); }
  ftruncate(fd: number, length: number): Promise<void> { this.step('ftruncate', this.pathOf(fd)); return this.inner.ftruncate(fd, length); }
  close(fd: number): Promise<void> { return this.inner.close(fd); }
  readFile(p: string): Promise<Uint8Array> { return this.inner.readFile(p); }
  async rename(from: string, to: string): Promise<void> {
    this.step('rename', to);
    await this.inner.rename(from, to);
    if (/\/team\/outbox\/[^/]+\.jsonl$/.test(to)) this.segments++;
    if (to.endsWith('/team/position.json')) this.positions++;
  }
  unlink(p: string): Promise<void> { this.step('unlink', p); return this.inner.unlink(p); }
  mkdir(p: string): Promise<void> { this.step('mkdir', p); return this.inner.mkdir(p); }
  readdir(p: string): Promise<string[]> { return this.inner.readdir(p); }
  stat(p: string): Promise<FileStat> { return this.inner.stat(p); }
  syncDir(p: string): Promise<void> { this.step('syncDir', p); return this.inner.syncDir(p); }
}

/** Every record an engine acknowledged (journalTap.committed), with its kind, across both boots. */
interface Acked { seq: number; kind: string; gen: number }

function tapped(inner: JournalTap, gen: number, acked: Map<number, Acked>, reused: string[]): JournalTap {
  return {
    committed(firstSeq: number, ops: readonly JournalOp[]): void {
      ops.forEach((op, i) => {
        const seq = firstSeq + i;
        const had = acked.get(seq);
        if (had && had.kind !== op.o) reused.push(`seq ${seq} acknowledged as ${had.kind} by boot ${had.gen}, then as ${op.o} by boot ${gen}`);
        acked.set(seq, { seq, kind: op.o, gen });
      });
      inner.committed(firstSeq, ops);
    },
    beforeReset: (file, through) => inner.beforeReset(file, through),
  };
}

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, sleep(ms).then(() => undefined)]);
}

interface RunResult {
  failures: string[];
  counts: { team: number; engine: number };
  cutOp: string;
  acked: number;
  /** Outbox segments written before the cut (compactions that kept unreplicated records). */
  segments: number;
  positions: number;
  trace: string;
}

const checksum = (rows: { origin: string; seq: number | string; kind: string }[]): string =>
  createHash('md5').update(rows.map(r => `${r.origin}:${r.seq}:${r.kind}`).join(',')).digest('hex');

async function runOne(url: string, db: Client, project: string, plan: CutPlan, seed: number): Promise<RunResult> {
  const pgQuery = async <T>(sql: string, params: unknown[]): Promise<T[]> => (await db.query(sql, params)).rows as T[];
  const failures: string[] = [];
  const rng = new Rng(seed);
  const clock = new FakeClock();
  const config = checkTeamConfig({ databaseUrl: url, project, schema: SCHEMA })!;
  const acked = new Map<number, Acked>();
  const reused: string[] = [];
  const decisions: string[] = [];
  const messages: string[] = [];
  const engineOptions = (fs: FileSystemPort, tap: JournalTap, pid: number, logger: MemoryLogger): EngineOptions => ({
    folder: FOLDER, wasmBinary: WASM, fs, clock, logger, pid, hostname: 'powercut-host', isProcessAlive: () => false,
    checkpointIntervalMs: 0, journalCompactBytes: 2048, liveDbLimitBytes: 64 * 1024, journalTap: tap,
  });

  // ---- first boot: the workload, cut somewhere -------------------------------------------------
  const pcA = new PowercutFs({ rng: new Rng(seed ^ 0xa), baseDirs: ['/pc'] });
  const logA = new MemoryLogger();
  let teamA: TeamModeClass | undefined;
  let stopA: Promise<void> | undefined;
  // The power goes: the machine's connections to PostgreSQL drop with it (a transaction not yet
  // committed is rolled back by PostgreSQL), and the replicator stops.
  const sockets = new Set<Socket>();
  const fsA = new CuttingFs(pcA, plan, () => {
    for (const s of sockets) s.destroy();
    stopA ??= teamA?.close();
  });
  teamA = new TeamMode(FOLDER, config, logA, undefined, fsA);
  let engineA: ContextEngine | undefined;
  try {
    engineA = await ContextEngine.open(engineOptions(fsA, tapped(teamA.journalTap, 0, acked, reused), 1001, logA));
    await teamA.attach(engineA);
    // Connections are made after attach returns (the replicator's loop connects in the background).
    teamA.running.pool.on('connect', c => {
      const sock = (c as unknown as { connection: { stream: Socket } }).connection.stream;
      if (pcA.dead) sock.destroy();
      else sockets.add(sock);
    });
  } catch (e) {
    if (!pcA.dead) failures.push(`first boot failed with the power on: ${(e as Error).message}`);
  }
  let n = 0;
  let forked: { id: string; after: number } | undefined;
  for (let round = 0; round < ROUNDS && engineA && !pcA.dead; round++) {
    const e = engineA;
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < WRITES_PER_ROUND; i++) {
      const m = ++n;
      const r = rng.int(5);
      if (r === 0) {
        const text = `d-${m}`;
        writes.push(e.logDecision({ decision_type: 'plan', context: { m }, decision: text, reasoning: `because ${'x'.repeat(rng.int(200))}` })
          .then(() => decisions.push(text)));
      } else if (r === 1) {
        const text = `m-${m} ${'y'.repeat(rng.int(150))}`;
        writes.push(e.logAgentMessage({ from_agent: 'planner', to_agent: 'coder', message_type: 'info', content: text }).then(() => messages.push(text)));
      } else if (r === 2) {
        writes.push(e.updateTaskProgress(`t${rng.int(4)}`, { description: 'task', status: 'in_progress', percentage: m % 101, metadata: { m } }));
      } else if (r === 3) {
        writes.push(e.updateAgentState(`a${rng.int(3)}`, { status: 'busy', current_task: 't1', metadata: { m } }));
      } else {
        const text = `d-${m}`;
        writes.push(e.writeBatch([
          { type: 'decision', decision_type: 'route', context: null, decision: text, reasoning: 'batched' },
          { type: 'task', task_id: `t${rng.int(4)}`, status: 'in_progress', percentage: m % 101, metadata: { m } },
        ]).then(() => decisions.push(text)));
      }
    }
    // A new history starts mid-run (as after a restored folder's conflict): cuts land on its record too.
    if (round === 2) writes.push(e.forkHistory(e.journalSeq, 'power-cut drill').then(f => { forked = f; }));
    await within(Promise.allSettled(writes), 10_000);
    // Odd rounds wait for PostgreSQL and the saved position (segments then go); even rounds compact
    // at once, while the records are not yet replicated, which moves them into outbox segments.
    if (round % 2 === 1) {
      const r = teamA.running;
      await until(() => pcA.dead || (r.shipped >= e.journalSeq && teamA!.outbox.position >= e.journalSeq), 5_000);
    } else {
      await within(e.autoCheckpoint().catch(() => undefined), 10_000);
    }
  }
  const segments = fsA.segments;
  const positions = fsA.positions;
  const countsA = { ...fsA.counts };
  fsA.cut('after the workload');
  await within(stopA ?? Promise.resolve(), 10_000);
  if (engineA) await within(engineA.close().catch(() => undefined), 10_000);
  const state = pcA.survivingState(new Rng(seed ^ 0xdead));
  const ackedA = acked.size;

  // ---- second boot on what survived: replication finishes ---------------------------------------
  const pcB = new PowercutFs({ rng: new Rng(seed ^ 0xb), initial: state });
  const logB = new MemoryLogger();
  const teamB = new TeamMode(FOLDER, config, logB, undefined, pcB);
  clock.advance(60_000);
  let engineB: ContextEngine | undefined;
  let originB: string | undefined;
  try {
    engineB = await ContextEngine.open(engineOptions(pcB, tapped(teamB.journalTap, 1, acked, reused), 2002, logB));
    await teamB.attach(engineB);
    originB = teamB.running.origin.id;
    for (let i = 0; i < 3; i++) {
      const text = `d-after-${i}`;
      await engineB.logDecision({ decision_type: 'plan', context: null, decision: text, reasoning: 'after the reboot' });
      decisions.push(text);
    }
    const e = engineB;
    const r = teamB.running;
    if (!await until(() => r.shipped >= e.journalSeq, 15_000)) {
      failures.push(`replication did not finish after the reboot: shipped ${r.shipped} of ${e.journalSeq} (${r.state}: ${r.lastError})`);
    }
  } catch (e) {
    failures.push(`second boot failed: ${(e as Error).stack}`);
  }
  const finalSeq = engineB?.journalSeq ?? 0;
  // The engine's own records at close wait for the next start (team mode stops first, as in serve).
  const ackedList = [...acked.values()].filter(a => a.seq <= finalSeq).sort((a, b) => a.seq - b.seq);
  await within(teamB.close(), 10_000);
  if (engineB) await within(engineB.close().catch(() => undefined), 10_000);

  // ---- what PostgreSQL holds -----------------------------------------------------------------
  failures.push(...reused);
  const rows = await pgQuery<{ origin: string; seq: string; kind: string }>(
    `SELECT origin, seq, kind FROM ${SCHEMA}.events WHERE project = $1 ORDER BY seq, origin`, [project]);
  const origins = [...new Set(rows.map(r => r.origin))];
  if (origins.length !== 1 || origins[0] !== originB) failures.push(`events under origins ${origins.join(', ')}; expected only ${originB}`);
  const seen = new Map<number, number>();
  for (const r of rows) seen.set(Number(r.seq), (seen.get(Number(r.seq)) ?? 0) + 1);
  const twice = [...seen].filter(([, c]) => c > 1).map(([s]) => s);
  if (twice.length) failures.push(`records stored more than once: seq ${twice.slice(0, 10).join(', ')}`);
  const lost = ackedList.filter(a => !seen.has(a.seq)).map(a => a.seq);
  if (lost.length) failures.push(`acknowledged records missing from PostgreSQL: seq ${lost.slice(0, 10).join(', ')}${lost.length > 10 ? ` (+${lost.length - 10})` : ''}`);
  // Count and checksum over (origin, seq) of the acknowledged records, computed here and by PostgreSQL.
  const [agg] = await pgQuery<{ count: string; sum: string | null }>(
    `SELECT count(*) AS count, md5(string_agg(origin || ':' || seq || ':' || kind, ',' ORDER BY seq)) AS sum
       FROM ${SCHEMA}.events WHERE project = $1 AND seq = ANY($2::bigint[])`, [project, ackedList.map(a => a.seq)]);
  const want = checksum(ackedList.map(a => ({ origin: originB ?? '?', seq: a.seq, kind: a.kind })));
  if (Number(agg.count) !== ackedList.length || (ackedList.length && agg.sum !== want)) {
    failures.push(`acknowledged records: PostgreSQL counts ${agg.count} (checksum ${agg.sum}), expected ${ackedList.length} (${want})`);
  }
  // Nothing beyond: the events are exactly 1..the last record of the second boot, without holes.
  if (rows.length !== finalSeq || (finalSeq && (Number(rows[0].seq) !== 1 || Number(rows[rows.length - 1].seq) !== finalSeq))) {
    failures.push(`PostgreSQL holds ${rows.length} events (seq ${rows[0]?.seq ?? '-'} to ${rows[rows.length - 1]?.seq ?? '-'}); the journal went to ${finalSeq}`);
  }
  // Records after an acknowledged fork are sent under a history other than the first.
  if (forked) {
    const early = await pgQuery<{ seq: string }>(
      `SELECT seq FROM ${SCHEMA}.events WHERE project = $1 AND seq > $2 AND epoch = '' LIMIT 5`, [project, forked.after]);
    if (early.length) failures.push(`records after the fork at ${forked.after} sent under the first history: seq ${early.map(r => r.seq).join(', ')}`);
  }
  // The state rows: each acknowledged decision and message once.
  const dRows = await pgQuery<{ t: string; c: string }>(
    `SELECT body->>'decision' AS t, count(*) AS c FROM ${SCHEMA}.decisions WHERE project = $1 GROUP BY 1`, [project]);
  const mRows = await pgQuery<{ t: string; c: string }>(
    `SELECT body->>'content' AS t, count(*) AS c FROM ${SCHEMA}.messages WHERE project = $1 GROUP BY 1`, [project]);
  for (const [what, list, got] of [['decision', decisions, dRows], ['message', messages, mRows]] as const) {
    const counts = new Map(got.map(r => [r.t, Number(r.c)]));
    for (const [t, c] of counts) if (c > 1) failures.push(`${what} ${t.slice(0, 20)} is stored ${c} times`);
    const missing = list.filter(t => !counts.has(t));
    if (missing.length) failures.push(`acknowledged ${what}s missing from PostgreSQL: ${missing.slice(0, 5).map(t => t.slice(0, 20)).join(', ')}`);
  }

  const trace = [
    `plan ${plan.side} #${plan.k}, seed ${seed}: cut at ${fsA.cutOp}; ${ackedA} records acknowledged before the cut, ${finalSeq} in all`,
    'last operations before the cut:', ...pcA.recent.slice(-12).map(o => `  #${o.i} ${o.op} ${o.detail}`),
    'first boot log:', ...logA.lines.filter(l => l.level !== 'trace' && l.level !== 'debug').slice(-8).map(l => `  ${l.level} ${l.text.slice(0, 300)}`),
    'second boot log:', ...logB.lines.filter(l => l.level !== 'trace' && l.level !== 'debug').slice(-8).map(l => `  ${l.level} ${l.text.slice(0, 300)}`),
  ].join('\n');
  return { failures, counts: countsA, cutOp: fsA.cutOp ?? '?', acked: ackedA, segments, positions, trace };
}

describe('power cut during replication to a real PostgreSQL', function () {
  this.timeout(0);
  let pg: PgServer;
  let url: string;
  /** The test's own connection, for the checks. */
  let db: Client;
  before(async () => {
    await loadTeamMode();
    pg = await startPg();
    url = await pg.createDatabase('powercut');
    db = new Client({ connectionString: url });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    pg?.stop();
  });

  it('a cut at each file operation of team mode (and a seeded sample of the engine\'s): after the reboot PostgreSQL holds every acknowledged record once', async () => {
    const t0 = Date.now();
    const base = Number(process.env.JARVIS_TEAM_POWERCUT_SEED ?? 1);
    // Calibration: the same workload with no cut, to know how many operations each side makes.
    const cal = await runOne(url, db, 'calibration', { side: 'none', k: 0 }, base);
    assert.deepStrictEqual(cal.failures, [], cal.trace);
    const plans: CutPlan[] = [];
    for (let k = 1; k <= cal.counts.team; k++) plans.push({ side: 'team', k });
    const rng = new Rng(base ^ 0x5eed);
    const engineCuts = new Set<number>();
    while (engineCuts.size < Math.min(ENGINE_SAMPLES, cal.counts.engine)) engineCuts.add(1 + rng.int(cal.counts.engine));
    for (const k of [...engineCuts].sort((a, b) => a - b)) plans.push({ side: 'engine', k });

    const failed: string[] = [];
    const kinds = new Map<string, number>();
    let acked = 0;
    let afterWorkload = 0;
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i];
      const r = await runOne(url, db, `cut-${p.side}-${p.k}`, p, base + i + 1);
      acked += r.acked;
      if (r.cutOp === 'after the workload') afterWorkload++;
      else {
        const kind = r.cutOp.replace(/^(\w+) #\d+: (\S+(?: \w+)?) (\S+)$/, (_, side: string, op: string, file: string) =>
          `${side} ${op} ${file.replace(/\d{16}-\d{16}/, 'N-M').replace(/[\d]+/g, 'N')}`);
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
      if (r.failures.length) {
        failed.push(`${p.side} #${p.k}: ${r.failures[0]}`);
        console.log(`\nFAILED: ${r.trace}\n${r.failures.slice(0, 6).map(f => `  ✗ ${f}`).join('\n')}`);
      }
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`    calibration: ${cal.counts.team} team-mode operations (${cal.segments} outbox segments, ${cal.positions} position saves), ` +
      `${cal.counts.engine} engine operations; ${plans.length} cuts (${cal.counts.team} team, ${plans.length - cal.counts.team} engine sample, ` +
      `${afterWorkload} fell after the workload) in ${secs} s, ${acked} records acknowledged before the cuts`);
    console.log(`    cut at: ${[...kinds].sort().map(([k, c]) => `${k} ×${c}`).join('; ')}`);
    assert.deepStrictEqual(failed, [], `cuts that lost or duplicated records:\n${failed.slice(0, 10).join('\n')}`);
  });
});
