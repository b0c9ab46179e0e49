// Tables of LangGraph checkpoints, in the live database. A checkpoint row holds the checkpoint
// without its channel values; lg_blobs holds each channel value once per (channel, version), as
// LangGraph's PostgreSQL saver does, so a put stores only the channels that changed.
export const LANGGRAPH_SCHEMA = `
CREATE TABLE IF NOT EXISTS lg_checkpoints (thread_id TEXT NOT NULL, ns TEXT NOT NULL, checkpoint_id TEXT NOT NULL,
  parent_id TEXT, type TEXT NOT NULL, data BLOB NOT NULL, channel_versions TEXT NOT NULL, metadata TEXT NOT NULL,
  run_id TEXT, source TEXT, step INTEGER, created_at TEXT NOT NULL, PRIMARY KEY (thread_id, ns, checkpoint_id));
CREATE INDEX IF NOT EXISTS lg_checkpoints_run ON lg_checkpoints(run_id);
CREATE TABLE IF NOT EXISTS lg_blobs (thread_id TEXT NOT NULL, ns TEXT NOT NULL, channel TEXT NOT NULL, version TEXT NOT NULL,
  type TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (thread_id, ns, channel, version));
CREATE TABLE IF NOT EXISTS lg_writes (thread_id TEXT NOT NULL, ns TEXT NOT NULL, checkpoint_id TEXT NOT NULL, task_id TEXT NOT NULL,
  idx INTEGER NOT NULL, task_path TEXT NOT NULL, channel TEXT NOT NULL, type TEXT NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (thread_id, ns, checkpoint_id, task_id, idx));
`;
