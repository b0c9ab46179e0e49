// Applying LangGraph journal actions to the live database. Every action is a function of the
// record and the database alone, so a replay after a crash rebuilds exactly what was acknowledged.
import type { Store } from '../store';
import { iso } from '../time';
import type { LgAction, LgCheckpointInput, LgTyped, LgWritesInput } from './types';

export function applyLangGraph(store: Store, t: number, x: LgAction): string[] {
  switch (x.a) {
    case 'put': putCheckpoint(store, t, x.c); return [x.c.thread_id];
    case 'writes': putWrites(store, x.w); return [x.w.thread_id];
    case 'delete_thread': deleteThread(store, x.thread_id); return [x.thread_id];
    case 'delete_runs': return deleteRuns(store, x.run_ids);
    case 'copy_thread': copyThread(store, x.source, x.target); return [x.target];
    case 'prune':
      for (const id of x.thread_ids) {
        if (x.strategy === 'delete') deleteThread(store, id);
        else keepLatest(store, id);
      }
      return x.thread_ids;
  }
}

function bytesOf(v: LgTyped): Uint8Array {
  return Buffer.from(v.data, 'base64');
}

function putCheckpoint(store: Store, t: number, c: LgCheckpointInput): void {
  const data = bytesOf(c.checkpoint);
  const m = c.metadata;
  const runId = typeof m.run_id === 'string' ? m.run_id : null;
  const source = typeof m.source === 'string' ? m.source : null;
  const step = typeof m.step === 'number' && Number.isSafeInteger(m.step) ? m.step : null;
  store.run(`INSERT OR REPLACE INTO lg_checkpoints (thread_id, ns, checkpoint_id, parent_id, type, data, channel_versions,
    metadata, run_id, source, step, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
  [c.thread_id, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.checkpoint.type, data,
    JSON.stringify(c.channel_versions), JSON.stringify(m), runId, source, step, iso(t)]);
  for (const b of c.blobs) {
    // A channel's value at a version never changes: the first one stored stays.
    store.run('INSERT OR IGNORE INTO lg_blobs (thread_id, ns, channel, version, type, data) VALUES (?,?,?,?,?,?)',
      [c.thread_id, c.checkpoint_ns, b.channel, b.version, b.type, bytesOf(b)]);
  }
}

function putWrites(store: Store, w: LgWritesInput): void {
  for (const x of w.writes) {
    // Special channels (errors, interrupts, resumes) have negative indexes and are overwritten;
    // a task's ordinary writes are kept as first stored, so a retried task cannot change them.
    const verb = x.idx < 0 ? 'INSERT OR REPLACE' : 'INSERT OR IGNORE';
    store.run(`${verb} INTO lg_writes (thread_id, ns, checkpoint_id, task_id, idx, task_path, channel, type, data)
      VALUES (?,?,?,?,?,?,?,?,?)`,
    [w.thread_id, w.checkpoint_ns, w.checkpoint_id, w.task_id, x.idx, w.task_path, x.channel, x.type, bytesOf(x)]);
  }
}

function deleteThread(store: Store, threadId: string): void {
  for (const table of ['lg_checkpoints', 'lg_blobs', 'lg_writes']) store.run(`DELETE FROM ${table} WHERE thread_id = ?`, [threadId]);
}

function deleteRuns(store: Store, runIds: string[]): string[] {
  const touched = new Map<string, Set<string>>();
  for (const run of runIds) {
    for (const r of store.all('SELECT thread_id, ns, checkpoint_id FROM lg_checkpoints WHERE run_id = ?', [run])) {
      deleteCheckpoint(store, String(r.thread_id), String(r.ns), String(r.checkpoint_id));
      const nss = touched.get(String(r.thread_id)) ?? new Set<string>();
      nss.add(String(r.ns));
      touched.set(String(r.thread_id), nss);
    }
  }
  touched.forEach((nss, thread) => nss.forEach(ns => dropUnusedBlobs(store, thread, ns)));
  return [...touched.keys()];
}

function deleteCheckpoint(store: Store, thread: string, ns: string, id: string): void {
  store.run('DELETE FROM lg_checkpoints WHERE thread_id = ? AND ns = ? AND checkpoint_id = ?', [thread, ns, id]);
  store.run('DELETE FROM lg_writes WHERE thread_id = ? AND ns = ? AND checkpoint_id = ?', [thread, ns, id]);
}

function copyThread(store: Store, source: string, target: string): void {
  if (source === target) return;
  store.run(`INSERT OR REPLACE INTO lg_checkpoints (thread_id, ns, checkpoint_id, parent_id, type, data, channel_versions,
    metadata, run_id, source, step, created_at) SELECT ?, ns, checkpoint_id, parent_id, type, data, channel_versions, metadata,
    run_id, source, step, created_at FROM lg_checkpoints WHERE thread_id = ?`, [target, source]);
  store.run(`INSERT OR REPLACE INTO lg_blobs (thread_id, ns, channel, version, type, data)
    SELECT ?, ns, channel, version, type, data FROM lg_blobs WHERE thread_id = ?`, [target, source]);
  store.run(`INSERT OR REPLACE INTO lg_writes (thread_id, ns, checkpoint_id, task_id, idx, task_path, channel, type, data)
    SELECT ?, ns, checkpoint_id, task_id, idx, task_path, channel, type, data FROM lg_writes WHERE thread_id = ?`, [target, source]);
}

/** Per namespace of the thread, only the newest checkpoint stays, with its writes and values. */
function keepLatest(store: Store, threadId: string): void {
  for (const r of store.all('SELECT ns, MAX(checkpoint_id) AS latest FROM lg_checkpoints WHERE thread_id = ? GROUP BY ns', [threadId])) {
    const ns = String(r.ns);
    store.run('DELETE FROM lg_checkpoints WHERE thread_id = ? AND ns = ? AND checkpoint_id != ?', [threadId, ns, r.latest]);
    store.run('DELETE FROM lg_writes WHERE thread_id = ? AND ns = ? AND checkpoint_id != ?', [threadId, ns, r.latest]);
    dropUnusedBlobs(store, threadId, ns);
  }
}

// Retention: a clean-up removes checkpoints older than its cutoff, but the newest of each thread's
// namespace stays (a thread can always go on from where it is).
const OLDER_THAN = `FROM lg_checkpoints c WHERE c.created_at < ? AND c.checkpoint_id <
  (SELECT MAX(n.checkpoint_id) FROM lg_checkpoints n WHERE n.thread_id = c.thread_id AND n.ns = c.ns)`;

export function countLangGraphOlderThan(store: Store, cutoff: string): number {
  return store.scalar(`SELECT COUNT(*) ${OLDER_THAN}`, [cutoff]);
}

export function deleteLangGraphOlderThan(store: Store, cutoff: string): void {
  const touched = new Set<string>();
  for (const r of store.all(`SELECT c.thread_id, c.ns, c.checkpoint_id ${OLDER_THAN}`, [cutoff])) {
    deleteCheckpoint(store, String(r.thread_id), String(r.ns), String(r.checkpoint_id));
    touched.add(JSON.stringify([String(r.thread_id), String(r.ns)]));
  }
  for (const key of touched) {
    const [thread, ns] = JSON.parse(key) as [string, string];
    dropUnusedBlobs(store, thread, ns);
  }
}

/** Values no remaining checkpoint of the namespace names. */
function dropUnusedBlobs(store: Store, thread: string, ns: string): void {
  const used = new Set<string>();
  for (const r of store.all('SELECT channel_versions FROM lg_checkpoints WHERE thread_id = ? AND ns = ?', [thread, ns])) {
    for (const [ch, v] of Object.entries(JSON.parse(String(r.channel_versions)) as Record<string, unknown>)) used.add(blobKey(ch, JSON.stringify(v)));
  }
  for (const r of store.all('SELECT channel, version FROM lg_blobs WHERE thread_id = ? AND ns = ?', [thread, ns])) {
    if (!used.has(blobKey(String(r.channel), String(r.version)))) {
      store.run('DELETE FROM lg_blobs WHERE thread_id = ? AND ns = ? AND channel = ? AND version = ?', [thread, ns, r.channel, r.version]);
    }
  }
}

export function blobKey(channel: string, version: string): string {
  return `${channel.length}:${channel}${version}`;
}
