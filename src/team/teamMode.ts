import type { JournalTap } from '../core/journalTap';
import { nodeFileSystem } from '../core/nodeFs';
import type { FileSystemPort, Logger } from '../core/ports';
import { agentHealth, isAtRest } from '../core/rows';
import type { Agent, Decision, ListQuery, Message, RecoveryReport, Task, TaskStatus } from '../core/types';
import { loadOrCreateOrigin, type Origin } from './origin';
import { Outbox } from './outbox';
import { q } from './pgSchema';
import { Client } from 'pg';
import { FUTURE_TS_MS, HEARTBEAT_MS, notifyChannel, Replicator, type ReplicatedEngine, type ReplicationState } from './replicator';

export type { ReplicatedEngine };
import type { TeamConfig } from './teamConfig';

// Team mode's front: built before the engine opens (its outbox must see the journal from the
// first record), attached once the engine is open, read by GET /team and scope=team.

export interface TeamOriginInfo {
  id: string;
  host: string;
  user: string;
  /** The folder it replicates from (two folders on one host are told apart by it). */
  folder: string | null;
  /** Its current history (history.ts); '' for the first. */
  epoch: string;
  last_seen: string;
  /** Not seen for the staleness threshold (never this folder itself): its server stopped or lost the database. */
  lost: boolean;
  /** Its newest recovery report, or null when it never recovered. */
  last_recovery: TeamRecoverySummary | null;
}

/** What GET /team says of an origin's newest recovery report; the report itself: GET /team/recovery-report. */
export interface TeamRecoverySummary {
  file: string;
  created_at: string;
  trigger: RecoveryReport['trigger'];
  incomplete_tasks: number;
}

/**
 * An origin is judged lost no sooner than two heartbeats: a threshold shorter than the
 * heartbeat would call an idle, live origin lost between two of them.
 */
export const LOST_MIN_MS = 2 * HEARTBEAT_MS;

export interface TeamStatus {
  enabled: true;
  project: string;
  schema: string;
  origin: Origin;
  connected: boolean;
  state: ReplicationState;
  pending: number;
  replicated_through: number;
  /** Age of the oldest record not yet in PostgreSQL; 0 when none waits, null when unknown. */
  lag_ms: number | null;
  /** The last failure, kept until something succeeds, and when it happened. */
  last_error: string | null;
  last_error_at: string | null;
  /** Records PostgreSQL refused, kept aside in team/aside.jsonl (sent again after an upgrade). */
  set_aside: number;
  /** Keys that arrived with other content than PostgreSQL held; each started a new history. */
  conflicts: number;
  last_conflict: { epoch: string; seq: number; new_epoch: string; at: string } | null;
  /** This folder's current history. */
  epoch: string;
  /** An origin not seen for this long is lost (the folder's staleness setting, at least LOST_MIN_MS). */
  stale_after_ms: number;
  origins: TeamOriginInfo[];
}

export type WithOrigin<T> = T & { origin: string };

/** What the server reads from team mode (GET /team, scope=team). */
export interface TeamReader {
  status(): Promise<TeamStatus>;
  agents(): Promise<WithOrigin<Agent>[]>;
  tasks(status?: TaskStatus): Promise<WithOrigin<Task>[]>;
  decisions(query: ListQuery): Promise<WithOrigin<Decision>[]>;
  messages(query: ListQuery): Promise<WithOrigin<Message>[]>;
  /** Recovery reports, newest first; of one origin when given. */
  recoveryReports(origin: string | undefined, limit: number): Promise<WithOrigin<RecoveryReport>[]>;
  /** One origin's report by file name, or its newest; undefined when none. */
  recoveryReport(origin: string, file?: string): Promise<WithOrigin<RecoveryReport> | undefined>;
}

export class TeamUnavailableError extends Error {}


export class TeamMode implements TeamReader {
  readonly outbox: Outbox;
  private replicator: Replicator | undefined;
  /** The origins as last read, with their age by PostgreSQL's clock and when it was read (ours). */
  private origins: { info: Omit<TeamOriginInfo, 'lost'>; ageMs: number; readAt: number }[] = [];
  private engine: ReplicatedEngine | undefined;

