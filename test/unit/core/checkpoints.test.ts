import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { canonicalJson, ContextEngine, PersistenceError, nodeFileSystem, type FileSystemPort, type JsonObject } from '../../../src/core';
import { agentPart } from '../../../src/core/snapshots';
import { FakeClock, openEngine, tempDir } from '../support/fixtures';
import { mulberry32 } from '../support/rng';

// Checkpoints are stored as deltas; every one must still open as the full state of its moment,
// through keyframes, reopening, compaction, archiving and cleanup.

/** The context as the engine shows it now, in the shape a snapshot has (derived agent fields left out). */
function stateNow(e: ContextEngine): JsonObject {
  const c = e.getContext();
  return JSON.parse(canonicalJson({
    state: c.state,
    tasks: c.tasks,
    agents: c.agents.map(agentPart),
    recent_decisions: c.recent_decisions,
  })) as JsonObject;
}

const DAY = 86_400_000;

describe('checkpoints: deltas that open as the whole state', function () {
  this.timeout(120_000);

  it('every checkpoint opens as the state of its moment, across keyframes, reopen, compaction, archiving and cleanup', async () => {
    const seed = 20261201;
    const rand = mulberry32(seed);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    const dir = tempDir();
    const clock = new FakeClock();
    let e = await openEngine(dir, { clock, historySize: 12, journalCompactBytes: 64 * 1024 });
    const expected = new Map<number, { state: JsonObject; kind: string; hash: string }>();
    const history: JsonObject[] = [];
    for (let step = 0; step < 480; step++) {
      clock.advance(1000 + Math.floor(rand() * 30_000));
      const n = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < n; i++) {
        const r = rand();
        if (r < 0.35) {
          await e.updateTaskProgress(`task-${Math.floor(rand() * 60)}`, { status: pick(['pending', 'in_progress', 'blocked', 'completed'] as const), percentage: Math.floor(rand() * 101), blockers: rand() < 0.2 ? [`b${step}`] : [], metadata: { step } });
        } else if (r < 0.55) {
          await e.updateAgentState(pick(['planner', 'coder', 'reviewer', 'tester', 'ops']), { status: pick(['busy', 'idle']), current_task: `task-${Math.floor(rand() * 60)}` });
        } else if (r < 0.7) {
          await e.logDecision({ decision_type: 'route', context: { step }, decision: `d${step}.${i}`, reasoning: 'r'.repeat(Math.floor(rand() * 80)) });
        } else if (r < 0.8) {
          await e.logAgentMessage({ from_agent: 'planner', to_agent: 'coder', message_type: 'handoff', content: { step } });
        } else {
          history.push({ role: pick(['user', 'assistant']), content: `turn ${step}.${i}` });
          const state: JsonObject = { phase: `phase-${Math.floor(step / 50)}`, conversation_history: history.slice(-20) };
          if (rand() < 0.5) state.scratch = { step, nested: { keep: true, n: Math.floor(rand() * 3) } };
          await e.updateContext(state);
        }
      }
      const r = rand();
      const cp = r < 0.5 ? await e.markRecoveryPoint(`step-${step}`) : r < 0.6 ? await e.checkpoint() : await e.autoCheckpoint();
      if (cp) expected.set(cp.checkpoint_id, { state: stateNow(e), kind: cp.kind, hash: e.listCheckpoints(1)[0].content_hash });
      // Now and then a fork of any earlier checkpoint (a keyframe of its own beside the live chain).
      if (rand() < 0.04 && expected.size > 0) {
        const ids = [...expected.keys()];
        const parent = ids[Math.floor(rand() * ids.length)];
        const edit = rand() < 0.7 ? { forked_from: parent, step } : undefined;
        const fork = await e.setResumePoint({ checkpoint_id: parent, state: edit });
        const base = expected.get(parent)!.state;
        expected.set(fork.checkpoint_id, { state: edit ? { ...base, state: edit } : base, kind: 'fork', hash: '' });
      }
    }
    assert.ok(expected.size > 430, `${expected.size} checkpoints`);
    const checkAll = async (where: string, ids = [...expected.keys()]) => {
      for (const id of ids) {
        const got = await e.getCheckpointSnapshot(id);
        assert.ok(got, `${where}: checkpoint ${id} does not open`);
        assert.strictEqual(canonicalJson(got), canonicalJson(expected.get(id)!.state), `${where}: checkpoint ${id} opens as another state (seed ${seed})`);
      }
    };
    await checkAll('live');
    // Sizes and hashes describe the whole state: equal states hash the same, sizes are exact.
    const listed = new Map(e.listCheckpoints(10_000).map(c => [c.checkpoint_id, c]));
    for (const [id, x] of expected) {
      assert.strictEqual(listed.get(id)!.size, Buffer.byteLength(canonicalJson(x.state)), `size of checkpoint ${id}`);
    }
    const byHash = new Map<string, string>();
    for (const [id, x] of expected) {
      const text = canonicalJson(x.state);
      const other = byHash.get(listed.get(id)!.content_hash);
      if (other !== undefined) assert.strictEqual(other, text, `two states share hash ${listed.get(id)!.content_hash}`);
      byHash.set(listed.get(id)!.content_hash, text);
    }

    await e.close();
    e = await openEngine(dir, { clock, historySize: 12, liveDbLimitBytes: 48 * 1024 });
    await checkAll('after reopen');
    // The next snapshot continues the chain from what was rebuilt: it must open exactly too.
    await e.updateTaskProgress('task-0', { percentage: 99 });
    const after = await e.markRecoveryPoint('after reopen');
    expected.set(after.checkpoint_id, { state: stateNow(e), kind: 'recovery', hash: '' });
    await e.autoCheckpoint(); // past the live cap: history and old chains move to a segment
    assert.ok(e.getMetrics().archive_bytes > 0, 'nothing was archived');
    await checkAll('after archiving');
    clock.advance(2 * DAY);
    await e.updateTaskProgress('task-1', { percentage: 1 });
    const cleaned = await e.cleanup({ olderThanDays: 1 });
    assert.ok(cleaned.removed.decisions > 0);
    // Recovery and manual points are kept with every snapshot their delta needs; auto ones went.
    const kept = new Set(e.listCheckpoints(10_000).map(c => c.checkpoint_id));
    for (const [id, x] of expected) if (x.kind !== 'auto') assert.ok(kept.has(id), `recovery point ${id} was removed by cleanup`);
    await checkAll('after cleanup', [...expected.keys()].filter(id => kept.has(id)));
    await e.close();
    e = await openEngine(dir, { clock, historySize: 12 });
    await checkAll('after cleanup and reopen', [...expected.keys()].filter(id => kept.has(id)));
    await e.close();
  });

  it('a recovery point stores what changed: one task of 500 costs a few hundred bytes', async () => {
    const dir = tempDir();
    const e = await openEngine(dir);
    const events = Array.from({ length: 500 }, (_, i) => ({ type: 'task' as const, task_id: `task-${i}`, description: `Task number ${i} of the plan`, status: 'pending' as const, percentage: 0 }));
    await e.writeBatch(events);
    const first = await e.markRecoveryPoint('all tasks');
    const journalBytes = () => e.getMetrics().journal_bytes;
    const before = journalBytes();
    await e.updateTaskProgress('task-250', { status: 'in_progress', percentage: 25 });
    const afterWrite = journalBytes();
    const rp = await e.markRecoveryPoint('one task moved');
    const recordBytes = journalBytes() - afterWrite;
    const full = e.listCheckpoints(1)[0].size;
    assert.ok(full > 60_000, `the state is ${full} bytes`);
    assert.ok(recordBytes < 1000, `the recovery point took ${recordBytes} bytes of journal for a ${full}-byte state`);
    assert.ok(afterWrite > before);
    const snap = await e.getCheckpointSnapshot(rp.checkpoint_id);
    assert.strictEqual((snap!.tasks as JsonObject[]).find(t => t.task_id === 'task-250')!.percentage, 25);
    assert.strictEqual(((await e.getCheckpointSnapshot(first.checkpoint_id))!.tasks as JsonObject[]).find(t => t.task_id === 'task-250')!.percentage, 0);
    await e.close();
  });

  it('a recovery point whose write failed leaves the chain whole: the next one opens exactly', async () => {
    const dir = tempDir();
    let failNext = false;
    const flaky: FileSystemPort = {
      ...nodeFileSystem,
      fdatasync: fd => {
        if (failNext) {
          failNext = false;
          return Promise.reject(Object.assign(new Error('i/o error'), { code: 'EIO' }));
        }
        return nodeFileSystem.fdatasync(fd);
      },
    };
    const e = await openEngine(dir, { fs: flaky });
    await e.updateTaskProgress('a', { percentage: 10 });
    await e.markRecoveryPoint('one');
    await e.updateTaskProgress('a', { percentage: 20 });
    failNext = true;
    await assert.rejects(() => e.markRecoveryPoint('refused'), PersistenceError);
    await e.updateTaskProgress('b', { percentage: 30 });
    const ok = await e.markRecoveryPoint('two');
    assert.strictEqual(canonicalJson(await e.getCheckpointSnapshot(ok.checkpoint_id)), canonicalJson(stateNow(e)));
    await e.close();
  });

  it('keeps the newest database images within the count and bytes set, and reports their bytes', async () => {
    const dir = tempDir();
    const e = await openEngine(dir, { imageCount: 2 });
    for (let i = 0; i < 4; i++) {
      await e.logDecision({ decision_type: 'x', context: { i }, decision: `d${i}`, reasoning: 'r' });
      await e.compact();
    }
    await e.close();
    const images = () => fs.readdirSync(path.join(dir, 'checkpoints'));
    assert.strictEqual(images().length, 2, images().join());
    const e3 = await openEngine(dir, { imageCount: 2 });
    const m = e3.getMetrics();
    const onDisk = images().reduce((n, f) => n + fs.statSync(path.join(dir, 'checkpoints', f)).size, 0);
    assert.strictEqual(m.storage_bytes.images, onDisk);
    assert.strictEqual(m.storage_bytes.total, m.storage_bytes.database + m.storage_bytes.journal + m.storage_bytes.images + m.storage_bytes.archive);
    // The newest image is the database as it stands, gzipped.
    const newest = images().sort().pop()!;
    const unzipped = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'checkpoints', newest)));
    assert.ok(unzipped.equals(fs.readFileSync(path.join(dir, 'jarvis_context.db'))));
    e3.setImageRetention({ count: 1, bytes: 1 });
    await e3.close();
    assert.strictEqual(images().length, 1, 'the newest is kept whatever its size');
  });
});

