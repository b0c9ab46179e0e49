import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import initSqlJs from 'sql.js';
import { canonicalJson, NotFoundError, ValidationError, type ContextEngine } from '../../../src/core';
import type { ScriptCall } from '../support/crashWriter';
import { FakeClock, openEngine, tempDir, WASM } from '../support/fixtures';

// Resume and fork: a fork checkpoint of the chosen one (state replaced when edited), the pending
// resume point GET /context answers with, and the decisions saying who resumed from what.

const WRITER = path.join(__dirname, '..', 'support', 'crashWriter.js');

/** Runs crashWriter's script; it SIGKILLs itself after the last call. */
function runScript(folder: string, calls: ScriptCall[]): Promise<{ signal: string | null; stderr: string }> {
  const file = path.join(tempDir('jarvis-script-'), 'calls.json');
  fs.writeFileSync(file, JSON.stringify(calls));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', WRITER, folder, 'script', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', d => (err += d));
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ signal, stderr: err }));
  });
}

async function seeded(dir = tempDir(), clock = new FakeClock()): Promise<{ e: ContextEngine; rp: number; later: number }> {
  const e = await openEngine(dir, { clock });
  await e.updateTaskProgress('auth', { description: 'OAuth login', status: 'in_progress', percentage: 40, agent_id: 'coder' });
  await e.updateAgentState('coder', { status: 'busy', current_task: 'auth' });
  await e.updateContext({ phase: 'build', retries: 3 });
  const rp = (await e.markRecoveryPoint('before-deploy')).checkpoint_id;
  clock.advance(5000);
  await e.updateTaskProgress('auth', { status: 'failed', percentage: 90 });
  await e.updateContext({ phase: 'deploy', retries: 0 });
  const later = (await e.checkpoint('after-deploy')).checkpoint_id;
  return { e, rp, later };
}

