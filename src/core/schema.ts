import { LANGGRAPH_SCHEMA } from './langgraph/schema';
import { HOLD_DECISION, RELEASE_DECISION } from './types';

// The database schema. Times are ISO 8601 text (ordered as text); JSON columns hold JSON text.
// Ids of history rows are given by the engine, not by SQLite, so a journal replay reproduces them.

// 2: snapshots stored as deltas in chains (base_id, chain_start, encoding); checkpoints keep their
// snapshot's hash and size; recovery points no longer copy the database.
export const SCHEMA_VERSION = 2;

/** History tables: these move to archive segments and are shared with them. */
export const HISTORY_SCHEMA = `
CREATE TABLE IF NOT EXISTS task_events (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, task_id TEXT NOT NULL, changes TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS task_events_task ON task_events(task_id, id);
CREATE TABLE IF NOT EXISTS agent_coordination (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, from_agent TEXT NOT NULL,
  to_agent TEXT NOT NULL, message_type TEXT NOT NULL, content TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS agent_coordination_from ON agent_coordination(from_agent, id);
CREATE INDEX IF NOT EXISTS agent_coordination_to ON agent_coordination(to_agent, id);
CREATE TABLE IF NOT EXISTS decision_log (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, decision_type TEXT NOT NULL,
  context TEXT NOT NULL, decision TEXT NOT NULL, reasoning TEXT NOT NULL, outcome TEXT, agent_id TEXT, task_id TEXT);
CREATE INDEX IF NOT EXISTS decision_log_agent ON decision_log(agent_id, id);
CREATE INDEX IF NOT EXISTS decision_log_task ON decision_log(task_id, id);
CREATE TABLE IF NOT EXISTS context_snapshots (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, kind TEXT NOT NULL,
  label TEXT, content_hash TEXT NOT NULL, size INTEGER NOT NULL, body TEXT NOT NULL, base_id INTEGER, chain_start INTEGER,
  encoding TEXT NOT NULL DEFAULT 'full');
CREATE TABLE IF NOT EXISTS spans (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,
  parent_span_id TEXT, name TEXT NOT NULL, kind INTEGER NOT NULL, start_time TEXT NOT NULL, end_time TEXT,
  status TEXT NOT NULL, status_message TEXT, operation TEXT, agent_id TEXT, agent_name TEXT, conversation_id TEXT,
  task_id TEXT, tool_name TEXT, model TEXT, input_tokens INTEGER, output_tokens INTEGER, attributes TEXT NOT NULL,
  resource TEXT NOT NULL, scope TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS spans_key ON spans(trace_id, span_id);
CREATE INDEX IF NOT EXISTS spans_conversation ON spans(conversation_id, id);
`;

export const LIVE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS task_progress (task_id TEXT PRIMARY KEY, description TEXT NOT NULL, status TEXT NOT NULL,
  percentage REAL NOT NULL, completed_subtasks TEXT NOT NULL, blockers TEXT NOT NULL, agent_id TEXT,
  metadata TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS task_progress_status ON task_progress(status);
CREATE TABLE IF NOT EXISTS agent_states (agent_id TEXT PRIMARY KEY, status TEXT NOT NULL, current_task TEXT,
  capabilities TEXT NOT NULL, metadata TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  last_seen_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, label TEXT, kind TEXT NOT NULL,
  snapshot_id INTEGER NOT NULL, file TEXT, content_hash TEXT, size INTEGER);
CREATE TABLE IF NOT EXISTS orchestrator_state (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS archive_segments (name TEXT PRIMARY KEY, created_at TEXT NOT NULL, min_ts TEXT NOT NULL,
  max_ts TEXT NOT NULL, decisions INTEGER NOT NULL, messages INTEGER NOT NULL, task_events INTEGER NOT NULL,
  snapshots INTEGER NOT NULL, spans INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL, max_ids TEXT);
CREATE TABLE IF NOT EXISTS ingested_events (event_id TEXT PRIMARY KEY, ts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, subject_type TEXT NOT NULL,
  subject_id TEXT NOT NULL, message TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, count INTEGER NOT NULL,
  active INTEGER NOT NULL, cleared_at TEXT, cleared_by TEXT, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_active ON alerts(active, id);
CREATE TABLE IF NOT EXISTS resume_points (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, checkpoint_id INTEGER NOT NULL,
  parent_id INTEGER NOT NULL, edited INTEGER NOT NULL, cleared_at TEXT, cleared_by TEXT);
${HISTORY_SCHEMA}
-- The debugger's hold records, found at a crash report without a scan of every decision.
CREATE INDEX IF NOT EXISTS decision_log_debug ON decision_log(id) WHERE decision_type IN ('${HOLD_DECISION}', '${RELEASE_DECISION}');
${LANGGRAPH_SCHEMA}
INSERT OR IGNORE INTO meta (k, v) VALUES ('schema_version', '${SCHEMA_VERSION}'), ('last_seq', '0'), ('events_total', '0');
`;

/**
 * The search index (searchIndex.ts), in the live database and in every archive segment beside the
 * rows it covers. One full-text table per indexed kind, keyed by the record's id; its terms are
 * made in JS (searchText.ts) and not kept as text (contentless), so it cannot forget one record:
 * when rows leave (archive move, cleanup) it is made again. search_progress: per kind, ids at or
 * below `unindexed` are not in the index yet (a folder written before the index, or rows left after
 * a move), the backfill lowers it to 0; ids above `indexed_to` were written since the last
 * catch-up (writes do not touch the index), which raises it.
 */
export const SEARCH_FTS = (table: string) => `CREATE VIRTUAL TABLE IF NOT EXISTS ${table} USING fts4(content='', terms, matchinfo=fts3);`;
export const SEARCH_SCHEMA = `
${SEARCH_FTS('search_decision')}
${SEARCH_FTS('search_message')}
${SEARCH_FTS('search_span')}
CREATE TABLE IF NOT EXISTS search_progress (kind TEXT PRIMARY KEY, unindexed INTEGER NOT NULL, indexed_to INTEGER NOT NULL DEFAULT 0);
`;

/** Indexes on columns that a migration may have just added: created after it. */
export const CHAIN_INDEX = 'CREATE INDEX IF NOT EXISTS context_snapshots_chain ON context_snapshots(chain_start, id);';

/** Columns added since schema version 1, per table: [name, type]. */
export const ADDED_COLUMNS: Record<string, [string, string][]> = {
  context_snapshots: [['base_id', 'INTEGER'], ['chain_start', 'INTEGER'], ['encoding', "TEXT NOT NULL DEFAULT 'full'"]],
  checkpoints: [['content_hash', 'TEXT'], ['size', 'INTEGER'], ['parent_id', 'INTEGER']],
};
