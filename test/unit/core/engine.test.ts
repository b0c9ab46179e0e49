import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  ContextEngine, EngineClosedError, MARKER_FILE, PersistenceError, ValidationError, type BatchEvent, type ChangeEvent,
} from '../../../src/core';
import { crc32, crc32Table } from '../../../src/core/crc32';
import { nodeFileSystem } from '../../../src/core/nodeFs';
import type { FileSystemPort } from '../../../src/core/ports';
import { FakeClock, journalText, openEngine, tempDir } from '../support/fixtures';

/** A folded journal holds one header record saying up to where the database file holds. */
function assertJournalFolded(dir: string): void {
  const lines = journalText(path.join(dir, 'journal.jsonl')).split('\n').filter(Boolean);
  assert.strictEqual(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], /^[0-9a-f]{8}\t\d+\t\{"o":"base"/);
}

/** Mocha hooks: an engine on a fresh folder with a fake clock, for each test. */
function engineFixture(): { dir: string; clock: FakeClock; engine: ContextEngine } {
  const f = {} as { dir: string; clock: FakeClock; engine: ContextEngine };
  beforeEach(async () => {
    f.dir = tempDir();
    f.clock = new FakeClock();
    f.engine = await openEngine(f.dir, { clock: f.clock });
  });
  afterEach(() => f.engine.close());
  return f;
}

