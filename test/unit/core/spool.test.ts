import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ingestSpool, nodeFileSystem, SPOOL_FILE } from '../../../src/core';
import { FakeClock, MemoryLogger, openEngine, tempDir } from '../support/fixtures';

describe('spool intake', () => {
  it('stores spooled events once, keeps their time, sets refused ones aside and removes the spool', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const e = await openEngine(dir, { clock });
    const lines = [
      { event_id: 'e1', type: 'decision', decision_type: 'plan', context: {}, decision: 'spooled', reasoning: 'offline', ts: '2026-11-26T08:00:00.000Z' },
      { event_id: 'e2', type: 'task', task_id: 't1', percentage: 40 },
      { event_id: 'e3', type: 'task', task_id: 't1', percentage: 400 },
      { event_id: 'e4', type: 'agent', agent_id: 'a1', status: 'working', ts: '2026-11-26T07:00:00.000Z' },
    ].map(l => JSON.stringify(l));
    fs.writeFileSync(path.join(dir, SPOOL_FILE), lines.join('\n') + '\n{"event_id":"e5","ty', { mode: 0o600 });
    const log = new MemoryLogger();
    const r = await ingestSpool(e, nodeFileSystem, log);
    assert.deepStrictEqual(r, { accepted: 3, duplicates: 0, rejected: 1, unreadable_lines: 1 });
    assert.ok(!fs.existsSync(path.join(dir, SPOOL_FILE)));
    assert.ok(!fs.existsSync(path.join(dir, 'spool.replaying.jsonl')));
    const rejected = fs.readFileSync(path.join(dir, 'spool.rejected.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l));
    assert.strictEqual(rejected.length, 1);
    assert.strictEqual(rejected[0].event.event_id, 'e3');
    assert.strictEqual(rejected[0].error.field, 'events[0].percentage');
    const d = (await e.getDecisions())[0];
    assert.strictEqual(d.ts, '2026-11-26T08:00:00.000Z');
    assert.strictEqual(e.getTask('t1')!.percentage, 40);
    // A late heartbeat does not move last_seen back.
    await e.updateAgentState('a1', { status: 'idle' });
    fs.writeFileSync(path.join(dir, SPOOL_FILE), lines[3] .replace('e4', 'e6') + '\n' + lines[0] + '\n', { mode: 0o600 });
    const r2 = await ingestSpool(e, nodeFileSystem, log);
    assert.deepStrictEqual(r2, { accepted: 1, duplicates: 1, rejected: 0, unreadable_lines: 0 });
    assert.strictEqual(e.getAgent('a1')!.last_seen, new Date(clock.now()).toISOString());
    assert.strictEqual((await e.getDecisions()).length, 1, 'the same event id is stored once');
    await e.close();
  });

  it("takes in the spool a client took to send and left behind when it died, not a live sender's", async () => {
    const dir = tempDir();
    const e = await openEngine(dir);
    const line = (id: string) => JSON.stringify({ event_id: id, type: 'decision', decision_type: 'plan', context: {}, decision: id, reasoning: 'spooled' }) + '\n';
    fs.writeFileSync(path.join(dir, 'spool.sending.4242.jsonl'), line('dead-1') + line('dead-2'), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'spool.sending.777.jsonl'), line('live-1'), { mode: 0o600 });
    const r = await ingestSpool(e, nodeFileSystem, new MemoryLogger(), pid => pid === 777);
    assert.deepStrictEqual(r, { accepted: 2, duplicates: 0, rejected: 0, unreadable_lines: 0 });
    assert.deepStrictEqual((await e.getDecisions()).map(d => d.decision).sort(), ['dead-1', 'dead-2']);
    assert.ok(!fs.existsSync(path.join(dir, 'spool.sending.4242.jsonl')), "the dead sender's spool is taken in and removed");
    assert.ok(fs.existsSync(path.join(dir, 'spool.sending.777.jsonl')), "a live sender's spool is left to it");
    await e.close();
  });

  it('finishes a spool left half-ingested by a crash', async () => {
    const dir = tempDir();
    const e = await openEngine(dir);
    fs.writeFileSync(path.join(dir, 'spool.replaying.jsonl'), JSON.stringify({ event_id: 'x1', type: 'message', from_agent: 'a', to_agent: 'b', message_type: 'm', content: 1 }) + '\n', { mode: 0o600 });
    fs.writeFileSync(path.join(dir, SPOOL_FILE), JSON.stringify({ event_id: 'x2', type: 'message', from_agent: 'a', to_agent: 'b', message_type: 'm', content: 2 }) + '\n', { mode: 0o600 });
    const r = await ingestSpool(e, nodeFileSystem, new MemoryLogger());
    assert.strictEqual(r.accepted, 2);
    assert.deepStrictEqual((await e.getMessages()).map(m => m.content), [2, 1]);
    await e.close();
  });

  describe('a spool planted in the folder', () => {
    const backdated = JSON.stringify({ event_id: 'p1', type: 'decision', decision_type: 'review', context: {}, decision: 'Security review approved',
      reasoning: 'planted', ts: '2026-01-01T00:00:00.000Z' }) + '\n' + JSON.stringify({ event_id: 'p2', type: 'task', task_id: 'audit', status: 'completed' }) + '\n';

    async function intake(setup: (file: string) => void) {
      const dir = tempDir();
      const e = await openEngine(dir);
      const file = path.join(dir, SPOOL_FILE);
      fs.writeFileSync(file, backdated, { mode: 0o600 });
      setup(file);
      const log = new MemoryLogger();
      const r = await ingestSpool(e, nodeFileSystem, log);
      const decisions = (await e.getDecisions()).length;
      const task = e.getTask('audit');
      await e.close();
      return { dir, r, decisions, task, log: log.lines.filter(l => l.level === 'warn').map(l => l.text).join('\n') };
    }

    it('readable by others (mode 0644) is not taken in: moved aside with a logged reason, never deleted', async () => {
      const { dir, r, decisions, task, log } = await intake(f => fs.chmodSync(f, 0o644));
      assert.deepStrictEqual(r, { accepted: 0, duplicates: 0, rejected: 0, unreadable_lines: 0 });
      assert.strictEqual(decisions, 0);
      assert.strictEqual(task, undefined);
      assert.match(log, /spool\.jsonl not taken in: its mode is 0644/);
      const aside = fs.readdirSync(dir).filter(f => f.startsWith('untrusted.'));
      assert.strictEqual(aside.length, 1);
      assert.strictEqual(fs.readFileSync(path.join(dir, aside[0]), 'utf8'), backdated, 'kept as it was');
      assert.ok(!fs.existsSync(path.join(dir, SPOOL_FILE)), 'the name is free for a genuine spool');
    });

    it("owned by another user is not taken in, whatever its mode", async function () {
      if (process.getuid?.() !== 0) this.skip(); // giving a file away takes root
      const { r, decisions, log } = await intake(f => fs.chownSync(f, 65534, 65534));
      assert.strictEqual(r.accepted, 0);
      assert.strictEqual(decisions, 0);
      assert.match(log, /owned by uid 65534/);
    });

    it('bad lines are skipped with a logged reason and set aside; the good ones around them go in', async () => {
      const dir = tempDir();
      const e = await openEngine(dir);
      const good = (id: string) => JSON.stringify({ event_id: id, type: 'message', from_agent: 'a', to_agent: 'b', message_type: 'm', content: id });
      const lines = [good('g1'), 'null', '[1,2]', '"text"', JSON.stringify({ type: 'message', from_agent: 'a', to_agent: 'b', message_type: 'm', content: 'no id' }),
        JSON.stringify({ event_id: 'x', type: 'drop_table' }), good('g2')];
      fs.writeFileSync(path.join(dir, SPOOL_FILE), lines.join('\n') + '\n', { mode: 0o600 });
      const log = new MemoryLogger();
      const r = await ingestSpool(e, nodeFileSystem, log);
      assert.deepStrictEqual(r, { accepted: 2, duplicates: 0, rejected: 5, unreadable_lines: 0 });
      assert.deepStrictEqual((await e.getMessages()).map(m => m.content), ['g2', 'g1']);
      const warned = log.lines.filter(l => l.level === 'warn').map(l => l.text);
      for (const n of [2, 3, 4, 5, 6]) assert.ok(warned.some(w => w.includes(`line ${n} refused`)), `line ${n}: ${warned.join('\n')}`);
      assert.ok(warned.some(w => /line 5 refused: .*event_id: is required/.test(w)), warned.join('\n'));
      const rejected = fs.readFileSync(path.join(dir, 'spool.rejected.jsonl'), 'utf8').trim().split('\n');
      assert.strictEqual(rejected.length, 5);
      await e.close();
    });
  });
});
