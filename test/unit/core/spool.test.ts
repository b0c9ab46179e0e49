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
    fs.writeFileSync(path.join(dir, SPOOL_FILE), lines.join('\n') + '\n{"event_id":"e5","ty');
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
    fs.writeFileSync(path.join(dir, SPOOL_FILE), lines[3] .replace('e4', 'e6') + '\n' + lines[0] + '\n');
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
    fs.writeFileSync(path.join(dir, 'spool.sending.4242.jsonl'), line('dead-1') + line('dead-2'));
    fs.writeFileSync(path.join(dir, 'spool.sending.777.jsonl'), line('live-1'));
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
    fs.writeFileSync(path.join(dir, 'spool.replaying.jsonl'), JSON.stringify({ event_id: 'x1', type: 'message', from_agent: 'a', to_agent: 'b', message_type: 'm', content: 1 }) + '\n');
    fs.writeFileSync(path.join(dir, SPOOL_FILE), JSON.stringify({ event_id: 'x2', type: 'message', from_agent: 'a', to_agent: 'b', message_type: 'm', content: 2 }) + '\n');
    const r = await ingestSpool(e, nodeFileSystem, new MemoryLogger());
    assert.strictEqual(r.accepted, 2);
    assert.deepStrictEqual((await e.getMessages()).map(m => m.content), [2, 1]);
    await e.close();
  });
});
