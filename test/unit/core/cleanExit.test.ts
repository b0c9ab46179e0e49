import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ContextEngine, MARKER_FILE } from '../../../src/core';
import { openEngine, tempDir } from '../support/fixtures';

const WRITER = path.join(__dirname, '..', 'support', 'exitWriter.js');

/** Runs exitWriter to its exit; the message ids it saw acknowledged. */
function runWriter(folder: string, code: number, release: boolean, acked = 40, inFlight = 0): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, folder, String(code), release ? '1' : '0', String(acked), String(inFlight)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (err += d));
    child.on('error', reject);
    child.on('exit', c => {
      if (c !== code) reject(new Error(`exitWriter ended with ${c}: ${err}`));
      else resolve(out.trim().split('\n').filter(Boolean).map(Number));
    });
  });
}

async function assertAllThere(engine: ContextEngine, ids: number[]): Promise<void> {
  const stored = new Set((await engine.getMessages({ agent_id: 'a', limit: 10_000 })).map(m => m.id));
  for (const id of ids) assert.ok(stored.has(id), `acknowledged message ${id} lost`);
}

describe('a process that exits before close() finished', function () {
  this.timeout(30_000);

  it('exit code 0 with releaseOnCleanExit: no marker left, the next open reports no crash and has every acknowledged write', async () => {
    const dir = tempDir();
    const ids = await runWriter(dir, 0, true, 60, 20);
    assert.strictEqual(ids.length, 60);
    assert.ok(!fs.existsSync(path.join(dir, MARKER_FILE)), 'the marker outlived a clean exit');
    const e = await openEngine(dir);
    try {
      assert.strictEqual(e.recoveryReport, undefined);
      await assertAllThere(e, ids);
    } finally {
      await e.close();
    }
  });

  it('a non-zero exit is a crash: the marker stays and the next open reports it, with every acknowledged write', async () => {
    const dir = tempDir();
    const ids = await runWriter(dir, 1, true);
    assert.ok(fs.existsSync(path.join(dir, MARKER_FILE)));
    const e = await openEngine(dir);
    try {
      assert.ok(e.recoveryReport, 'a crash went unreported');
      await assertAllThere(e, ids);
    } finally {
      await e.close();
    }
  });

  it('without releaseOnCleanExit (the default) an exit without close() stays a crash', async () => {
    const dir = tempDir();
    await runWriter(dir, 0, false, 5);
    assert.ok(fs.existsSync(path.join(dir, MARKER_FILE)));
  });

  it('releaseNow removes only its own run\'s marker', async () => {
    const dir = tempDir();
    const e = await openEngine(dir);
    try {
      const file = path.join(dir, MARKER_FILE);
      const own = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(own), session_id: 'another run' }));
      assert.strictEqual(e.releaseNow(), false);
      assert.ok(fs.existsSync(file), "another run's marker was removed");
      fs.writeFileSync(file, own);
      assert.strictEqual(e.releaseNow(), true);
      assert.ok(!fs.existsSync(file));
    } finally {
      await e.close();
    }
  });
});

describe('opening a folder whose owner is still closing it', function () {
  this.timeout(30_000);

  it('waits up to ownerWaitMs for the live owner to let go, then opens with no crash reported', async () => {
    const dir = tempDir();
    const file = path.join(dir, MARKER_FILE);
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: sleeper.pid, host: os.hostname(), started_at: '2026-01-01T00:00:00Z', session_id: 's' }));
      // The old owner finishes its close (the marker goes) while the new one waits.
      const released = new Promise<void>(r => setTimeout(() => { fs.rmSync(file); r(); }, 400));
      const e = await openEngine(dir, { ownerWaitMs: 5_000 });
      await released;
      try {
        assert.strictEqual(e.recoveryReport, undefined);
      } finally {
        await e.close();
      }
      // Still held after the wait: refused, the live owner's marker untouched.
      fs.writeFileSync(file, JSON.stringify({ pid: sleeper.pid, host: os.hostname(), started_at: '2026-01-01T00:00:00Z', session_id: 's' }));
      const t0 = Date.now();
      await assert.rejects(() => openEngine(dir, { ownerWaitMs: 300 }), (err: Error) => err.name === 'SecondWriterError');
      assert.ok(Date.now() - t0 >= 300, 'did not wait');
      assert.strictEqual(JSON.parse(fs.readFileSync(file, 'utf8')).pid, sleeper.pid);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
