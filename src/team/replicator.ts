import { Pool, type PoolClient } from 'pg';
import type { ContextEngineApi } from '../core/engineApi';
import { errorText } from '../core/errorText';
import type { BatchItemOp, JournalOp } from '../core/ops';
import type { Logger } from '../core/ports';
import { iso } from '../core/time';
import type { RecoveryReport } from '../core/types';
import type { Origin } from './origin';
import type { Outbox, OutRecord } from './outbox';
import { describePgError, isValidDatabaseUrl } from './pgErrors';
import { migrate, q } from './pgSchema';
import { redactText, redactUrl } from './redact';
import type { TeamConfig } from './teamConfig';

// Ships the outbox to PostgreSQL: in order, in batches, each batch one transaction keyed by
// (project, origin, seq) so a batch sent twice (a crash between PostgreSQL's commit and the
// position's advance) changes nothing. Down, refusing or slow: retry with backoff, forever.

/** What replication needs of an engine: its API and where its journal is. */
export type ReplicatedEngine = ContextEngineApi & { readonly journalSeq: number; readonly journalFile: string; readonly staleAfterMs: number };

const BATCH = 2_000;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 2_000;
/** The origin's last_seen is refreshed this often when idle (others tell a live origin from a lost one). */
export const HEARTBEAT_MS = 5_000;
/**
 * The durable position is written at most this often (fsyncs stay off the journal's disk);
 * PostgreSQL's keys make a resend after a crash idempotent. JARVIS_TEAM_POSITION_SAVE_MS changes
 * it (tests widen the window between PostgreSQL's commit and the position's advance).
 */
const POSITION_SAVE_MS = Number(process.env.JARVIS_TEAM_POSITION_SAVE_MS) > 0 ? Number(process.env.JARVIS_TEAM_POSITION_SAVE_MS) : 200;
/** History rows read from the store when a folder first connects (or after a gap). */
const BACKFILL_LIMIT = 10_000;
const LAG_SAMPLES = 20_000;
const STOP_WAIT_MS = 5_000;
/** Below this many records waiting, the replicator waits LINGER_MS for more before sending. */
const LINGER_BELOW = 200;
const LINGER_MS = 10;

export type ReplicationState = 'connecting' | 'replicating' | 'offline' | 'stopped';

export class Replicator {
  state: ReplicationState = 'connecting';
  lastError: string | null = null;
  /** The last record PostgreSQL committed (ahead of the durable position by at most POSITION_SAVE_MS). */
  shipped: number;
  readonly pool: Pool;
  private stopped = false;
  private wake: (() => void) | undefined;
  private saving: Promise<void> | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private reportsDirty = true;
  private readonly lags: number[] = [];
  private lagNext = 0;
  private loopDone: Promise<void> | undefined;
  private readonly s: string;
  private readonly listener: { dispose(): void };
  /** The journal sequence a backfill covered: a gap up to it is expected, not news. */
  private backfilledThrough = 0;

