import type { PoolClient } from 'pg';

// The PostgreSQL schema, created and migrated by the server itself. Migrations run in one
// transaction under an advisory lock, so two servers starting at once apply each exactly once.

/** Quoted identifier of a checked schema name (teamConfig.ts allows [a-z_][a-z0-9_]*). */
export const q = (schema: string): string => `"${schema}"`;

/** Each entry moves the schema one version up; never edit one that shipped, add the next. */
const MIGRATIONS: ((s: string) => string)[] = [
  s => `
CREATE TABLE ${s}.origins (project text NOT NULL, origin text NOT NULL, host text NOT NULL, user_name text NOT NULL,
  folder text, first_seen timestamptz NOT NULL DEFAULT now(), last_seen timestamptz NOT NULL DEFAULT now(),
  replicated_through bigint NOT NULL DEFAULT 0, PRIMARY KEY (project, origin));
CREATE TABLE ${s}.events (project text NOT NULL, origin text NOT NULL, seq bigint NOT NULL, kind text NOT NULL,
  ts timestamptz NOT NULL, body jsonb NOT NULL, replicated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, origin, seq));
CREATE TABLE ${s}.agents (project text NOT NULL, origin text NOT NULL, agent_id text NOT NULL, status text NOT NULL,
  last_seen timestamptz NOT NULL, seq bigint NOT NULL, body jsonb NOT NULL, PRIMARY KEY (project, origin, agent_id));
CREATE INDEX agents_project_seen ON ${s}.agents (project, last_seen DESC);
CREATE TABLE ${s}.tasks (project text NOT NULL, origin text NOT NULL, task_id text NOT NULL, status text NOT NULL,
  updated_at timestamptz NOT NULL, seq bigint NOT NULL, body jsonb NOT NULL, PRIMARY KEY (project, origin, task_id));
CREATE INDEX tasks_project_updated ON ${s}.tasks (project, updated_at DESC);
CREATE INDEX tasks_project_status ON ${s}.tasks (project, status, updated_at DESC);
CREATE TABLE ${s}.decisions (project text NOT NULL, origin text NOT NULL, id bigint NOT NULL, ts timestamptz NOT NULL,
  agent_id text, task_id text, body jsonb NOT NULL, PRIMARY KEY (project, origin, id));
CREATE INDEX decisions_project_ts ON ${s}.decisions (project, ts DESC);
CREATE INDEX decisions_project_agent ON ${s}.decisions (project, agent_id, ts DESC);
CREATE INDEX decisions_project_task ON ${s}.decisions (project, task_id, ts DESC);
CREATE TABLE ${s}.messages (project text NOT NULL, origin text NOT NULL, id bigint NOT NULL, ts timestamptz NOT NULL,
  from_agent text NOT NULL, to_agent text NOT NULL, body jsonb NOT NULL, PRIMARY KEY (project, origin, id));
CREATE INDEX messages_project_ts ON ${s}.messages (project, ts DESC);
CREATE INDEX messages_project_from ON ${s}.messages (project, from_agent, ts DESC);
CREATE INDEX messages_project_to ON ${s}.messages (project, to_agent, ts DESC);
CREATE TABLE ${s}.checkpoints (project text NOT NULL, origin text NOT NULL, id bigint NOT NULL,
  created_at timestamptz NOT NULL, kind text NOT NULL, label text, body jsonb NOT NULL, PRIMARY KEY (project, origin, id));
CREATE INDEX checkpoints_project_created ON ${s}.checkpoints (project, created_at DESC);
CREATE TABLE ${s}.recovery_reports (project text NOT NULL, origin text NOT NULL, file text NOT NULL,
  created_at timestamptz NOT NULL, kind text NOT NULL, body jsonb NOT NULL, PRIMARY KEY (project, origin, file));
CREATE INDEX recovery_reports_project_created ON ${s}.recovery_reports (project, created_at DESC);
CREATE TABLE ${s}.spans (project text NOT NULL, origin text NOT NULL, id bigint NOT NULL, ts timestamptz NOT NULL,
  trace_id text NOT NULL, span_id text NOT NULL, body jsonb NOT NULL, PRIMARY KEY (project, origin, id));
CREATE INDEX spans_project_trace ON ${s}.spans (project, trace_id);
CREATE INDEX spans_project_ts ON ${s}.spans (project, ts DESC);
`,
  // Histories (epochs): a record's key is (project, origin, epoch, seq), a row's (…, epoch, id).
  // Claims tell two live servers of one origin apart; conflicts keep what arrived under a key
  // already holding other content; arrival times order team lists by PostgreSQL's clock.
  s => `
ALTER TABLE ${s}.origins ADD COLUMN claim text, ADD COLUMN claim_until timestamptz, ADD COLUMN epoch text NOT NULL DEFAULT '';
ALTER TABLE ${s}.events ADD COLUMN epoch text NOT NULL DEFAULT '';
ALTER TABLE ${s}.events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (project, origin, epoch, seq);
ALTER TABLE ${s}.decisions ADD COLUMN epoch text NOT NULL DEFAULT '', ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE ${s}.decisions DROP CONSTRAINT decisions_pkey, ADD PRIMARY KEY (project, origin, epoch, id);
CREATE INDEX decisions_project_received ON ${s}.decisions (project, received_at DESC);
ALTER TABLE ${s}.messages ADD COLUMN epoch text NOT NULL DEFAULT '', ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE ${s}.messages DROP CONSTRAINT messages_pkey, ADD PRIMARY KEY (project, origin, epoch, id);
CREATE INDEX messages_project_received ON ${s}.messages (project, received_at DESC);
ALTER TABLE ${s}.checkpoints ADD COLUMN epoch text NOT NULL DEFAULT '';
ALTER TABLE ${s}.checkpoints DROP CONSTRAINT checkpoints_pkey, ADD PRIMARY KEY (project, origin, epoch, id);
ALTER TABLE ${s}.spans ADD COLUMN epoch text NOT NULL DEFAULT '';
ALTER TABLE ${s}.spans DROP CONSTRAINT spans_pkey, ADD PRIMARY KEY (project, origin, epoch, id);
ALTER TABLE ${s}.tasks ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE ${s}.agents ADD COLUMN heard_at timestamptz NOT NULL DEFAULT now();
CREATE TABLE ${s}.conflicts (project text NOT NULL, origin text NOT NULL, epoch text NOT NULL, seq bigint NOT NULL,
  ours jsonb NOT NULL, theirs jsonb, new_epoch text NOT NULL, host text NOT NULL, folder text,
  detected_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX conflicts_project ON ${s}.conflicts (project, detected_at DESC);
`,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Creates or migrates the schema; answers the versions this call applied (none when up to date). */
export async function migrate(client: PoolClient, schema: string, appliedBy: string): Promise<number[]> {
  const s = q(schema);
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    // One key per schema name: servers of other schemas in the same database do not wait.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`jarvis-context migrate ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL)`);
    const r = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${s}.schema_migrations`);
    const current = r.rows[0]?.v ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(`the database's schema "${schema}" is at version ${current}, newer than this version of Jarvis Context knows (${MIGRATIONS.length}); update it`);
    }
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v - 1](s));
      await client.query(`INSERT INTO ${s}.schema_migrations (version, applied_by) VALUES ($1, $2)`, [v, appliedBy]);
      applied.push(v);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return applied;
}