describe('engine: writes and reads', () => {
  const f = engineFixture();

  it('merges task updates and keeps every update as a task event', async () => {
    await f.engine.updateTaskProgress('t1', { description: 'Index the repo', status: 'in_progress', percentage: 10, agent_id: 'a1' });
    f.clock.advance(1000);
    const t = await f.engine.updateTaskProgress('t1', { percentage: 40, blockers: ['waiting for API key'], metadata: { k: 1 } });
    assert.strictEqual(t.description, 'Index the repo');
    assert.strictEqual(t.status, 'in_progress');
    assert.strictEqual(t.percentage, 40);
    assert.deepStrictEqual(t.blockers, ['waiting for API key']);
    assert.strictEqual(t.agent_id, 'a1');
    assert.notStrictEqual(t.updated_at, t.created_at);
    const events = f.engine.getTaskEvents('t1');
    assert.strictEqual(events.length, 2);
    assert.deepStrictEqual(events[0].changes, { percentage: 40, blockers: ['waiting for API key'], metadata: { k: 1 } });
  });

  it('sets 100 % when a task is completed without a percentage', async () => {
    await f.engine.updateTaskProgress('t1', { percentage: 30 });
    const t = await f.engine.updateTaskProgress('t1', { status: 'completed' });
    assert.strictEqual(t.percentage, 100);
  });

  it('filters tasks by status', async () => {
    await f.engine.updateTaskProgress('a', { status: 'blocked' });
    await f.engine.updateTaskProgress('b', { status: 'completed' });
    assert.deepStrictEqual(f.engine.getTasks({ status: 'blocked' }).map(t => t.task_id), ['a']);
    assert.strictEqual(f.engine.getTasks().length, 2);
  });

  it('rejects bad input naming the field, and changes nothing', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => f.engine.updateTaskProgress('t', { percentage: 101 }), 'percentage'],
      [() => f.engine.updateTaskProgress('t', { percentage: -1 }), 'percentage'],
      [() => f.engine.updateTaskProgress('t', { status: 'done' as never }), 'status'],
      [() => f.engine.updateTaskProgress('', {}), 'task_id'],
      [() => f.engine.updateTaskProgress('x'.repeat(257), {}), 'task_id'],
      [() => f.engine.updateTaskProgress('t', { blockers: 'no' as never }), 'blockers'],
      [() => f.engine.logDecision({ decision_type: 'plan', context: {}, decision: 'x' } as never), 'reasoning'],
      [() => f.engine.logAgentMessage({ from_agent: 'a', to_agent: '', message_type: 'm', content: 1 }), 'to_agent'],
      [() => f.engine.updateAgentState('a', { capabilities: [1] as never }), 'capabilities[0]'],
      [() => f.engine.updateContext([] as never), 'body'],
      [() => f.engine.writeBatch([{ type: 'task', task_id: 'ok' }, { type: 'task', task_id: 'bad', percentage: 200 }] as never), 'events[1].percentage'],
    ];
    for (const [call, field] of cases) {
      await assert.rejects(call, (e: unknown) => e instanceof ValidationError && e.field === field, `expected error on ${field}`);
    }
    assert.strictEqual(f.engine.getTasks().length, 0, 'a rejected batch wrote nothing');
    assert.strictEqual(f.engine.getStatus().counts.decisions, 0);
  });

  it('returns decisions and messages newest first with filters', async () => {
    for (let i = 0; i < 5; i++) {
      await f.engine.logDecision({ decision_type: i % 2 ? 'plan' : 'tool_choice', context: { i }, decision: `d${i}`, reasoning: 'r', agent_id: i < 3 ? 'a1' : 'a2', task_id: 't1' });
      f.clock.advance(1000);
    }
    await f.engine.logAgentMessage({ from_agent: 'a1', to_agent: 'a2', message_type: 'handoff', content: { x: 1 } });
    await f.engine.logAgentMessage({ from_agent: 'a3', to_agent: 'a1', message_type: 'reply', content: 'ok' });
    const all = await f.engine.getDecisions();
    assert.deepStrictEqual(all.map(d => d.decision), ['d4', 'd3', 'd2', 'd1', 'd0']);
    assert.deepStrictEqual((await f.engine.getDecisions({ limit: 2 })).map(d => d.decision), ['d4', 'd3']);
    assert.deepStrictEqual((await f.engine.getDecisions({ agent_id: 'a2' })).map(d => d.decision), ['d4', 'd3']);
    const since = all[2].ts;
    assert.deepStrictEqual((await f.engine.getDecisions({ since })).map(d => d.decision), ['d4', 'd3', 'd2']);
    assert.strictEqual((await f.engine.getMessages({ agent_id: 'a1' })).length, 2);
    assert.strictEqual((await f.engine.getMessages({ agent_id: 'a2' })).length, 1);
    await assert.rejects(() => f.engine.getDecisions({ limit: 10_001 }), ValidationError);
  });

  it('marks agents stale by the injected clock: 4:59 fresh, 5:01 stale, days later stale', async () => {
    await f.engine.updateAgentState('a1', { status: 'working', current_task: 't1', capabilities: ['search'] });
    f.clock.advance(30_000);
    assert.strictEqual(f.engine.getAgent('a1')!.health, 'healthy');
    f.clock.advance(4 * 60_000 + 29_000); // 4:59 after the heartbeat
    let a = f.engine.getAgent('a1')!;
    assert.strictEqual(a.stale, false);
    assert.strictEqual(a.health, 'warning');
    assert.strictEqual(a.seconds_since_update, 299);
    f.clock.advance(2000); // 5:01
    a = f.engine.getAgent('a1')!;
    assert.strictEqual(a.stale, true);
    assert.strictEqual(a.health, 'stale');
    // The seed compared only the time of day, so an agent silent for exactly one day looked fresh.
    f.clock.advance(86_400_000 - 301_000);
    assert.strictEqual(f.engine.getAgent('a1')!.stale, true);
    await f.engine.updateAgentState('a1', {});
    a = f.engine.getAgent('a1')!;
    assert.strictEqual(a.stale, false, 'a heartbeat refreshes last_seen');
    assert.strictEqual(a.status, 'working', 'a heartbeat keeps the status');
    assert.deepStrictEqual(a.capabilities, ['search']);
  });

  it('every record an agent sends is a sign of life: a message, a decision, a task naming it, a span', async () => {
    await f.engine.updateAgentState('a1', { status: 'busy', current_task: 't1' });
    await f.engine.updateAgentState('other', { status: 'busy', current_task: 't2' });
    const changes: ChangeEvent[] = [];
    const sub = f.engine.onDidChange(e => changes.push(e));
    const seenAfter = async (write: () => Promise<unknown>) => {
      f.clock.advance(4 * 60_000);
      const before = f.engine.getAgent('a1')!.last_seen;
      changes.length = 0;
      await write();
      const a = f.engine.getAgent('a1')!;
      assert.notStrictEqual(a.last_seen, before);
      assert.strictEqual(a.seconds_since_update, 0);
      assert.ok(changes.some(c => c.kind === 'agent' && c.ids.includes('a1')), 'no agent change event');
    };
    await seenAfter(() => f.engine.logAgentMessage({ from_agent: 'a1', to_agent: 'other', message_type: 'chat', content: 'hi' }));
    await seenAfter(() => f.engine.logDecision({ decision_type: 'plan', context: {}, decision: 'go', reasoning: 'ready', agent_id: 'a1' }));
    await seenAfter(() => f.engine.updateTaskProgress('t1', { percentage: 10, agent_id: 'a1' }));
    await seenAfter(() => f.engine.writeBatch([{ type: 'message', from_agent: 'a1', to_agent: 'other', message_type: 'chat', content: 1 }]));
    await seenAfter(() => f.engine.writeSpans([{
      trace_id: 'b'.repeat(32), span_id: '1'.repeat(16), parent_span_id: null, name: 'chat', kind: 1, start_time: new Date(f.clock.now()).toISOString(),
      end_time: null, status: 'ok', status_message: null, operation: 'chat', agent_id: 'a1', agent_name: null, conversation_id: null, task_id: null,
      tool_name: null, model: null, input_tokens: null, output_tokens: null, attributes: {}, resource: {}, scope: null,
    }], []));
    // the receiver is not heard from by being spoken to; four waits of 4 min made it stale
    assert.strictEqual(f.engine.getAgent('other')!.stale, true);
    // a message within the same second does not move it again (no repaint per message)
    changes.length = 0;
    f.clock.advance(500);
    await f.engine.logAgentMessage({ from_agent: 'a1', to_agent: 'other', message_type: 'chat', content: 'again' });
    assert.ok(!changes.some(c => c.kind === 'agent'), 'an agent change within the second');
    sub.dispose();
    // no agent is made up from a message, and a replay after reopening moves last_seen the same way
    assert.strictEqual(f.engine.getAgent('nobody'), undefined);
    await f.engine.logAgentMessage({ from_agent: 'nobody', to_agent: 'a1', message_type: 'chat', content: 'x' });
    assert.strictEqual(f.engine.getAgent('nobody'), undefined);
    const seen = f.engine.getAgent('a1')!.last_seen;
    await f.engine.close();
    f.engine = await openEngine(f.dir, { clock: f.clock });
    assert.strictEqual(f.engine.getAgent('a1')!.last_seen, seen);
  });

  it('a late spooled message never moves last_seen back', async () => {
    await f.engine.updateAgentState('a1', { status: 'busy' });
    const seen = f.engine.getAgent('a1')!.last_seen;
    f.clock.advance(-60_000);
    await f.engine.logAgentMessage({ from_agent: 'a1', to_agent: 'b', message_type: 'chat', content: 'late' });
    assert.strictEqual(f.engine.getAgent('a1')!.last_seen, seen);
  });

  it('an agent at rest (idle, done…) with no task in progress is never stale; with one, or busy, it is', async () => {
    await f.engine.updateAgentState('resting', { status: 'idle', current_task: null });
    await f.engine.updateAgentState('finished', { status: 'completed', current_task: 't-done' });
    await f.engine.updateTaskProgress('t-done', { status: 'completed', agent_id: 'finished' });
    await f.engine.updateAgentState('idle-but-assigned', { status: 'idle' });
    await f.engine.updateTaskProgress('t-open', { status: 'in_progress', percentage: 30, agent_id: 'idle-but-assigned' });
    await f.engine.updateAgentState('busy', { status: 'busy', current_task: null });
    f.clock.advance(60 * 60_000);
    const byId = new Map(f.engine.getAgents().map(a => [a.agent_id, a]));
    assert.deepStrictEqual([...byId.values()].map(a => [a.agent_id, a.stale, a.at_rest, a.health]), [
      ['busy', true, false, 'stale'],
      ['finished', false, true, 'healthy'],
      ['idle-but-assigned', true, false, 'stale'],
      ['resting', false, true, 'healthy'],
    ]);
    assert.strictEqual(f.engine.getAgent('resting')!.stale, false, 'getAgent agrees with getAgents');
    assert.strictEqual(f.engine.getAgent('idle-but-assigned')!.stale, true);
    // its task done, the idle agent comes to rest
    await f.engine.updateTaskProgress('t-open', { status: 'completed' });
    assert.strictEqual(f.engine.getAgent('idle-but-assigned')!.stale, false);
  });

  it('caps the conversation history at historySize', async () => {
    await f.engine.close();
    f.engine = await openEngine(f.dir, { clock: f.clock, historySize: 3 });
    const history = Array.from({ length: 10 }, (_, i) => ({ role: 'user', content: `m${i}` }));
    const stored = await f.engine.updateContext({ goal: 'ship', conversation_history: history });
    assert.deepStrictEqual((stored.conversation_history as { content: string }[]).map(h => h.content), ['m7', 'm8', 'm9']);
    assert.deepStrictEqual(f.engine.getConversationHistory(2).map(h => (h as { content: string }).content), ['m8', 'm9']);
    assert.strictEqual(f.engine.getContext().state.goal, 'ship');
  });

  it('applies a batch atomically and skips event ids it already stored', async () => {
    const batch: BatchEvent[] = [
      { type: 'task' as const, task_id: 't1', percentage: 50, event_id: 'e1' },
      { type: 'decision' as const, decision_type: 'plan', context: {}, decision: 'go', reasoning: 'r', event_id: 'e2' },
      { type: 'message' as const, from_agent: 'a', to_agent: 'b', message_type: 'm', content: 'hi', event_id: 'e3' },
      { type: 'agent' as const, agent_id: 'a', status: 'idle' },
      { type: 'context' as const, context: { step: 3 } },
    ];
    assert.deepStrictEqual(await f.engine.writeBatch(batch), { accepted: 5, duplicates: 0 });
    assert.deepStrictEqual(await f.engine.writeBatch(batch), { accepted: 2, duplicates: 3 });
    assert.strictEqual(f.engine.getStatus().counts.decisions, 1);
    assert.strictEqual(f.engine.getStatus().counts.messages, 1);
    assert.deepStrictEqual(f.engine.getContext().state, { step: 3 });
  });

  it('emits change events after a write is durable', async () => {
    const seen: ChangeEvent[] = [];
    const sub = f.engine.onDidChange(e => seen.push(e));
    await f.engine.updateTaskProgress('t9', { percentage: 1 });
    await f.engine.writeBatch([{ type: 'agent', agent_id: 'x', status: 'idle' }, { type: 'task', task_id: 't8' }]);
    sub.dispose();
    await f.engine.updateTaskProgress('t7', {});
    assert.deepStrictEqual(seen.map(e => [e.kind, e.ids]), [['task', ['t9']], ['agent', ['x']], ['task', ['t8']]]);
  });

  it('writes from many concurrent callers share flushes and all land', async () => {
    await Promise.all(Array.from({ length: 500 }, (_, i) => f.engine.logDecision({ decision_type: 'x', context: i, decision: `d${i}`, reasoning: '' })));
    const ds = await f.engine.getDecisions({ limit: 1000 });
    assert.strictEqual(ds.length, 500);
    assert.strictEqual(new Set(ds.map(d => d.id)).size, 500);
    assert.strictEqual(f.engine.getMetrics().events_total, 500);
  });

  it('a write that fails to apply is refused alone: the others of its flush land, in order, and survive a reopen', async () => {
    // A trigger planted after open (the schema guard drops them at open) makes one insert fail.
    const store = (f.engine as unknown as { ctx: { store: { exec(sql: string): void } } }).ctx.store;
    store.exec("CREATE TRIGGER refuse BEFORE INSERT ON decision_log WHEN NEW.decision = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    const d = (decision: string) => f.engine.logDecision({ decision_type: 'x', context: null, decision, reasoning: '' });
    // Submitted in one turn: one flush.
    const results = await Promise.allSettled([
      f.engine.updateTaskProgress('t1', { percentage: 10 }), d('before'), d('boom'), d('after'), f.engine.updateTaskProgress('t1', { percentage: 20 }),
    ]);
    assert.deepStrictEqual(results.map(r => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.ok((results[2] as PromiseRejectedResult).reason instanceof PersistenceError);
    const check = (e: ContextEngine) => {
      assert.deepStrictEqual(e.getTask('t1')!.percentage, 20);
      assert.deepStrictEqual(e.getTaskEvents('t1').map(ev => ev.changes).reverse(), [{ percentage: 10 }, { percentage: 20 }]);
    };
    check(f.engine);
    assert.deepStrictEqual((await f.engine.getDecisions()).map(x => x.decision), ['after', 'before']);
    store.exec('DROP TRIGGER refuse');
    await f.engine.updateTaskProgress('t1', { percentage: 30 });
    await f.engine.close();
    f.engine = await openEngine(f.dir, { clock: f.clock });
    assert.deepStrictEqual((await f.engine.getDecisions()).map(x => x.decision), ['after', 'before']);
    assert.deepStrictEqual(f.engine.getTaskEvents('t1').map(ev => ev.changes).reverse(), [{ percentage: 10 }, { percentage: 20 }, { percentage: 30 }]);
    assert.strictEqual(new Set(f.engine.getTaskEvents('t1').map(ev => ev.id)).size, 3);
  });

  it('refuses writes after close', async () => {
    await f.engine.close();
    await assert.rejects(() => f.engine.updateTaskProgress('t', {}), EngineClosedError);
    f.engine = await openEngine(f.dir, { clock: f.clock });
  });
});

describe('engine: checkpoints and deduplication', () => {
  const f = engineFixture();

  it('stores a snapshot only when the context changed, comparing with the latest (A→B→A)', async () => {
    await f.engine.updateContext({ v: 'A' });
    const a1 = await f.engine.autoCheckpoint();
    assert.ok(a1 && !a1.deduplicated);
    assert.strictEqual(await f.engine.autoCheckpoint(), undefined, 'unchanged context: no new checkpoint');
    assert.strictEqual(f.engine.getMetrics().dedup_hits, 1);
    await f.engine.updateContext({ v: 'B' });
    const b = await f.engine.autoCheckpoint();
    assert.ok(b && !b.deduplicated);
    await f.engine.updateContext({ v: 'A' });
    const a2 = await f.engine.autoCheckpoint();
    assert.ok(a2 && !a2.deduplicated, 'A after B is a change, even though A was stored before');
    const snap = await f.engine.getCheckpointSnapshot(a2.checkpoint_id);
    assert.deepStrictEqual(snap!.state, { v: 'A' });
    assert.deepStrictEqual(f.engine.listCheckpoints().map(c => c.kind), ['auto', 'auto', 'auto']);
  });

  it('a periodic checkpoint and its snapshot are one durable write, read back after reopening', async () => {
    const d = tempDir();
    let syncs = 0;
    const counting: FileSystemPort = { ...nodeFileSystem, fdatasync: fd => (syncs++, nodeFileSystem.fdatasync(fd)) };
    const e = await openEngine(d, { fs: counting });
    await e.updateContext({ goal: 'one write' });
    syncs = 0;
    const cp = await e.autoCheckpoint();
    assert.ok(cp && !cp.deduplicated);
    assert.strictEqual(syncs, 1, 'snapshot and checkpoint took separate flushes');
    await e.close();
    const again = await openEngine(d);
    try {
      assert.deepStrictEqual((await again.getCheckpointSnapshot(cp.checkpoint_id))!.state, { goal: 'one write' });
    } finally {
      await again.close();
    }
  });

  it('ignores the clock-derived agent fields when comparing snapshots', async () => {
    await f.engine.updateAgentState('a', { status: 'idle' });
    await f.engine.autoCheckpoint();
    f.clock.advance(10 * 60_000); // the agent turns stale, nothing was written
    assert.strictEqual(await f.engine.autoCheckpoint(), undefined);
  });

  it('manual checkpoints and recovery points are one journal record each, with no copy of the database', async () => {
    await f.engine.updateTaskProgress('t', { percentage: 5 });
    const m = await f.engine.checkpoint('before refactor');
    const r = await f.engine.markRecoveryPoint('phase-2');
    assert.strictEqual(m.kind, 'manual');
    assert.strictEqual(r.kind, 'recovery');
    assert.ok(r.deduplicated, 'same context: the snapshot body is shared');
    for (const c of [m, r]) assert.strictEqual(c.file, null);
    assert.deepStrictEqual(fs.readdirSync(path.join(f.dir, 'checkpoints')), [], 'a recovery point copies nothing');
    const list = f.engine.listCheckpoints();
    assert.deepStrictEqual(list.map(c => [c.kind, c.label]), [['recovery', 'phase-2'], ['manual', 'before refactor']]);
    assert.strictEqual(list[0].snapshot_id, list[1].snapshot_id);
    await assert.rejects(() => f.engine.markRecoveryPoint(''), ValidationError);
    assert.strictEqual(f.engine.getStatus().checkpoint_count, 2);
  });

  it('a plain update never creates a recovery point', async () => {
    await f.engine.updateTaskProgress('t', { status: 'in_progress' });
    await f.engine.updateTaskProgress('t', { description: 'no percentage here' });
    assert.strictEqual(f.engine.listCheckpoints().length, 0);
  });

  it('compacts the journal into the database when it passes the threshold', async () => {
    await f.engine.close();
    f.engine = await openEngine(f.dir, { clock: f.clock, journalCompactBytes: 2000 });
    for (let i = 0; i < 30; i++) await f.engine.logDecision({ decision_type: 'x', context: { i }, decision: 'd', reasoning: 'r'.repeat(50) });
    assert.ok(f.engine.getMetrics().journal_bytes > 2000);
    await f.engine.autoCheckpoint();
    const m = f.engine.getMetrics();
    assert.ok(m.db_bytes > 0);
    assert.strictEqual(m.compaction.count, 1);
    assertJournalFolded(f.dir);
    // What is left is the header record; the file also holds the zeros written ahead of records.
    const journal = fs.readFileSync(path.join(f.dir, 'journal.jsonl'));
    assert.strictEqual(m.journal_bytes, journal.indexOf(0x0a) + 1);
    assert.strictEqual(m.storage_bytes.journal, journal.length);
  });

  it('runs the automatic checkpoint on its timer', async () => {
    await f.engine.close();
    f.engine = await openEngine(f.dir, { checkpointIntervalMs: 20 });
    await f.engine.updateContext({ x: 1 });
    const deadline = Date.now() + 5000;
    while (f.engine.getStatus().checkpoint_count === 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 10));
    assert.ok(f.engine.getStatus().checkpoint_count > 0);
    assert.strictEqual(f.engine.listCheckpoints()[0].kind, 'auto');
  });
});