  private readonly initialStaleAfterMs: number;

  /** `fs`: the engine's file system port (its outbox, position and origin files go through it). */
  constructor(
    readonly folder: string, readonly config: TeamConfig, private readonly log: Logger, staleAfterMs?: number,
    private readonly fs: FileSystemPort = nodeFileSystem,
  ) {
    this.initialStaleAfterMs = staleAfterMs ?? 5 * 60_000;
    this.outbox = new Outbox(folder, fs);
  }

  /** The engine's staleness setting, which follows the folder's configuration while running. */
  get staleAfterMs(): number {
    return this.engine?.staleAfterMs ?? this.initialStaleAfterMs;
  }

  /** Give this to the engine's options (`journalTap`). */
  get journalTap(): JournalTap {
    return this.outbox;
  }

  /** Starts replicating the open engine's folder; waits for its local files, never for PostgreSQL. */
  async attach(engine: ReplicatedEngine): Promise<void> {
    if (this.replicator) return;
    await this.outbox.ready();
    const origin = await loadOrCreateOrigin(engine.folder, this.fs);
    if (this.replicator) return;
    this.engine = engine;
    this.outbox.acked = Math.max(this.outbox.acked, engine.journalSeq);
    this.replicator = new Replicator(engine, this.outbox, origin, this.config, this.log);
    this.replicator.start();
  }

  get running(): Replicator {
    if (!this.replicator) throw new Error('team mode is not attached to an engine');
    return this.replicator;
  }

  /**
   * Calls `onChange` when any origin of the project commits a batch (LISTEN on the schema's
   * channel); reconnects while the database is away. Readers poll as well, for ages and in case
   * notifications cannot arrive (a pooler in transaction mode drops them).
   */
  listen(onChange: () => void): { dispose(): void } {
    let disposed = false;
    let client: Client | undefined;
    let timer: NodeJS.Timeout | undefined;
    const r = this.running;
    const connect = async (): Promise<void> => {
      if (disposed) return;
      const c = new Client({ connectionString: this.config.databaseUrl, connectionTimeoutMillis: 5_000, application_name: 'jarvis-context listen' });
      client = c;
      const retry = (): void => {
        if (client !== c) return;
        client = undefined;
        void c.end().catch(() => undefined);
        if (!disposed) timer = setTimeout(() => void connect(), 5_000);
      };
      c.on('error', e => {
        this.log.debug(`[team] notifications: ${r.describe(e)}`);
        retry();
      });
      c.on('end', retry);
      c.on('notification', msg => {
        try {
          if ((JSON.parse(msg.payload ?? '{}') as { project?: string }).project === this.config.project) onChange();
        } catch { /* not ours */ }
      });
      try {
        await c.connect();
        await c.query(`LISTEN "${notifyChannel(this.config.schema)}"`);
      } catch (e) {
        this.log.debug(`[team] notifications: ${r.describe(e)}`);
        retry();
      }
    };
    void connect();
    return {
      dispose: () => {
        disposed = true;
        clearTimeout(timer);
        const c = client;
        client = undefined;
        void c?.end().catch(() => undefined);
      },
    };
  }

  /** The replication state without asking PostgreSQL (the status bar redraws it every few seconds). */
  replication(): { project: string; state: ReplicationState; pending: number; lagMs: number | null; lastError: string | null } | undefined {
    const r = this.replicator;
    if (!r) return undefined;
    const lag = r.lagMs();
    return { project: this.config.project, state: r.state, pending: r.pending, lagMs: lag < 0 ? null : lag, lastError: r.lastError };
  }

  async close(): Promise<void> {
    await this.replicator?.stop();
  }

