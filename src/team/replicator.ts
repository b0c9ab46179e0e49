import { Pool, type PoolClient } from 'pg';
import type { ContextEngineApi } from '../core/engineApi';
import { errorText } from '../core/errorText';
import { epochOf, type Epoch } from '../core/history';
import type { BatchItemOp, JournalOp } from '../core/ops';
import type { Logger } from '../core/ports';
import { agentPart } from '../core/snapshots';
import { iso } from '../core/time';
import type { Agent, JsonObject, RecoveryReport } from '../core/types';
import { newOrigin, type Origin } from './origin';
import type { AsideRecord, Outbox, OutRecord } from './outbox';
import { describePgError, isValidDatabaseUrl } from './pgErrors';
import { migrate, q } from './pgSchema';
import { redactText, redactUrl } from './redact';
import type { TeamConfig } from './teamConfig';

// Ships the outbox to PostgreSQL: in order, in batches, each batch one transaction keyed by
// (project, origin, epoch, seq) so a batch sent twice (a crash between PostgreSQL's commit and
// the position's advance) changes nothing. Down or slow: retry with backoff, forever. A key that
// holds other content (a restored or copied folder) starts a new history and is kept as a
// conflict; a record PostgreSQL refuses for its content is found, set aside and counted, and
// never blocks the records behind it.

/** What replication needs of an engine: its API, where its journal is, its histories. */
export type ReplicatedEngine = ContextEngineApi & {
  readonly journalSeq: number; readonly journalFile: string; readonly staleAfterMs: number;
  readonly epochs: readonly Epoch[];
  forkHistory(after: number, reason: string): Promise<Epoch>;
  teamCondition(id: 'stalled' | 'set_aside', message: string | undefined, detail?: JsonObject): void;
};

const envMs = (name: string, dflt: number): number => (Number(process.env[name]) > 0 ? Number(process.env[name]) : dflt);

const BATCH = 2_000;
/** Bytes of records in one batch: PostgreSQL's jsonb values stop at 256 MB; a larger record goes alone. */
const BATCH_BYTES = envMs('JARVIS_TEAM_BATCH_BYTES', 32 * 1024 * 1024);
/** A record refused for its content is tried this many times, this far apart (times the attempt), then set aside. */
const REFUSED_ATTEMPTS = 3;
const REFUSED_RETRY_MS = envMs('JARVIS_TEAM_REFUSED_RETRY_MS', 1_000);
/** Records waiting and nothing advanced for this long: stalled. */
const STALL_MS = envMs('JARVIS_TEAM_STALL_MS', 10_000);
/** A repeated failure is logged at most this often. */
const LOG_EVERY_MS = 60_000;
/** A claim on the origin lasts this long unless renewed (heartbeats renew it every HEARTBEAT_MS). */
const CLAIM_MS = 30_000;
/** Bumped when what is sent changes: records set aside by an older format are tried again. */
export const REPLICATION_FORMAT = 2;
/** A sender's time this far past the arrival is flagged (and ordering uses the arrival). */
export const FUTURE_TS_MS = 60_000;
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

export type ReplicationState = 'connecting' | 'replicating' | 'offline' | 'stalled' | 'stopped';

/** PostgreSQL holds other content under a key this batch sends. */
class ConflictError extends Error {
  constructor(readonly epoch: string, readonly seq: number, readonly theirs: unknown) {
    super(`record ${seq} of history "${epoch || 'initial'}" is already in PostgreSQL with other content`);
  }
}

/** A record that cannot be sent as it is (PostgreSQL refuses its content, or it cannot be encoded). */
class RecordError extends Error {}

/** SQLSTATE classes that blame the data, not the connection: data exceptions, limits, constraints. */
function blamesRecord(e: unknown): boolean {
  if (e instanceof RecordError) return true;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|54|23)/.test(code);
}