describe('engine: close and reopen', () => {
  it('a clean close removes the marker and keeps everything', async () => {
    const dir = tempDir();
    const e = await openEngine(dir);
    assert.ok(fs.existsSync(path.join(dir, MARKER_FILE)), 'the marker exists while running');
    await e.updateTaskProgress('t', { percentage: 42 });
    await e.logDecision({ decision_type: 'plan', context: null, decision: 'go', reasoning: 'because' });
    await e.close();
    assert.ok(!fs.existsSync(path.join(dir, MARKER_FILE)));
    assertJournalFolded(dir);
    const e2 = await openEngine(dir);
    assert.strictEqual(e2.recoveryReport, undefined);
    assert.strictEqual(e2.getTask('t')!.percentage, 42);
    assert.strictEqual((await e2.getDecisions())[0].reasoning, 'because');
    assert.ok(e2.listCheckpoints().some(c => c.kind === 'shutdown'));
    await e2.close();
  });

  it('refuses a second writer while the first is alive', async () => {
    const dir = tempDir();
    const e = await openEngine(dir);
    await assert.rejects(() => openEngine(dir), /owns/);
    // Another process: same host, live pid.
    await assert.rejects(() => openEngine(dir + '/', { pid: 1, isProcessAlive: () => true }), /pid/);
    await e.updateTaskProgress('t', {});
    await e.close();
  });

  it('ids keep growing across reopen', async () => {
    const dir = tempDir();
    let e = await openEngine(dir);
    const d1 = await e.logDecision({ decision_type: 'x', context: 1, decision: 'a', reasoning: '' });
    await e.close();
    e = await openEngine(dir);
    const d2 = await e.logDecision({ decision_type: 'x', context: 1, decision: 'b', reasoning: '' });
    assert.ok(d2.id > d1.id);
    await e.close();
  });
});