  async status(): Promise<TeamStatus> {
    const r = this.running;
    await r.peeked;
    if (r.connected) {
      try {
        const s = q(this.config.schema);
        // Ages by PostgreSQL's clock, which wrote last_seen: machines' clocks may disagree.
        const res = await r.pool.query<{ origin: string; host: string; user_name: string; folder: string | null; epoch: string; last_seen: Date; age_ms: number;
          file: string | null; created_at: Date | null; kind: string | null; incomplete: number | null }>(
          `SELECT o.origin, o.host, o.user_name, o.folder, o.epoch, o.last_seen, (EXTRACT(EPOCH FROM now() - o.last_seen) * 1000)::float8 AS age_ms,
             rr.file, rr.created_at, rr.kind, rr.incomplete
           FROM ${s}.origins o LEFT JOIN LATERAL (
             SELECT file, created_at, kind, COALESCE(jsonb_array_length(body->'incomplete_tasks'), 0) AS incomplete
             FROM ${s}.recovery_reports WHERE project = o.project AND origin = o.origin ORDER BY created_at DESC, file DESC LIMIT 1
           ) rr ON true
           WHERE o.project = $1 ORDER BY o.first_seen, o.origin`,
          [this.config.project]);
        const readAt = Date.now();
        this.origins = res.rows.map(o => ({
          info: {
            id: o.origin, host: o.host, user: o.user_name, folder: o.folder, epoch: o.epoch, last_seen: o.last_seen.toISOString(),
            last_recovery: o.file === null || o.created_at === null ? null
              : { file: o.file, created_at: o.created_at.toISOString(), trigger: o.kind === 'manual' ? 'manual' : 'crash', incomplete_tasks: Number(o.incomplete ?? 0) },
          },
          ageMs: Math.max(0, Number(o.age_ms)),
          readAt,
        }));
      } catch (e) {
        this.log.debug(`[team] reading the origins: ${r.describe(e)}`);
      }
    }
    const lag = r.lagMs();
    const staleMs = Math.max(this.staleAfterMs, LOST_MIN_MS);
    const now = Date.now();
    return {
      enabled: true,
      project: this.config.project,
      schema: this.config.schema,
      origin: r.origin,
      connected: r.connected,
      state: r.state,
      pending: r.pending,
      replicated_through: r.shipped,
      lag_ms: lag < 0 ? null : lag,
      last_error: r.lastError,
      last_error_at: r.lastErrorAt === undefined || r.lastError === null ? null : new Date(r.lastErrorAt).toISOString(),
      set_aside: r.setAside,
      conflicts: r.conflicts,
      last_conflict: r.lastConflict,
      epoch: r.engineEpoch(),
      stale_after_ms: staleMs,
      // Offline, the last list read ages by this machine's clock.
      origins: this.origins.map(o => ({ ...o.info, lost: o.info.id !== r.origin.id && o.ageMs + (now - o.readAt) > staleMs })),
    };
  }

  /** Health by when each agent was last heard from, by PostgreSQL's clock (never the sender's). */
  async agents(): Promise<WithOrigin<Agent>[]> {
    // At rest as at home: idle with no task of its origin in progress for it.
    const rows = await this.query<{ origin: string; age_ms: number; working: boolean; body: Omit<Agent, 'seconds_since_update' | 'health' | 'stale' | 'at_rest'> }>(
      `SELECT a.origin, a.body, GREATEST(0, EXTRACT(EPOCH FROM now() - a.heard_at) * 1000)::float8 AS age_ms,
         EXISTS (SELECT 1 FROM $S.tasks t WHERE t.project = a.project AND t.origin = a.origin AND t.status = 'in_progress'
           AND (t.body->>'agent_id' = a.agent_id OR t.task_id = a.body->>'current_task')) AS working
       FROM $S.agents a WHERE a.project = $1 ORDER BY a.heard_at DESC LIMIT 10000`, []);
    return rows.map(({ origin, body, age_ms, working }) => {
      const age = Number(age_ms);
      const atRest = isAtRest(String(body.status), working === true);
      return { ...body, seconds_since_update: Math.floor(age / 1000), ...agentHealth(age, this.staleAfterMs, atRest), at_rest: atRest, origin };
    });
  }

  async tasks(status?: TaskStatus): Promise<WithOrigin<Task>[]> {
    const rows = status === undefined
      ? await this.query<{ origin: string; body: Task }>('SELECT origin, body FROM $S.tasks WHERE project = $1 ORDER BY received_at DESC LIMIT 10000', [])
      : await this.query<{ origin: string; body: Task }>('SELECT origin, body FROM $S.tasks WHERE project = $1 AND status = $2 ORDER BY received_at DESC LIMIT 10000', [status]);
    return rows.map(({ origin, body }) => ({ ...body, origin }));
  }