describe('resume points and forks', () => {
  it('an edited fork is a new checkpoint of kind fork under its parent; history is untouched', async () => {
    const { e, rp } = await seeded();
    try {
      const parentBefore = await e.getCheckpointSnapshot(rp);
      const listedBefore = e.listCheckpoints();
      const r = await e.setResumePoint({ checkpoint_id: rp, state: { phase: 'build', retries: 1, note: 'skip flaky test' } });
      assert.strictEqual(r.parent_id, rp);
      assert.strictEqual(r.edited, true);
      assert.strictEqual(r.label, 'before-deploy');
      const fork = e.listCheckpoints(1)[0];
      assert.strictEqual(fork.checkpoint_id, r.checkpoint_id);
      assert.strictEqual(fork.kind, 'fork');
      assert.strictEqual(fork.parent_id, rp);
      assert.strictEqual(fork.label, `edited fork of #${rp}`);
      // Every earlier checkpoint is listed and opens as before.
      assert.deepStrictEqual(e.listCheckpoints().slice(1), listedBefore);
      assert.strictEqual(canonicalJson(await e.getCheckpointSnapshot(rp)), canonicalJson(parentBefore));
      const forked = await e.getCheckpointSnapshot(r.checkpoint_id);
      assert.strictEqual(canonicalJson(forked), canonicalJson({ ...parentBefore, state: { phase: 'build', retries: 1, note: 'skip flaky test' } }));
      assert.strictEqual(fork.size, Buffer.byteLength(canonicalJson(forked)));
      // The live state is the orchestrator's, not the fork's.
      assert.deepStrictEqual(e.getContext().state, { phase: 'deploy', retries: 0 });
    } finally {
      await e.close();
    }
  });

  it('while pending, the restore context is the fork\'s with resume_point_id; a decision says it was set', async () => {
    const { e, rp } = await seeded();
    try {
      const live = await e.getRestoreContext();
      assert.strictEqual(live.resume_point_id, undefined);
      assert.deepStrictEqual(live.state, { phase: 'deploy', retries: 0 });
      const r = await e.setResumePoint({ checkpoint_id: rp, state: { phase: 'build', retries: 1 } });
      const v = await e.getRestoreContext();
      assert.strictEqual(v.resume_point_id, r.resume_point_id);
      assert.strictEqual(v.checkpoint_id, r.checkpoint_id);
      assert.deepStrictEqual(v.state, { phase: 'build', retries: 1 });
      // Tasks as they were at the chosen checkpoint, not as they are now.
      assert.strictEqual(v.tasks.find(t => t.task_id === 'auth')?.percentage, 40);
      const full = await e.getResumePoint();
      assert.deepStrictEqual(full?.state, { phase: 'build', retries: 1 });
      assert.strictEqual(full?.tasks.length, 1);
      const d = (await e.getDecisions({ limit: 1 }))[0];
      assert.strictEqual(d.decision_type, 'resume_point');
      assert.strictEqual(d.decision, `Resume from checkpoint #${rp} ("before-deploy") with an edited state at the next orchestrator start`);
      assert.deepStrictEqual(d.context, { resume_point_id: r.resume_point_id, checkpoint_id: r.checkpoint_id, parent_id: rp, edited: true });
    } finally {
      await e.close();
    }
  });

  it('without a state the fork keeps the checkpoint\'s own, and is not "edited"', async () => {
    const { e, rp } = await seeded();
    try {
      const r = await e.setResumePoint({ checkpoint_id: rp });
      assert.strictEqual(r.edited, false);
      assert.deepStrictEqual((await e.getRestoreContext()).state, { phase: 'build', retries: 3 });
      assert.strictEqual(e.listCheckpoints(1)[0].label, `fork of #${rp}`);
      // The same state sent back unchanged is not an edit either.
      const again = await e.setResumePoint({ checkpoint_id: rp, state: { retries: 3, phase: 'build' } });
      assert.strictEqual(again.edited, false);
    } finally {
      await e.close();
    }
  });

  it('cleared by the orchestrator or cancelled by the user: each is a decision, and GET /context is live again', async () => {
    const { e, rp, later } = await seeded();
    try {
      const a = await e.setResumePoint({ checkpoint_id: rp, state: { phase: 'x' } });
      const cleared = await e.clearResumePoint('orchestrator');
      assert.strictEqual(cleared.cleared_by, 'orchestrator');
      assert.strictEqual(e.getPendingResumePoint(), undefined);
      assert.strictEqual((await e.getRestoreContext()).resume_point_id, undefined);
      let d = (await e.getDecisions({ limit: 1 }))[0];
      assert.strictEqual(d.decision_type, 'resume');
      assert.strictEqual(d.decision, `Orchestrator resumed from checkpoint #${rp} ("before-deploy") with an edited state (fork #${a.checkpoint_id})`);
      await assert.rejects(e.clearResumePoint('orchestrator'), NotFoundError);

      const b = await e.setResumePoint({ checkpoint_id: later });
      await e.clearResumePoint('user');
      d = (await e.getDecisions({ limit: 1 }))[0];
      assert.strictEqual(d.decision_type, 'resume_cancelled');
      assert.strictEqual(d.decision, `User cancelled the resume from checkpoint #${later} ("after-deploy") (fork #${b.checkpoint_id})`);
      // The forks stay in the history.
      assert.deepStrictEqual(e.listCheckpoints().filter(c => c.kind === 'fork').map(c => c.parent_id), [later, rp]);
    } finally {
      await e.close();
    }
  });

  it('a newer resume point replaces the pending one; clearing names the one restored', async () => {
    const { e, rp, later } = await seeded();
    try {
      const a = await e.setResumePoint({ checkpoint_id: rp });
      const b = await e.setResumePoint({ checkpoint_id: later, state: { phase: 'again' } });
      assert.strictEqual(e.getPendingResumePoint()?.resume_point_id, b.resume_point_id);
      // An orchestrator that restored `a` does not clear `b`.
      await assert.rejects(e.clearResumePoint('orchestrator', a.resume_point_id), (err: unknown) => err instanceof NotFoundError && err.field === 'resume_point_id');
      assert.strictEqual(e.getPendingResumePoint()?.resume_point_id, b.resume_point_id);
      await e.clearResumePoint('orchestrator', b.resume_point_id);
      assert.strictEqual(e.getPendingResumePoint(), undefined);
    } finally {
      await e.close();
    }
  });

  it('refuses bad input naming the field, and stores nothing', async () => {
    const { e, rp } = await seeded();
    try {
      const before = { cps: e.listCheckpoints(), decisions: await e.getDecisions(), status: e.getStatus().counts };
      const refused = async (input: unknown, type: typeof ValidationError | typeof NotFoundError, field: string) => {
        await assert.rejects(e.setResumePoint(input as never), (err: unknown) => err instanceof type && (err as ValidationError).field === field, JSON.stringify(input));
      };
      await refused({ checkpoint_id: 999 }, NotFoundError, 'checkpoint_id');
      await refused({ checkpoint_id: '1' }, ValidationError, 'checkpoint_id');
      await refused({ checkpoint_id: 1.5 }, ValidationError, 'checkpoint_id');
      await refused({}, ValidationError, 'checkpoint_id');
      await refused({ checkpoint_id: rp, state: [1, 2] }, ValidationError, 'state');
      await refused({ checkpoint_id: rp, state: 'phase: build' }, ValidationError, 'state');
      await refused({ checkpoint_id: rp, state: null }, ValidationError, 'state');
      await refused(null, ValidationError, 'body');
      assert.deepStrictEqual({ cps: e.listCheckpoints(), decisions: await e.getDecisions(), status: e.getStatus().counts }, before);
      assert.strictEqual(e.getPendingResumePoint(), undefined);
    } finally {
      await e.close();
    }
  });

  it('resumes from the last recovery point (a recovery point or a manual checkpoint, never an automatic one)', async () => {
    const dir = tempDir();
    const e = await openEngine(dir);
    try {
      await assert.rejects(e.resumeFromLastRecoveryPoint(), NotFoundError);
      await e.updateContext({ n: 1 });
      const rp = await e.markRecoveryPoint('rp');
      await e.updateContext({ n: 2 });
      await e.autoCheckpoint();
      assert.strictEqual(e.getLastRecoveryPointId(), rp.checkpoint_id);
      const r = await e.resumeFromLastRecoveryPoint();
      assert.strictEqual(r.parent_id, rp.checkpoint_id);
      assert.deepStrictEqual((await e.getRestoreContext()).state, { n: 1 });
    } finally {
      await e.close();
    }
  });

  it('a pending resume point survives a clean reopen, and its clearing too', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    let { e, rp } = await seeded(dir, clock);
    const r = await e.setResumePoint({ checkpoint_id: rp, state: { phase: 'edited' } });
    await e.close();
    e = await openEngine(dir, { clock });
    try {
      assert.deepStrictEqual(e.getPendingResumePoint(), r);
      assert.deepStrictEqual((await e.getRestoreContext()).state, { phase: 'edited' });
      await e.clearResumePoint('orchestrator');
    } finally {
      await e.close();
    }
    e = await openEngine(dir, { clock });
    try {
      assert.strictEqual(e.getPendingResumePoint(), undefined);
      // The live chain goes on after the fork's keyframe: the next checkpoint opens as the live state.
      await e.updateContext({ phase: 'after' });
      const next = await e.markRecoveryPoint('after');
      assert.deepStrictEqual((await e.getCheckpointSnapshot(next.checkpoint_id))?.state, { phase: 'after' });
    } finally {
      await e.close();
    }
  });

  it('survives SIGKILL: the fork, the pending resume point and its decision come back from the journal', async () => {
    const dir = tempDir();
    const r = await runScript(dir, [
      { call: 'context', d: { phase: 'plan' } as never },
      { call: 'recovery', label: 'planned' },
      { call: 'context', d: { phase: 'code' } as never },
      { call: 'resume', checkpoint_id: 1, state: { phase: 'plan', hint: 'use the cache' } },
    ]);
    assert.strictEqual(r.signal, 'SIGKILL', r.stderr);
    const e = await openEngine(dir);
    try {
      assert.ok(e.recoveryReport, 'the kill was seen as a crash');
      const p = e.getPendingResumePoint();
      assert.strictEqual(p?.parent_id, 1);
      assert.strictEqual(p?.edited, true);
      assert.deepStrictEqual((await e.getRestoreContext()).state, { phase: 'plan', hint: 'use the cache' });
      assert.deepStrictEqual(e.getContext().state, { phase: 'code' });
      assert.strictEqual((await e.getDecisions({ limit: 1 }))[0].decision_type, 'resume_point');
    } finally {
      await e.close();
    }
    const cleared = await runScript(dir, [{ call: 'clearResume', by: 'orchestrator' }]);
    assert.strictEqual(cleared.signal, 'SIGKILL', cleared.stderr);
    const e2 = await openEngine(dir);
    try {
      assert.strictEqual(e2.getPendingResumePoint(), undefined);
      assert.strictEqual((await e2.getDecisions({ limit: 1 }))[0].decision_type, 'resume');
    } finally {
      await e2.close();
    }
  });

  it('a folder made before forks existed (no parent_id column, no resume_points table) opens and forks', async () => {
    const dir = tempDir();
    let e = await openEngine(dir);
    await e.updateContext({ old: true });
    const rp = await e.markRecoveryPoint('old');
    await e.close();
    // Turn the file back into what an earlier version wrote.
    const SQL = await initSqlJs({ wasmBinary: WASM as unknown as ArrayBuffer });
    const db = new SQL.Database(fs.readFileSync(path.join(dir, 'jarvis_context.db')));
    db.exec('DROP TABLE resume_points; ALTER TABLE checkpoints DROP COLUMN parent_id');
    fs.writeFileSync(path.join(dir, 'jarvis_context.db'), db.export());
    db.close();
    e = await openEngine(dir);
    try {
      assert.strictEqual(e.listCheckpoints()[0].parent_id, null);
      const r = await e.setResumePoint({ checkpoint_id: rp.checkpoint_id, state: { old: false } });
      assert.strictEqual(e.listCheckpoints(1)[0].parent_id, rp.checkpoint_id);
      assert.deepStrictEqual((await e.getRestoreContext()).state, { old: false });
      assert.strictEqual(e.getPendingResumePoint()?.resume_point_id, r.resume_point_id);
    } finally {
      await e.close();
    }
  });

  it('archiving never moves the live chain from under the next delta, though a fork is newer', async () => {
    const dir = tempDir();
    const e = await openEngine(dir, { liveDbLimitBytes: 48 * 1024 });
    try {
      // History enough to be over the live cap, then one chain: a keyframe, a fork beside it, a delta.
      for (let i = 0; i < 120; i++) await e.logDecision({ decision_type: 'plan', context: { i }, decision: `d${i}`, reasoning: 'r'.repeat(600) });
      const a = await e.markRecoveryPoint('a');
      await e.setResumePoint({ checkpoint_id: a.checkpoint_id, state: { fork: true } });
      await e.updateContext({ live: 1 });
      await e.autoCheckpoint();
      assert.ok(e.getMetrics().archive_bytes > 0, 'nothing was archived');
      await e.updateContext({ live: 2 });
      const b = await e.markRecoveryPoint('b');
      assert.deepStrictEqual((await e.getCheckpointSnapshot(b.checkpoint_id))?.state, { live: 2 });
    } finally {
      await e.close();
    }
  });

  it('cleanup keeps forks and their snapshots, and the live chain\'s newest snapshot though a fork is newer', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    let e = await openEngine(dir, { clock });
    await e.updateContext({ live: 0 });
    const auto = await e.autoCheckpoint();
    const fork = await e.setResumePoint({ checkpoint_id: auto!.checkpoint_id, state: { fork: 'of auto' } });
    clock.advance(3 * 86_400_000);
    await e.cleanup({ olderThanDays: 1 });
    assert.deepStrictEqual(e.listCheckpoints(10_000).map(c => c.checkpoint_id), [fork.checkpoint_id]);
    assert.deepStrictEqual((await e.getCheckpointSnapshot(fork.checkpoint_id))?.state, { fork: 'of auto' });
    await e.updateContext({ live: 1 });
    const next = await e.markRecoveryPoint('next');
    assert.deepStrictEqual((await e.getCheckpointSnapshot(next.checkpoint_id))?.state, { live: 1 });
    await e.close();
    e = await openEngine(dir, { clock });
    try {
      assert.deepStrictEqual((await e.getCheckpointSnapshot(fork.checkpoint_id))?.state, { fork: 'of auto' });
      await e.updateContext({ live: 2 });
      const last = await e.markRecoveryPoint('last');
      assert.deepStrictEqual((await e.getCheckpointSnapshot(last.checkpoint_id))?.state, { live: 2 });
    } finally {
      await e.close();
    }
  });
});
