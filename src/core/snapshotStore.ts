import { applyDelta, emptyParts, partsFromView, viewOf, type SnapshotDelta, type SnapshotParts } from './snapshotDelta';
import type { ChainHead } from './snapshots';
import type { Store } from './store';
import type { JsonObject } from './types';

// Reading snapshots back out of a database (the live one or a segment): whole ones as stored by
// schema 1, deltas by applying their chain from its keyframe.

/** The full content of a snapshot, rebuilt from its chain; undefined when this database does not hold it. */
export function readSnapshot(store: Store, id: number): JsonObject | undefined {
  const r = store.get('SELECT body, encoding FROM context_snapshots WHERE id = ?', [id]);
  if (!r) return undefined;
  if (r.encoding !== 'delta') return JSON.parse(String(r.body)) as JsonObject;
  return viewOf(snapshotParts(store, id)!);
}

/** The parts of a snapshot, from the keyframe of its chain on. Throws when the chain is broken. */
export function snapshotParts(store: Store, id: number): SnapshotParts | undefined {
  const r = store.get('SELECT body, encoding, chain_start FROM context_snapshots WHERE id = ?', [id]);
  if (!r) return undefined;
  if (r.encoding !== 'delta') return partsFromView(JSON.parse(String(r.body)) as JsonObject);
  let parts = emptyParts();
  let prev: number | null = null;
  for (const row of store.all('SELECT id, body, encoding FROM context_snapshots WHERE chain_start = ? AND id <= ? ORDER BY id', [r.chain_start, id])) {
    // A snapshot stored whole (schema 1) can head a chain that schema 2 continued.
    if (row.encoding !== 'delta' && prev === null) {
      parts = partsFromView(JSON.parse(String(row.body)) as JsonObject);
    } else {
      const d = JSON.parse(String(row.body)) as SnapshotDelta;
      if (d.base !== prev) throw new Error(`snapshot ${id}: its chain from ${String(r.chain_start)} is broken at snapshot ${String(row.id)}`);
      applyDelta(parts, d);
    }
    prev = Number(row.id);
  }
  return parts;
}

/** The newest snapshot and its chain's length and weight, which decide when the next keyframe is due. */
export function newestChain(store: Store): ChainHead | undefined {
  // A fork's snapshot (a keyframe of its own, see resumePoint.ts) never continues the live chain.
  const r = store.get("SELECT id, chain_start FROM context_snapshots WHERE kind != 'fork' ORDER BY id DESC LIMIT 1");
  if (!r) return undefined;
  const c = store.get(`SELECT COUNT(*) AS n, SUM(CASE WHEN id = ? THEN 0 ELSE LENGTH(CAST(body AS BLOB)) END) AS delta_bytes,
    SUM(CASE WHEN id = ? THEN LENGTH(CAST(body AS BLOB)) ELSE 0 END) AS keyframe_bytes FROM context_snapshots WHERE chain_start = ?`,
  [r.chain_start, r.chain_start, r.chain_start])!;
  return { id: Number(r.id), chainStart: Number(r.chain_start), length: Number(c.n) - 1, deltaBytes: Number(c.delta_bytes ?? 0), keyframeBytes: Number(c.keyframe_bytes ?? 0) };
}