  constructor(
    private readonly engine: ReplicatedEngine, private readonly outbox: Outbox, readonly origin: Origin,
    readonly config: TeamConfig, private readonly log: Logger,
  ) {
    this.s = q(config.schema);
    this.shipped = outbox.position;
    this.pool = new Pool({
      connectionString: isValidDatabaseUrl(config.databaseUrl) ? config.databaseUrl : 'postgres://invalid.invalid/none',
      max: 3,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      query_timeout: 30_000,
      application_name: 'jarvis-context',
    });
    // An idle client's error (PostgreSQL restarted) is emitted by the pool: without a handler it
    // would end the process.
    this.pool.on('error', e => this.log.debug(`[team] idle connection closed: ${this.describe(e)}`));
    outbox.onCommitted = () => this.poke();
    this.listener = engine.onDidChange(e => {
      if (e.kind === 'recovery') {
        this.reportsDirty = true;
        this.poke();
      }
    });
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Records acknowledged and not yet in PostgreSQL. */
  get pending(): number {
    return Math.max(0, this.outbox.acked - this.shipped);
  }

  lagMs(): number {
    if (this.pending === 0) return 0;
    const at = this.outbox.oldestPendingAt(this.shipped);
    return at === undefined ? -1 : Math.max(0, Date.now() - at);
  }

  /** Milliseconds from acknowledgement to PostgreSQL's commit, for the latest records (bench). */
  lagSamples(): number[] {
    return [...this.lags];
  }

  describe(e: unknown): string {
    return describePgError(e, this.config.databaseUrl);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listener.dispose();
    this.poke();
    // A batch in flight on a hung connection is not waited for long: it is sent again next start.
    await Promise.race([this.loopDone, new Promise(resolve => setTimeout(resolve, STOP_WAIT_MS).unref())]);
    clearTimeout(this.saveTimer);
    await this.saving;
    await this.saveNow();
    this.state = 'stopped';
    await this.pool.end().catch(e => this.log.debug(`[team] closing the pool: ${this.describe(e)}`));
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    if (!isValidDatabaseUrl(this.config.databaseUrl)) {
      this.state = 'offline';
      this.lastError = 'the database URL is not a postgres:// or postgresql:// URL (postgres://user:password@host:5432/database)';
      this.log.error(`[team] ${this.lastError}; replication is off until it is corrected (local mode is not affected)`);
      return;
    }
    while (!this.stopped) {
      let client: PoolClient | undefined;
      try {
        this.state = this.state === 'replicating' ? 'replicating' : 'connecting';
        client = await this.pool.connect();
        client.on('error', e => this.log.debug(`[team] connection error: ${this.describe(e)}`));
        await this.onConnect(client);
        if (this.state !== 'replicating') this.log.info(`[team] replicating to ${redactUrl(this.config.databaseUrl)} (schema ${this.config.schema}, project ${this.config.project}) from record ${this.shipped + 1}`);
        this.state = 'replicating';
        this.lastError = null;
        backoff = BACKOFF_MIN_MS;
        await this.shipLoop(client);
        this.dropSecond(false);
        client.release();
      } catch (e) {
        this.dropSecond();
        client?.release(true);
        const text = this.describe(e);
        if (this.lastError !== text) this.log.warn(`[team] ${text}; retrying (local writes are not affected)`);
        this.lastError = text;
        this.state = 'offline';
        if (this.stopped) break;
        await this.sleep(backoff);
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      }
    }
  }

  private async onConnect(client: PoolClient): Promise<void> {
    const applied = await migrate(client, this.config.schema, `${this.origin.host}/${this.origin.id}`);
    if (applied.length) this.log.info(`[team] database schema ${this.config.schema} migrated to version ${applied[applied.length - 1]}`);
    await client.query(
      `INSERT INTO ${this.s}.origins (project, origin, host, user_name, folder) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (project, origin) DO UPDATE SET host = excluded.host, user_name = excluded.user_name, folder = excluded.folder, last_seen = now()`,
      [this.config.project, this.origin.id, this.origin.host, this.origin.user, this.engine.folder],
    );
    // A folder that never replicated: its history before this start is no longer in the journal.
    if (!this.outbox.hasPosition) {
      await this.backfill(client);
      await this.outbox.advance(this.shipped, true);
    }
  }

  private async shipLoop(client: PoolClient): Promise<void> {
    let lastBeat = Date.now();
    while (!this.stopped) {
      if (this.reportsDirty) {
        this.reportsDirty = false;
        await this.shipReports(client).catch(e => {
          this.reportsDirty = true;
          throw e;
        });
      }
      const from = this.shipped + 1;
      let r = await this.outbox.fetch(from, BATCH, this.engine.journalFile);
      if (r.gapTo !== undefined) {
        // A compaction may have moved records between the two reads: look once more.
        await new Promise(res => setTimeout(res, 50));
        r = await this.outbox.fetch(from, BATCH, this.engine.journalFile);
        if (r.gapTo !== undefined) {
          if (r.gapTo - 1 > this.backfilledThrough) {
            this.log.warn(`[team] records ${from} to ${r.gapTo - 1} are no longer on disk (written while team mode was off); sending the current state instead`);
            await this.backfill(client);
          }
          this.shipped = r.gapTo - 1;
          this.schedulePositionSave();
          continue;
        }
      }
      if (r.records.length === 0) {
        if (Date.now() - lastBeat >= HEARTBEAT_MS) {
          await client.query(`UPDATE ${this.s}.origins SET last_seen = now() WHERE project = $1 AND origin = $2`, [this.config.project, this.origin.id]);
          lastBeat = Date.now();
        }
        await this.sleep(HEARTBEAT_MS);
        continue;
      }
      // A trickle waits a moment for company: fewer, larger transactions cost PostgreSQL (often on
      // the same cores) far less, within the lag budget.
      if (r.records.length < LINGER_BELOW) {
        await new Promise(res => setTimeout(res, LINGER_MS));
        const more = await this.outbox.fetch(from, BATCH, this.engine.journalFile);
        if (more.gapTo !== undefined) continue;
        r = more;
      }
      // A backlog goes two batches at a time on two connections, so PostgreSQL works on one while
      // the other is sent; each is committed on its own and the position moves past both only
      // when both committed (the first alone when the second failed).
      const next = r.records.length === BATCH ? await this.outbox.fetch(r.records[r.records.length - 1].seq + 1, BATCH, this.engine.journalFile) : undefined;
      if (next && next.records.length > 0 && next.gapTo === undefined) {
        const second = await this.secondClient();
        const [first, other] = await Promise.allSettled([this.shipBatch(client, r.records), this.shipBatch(second, next.records)]);
        if (other.status === 'rejected') this.dropSecond();
        if (first.status === 'rejected') throw first.reason;
        lastBeat = this.markShipped(r.records);
        if (other.status === 'rejected') throw other.reason;
        lastBeat = this.markShipped(next.records);
        continue;
      }
      await this.shipBatch(client, r.records);
      lastBeat = this.markShipped(r.records);
    }
  }

  /** PostgreSQL committed these records: count their lag, move the position (saved shortly). */
  private markShipped(records: OutRecord[]): number {
    const now = Date.now();
    this.shipped = Math.max(this.shipped, records[records.length - 1].seq);
    for (const rec of records) {
      if (rec.at === undefined) continue;
      this.lags[this.lagNext] = now - rec.at;
      this.lagNext = (this.lagNext + 1) % LAG_SAMPLES;
    }
    this.schedulePositionSave();
    return now;
  }

  private second: PoolClient | undefined;

  private async secondClient(): Promise<PoolClient> {
    if (this.second) return this.second;
    const c = await this.pool.connect();
    c.on('error', e => this.log.debug(`[team] connection error: ${this.describe(e)}`));
    this.second = c;
    return c;
  }

  /** After a failure on the second connection, or when the main one is given up. */
  private dropSecond(broken = true): void {
    const c = this.second;
    this.second = undefined;
    c?.release(broken);
  }

  private schedulePositionSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveNow();
    }, POSITION_SAVE_MS);
  }

  private async saveNow(): Promise<void> {
    while (this.saving) await this.saving;
    if (this.shipped <= this.outbox.position) return;
    this.saving = this.outbox.advance(this.shipped).catch(e => {
      this.log.warn(`[team] could not save the replication position: ${errorText(e)}; records may be sent again (PostgreSQL keeps one copy)`);
    }).finally(() => {
      this.saving = undefined;
    });
    await this.saving;
  }

  /** One transaction: the events and the current state they lead to. */
  private async shipBatch(client: PoolClient, records: OutRecord[]): Promise<void> {
    const rows = new Rows();
    const lastSeq = records[records.length - 1].seq;
    for (const r of records) rows.add(r.seq, r.op);
    // Sorted, and written last in the transaction: two batches in flight lock these rows in one
    // order (no deadlock) and only for the end of their transactions.
    const tasks = [...rows.tasks].sort().flatMap(id => {
      const t = this.engine.getTask(id);
      return t ? [{ task_id: id, status: t.status, updated_at: t.updated_at, seq: lastSeq, body: t }] : [];
    });
    const agents = [...rows.agents].sort().flatMap(id => {
      const a = this.engine.getAgent(id);
      if (!a) return [];
      const { seconds_since_update: _s, health: _h, stale: _st, ...body } = a;
      return [{ agent_id: id, status: a.status, last_seen: a.last_seen, seq: lastSeq, body }];
    });
    await client.query('BEGIN');
    try {
      const p = [this.config.project, this.origin.id];
      await client.query(`INSERT INTO ${this.s}.events (project, origin, seq, kind, ts, body)
        SELECT $1, $2, e.seq, e.kind, e.ts, e.body FROM jsonb_to_recordset($3::jsonb) AS e(seq bigint, kind text, ts timestamptz, body jsonb)
        ON CONFLICT DO NOTHING`, [...p, json(rows.events)]);
      await this.writeState(client, { tasks, agents, decisions: rows.decisions, messages: rows.messages, checkpoints: rows.checkpoints, spans: rows.spans });
      await client.query(`UPDATE ${this.s}.origins SET last_seen = now(), replicated_through = GREATEST(replicated_through, $3)
        WHERE project = $1 AND origin = $2`, [...p, lastSeq]);
      await client.query('SELECT pg_notify($1, $2)', [notifyChannel(this.config.schema), JSON.stringify({ project: this.config.project, origin: this.origin.id, seq: lastSeq })]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  private async writeState(client: PoolClient, st: StateRows): Promise<void> {
    const p = [this.config.project, this.origin.id];
    const s = this.s;
    if (st.decisions.length) {
      await client.query(`INSERT INTO ${s}.decisions (project, origin, id, ts, agent_id, task_id, body)
        SELECT $1, $2, e.id, e.ts, e.agent_id, e.task_id, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(id bigint, ts timestamptz, agent_id text, task_id text, body jsonb) ON CONFLICT DO NOTHING`, [...p, json(st.decisions)]);
    }
    if (st.messages.length) {
      await client.query(`INSERT INTO ${s}.messages (project, origin, id, ts, from_agent, to_agent, body)
        SELECT $1, $2, e.id, e.ts, e.from_agent, e.to_agent, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(id bigint, ts timestamptz, from_agent text, to_agent text, body jsonb) ON CONFLICT DO NOTHING`, [...p, json(st.messages)]);
    }
    if (st.checkpoints.length) {
      await client.query(`INSERT INTO ${s}.checkpoints (project, origin, id, created_at, kind, label, body)
        SELECT $1, $2, e.id, e.created_at, e.kind, e.label, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(id bigint, created_at timestamptz, kind text, label text, body jsonb) ON CONFLICT DO NOTHING`, [...p, json(st.checkpoints)]);
    }
    if (st.spans.length) {
      await client.query(`INSERT INTO ${s}.spans (project, origin, id, ts, trace_id, span_id, body)
        SELECT $1, $2, e.id, e.ts, e.trace_id, e.span_id, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(id bigint, ts timestamptz, trace_id text, span_id text, body jsonb) ON CONFLICT DO NOTHING`, [...p, json(st.spans)]);
    }
    if (st.tasks.length) {
      await client.query(`INSERT INTO ${s}.tasks (project, origin, task_id, status, updated_at, seq, body)
        SELECT $1, $2, e.task_id, e.status, e.updated_at, e.seq, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(task_id text, status text, updated_at timestamptz, seq bigint, body jsonb)
        ON CONFLICT (project, origin, task_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
          seq = excluded.seq, body = excluded.body WHERE ${s}.tasks.seq <= excluded.seq`, [...p, json(st.tasks)]);
    }
    if (st.agents.length) {
      await client.query(`INSERT INTO ${s}.agents (project, origin, agent_id, status, last_seen, seq, body)
        SELECT $1, $2, e.agent_id, e.status, e.last_seen, e.seq, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(agent_id text, status text, last_seen timestamptz, seq bigint, body jsonb)
        ON CONFLICT (project, origin, agent_id) DO UPDATE SET status = excluded.status, last_seen = excluded.last_seen,
          seq = excluded.seq, body = excluded.body WHERE ${s}.agents.seq <= excluded.seq`, [...p, json(st.agents)]);
    }
  }

  /** The folder's current state and newest history, for a first connection or after a gap. */
  private async backfill(client: PoolClient): Promise<void> {
    const e = this.engine;
    const seq = e.journalSeq;
    this.backfilledThrough = seq;
    const tasks = e.getTasks().map(t => ({ task_id: t.task_id, status: t.status, updated_at: t.updated_at, seq, body: t }));
    const agents = e.getAgents().map(a => {
      const { seconds_since_update: _s, health: _h, stale: _st, ...body } = a;
      return { agent_id: a.agent_id, status: a.status, last_seen: a.last_seen, seq, body };
    });
    const decisions = (await e.getDecisions({ limit: BACKFILL_LIMIT })).map(d => ({ id: d.id, ts: d.ts, agent_id: d.agent_id, task_id: d.task_id, body: d }));
    const messages = (await e.getMessages({ limit: BACKFILL_LIMIT })).map(m => ({ id: m.id, ts: m.ts, from_agent: m.from_agent, to_agent: m.to_agent, body: m }));
    const checkpoints = e.listCheckpoints(BACKFILL_LIMIT).map(c => ({ id: c.checkpoint_id, created_at: c.created_at, kind: c.kind, label: c.label, body: c }));
    const spans = (await e.getSpans({ limit: BACKFILL_LIMIT })).map(x => ({ id: x.id, ts: x.start_time, trace_id: x.trace_id, span_id: x.span_id, body: x }));
    await client.query('BEGIN');
    try {
      await this.writeState(client, { tasks, agents, decisions, messages, checkpoints, spans });
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    this.reportsDirty = true;
    this.log.info(`[team] sent the folder's state: ${tasks.length} tasks, ${agents.length} agents, ${decisions.length} decisions, ${messages.length} messages`);
  }

  private async shipReports(client: PoolClient): Promise<void> {
    let reports: RecoveryReport[];
    try {
      reports = await this.engine.listRecoveryReports(10);
    } catch (e) {
      this.log.warn(`[team] could not read the recovery reports: ${errorText(e)}`);
      return;
    }
    if (reports.length === 0) return;
    const rows = reports.map(r => ({ file: r.file, created_at: r.created_at, kind: r.trigger, body: r }));
    await client.query(`INSERT INTO ${this.s}.recovery_reports (project, origin, file, created_at, kind, body)
      SELECT $1, $2, e.file, e.created_at, e.kind, e.body FROM jsonb_to_recordset($3::jsonb)
        AS e(file text, created_at timestamptz, kind text, body jsonb) ON CONFLICT DO NOTHING`,
    [this.config.project, this.origin.id, json(rows)]);
  }
}

export function notifyChannel(schema: string): string {
  return `${schema}_changes`;
}

interface StateRows {
  tasks: unknown[];
  agents: unknown[];
  decisions: unknown[];
  messages: unknown[];
  checkpoints: unknown[];
  spans: unknown[];
}

/** The rows one batch of records leads to; tasks and agents by id (their state is read once). */
class Rows {
  events: { seq: number; kind: string; ts: string; body: JournalOp }[] = [];
  tasks = new Set<string>();
  agents = new Set<string>();
  decisions: unknown[] = [];
  messages: unknown[] = [];
  checkpoints: unknown[] = [];
  spans: unknown[] = [];

  add(seq: number, op: JournalOp): void {
    this.events.push({ seq, kind: op.o, ts: iso(op.t), body: op });
    switch (op.o) {
      case 'batch': op.items.forEach(i => this.item(i)); break;
      case 'spans':
        for (const sp of op.spans) {
          const { id, ...rest } = sp;
          this.spans.push({ id, ts: sp.start_time, trace_id: sp.trace_id, span_id: sp.span_id, body: { id, ...rest } });
        }
        op.items.forEach(i => this.item(i));
        break;
      case 'checkpoint':
        this.checkpoints.push({ id: op.id, created_at: iso(op.t), kind: op.kind, label: op.label,
          body: { checkpoint_id: op.id, created_at: iso(op.t), label: op.label, kind: op.kind, snapshot_id: op.snapshot_id } });
        break;
      case 'task': case 'agent': case 'decision': case 'message': this.item(op); break;
      default: break;
    }
  }

  private item(op: BatchItemOp): void {
    switch (op.o) {
      case 'task': this.tasks.add(op.id); break;
      case 'agent': this.agents.add(op.id); break;
      case 'decision': {
        const d = op.d;
        this.decisions.push({ id: op.id, ts: iso(op.t), agent_id: d.agent_id ?? null, task_id: d.task_id ?? null, body: {
          id: op.id, ts: iso(op.t), decision_type: d.decision_type, context: d.context, decision: d.decision, reasoning: d.reasoning,
          outcome: d.outcome ?? null, agent_id: d.agent_id ?? null, task_id: d.task_id ?? null } });
        break;
      }
      case 'message':
        this.messages.push({ id: op.id, ts: iso(op.t), from_agent: op.d.from_agent, to_agent: op.d.to_agent, body: { id: op.id, ts: iso(op.t), ...op.d } });
        break;
      default: break;
    }
  }
}

/** JSON for a jsonb parameter (faster than json here: the bodies stay jsonb); PostgreSQL's jsonb refuses \u0000, so it becomes U+FFFD. */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

export { redactText };
