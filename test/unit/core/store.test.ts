import * as assert from 'assert';
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import { Store } from '../../../src/core/store';
import { readSnapshot } from '../../../src/core/snapshotStore';
import { WASM } from '../support/fixtures';

// The store on its own: ops applied as the journal replays them, the schema migration, and the
// rules that keep snapshot chains whole.

let SQL: SqlJsStatic;
before(async () => {
  SQL = await initSqlJs({ wasmBinary: WASM as unknown as ArrayBuffer });
});

const T0 = Date.parse('2026-11-26T09:00:00.000Z');
const snapshotOp = (id: number, t: number, base: number | null, chainStart: number, tasks: Record<string, unknown>) =>
  ({ o: 'snapshot' as const, t, id, kind: 'recovery' as const, label: `s${id}`, hash: `h${id}`, size: 1, chain_start: chainStart,
    delta: { base, ...(base === null ? { state: [0, {}] as [0, {}] } : {}), tasks: tasks as never } });

describe('store', () => {
  it('merges a task update into the stored task once, and keeps the update as a task event', () => {
    const s = Store.open(SQL, undefined);
    s.applyOp({ o: 'task', t: T0, id: 't', u: { description: 'Index', percentage: 10, metadata: { a: 1 } } });
    s.applyOp({ o: 'task', t: T0 + 1000, id: 't', u: { status: 'completed', metadata: { b: 2 } } });
    const fromCache = s.getTask('t')!;
    s.dropCaches();
    const fromSql = s.getTask('t')!;
    assert.deepStrictEqual(fromCache, fromSql, 'the cached task equals the stored row');
    assert.strictEqual(fromSql.percentage, 100, 'completed without a percentage is 100 %');
    assert.deepStrictEqual(fromSql.metadata, { a: 1, b: 2 });
    assert.strictEqual(fromSql.created_at, new Date(T0).toISOString());
    assert.deepStrictEqual(s.getTaskEvents('t', 10).map(e => e.changes), [{ status: 'completed', metadata: { b: 2 } }, { description: 'Index', percentage: 10, metadata: { a: 1 } }]);
    s.close();
  });

  it('filters lists newest first: messages by either end, decisions by agent and task, below an id', () => {
    const s = Store.open(SQL, undefined);
    for (let i = 1; i <= 4; i++) {
      s.applyOp({ o: 'message', t: T0 + i, id: i, d: { from_agent: i % 2 ? 'a' : 'b', to_agent: i % 2 ? 'b' : 'c', message_type: 'm', content: i } });
      s.applyOp({ o: 'decision', t: T0 + i, id: i, d: { decision_type: 'x', context: null, decision: `d${i}`, reasoning: '', agent_id: i % 2 ? 'a' : 'b', task_id: i < 3 ? 't1' : 't2' } });
    }
    assert.deepStrictEqual(s.getMessages({ limit: 10, agent_id: 'b' }).map(m => m.id), [4, 3, 2, 1]);
    assert.deepStrictEqual(s.getMessages({ limit: 10, agent_id: 'c' }).map(m => m.id), [4, 2]);
    assert.deepStrictEqual(s.getDecisions({ limit: 10, agent_id: 'a', task_id: 't2' }).map(d => d.id), [3]);
    assert.deepStrictEqual(s.getDecisions({ limit: 10, beforeId: 3 }).map(d => d.id), [2, 1]);
    assert.deepStrictEqual(s.getDecisions({ limit: 10, since: new Date(T0 + 3).toISOString() }).map(d => d.id), [4, 3]);
    s.close();
  });

  it('migrates a schema 1 file: snapshots become chains of one, checkpoints get their hash and size', () => {
    const old = new SQL.Database();
    old.exec(`CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema_version', '1'), ('last_seq', '7'), ('events_total', '7');
      CREATE TABLE context_snapshots (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, kind TEXT NOT NULL, label TEXT,
        content_hash TEXT NOT NULL, size INTEGER NOT NULL, body TEXT NOT NULL);
      INSERT INTO context_snapshots VALUES (1, '2026-11-20T09:00:00.000Z', 'recovery', 'old', 'abc', 55, '{"agents":[],"recent_decisions":[],"state":{"v":1},"tasks":[]}');
      CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, label TEXT, kind TEXT NOT NULL, snapshot_id INTEGER NOT NULL, file TEXT);
      INSERT INTO checkpoints VALUES (1, '2026-11-20T09:00:00.000Z', 'old', 'recovery', 1, 'checkpoints/recovery_x.sqlite');`);
    const s = Store.open(SQL, old.export());
    old.close();
    assert.strictEqual(s.migratedFrom, 1);
    assert.strictEqual(s.getMeta('schema_version'), '2');
    assert.deepStrictEqual(readSnapshot(s, 1), { agents: [], recent_decisions: [], state: { v: 1 }, tasks: [] });
    const cp = s.getCheckpoint(1)!;
    assert.strictEqual(cp.content_hash, 'abc');
    assert.strictEqual(cp.size, 55);
    // A delta continues the chain that the whole snapshot heads.
    s.applyOp(snapshotOp(2, T0, 1, 1, { t: { task_id: 't', updated_at: 'x' } }));
    assert.deepStrictEqual(readSnapshot(s, 2), { agents: [], recent_decisions: [], state: { v: 1 }, tasks: [{ task_id: 't', updated_at: 'x' }] });
    const again = Store.open(SQL, s.db.export());
    assert.strictEqual(again.migratedFrom, undefined, 'a migrated file is not migrated twice');
    again.close();
    s.close();
  });

  it('cleanup keeps every snapshot a kept one needs, and the newest chain', () => {
    const s = Store.open(SQL, undefined);
    const day = 86_400_000;
    // Chain 1: snapshots 1-3 (a recovery point on 2); chain 4: snapshots 4-5 (auto only); chain 6: newest.
    s.applyOp(snapshotOp(1, T0, null, 1, { a: { task_id: 'a', updated_at: '1' } }));
    s.applyOp(snapshotOp(2, T0 + 1, 1, 1, { b: { task_id: 'b', updated_at: '2' } }));
    s.applyOp(snapshotOp(3, T0 + 2, 2, 1, { c: { task_id: 'c', updated_at: '3' } }));
    s.applyOp(snapshotOp(4, T0 + 3, null, 4, {}));
    s.applyOp(snapshotOp(5, T0 + 4, 4, 4, { d: { task_id: 'd', updated_at: '5' } }));
    s.applyOp(snapshotOp(6, T0 + 10 * day, null, 6, {}));
    s.applyOp({ o: 'checkpoint', t: T0 + 1, id: 1, kind: 'recovery', label: 'keep', snapshot_id: 2 });
    s.applyOp({ o: 'checkpoint', t: T0 + 4, id: 2, kind: 'auto', label: null, snapshot_id: 5 });
    const cutoff = new Date(T0 + 5 * day).toISOString();
    assert.strictEqual(s.countOlderThan(cutoff).snapshots, 3, 'snapshot 3 (after the kept one) and chain 4');
    s.applyOp({ o: 'cleanup', t: T0 + 10 * day, cutoff, drop_segments: [], replace_segments: [] });
    assert.deepStrictEqual(s.all('SELECT id FROM context_snapshots ORDER BY id').map(r => Number(r.id)), [1, 2, 6]);
    assert.deepStrictEqual((readSnapshot(s, 2)!.tasks as { task_id: string }[]).map(t => t.task_id).sort(), ['a', 'b']);
    assert.deepStrictEqual(s.listCheckpoints(10).map(c => c.checkpoint_id), [1], 'the auto checkpoint older than the cutoff went');
    s.close();
  });

  it('a broken chain is an error, not a wrong state', () => {
    const s = Store.open(SQL, undefined);
    s.applyOp(snapshotOp(1, T0, null, 1, {}));
    s.applyOp(snapshotOp(3, T0 + 1, 2, 1, {}));
    assert.throws(() => readSnapshot(s, 3), /chain from 1 is broken at snapshot 3/);
    s.close();
  });
});