  async decisions(query: ListQuery): Promise<WithOrigin<Decision>[]> {
    const { where, params } = filters(query, [['agent_id', query.agent_id], ['task_id', query.task_id]]);
    const rows = await this.query<Arrived<Decision>>(
      `SELECT origin, body, received_at, ${FUTURE} FROM $S.decisions WHERE project = $1${where} ORDER BY received_at DESC, id DESC LIMIT ${query.limit ?? 100}`, params);
    return rows.map(arrived);
  }

  async messages(query: ListQuery): Promise<WithOrigin<Message>[]> {
    const { where, params } = filters(query, []);
    let w = where;
    if (query.agent_id !== undefined) {
      params.push(query.agent_id);
      w += ` AND (from_agent = $${params.length + 1} OR to_agent = $${params.length + 1})`;
    }
    const rows = await this.query<Arrived<Message>>(
      `SELECT origin, body, received_at, ${FUTURE} FROM $S.messages WHERE project = $1${w} ORDER BY received_at DESC, id DESC LIMIT ${query.limit ?? 100}`, params);
    return rows.map(arrived);
  }

  async recoveryReports(origin: string | undefined, limit: number): Promise<WithOrigin<RecoveryReport>[]> {
    const rows = origin === undefined
      ? await this.query<{ origin: string; body: RecoveryReport }>(`SELECT origin, body FROM $S.recovery_reports WHERE project = $1 ORDER BY created_at DESC, file DESC LIMIT ${limit}`, [])
      : await this.query<{ origin: string; body: RecoveryReport }>(`SELECT origin, body FROM $S.recovery_reports WHERE project = $1 AND origin = $2 ORDER BY created_at DESC, file DESC LIMIT ${limit}`, [origin]);
    return rows.map(({ origin: o, body }) => ({ ...body, origin: o }));
  }

  async recoveryReport(origin: string, file?: string): Promise<WithOrigin<RecoveryReport> | undefined> {
    if (file === undefined) return (await this.recoveryReports(origin, 1))[0];
    const rows = await this.query<{ origin: string; body: RecoveryReport }>(
      'SELECT origin, body FROM $S.recovery_reports WHERE project = $1 AND origin = $2 AND file = $3', [origin, file]);
    return rows[0] && { ...rows[0].body, origin: rows[0].origin };
  }

  /** `$S` is the schema; `$1` the project, the rest `params`. Failures say why, without the password. */
  private async query<T extends object>(sql: string, params: unknown[]): Promise<T[]> {
    const r = this.running;
    try {
      const res = await r.pool.query<T>(sql.replace(/\$S/g, q(this.config.schema)), [this.config.project, ...params]);
      return res.rows;
    } catch (e) {
      throw new TeamUnavailableError(`The team database cannot be read: ${r.describe(e)}`);
    }
  }
}

/** A row of a team list: the sender's `ts` kept as its claim, the arrival by PostgreSQL's clock. */
type Arrived<T> = { origin: string; body: T; received_at: Date; ts_future: boolean };

/** The sender's time is further ahead of the arrival than clocks drift: flagged (ordering uses the arrival). */
const FUTURE = `(ts > received_at + ${FUTURE_TS_MS} * interval '1 millisecond') AS ts_future`;

function arrived<T extends object>(r: Arrived<T>): WithOrigin<T> & { received_at: string; ts_future?: true } {
  return { ...r.body, origin: r.origin, received_at: r.received_at.toISOString(), ...(r.ts_future ? { ts_future: true as const } : {}) };
}

/** `since` (by arrival) and equality filters after the project ($1); limits are checked by the caller. */
function filters(query: ListQuery, eq: [string, string | undefined][]): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  let where = '';
  if (query.since !== undefined) {
    params.push(query.since);
    where += ` AND received_at >= $${params.length + 1}`;
  }
  for (const [col, v] of eq) {
    if (v === undefined) continue;
    params.push(v);
    where += ` AND ${col} = $${params.length + 1}`;
  }
  return { where, params };
}