describe('engine: cleanup', () => {
  it('reports a dry run without removing, then removes; recovery points stay', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const e = await openEngine(dir, { clock });
    await e.logDecision({ decision_type: 'x', context: 1, decision: 'old', reasoning: '' });
    await e.logAgentMessage({ from_agent: 'a', to_agent: 'b', message_type: 'm', content: 'old' });
    await e.updateTaskProgress('t', { percentage: 1 });
    await e.updateContext({ v: 1 });
    await e.autoCheckpoint();
    const rp = await e.markRecoveryPoint('keep me');
    clock.advance(40 * 86_400_000);
    await e.logDecision({ decision_type: 'x', context: 1, decision: 'new', reasoning: '' });
    const dry = await e.cleanup({ olderThanDays: 30, dryRun: true });
    assert.strictEqual(dry.dry_run, true);
    assert.deepStrictEqual(dry.removed, { decisions: 1, messages: 1, task_events: 1, snapshots: 0, spans: 0, checkpoint_files: 0, langgraph_checkpoints: 0 });
    assert.strictEqual(e.getStatus().counts.decisions, 2, 'dry run removed nothing');
    const real = await e.cleanup({ olderThanDays: 30 });
    assert.deepStrictEqual(real.removed, dry.removed);
    assert.deepStrictEqual((await e.getDecisions()).map(d => d.decision), ['new']);
    assert.strictEqual((await e.getMessages()).length, 0);
    assert.ok(e.getTask('t'), 'current task state is not history');
    assert.ok(await e.getCheckpointSnapshot(rp.checkpoint_id), 'the recovery point and its snapshot are kept');
    await assert.rejects(() => e.cleanup({ olderThanDays: -1 }), ValidationError);
    await e.close();
  });
});

describe('journal checksum', () => {
  it("the table fallback equals Node's crc32 and the standard check value", () => {
    const check = Buffer.from('123456789');
    assert.strictEqual(crc32Table(check), 0xcbf43926);
    assert.strictEqual(crc32(check), 0xcbf43926);
    const random = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 256));
    assert.strictEqual(crc32(random), crc32Table(random));
  });
});