describe('checkpoints: a folder written by schema version 1', function () {
  this.timeout(60_000);
  const FIXTURE = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

  /** Unpacks test/fixtures/v1-folder (each file gzipped) into a fresh folder. */
  function unpack(): string {
    const dir = tempDir();
    const walk = (rel: string) => {
      for (const ent of fs.readdirSync(path.join(FIXTURE, 'v1-folder', rel), { withFileTypes: true })) {
        const r = path.join(rel, ent.name);
        if (ent.isDirectory()) {
          fs.mkdirSync(path.join(dir, r), { recursive: true });
          walk(r);
        } else {
          fs.writeFileSync(path.join(dir, r.replace(/\.gz$/, '')), zlib.gunzipSync(fs.readFileSync(path.join(FIXTURE, 'v1-folder', r))));
        }
      }
    };
    walk('');
    return dir;
  }

  it('opens after its crash, migrates, and every old checkpoint opens as before', async () => {
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'v1-folder.expected.json'), 'utf8')) as {
      checkpoints: Record<string, { info: JsonObject; snapshot: JsonObject }>;
      after: { tasks: JsonObject[]; decisions: number; messages: number; checkpoints: number; images: string[] };
    };
    const dir = unpack();
    assert.strictEqual(fs.readdirSync(path.join(dir, 'checkpoints')).length, expected.after.images.length);
    const clock = new FakeClock(Date.parse('2026-11-20T10:00:00.000Z'));
    let e = await openEngine(dir, { clock });
    const r = e.recoveryReport!;
    assert.ok(r, 'the fixture was left as after a crash');
    assert.deepStrictEqual(r.lost, []);
    assert.ok(r.steps.some(s => s.step === 'migrate schema 1 to 2' && s.ok), JSON.stringify(r.steps));
    assert.strictEqual(canonicalJson(e.getTasks()), canonicalJson(expected.after.tasks));
    assert.strictEqual((await e.getDecisions({ limit: 1000 })).length, expected.after.decisions);
    assert.strictEqual(e.listCheckpoints(1000).length, expected.after.checkpoints);
    for (const [id, x] of Object.entries(expected.checkpoints)) {
      assert.deepStrictEqual(await e.getCheckpointSnapshot(Number(id)), x.snapshot, `checkpoint ${id}`);
      const info = e.listCheckpoints(1000).find(c => c.checkpoint_id === Number(id))!;
      for (const k of ['created_at', 'label', 'kind', 'snapshot_id', 'content_hash', 'size']) {
        assert.deepStrictEqual((info as unknown as JsonObject)[k], x.info[k], `checkpoint ${id}: ${k}`);
      }
      assert.strictEqual(info.file, null, 'whole copies are images now, no longer per checkpoint');
    }
    // New checkpoints continue as deltas and open, then and after a reopen.
    await e.updateTaskProgress('task-001', { percentage: 77 });
    const rp = await e.markRecoveryPoint('after migration');
    const now = stateNow(e);
    assert.deepStrictEqual(await e.getCheckpointSnapshot(rp.checkpoint_id), now);
    await e.close();
    // The whole copies of schema 1 became images: with ours, the newest few are kept, as the retention says.
    const images = fs.readdirSync(path.join(dir, 'checkpoints'));
    assert.strictEqual(images.length, 3, images.join());
    assert.ok(images.some(f => /^image_.*\.sqlite\.gz$/.test(f)), images.join());
    e = await openEngine(dir, { clock });
    assert.strictEqual(e.recoveryReport, undefined, 'a clean close after the migration');
    assert.deepStrictEqual(await e.getCheckpointSnapshot(rp.checkpoint_id), now);
    for (const [id, x] of Object.entries(expected.checkpoints)) assert.deepStrictEqual(await e.getCheckpointSnapshot(Number(id)), x.snapshot);
    await e.close();
  });
});