export class Replicator {
  private connState: ReplicationState = 'connecting';
  /** The last failure, kept until something succeeds. */
  lastError: string | null = null;
  lastErrorAt: number | undefined;
  /** Records PostgreSQL refused, set aside (team/aside.jsonl). */
  setAside = 0;
  /** Keys that arrived with other content than PostgreSQL held (each started a new history). */
  conflicts = 0;
  lastConflict: { epoch: string; seq: number; new_epoch: string; at: string } | null = null;
  /** The record PostgreSQL refuses now, while it is tried again before going aside. */
  private refused: { seq: number; attempts: number } | undefined;
  /** While a refused record is looked for: batches of at most this many, until `searchUntil` is shipped. */
  private maxRecords = BATCH;
  private searchUntil = 0;
  private lastShipAt = Date.now();
  private migrated = false;
  private readonly logged = new Map<string, number>();
  private watchTimer: NodeJS.Timeout | undefined;
  /** The message each condition's alert last said (undefined: none). */
  private readonly alerted: Record<'stalled' | 'set_aside', string | undefined> = { stalled: undefined, set_aside: undefined };
  private readonly claim: string;
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
    private readonly engine: ReplicatedEngine, private readonly outbox: Outbox, public origin: Origin,
    readonly config: TeamConfig, private readonly log: Logger,
  ) {
    this.s = q(config.schema);
    this.shipped = outbox.position;
    // The same folder on the same host takes its claim back at once after a restart or a crash.
    this.claim = `${origin.host}\n${engine.folder}`;
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
    if (this.loopDone) return;
    this.loopDone = this.loop();
    this.watchTimer = setInterval(() => this.watch(), 1_000);
    this.watchTimer.unref();
    void this.outbox.readAside().then(a => {
      this.setAside = a.length;
    }).catch(e => this.log.warn(`[team] could not read the records set aside: ${errorText(e)}`));
    // The oldest waiting record's time, read from the files before PostgreSQL answers (lag after a restart).
    this.peeked = this.outbox.fetch(this.shipped + 1, 1, this.engine.journalFile).then(() => undefined, () => undefined);
  }

  /** Resolves once the oldest waiting record's time is known (read from disk after a restart). */
  peeked: Promise<void> = Promise.resolve();

  /** What GET /team says: stalled when records wait and nothing advanced for STALL_MS, or one is refused. */
  get state(): ReplicationState {
    const s = this.connState;
    if (s === 'stopped' || s === 'offline' || s === 'connecting') return s;
    return this.refused || this.stalledFor() >= STALL_MS ? 'stalled' : s;
  }

  set state(v: ReplicationState) {
    this.connState = v;
  }

  /** Connected to PostgreSQL (replicating, or stalled on a refused record). */
  get connected(): boolean {
    return this.connState === 'replicating';
  }

  /** How long records have waited with nothing advancing (0 when none waits). */
  private stalledFor(): number {
    if (this.pending === 0) return 0;
    const oldest = this.outbox.oldestPendingAt(this.shipped);
    return Date.now() - Math.max(this.lastShipAt, oldest ?? 0);
  }

  /** Once a second: the stall and set-aside alerts follow the state; a stall is logged once, then once a minute. */
  private watch(): void {
    const reason = this.lastError ?? 'nothing has been sent for a while';
    if (this.state === 'stalled') {
      this.warnThrottled('stalled', `[team] replication stalled with ${this.pending} records waiting: ${reason}`);
      this.condition('stalled', `Team replication is stalled: records wait (${reason})`);
    } else this.condition('stalled', undefined);
    this.condition('set_aside', this.setAside > 0
      ? `${this.setAside} record${this.setAside === 1 ? ' was' : 's were'} refused by PostgreSQL and set aside (kept in team/aside.jsonl, sent again after an upgrade)`
      : undefined);
  }

  /** Tells the engine only when a condition's message changes: each call is an alert record in the journal. */
  private condition(id: 'stalled' | 'set_aside', message: string | undefined): void {
    if (this.alerted[id] === message) return;
    this.alerted[id] = message;
    this.engine.teamCondition(id, message, { records: id === 'stalled' ? this.pending : this.setAside });
  }

  /** Logs `text` unless the same kind of message was logged within LOG_EVERY_MS. */
  private warnThrottled(kind: string, text: string): void {
    const last = this.logged.get(kind);
    if (last !== undefined && Date.now() - last < LOG_EVERY_MS) return;
    this.logged.set(kind, Date.now());
    this.log.warn(text);
  }

  private noteError(text: string): void {
    this.lastError = text;
    this.lastErrorAt = Date.now();
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
    clearInterval(this.watchTimer);
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
        this.state = this.connState === 'replicating' ? 'replicating' : 'connecting';
        client = await this.pool.connect();
        client.on('error', e => this.log.debug(`[team] connection error: ${this.describe(e)}`));
        await this.onConnect(client);
        if (this.connState !== 'replicating') this.log.info(`[team] replicating to ${redactUrl(this.config.databaseUrl)} (schema ${this.config.schema}, project ${this.config.project}) from record ${this.shipped + 1}`);
        this.state = 'replicating';
        this.logged.delete('error');
        backoff = BACKOFF_MIN_MS;
        await this.shipLoop(client);
        this.dropSecond(false);
        client.release();
      } catch (e) {
        this.dropSecond();
        client?.release(true);
        const text = this.describe(e);
        if (this.lastError !== text) this.logged.delete('error');
        this.warnThrottled('error', `[team] ${text}; retrying (local writes are not affected)`);
        this.noteError(text);
        this.state = 'offline';
        if (this.stopped) break;
        await this.sleep(backoff);
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      }
    }
  }

  private async onConnect(client: PoolClient): Promise<void> {
    if (!this.migrated) {
      const applied = await migrate(client, this.config.schema, `${this.origin.host}/${this.origin.id}`);
      if (applied.length) this.log.info(`[team] database schema ${this.config.schema} migrated to version ${applied[applied.length - 1]}`);
      this.migrated = true;
    }
    if (!(await this.takeClaim(client))) {
      // Another live server holds this origin (a copied folder, a cloned machine): this one
      // becomes an origin of its own, and both are shown.
      const old = this.origin;
      this.origin = await newOrigin(this.engine.folder, this.outbox.fs);
      this.outbox.forgetPosition();
      this.log.warn(`[team] origin ${old.id} is held by another live server (${await this.claimant(client, old.id)}); this folder is now origin ${this.origin.id}`);
      if (!(await this.takeClaim(client))) throw new Error(`origin ${this.origin.id} is already claimed`);
    }
    await this.retryAside(client);
    // A folder that never replicated: its history before this start is no longer in the journal.
    if (!this.outbox.hasPosition) {
      await this.backfill(client);
      await this.outbox.advance(this.shipped, true);
    }
  }

  /** Claims the origin for this folder unless another live one holds it; false when it does. */
  private async takeClaim(client: PoolClient): Promise<boolean> {
    const r = await client.query(
      `INSERT INTO ${this.s}.origins (project, origin, host, user_name, folder, claim, claim_until, epoch)
       VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond', $8)
       ON CONFLICT (project, origin) DO UPDATE SET host = excluded.host, user_name = excluded.user_name, folder = excluded.folder,
         claim = excluded.claim, claim_until = excluded.claim_until, epoch = excluded.epoch, last_seen = now()
       WHERE ${this.s}.origins.claim IS NULL OR ${this.s}.origins.claim = excluded.claim OR ${this.s}.origins.claim_until < now()
       RETURNING origin`,
      [this.config.project, this.origin.id, this.origin.host, this.origin.user, this.config.place ?? this.engine.folder, this.claim, CLAIM_MS, this.currentEpoch()],
    );
    return (r.rowCount ?? 0) > 0;
  }

  private async claimant(client: PoolClient, origin: string): Promise<string> {
    const r = await client.query<{ host: string; folder: string | null }>(
      `SELECT host, folder FROM ${this.s}.origins WHERE project = $1 AND origin = $2`, [this.config.project, origin]);
    return r.rows[0] ? `${r.rows[0].host}: ${r.rows[0].folder ?? 'unknown folder'}` : 'unknown';
  }

  /** Renews the claim with the heartbeat; a claim taken by another server makes this one reconnect (and take a new origin). */
  private async renewClaim(client: PoolClient, seq?: number): Promise<void> {
    const r = await client.query(`UPDATE ${this.s}.origins SET last_seen = now(), claim_until = now() + $4 * interval '1 millisecond',
        epoch = $5, replicated_through = GREATEST(replicated_through, $3)
      WHERE project = $1 AND origin = $2 AND claim = $6`,
    [this.config.project, this.origin.id, seq ?? 0, CLAIM_MS, this.currentEpoch(), this.claim]);
    if ((r.rowCount ?? 0) === 0) throw new Error(`origin ${this.origin.id} was claimed by another server`);
  }

  engineEpoch(): string {
    return this.currentEpoch();
  }

  private currentEpoch(): string {
    const e = this.engine.epochs;
    return e.length ? e[e.length - 1].id : '';
  }

  /** Records set aside by an older format are sent again, each alone; those refused again stay aside. */
  private async retryAside(client: PoolClient): Promise<void> {
    const aside = await this.outbox.readAside();
    this.setAside = aside.length;
    const due = aside.filter(a => a.format < REPLICATION_FORMAT);
    if (due.length === 0) return;
    const keep: AsideRecord[] = aside.filter(a => a.format >= REPLICATION_FORMAT);
    for (const a of due) {
      try {
        await this.shipBatch(client, prepare([{ seq: a.seq, op: a.op }], () => a.epoch));
        this.log.info(`[team] record ${a.seq} set aside earlier was accepted now`);
      } catch (e) {
        if (!blamesRecord(e) && !(e instanceof ConflictError)) throw e;
        keep.push({ ...a, error: this.describe(e), format: REPLICATION_FORMAT });
      }
    }
    await this.outbox.writeAside(keep);
    this.setAside = keep.length;
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
      let r = await this.outbox.fetch(from, this.maxRecords, this.engine.journalFile);
      if (r.gapTo !== undefined) {
        // A compaction may have moved records between the two reads: look once more.
        await new Promise(res => setTimeout(res, 50));
        r = await this.outbox.fetch(from, this.maxRecords, this.engine.journalFile);
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
          await this.renewClaim(client);
          lastBeat = Date.now();
        }
        // Connected with nothing waiting: whatever failed before no longer holds.
        this.lastError = null;
        await this.sleep(HEARTBEAT_MS);
        continue;
      }
      // A trickle waits a moment for company: fewer, larger transactions cost PostgreSQL (often on
      // the same cores) far less, within the lag budget.
      if (r.records.length < LINGER_BELOW && this.maxRecords === BATCH) {
        await new Promise(res => setTimeout(res, LINGER_MS));
        const more = await this.outbox.fetch(from, BATCH, this.engine.journalFile);
        if (more.gapTo !== undefined) continue;
        r = more;
      }
      const epochs = this.engine.epochs;
      const epochFn = (seq: number): string => epochOf(epochs, seq);
      let batch: Prepared;
      try {
        batch = prepare(r.records, epochFn);
      } catch (e) {
        await this.onBatchError(client, e, r.records.slice(0, 1));
        continue;
      }
      // A backlog goes two batches at a time on two connections, so PostgreSQL works on one while
      // the other is sent; each is committed on its own and the position moves past both only
      // when both committed (the first alone when the second failed).
      const full = batch.records.length === BATCH;
      const next = full ? await this.outbox.fetch(batch.last + 1, BATCH, this.engine.journalFile) : undefined;
      let batch2: Prepared | undefined;
      try {
        batch2 = next && next.records.length > 0 && next.gapTo === undefined ? prepare(next.records, epochFn) : undefined;
      } catch {
        batch2 = undefined; // found again when its turn comes
      }
      if (batch2) {
        const second = await this.secondClient();
        const [first, other] = await Promise.allSettled([this.shipBatch(client, batch), this.shipBatch(second, batch2)]);
        if (other.status === 'rejected') this.dropSecond();
        if (first.status === 'rejected') {
          await this.onBatchError(client, first.reason, batch.records);
          continue;
        }
        lastBeat = this.markShipped(batch.records);
        if (other.status === 'rejected') {
          await this.onBatchError(client, other.reason, batch2.records);
          continue;
        }
        lastBeat = this.markShipped(batch2.records);
        continue;
      }
      try {
        await this.shipBatch(client, batch);
      } catch (e) {
        await this.onBatchError(client, e, batch.records);
        continue;
      }
      lastBeat = this.markShipped(batch.records);
    }
  }

  /**
   * A batch failed. Another content under one of its keys: a new history from that record on,
   * the conflict kept. A record refused for its content: found by halving the batches, tried
   * again a few times, then set aside. Anything else (the connection): thrown, to reconnect.
   */
  private async onBatchError(client: PoolClient, e: unknown, records: OutRecord[]): Promise<void> {
    if (e instanceof ConflictError) {
      const rec = records.find(r => r.seq === e.seq);
      const reason = `PostgreSQL holds other records under this folder's keys from record ${e.seq} on (a folder restored from a copy, or one folder running in two places)`;
      const fork = await this.engine.forkHistory(e.seq - 1, reason);
      this.conflicts++;
      this.lastConflict = { epoch: e.epoch, seq: e.seq, new_epoch: fork.id, at: new Date().toISOString() };
      this.noteError(`conflict at record ${e.seq}: ${reason}; records from it on are sent as a new history`);
      this.log.warn(`[team] ${this.lastError}`);
      await client.query(`INSERT INTO ${this.s}.conflicts (project, origin, epoch, seq, ours, theirs, new_epoch, host, folder)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9)`,
      [this.config.project, this.origin.id, e.epoch, e.seq, json(rec?.op ?? null), json(e.theirs ?? null), fork.id, this.origin.host, this.engine.folder]);
      return;
    }
    if (!blamesRecord(e)) throw e;
    const text = this.describe(e);
    this.noteError(text);
    if (records.length > 1) {
      this.maxRecords = Math.max(1, Math.floor(records.length / 2));
      this.searchUntil = Math.max(this.searchUntil, records[records.length - 1].seq);
      return;
    }
    const rec = records[0];
    const attempts = this.refused?.seq === rec.seq ? this.refused.attempts + 1 : 1;
    this.refused = { seq: rec.seq, attempts };
    this.warnThrottled(`refused ${rec.seq}`, `[team] PostgreSQL refuses record ${rec.seq} (${rec.op.o}): ${text}`);
    if (attempts < REFUSED_ATTEMPTS) {
      await this.sleep(REFUSED_RETRY_MS * attempts);
      return;
    }
    const aside = await this.outbox.readAside();
    aside.push({ epoch: epochOf(this.engine.epochs, rec.seq), seq: rec.seq, op: rec.op, error: text, at: new Date().toISOString(), format: REPLICATION_FORMAT });
    await this.outbox.writeAside(aside);
    this.setAside = aside.length;
    this.refused = undefined;
    this.log.warn(`[team] record ${rec.seq} (${rec.op.o}) set aside after ${attempts} refusals: ${text}; the records behind it go on`);
    this.markShipped([rec]);
    this.watch();
  }

  /** PostgreSQL committed these records: count their lag, move the position (saved shortly). */
  private markShipped(records: OutRecord[]): number {
    const now = Date.now();
    this.shipped = Math.max(this.shipped, records[records.length - 1].seq);
    this.lastShipAt = now;
    this.lastError = null;
    if (this.refused && this.refused.seq <= this.shipped) this.refused = undefined;
    if (this.shipped >= this.searchUntil) this.maxRecords = BATCH;
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
  private async shipBatch(client: PoolClient, batch: Prepared): Promise<void> {
    const { rows, records, now } = batch;
    const lastSeq = batch.last;
    const lastAge = Math.max(0, now - (records[records.length - 1].at ?? records[records.length - 1].op.t));
    // Sorted, and written last in the transaction: two batches in flight lock these rows in one
    // order (no deadlock) and only for the end of their transactions.
    const tasks = [...rows.tasks].sort().flatMap(id => {
      const t = this.engine.getTask(id);
      return t ? [{ task_id: id, status: t.status, updated_at: t.updated_at, seq: lastSeq, age: lastAge, body: t }] : [];
    });
    const agents = [...rows.agents].sort().flatMap(id => {
      const a = this.engine.getAgent(id);
      return a ? [agentRow(a, lastSeq, now)] : [];
    });
    const events = `[${rows.events.join(',')}]`;
    await client.query('BEGIN');
    try {
      const p = [this.config.project, this.origin.id];
      const ins = await client.query(`INSERT INTO ${this.s}.events (project, origin, epoch, seq, kind, ts, body)
        SELECT $1, $2, e.epoch, e.seq, e.kind, e.ts, e.body FROM jsonb_to_recordset($3::jsonb) AS e(epoch text, seq bigint, kind text, ts timestamptz, body jsonb)
        ON CONFLICT DO NOTHING`, [...p, events]);
      // Keys already there (a resend after a crash) must hold the same content; other content is a conflict.
      if ((ins.rowCount ?? 0) < rows.events.length) {
        const c = await client.query<{ epoch: string; seq: string; theirs: unknown }>(`SELECT e.epoch, e.seq, x.body AS theirs
          FROM jsonb_to_recordset($3::jsonb) AS e(epoch text, seq bigint, body jsonb)
          JOIN ${this.s}.events x ON x.project = $1 AND x.origin = $2 AND x.epoch = e.epoch AND x.seq = e.seq
          WHERE x.body <> e.body ORDER BY e.seq LIMIT 1`, [...p, events]);
        if (c.rows.length) throw new ConflictError(c.rows[0].epoch, Number(c.rows[0].seq), c.rows[0].theirs);
      }
      await this.writeState(client, { tasks, agents, decisions: rows.decisions, messages: rows.messages, checkpoints: rows.checkpoints, spans: rows.spans });
      await this.renewClaim(client, lastSeq);
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
    // Arrival times by PostgreSQL's clock: now() less the time the record has waited here (by this
    // machine's clock), so a slow or fast clock on either side changes nothing.
    const arrived = "now() - e.age * interval '1 millisecond'";
    if (st.decisions.length) {
      await client.query(`INSERT INTO ${s}.decisions (project, origin, epoch, id, ts, agent_id, task_id, received_at, body)
        SELECT $1, $2, e.epoch, e.id, e.ts, e.agent_id, e.task_id, ${arrived}, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(epoch text, id bigint, ts timestamptz, agent_id text, task_id text, age float8, body jsonb) ON CONFLICT DO NOTHING`, [...p, json(st.decisions)]);
    }
    if (st.messages.length) {
      await client.query(`INSERT INTO ${s}.messages (project, origin, epoch, id, ts, from_agent, to_agent, received_at, body)
        SELECT $1, $2, e.epoch, e.id, e.ts, e.from_agent, e.to_agent, ${arrived}, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(epoch text, id bigint, ts timestamptz, from_agent text, to_agent text, age float8, body jsonb) ON CONFLICT DO NOTHING`, [...p, json(st.messages)]);
    }
    if (st.checkpoints.length) {
      await client.query(`INSERT INTO ${s}.checkpoints (project, origin, epoch, id, created_at, kind, label, body)
        SELECT $1, $2, e.epoch, e.id, e.created_at, e.kind, e.label, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(epoch text, id bigint, created_at timestamptz, kind text, label text, body jsonb) ON CONFLICT DO NOTHING`, [...p, json(st.checkpoints)]);
    }
    if (st.spans.length) {
      await client.query(`INSERT INTO ${s}.spans (project, origin, epoch, id, ts, trace_id, span_id, body)
        SELECT $1, $2, e.epoch, e.id, e.ts, e.trace_id, e.span_id, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(epoch text, id bigint, ts timestamptz, trace_id text, span_id text, body jsonb) ON CONFLICT DO NOTHING`, [...p, json(st.spans)]);
    }
    if (st.tasks.length) {
      await client.query(`INSERT INTO ${s}.tasks (project, origin, task_id, status, updated_at, seq, received_at, body)
        SELECT $1, $2, e.task_id, e.status, e.updated_at, e.seq, ${arrived}, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(task_id text, status text, updated_at timestamptz, seq bigint, age float8, body jsonb)
        ON CONFLICT (project, origin, task_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
          seq = excluded.seq, received_at = excluded.received_at, body = excluded.body WHERE ${s}.tasks.seq <= excluded.seq`, [...p, json(st.tasks)]);
    }
    if (st.agents.length) {
      await client.query(`INSERT INTO ${s}.agents (project, origin, agent_id, status, last_seen, seq, heard_at, body)
        SELECT $1, $2, e.agent_id, e.status, e.last_seen, e.seq, ${arrived}, e.body FROM jsonb_to_recordset($3::jsonb)
          AS e(agent_id text, status text, last_seen timestamptz, seq bigint, age float8, body jsonb)
        ON CONFLICT (project, origin, agent_id) DO UPDATE SET status = excluded.status, last_seen = excluded.last_seen,
          seq = excluded.seq, heard_at = excluded.heard_at, body = excluded.body WHERE ${s}.agents.seq <= excluded.seq`, [...p, json(st.agents)]);
    }
  }

  /** The folder's current state and newest history, for a first connection or after a gap. */
  private async backfill(client: PoolClient): Promise<void> {
    const e = this.engine;
    const seq = e.journalSeq;
    this.backfilledThrough = seq;
    const now = Date.now();
    const epoch = this.currentEpoch();
    const ageOf = (ts: string): number => Math.max(0, now - (Date.parse(ts) || now));
    const tasks = e.getTasks().map(t => ({ task_id: t.task_id, status: t.status, updated_at: t.updated_at, seq, age: ageOf(t.updated_at), body: t }));
    const agents = e.getAgents().map(a => agentRow(a, seq, now));
    const decisions = (await e.getDecisions({ limit: BACKFILL_LIMIT })).map(d => ({ epoch, id: d.id, ts: d.ts, agent_id: d.agent_id, task_id: d.task_id, age: ageOf(d.ts), body: d }));
    const messages = (await e.getMessages({ limit: BACKFILL_LIMIT })).map(m => ({ epoch, id: m.id, ts: m.ts, from_agent: m.from_agent, to_agent: m.to_agent, age: ageOf(m.ts), body: m }));
    const checkpoints = e.listCheckpoints(BACKFILL_LIMIT).map(c => ({ epoch, id: c.checkpoint_id, created_at: c.created_at, kind: c.kind, label: c.label, body: c }));
    const spans = (await e.getSpans({ limit: BACKFILL_LIMIT })).map(x => ({ epoch, id: x.id, ts: x.start_time, trace_id: x.trace_id, span_id: x.span_id, body: x }));
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
    // A report file is read back from the folder: one that is not a report is left out, never a stall.
    const valid = reports.filter(r => r && typeof r === 'object' && typeof r.file === 'string' && typeof r.created_at === 'string'
      && Number.isFinite(Date.parse(r.created_at)) && (r.trigger === 'crash' || r.trigger === 'manual'));
    if (valid.length < reports.length) this.warnThrottled('reports', `[team] ${reports.length - valid.length} recovery report files are not reports and are not sent`);
    if (valid.length === 0) return;
    const rows = valid.map(r => ({ file: r.file, created_at: r.created_at, kind: r.trigger, body: r }));
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
  /** Each event as JSON text (the batch parameter is their join). */
  events: string[] = [];
  tasks = new Set<string>();
  agents = new Set<string>();
  decisions: unknown[] = [];
  messages: unknown[] = [];
  checkpoints: unknown[] = [];
  spans: unknown[] = [];
  private epoch = '';
  private age = 0;

  /** `event`: the record as its events row (JSON); `age`: how long ago this server acknowledged it (ms, its own clock). */
  add(event: string, op: JournalOp, epoch: string, age: number): void {
    this.epoch = epoch;
    this.age = age;
    this.events.push(event);
    switch (op.o) {
      case 'batch': op.items.forEach(i => this.item(i)); break;
      case 'spans':
        for (const sp of op.spans) {
          const { id, ...rest } = sp;
          this.spans.push({ epoch, id, ts: sp.start_time, trace_id: sp.trace_id, span_id: sp.span_id, body: { id, ...rest } });
          this.heardFrom(sp.agent_id);
        }
        op.items.forEach(i => this.item(i));
        break;
      case 'checkpoint':
        this.checkpoints.push({ epoch, id: op.id, created_at: iso(op.t), kind: op.kind, label: op.label,
          body: { checkpoint_id: op.id, created_at: iso(op.t), label: op.label, kind: op.kind, snapshot_id: op.snapshot_id } });
        break;
      case 'task': case 'agent': case 'decision': case 'message': this.item(op); break;
      default: break;
    }
  }

  /** A record an agent sent moved its last_seen at home (store.ts): its row goes too. */
  private heardFrom(agentId: string | null | undefined): void {
    if (agentId) this.agents.add(agentId);
  }

  private item(op: BatchItemOp): void {
    const { epoch, age } = this;
    switch (op.o) {
      case 'task': this.tasks.add(op.id); this.heardFrom(op.u.agent_id); break;
      case 'agent': this.agents.add(op.id); break;
      case 'decision': {
        const d = op.d;
        this.heardFrom(d.agent_id);
        this.decisions.push({ epoch, id: op.id, ts: iso(op.t), agent_id: d.agent_id ?? null, task_id: d.task_id ?? null, age, body: {
          id: op.id, ts: iso(op.t), decision_type: d.decision_type, context: d.context, decision: d.decision, reasoning: d.reasoning,
          outcome: d.outcome ?? null, agent_id: d.agent_id ?? null, task_id: d.task_id ?? null } });
        break;
      }
      case 'message':
        this.heardFrom(op.d.from_agent);
        this.messages.push({ epoch, id: op.id, ts: iso(op.t), from_agent: op.d.from_agent, to_agent: op.d.to_agent, age, body: { id: op.id, ts: iso(op.t), ...op.d } });
        break;
      default: break;
    }
  }
}

/** An agent's row: heard from when this server last heard from it (a time ahead of this clock counts as now). */
function agentRow(a: Agent, seq: number, now: number): object {
  const body = agentPart(a);
  const heard = Math.min(now, Date.parse(a.last_seen) || now);
  return { agent_id: a.agent_id, status: a.status, last_seen: a.last_seen, seq, age: now - heard, body };
}

/** A batch ready to send: the longest prefix of the records within BATCH_BYTES, as rows. */
interface Prepared {
  records: OutRecord[];
  rows: Rows;
  last: number;
  now: number;
}

/**
 * Encodes records until BATCH_BYTES (at least one). A record that cannot be encoded ends the
 * batch before it, or, first, is thrown as the RecordError it is.
 */
function prepare(records: OutRecord[], epochOfSeq: (seq: number) => string): Prepared {
  const now = Date.now();
  const rows = new Rows();
  let n = 0;
  let bytes = 0;
  for (const r of records) {
    const epoch = epochOfSeq(r.seq);
    let event: string;
    try {
      event = json({ epoch, seq: r.seq, kind: r.op.o, ts: iso(r.op.t), body: r.op });
    } catch (e) {
      if (n === 0) throw new RecordError(`record ${r.seq} cannot be encoded: ${errorText(e)}`);
      break;
    }
    // Each record's body goes out twice at most (the event, and its decision or message row).
    bytes += 2 * event.length;
    if (bytes > BATCH_BYTES && n > 0) break;
    rows.add(event, r.op, epoch, Math.max(0, now - (r.at ?? r.op.t)));
    n++;
  }
  const taken = records.slice(0, n);
  return { records: taken, rows, last: taken[taken.length - 1].seq, now };
}

/**
 * JSON for a jsonb parameter (faster than json here: the bodies stay jsonb). Sent as it is: what
 * the door refuses (NUL, lone surrogates) only comes from older journals, and a record PostgreSQL
 * refuses is set aside whole rather than stored altered.
 */
function json(value: unknown): string {
  return JSON.stringify(value);
}

export { redactText };
