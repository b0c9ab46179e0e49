import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import initSqlJs from 'sql.js';
import { ContextEngine, MARKER_FILE, PersistenceError, nodeFileSystem, type FileSystemPort } from '../../../src/core';
import { HOLD_RECORDS_SQL } from '../../../src/core/recoveryReport';
import { LIVE_SCHEMA } from '../../../src/core/schema';
import type { Json } from '../../../src/core/types';
import { DRILL_LIMITS, type ScriptCall } from '../support/crashWriter';
import { journalText, MemoryLogger, openEngine, tempDir, WASM } from '../support/fixtures';

const WRITER = path.join(__dirname, '..', 'support', 'crashWriter.js');

/** Runs crashWriter until it kills itself (script) or until `killAfterMs` (continuous). Returns the acks it printed. */
function runWriter(folder: string, args: string[], killAfterMs?: number): Promise<{ acks: Record<string, unknown>[]; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', WRITER, folder, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (err += d));
    let timer: NodeJS.Timeout | undefined;
    if (killAfterMs !== undefined) {
      // Start the clock once the engine is open, so every kill lands in the middle of writes.
      const onData = () => {
        if (!out.includes('"k":"open"')) return;
        child.stdout.off('data', onData);
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      };
      child.stdout.on('data', onData);
    }
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (timer) clearTimeout(timer);
      const lines = out.split('\n');
      lines.pop(); // the last line may be cut short by the kill
      resolve({ acks: lines.map(l => JSON.parse(l) as Record<string, unknown>), signal, stderr: err });
    });
  });
}

async function integrityOk(file: string): Promise<string> {
  const SQL = await initSqlJs({ wasmBinary: WASM as unknown as ArrayBuffer });
  const db = new SQL.Database(fs.readFileSync(file));
  try {
    return String(db.exec('PRAGMA integrity_check')[0].values[0][0]);
  } finally {
    db.close();
  }
}

function writeScript(calls: ScriptCall[]): string {
  const f = path.join(tempDir('jarvis-script-'), 'calls.json');
  fs.writeFileSync(f, JSON.stringify(calls));
  return f;
}

/** Leaves a folder as a crashed run leaves it: marker of a dead process, journal not folded. */
async function crashedFolder(calls: ScriptCall[]): Promise<string> {
  const dir = tempDir();
  const r = await runWriter(dir, ['script', writeScript(calls)]);
  assert.strictEqual(r.signal, 'SIGKILL', r.stderr);
  return dir;
}

const decision = (n: number): ScriptCall => ({ call: 'decision', d: { decision_type: 'plan', context: { n }, decision: `decision ${n}`, reasoning: `because ${n}` } });

describe('recovery after kill -9', function () {
  this.timeout(120_000);

  it("the seed's scenario: 0 → 25 → 50 → 75 → 100 %, a decision, kill -9, reopen", async () => {
    const calls: ScriptCall[] = [0, 25, 50, 75, 100].map(p => ({ call: 'task', id: 'build-feature', u: { description: 'Build the feature', status: p === 100 ? 'completed' : 'in_progress', percentage: p, agent_id: 'coder' } }));
    calls.splice(2, 0, { call: 'agent', id: 'coder', u: { status: 'working', current_task: 'build-feature' } });
    calls.push({ call: 'task', id: 'write-docs', u: { status: 'blocked', percentage: 20, blockers: ['needs screenshots'] } });
    calls.push(decision(1));
    const dir = await crashedFolder(calls);
    assert.ok(fs.existsSync(path.join(dir, MARKER_FILE)), 'a kill leaves the marker behind');
    const e = await openEngine(dir);
    try {
      assert.strictEqual(e.getTask('build-feature')!.percentage, 100);
      assert.strictEqual(e.getTask('build-feature')!.status, 'completed');
      const r = e.recoveryReport!;
      assert.ok(r, 'a recovery report was produced');
      assert.strictEqual(r.trigger, 'crash');
      assert.strictEqual(r.loaded_from, 'empty', 'the run never compacted: everything came from the journal');
      assert.strictEqual(r.restored.journal_records_replayed, calls.length);
      assert.deepStrictEqual(r.lost, []);
      assert.deepStrictEqual(r.incomplete_tasks.map(t => [t.task_id, t.blockers]), [['write-docs', ['needs screenshots']]]);
      assert.strictEqual(r.last_decisions[0].decision, 'decision 1');
      assert.ok(r.previous_run && r.previous_run.pid > 0);
      const md = fs.readFileSync(path.join(dir, r.file.replace(/\.json$/, '.md')), 'utf8');
      assert.match(md, /write-docs.*blocked.*20 %.*needs screenshots/);
      assert.match(md, /Nothing: every acknowledged write was restored/);
      assert.deepStrictEqual((await e.getLatestRecoveryReport())!.file, r.file);
      // An analysis asked for afterwards is written and listed, but never hides the crash's report.
      const analysis = await e.analyzeRecovery();
      assert.strictEqual(analysis.trigger, 'manual');
      assert.deepStrictEqual((await e.listRecoveryReports()).map(x => x.trigger).sort(), ['crash', 'manual']);
      assert.strictEqual((await e.getLatestRecoveryReport())!.file, r.file);
      assert.strictEqual(e.getStatus().recovered_from_crash, true);
      assert.strictEqual(await integrityOk(path.join(dir, 'jarvis_context.db')), 'ok');
    } finally {
      await e.close();
    }
  });

  it('says the moment it describes; later arrivals, spooled ones with earlier times included, are told apart', async () => {
    const dir = await crashedFolder([
      { call: 'task', id: 'review', u: { description: 'Review the parser', status: 'in_progress', percentage: 0 } },
      decision(1),
    ]);
    const e = await openEngine(dir);
    try {
      const r = e.recoveryReport!;
      assert.strictEqual(r.as_of, r.created_at);
      assert.deepStrictEqual(r.as_of_ids, { decision: 1, message: 0, task_event: 1, checkpoint: 0, span: 0 });
      assert.deepStrictEqual({ ...e.changesSince(r)!, tasks: [] },
        { as_of: r.as_of, decisions: 0, messages: 0, task_events: 0, checkpoints: 0, spans: 0, tasks: [] });
      // 50 ms after the report: the task moves to 50 %, and a spooled message stamped before the crash arrives.
      await e.updateTaskProgress('review', { percentage: 50 });
      await e.writeBatch([{ type: 'message', event_id: 'sp-1', ts: '2020-01-01T00:00:00.000Z', from_agent: 'a', to_agent: 'b', message_type: 'x', content: 1 }]);
      const c = e.changesSince(r)!;
      assert.deepStrictEqual([c.task_events, c.messages, c.decisions], [1, 1, 0]);
      assert.deepStrictEqual(c.tasks.map(t => [t.task_id, t.percentage]), [['review', 50]]);
      assert.strictEqual(r.incomplete_tasks[0].percentage, 0, 'the report keeps its moment');
      // The spool the server took in after the report is added to it, on disk too.
      assert.strictEqual(r.spool_intake, null);
      await e.noteSpoolIntake({ accepted: 26, duplicates: 1, rejected: 0, unreadable_lines: 0 });
      const onDisk = JSON.parse(fs.readFileSync(path.join(dir, r.file), 'utf8')) as typeof r;
      assert.deepStrictEqual(onDisk.spool_intake, { accepted: 26, duplicates: 1, rejected: 0, unreadable_lines: 0 });
      const md = fs.readFileSync(path.join(dir, r.file.replace(/\.json$/, '.md')), 'utf8');
      assert.match(md, /## Spooled while the server was away\n\n26 spooled events taken in/);
      assert.match(md, /\*\*Describes the state at:\*\* \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
      assert.deepStrictEqual(e.getStatus().since_start.spool_at_start, { accepted: 26, duplicates: 1, rejected: 0, unreadable_lines: 0 });
      // An analysis is no crash: it has no spool section.
      assert.strictEqual((await e.analyzeRecovery()).spool_intake, undefined);
    } finally {
      await e.close();
    }
  });

  it('lists the debugger holds the dead run left open, not those it ended, nor those nobody waited on', async () => {
    const hold = (id: string, held: boolean, extra: Record<string, Json> = {}): ScriptCall => ({ call: 'decision', d: {
      decision_type: 'debug_hold', decision: 'breakpoint', reasoning: 'stopped', agent_id: 'coder', task_id: 'deploy',
      context: { hold_id: id, held, breakpoint: 'tool:search', reason: 'breakpoint', filter: null, event_kind: 'tool', event_name: 'search', ...extra },
    } });
    const released = (id: string): ScriptCall => ({ call: 'decision', d: { decision_type: 'debug_hold_released', decision: 'x', reasoning: 'continued', context: { hold_id: id } } });
    const dir = await crashedFolder([
      hold('h-1', true), released('h-1'),
      hold('h-2', true, { source: { file: '/w/orch.ts', line: 12, function: 'run' } }),
      hold('h-3', false),
      hold('h-4', true, { source: { file: '/w/orch.ts', line: -1 }, breakpoint: 7 }),
      { call: 'decision', d: { decision_type: 'debug_hold', decision: 'x', reasoning: 'an orchestrator of its own', context: 'not a hold' } },
    ]);
    const e = await openEngine(dir);
    try {
      const r = e.recoveryReport!;
      assert.deepStrictEqual(r.breakpoint_holds_at_crash!.map(h => [h.hold_id, h.breakpoint, h.agent_id, h.task_id, h.source]), [
        ['h-4', null, 'coder', 'deploy', null],
        ['h-2', 'tool:search', 'coder', 'deploy', { file: '/w/orch.ts', line: 12, function: 'run' }],
      ]);
      const md = fs.readFileSync(path.join(dir, r.file.replace(/\.json$/, '.md')), 'utf8');
      assert.match(md, /## Breakpoint holds open at the crash \(2\)/);
      assert.ok(md.includes('- breakpoint **tool:search** at tool search by coder in task deploy, held since '), md);
      assert.ok(md.includes(', called from /w/orch\\.ts:12 (run); hold h-2'), md);
      assert.strictEqual((await e.analyzeRecovery()).breakpoint_holds_at_crash, undefined, 'an analysis of a live run has no crash');
    } finally {
      await e.close();
    }
  });

  it('finds the hold records through their own index, not a scan of every decision', async () => {
    const SQL = await initSqlJs({ wasmBinary: WASM as unknown as ArrayBuffer });
    const db = new SQL.Database();
    try {
      db.exec(LIVE_SCHEMA);
      const plan = db.exec(`EXPLAIN QUERY PLAN ${HOLD_RECORDS_SQL}`, [''])[0].values.map(r => String(r[3])).join('; ');
      assert.match(plan, /USING INDEX decision_log_debug/, plan);
    } finally {
      db.close();
    }
  });

  /** Two compactions (two images), then a crashed run that wrote decision 4 after the last one. */
  async function folderWithImages(): Promise<string> {
    const dir = await crashedFolder([decision(1), { call: 'recovery', label: 'safe' }, decision(2)]);
    // Each close compacts and waits for its image: two images, the newer one holding decision 3.
    await (await openEngine(dir)).close();
    const e = await openEngine(dir);
    await e.logDecision({ decision_type: 'plan', context: { n: 3 }, decision: 'decision 3', reasoning: 'because 3' });
    await e.close();
    const r = await runWriter(dir, ['script', writeScript([decision(4)])]);
    assert.strictEqual(r.signal, 'SIGKILL', r.stderr);
    const images = fs.readdirSync(path.join(dir, 'checkpoints')).sort();
    assert.ok(images.length >= 2, images.join());
    assert.ok(images.every(f => /^image_.*\.sqlite\.gz$/.test(f)), images.join());
    return dir;
  }

  const damage = (file: string) => {
    const bytes = fs.readFileSync(file);
    bytes.fill(0x41, 100, bytes.length);
    fs.writeFileSync(file, bytes);
  };

  it('falls back to the newest database image when the database is corrupt, and loses nothing', async () => {
    const dir = await folderWithImages();
    const db = path.join(dir, 'jarvis_context.db');
    damage(db);
    const e = await openEngine(dir, { logger: new MemoryLogger() });
    try {
      const r = e.recoveryReport!;
      assert.strictEqual(r.loaded_from, 'recovery_checkpoint');
      assert.ok(r.steps.some(s => !s.ok && s.step.includes('jarvis_context.db')), JSON.stringify(r.steps));
      const ds = (await e.getDecisions()).map(d => d.decision);
      assert.deepStrictEqual(ds, ['decision 4', 'decision 3', 'decision 2', 'decision 1'], 'the image holds what the database held');
      assert.deepStrictEqual(r.lost, []);
      assert.strictEqual(await integrityOk(db), 'ok', 'the database is rewritten whole');
    } finally {
      await e.close();
    }
  });

  it('falls back to an older image when the newest is damaged too, and says what was lost', async () => {
    const dir = await folderWithImages();
    damage(path.join(dir, 'jarvis_context.db'));
    const newest = fs.readdirSync(path.join(dir, 'checkpoints')).sort().pop()!;
    fs.writeFileSync(path.join(dir, 'checkpoints', newest), 'not gzip');
    const e = await openEngine(dir, { logger: new MemoryLogger() });
    try {
      const r = e.recoveryReport!;
      assert.strictEqual(r.loaded_from, 'recovery_checkpoint');
      assert.ok(r.steps.some(s => !s.ok && s.step.includes(newest)), JSON.stringify(r.steps));
      const ds = (await e.getDecisions()).map(d => d.decision);
      assert.deepStrictEqual(ds, ['decision 4', 'decision 2', 'decision 1'], 'decision 3 was only in the newer copies');
      assert.strictEqual(r.lost.length, 1, 'the loss is reported, never silent');
      assert.match(r.lost[0], /only in the unreadable database/);
    } finally {
      await e.close();
    }
  });

  it('rebuilds from the journal alone when the database file is missing and never compacted', async () => {
    const dir = await crashedFolder([decision(1), decision(2)]);
    assert.ok(!fs.existsSync(path.join(dir, 'jarvis_context.db')));
    const e = await openEngine(dir);
    try {
      assert.strictEqual((await e.getDecisions()).length, 2);
      assert.deepStrictEqual(e.recoveryReport!.lost, []);
    } finally {
      await e.close();
    }
  });

  it('discards a torn journal tail and keeps everything before it', async () => {
    const dir = await crashedFolder([decision(1), decision(2), decision(3)]);
    const j = path.join(dir, 'journal.jsonl');
    const text = journalText(j);
    // A write cut short by the crash: half a line, no newline, then the zeros ahead of records.
    fs.writeFileSync(j, Buffer.concat([Buffer.from(text + text.split('\n')[0].slice(0, 30)), Buffer.alloc(4096)]));
    const e = await openEngine(dir);
    try {
      assert.deepStrictEqual((await e.getDecisions()).map(d => d.decision), ['decision 3', 'decision 2', 'decision 1']);
      const replay = e.recoveryReport!.steps.find(s => s.step === 'replay journal')!;
      assert.match(replay.detail, /torn tail of 30 bytes/);
      assert.deepStrictEqual(e.recoveryReport!.lost, [], 'a torn tail was never acknowledged');
      await e.logDecision({ decision_type: 'x', context: 1, decision: 'after', reasoning: '' });
    } finally {
      await e.close();
    }
    const e2 = await openEngine(dir);
    assert.strictEqual((await e2.getDecisions())[0].decision, 'after', 'new records do not follow the torn bytes');
    await e2.close();
  });

  it('skips a corrupt record in the middle, replays the rest and reports the damage', async () => {
    const dir = await crashedFolder([decision(1), decision(2), decision(3)]);
    const j = path.join(dir, 'journal.jsonl');
    const lines = journalText(j).split('\n');
    lines[1] = lines[1].replace('decision 2', 'decision X'); // checksum no longer matches
    fs.writeFileSync(j, lines.join('\n'));
    const e = await openEngine(dir);
    try {
      assert.deepStrictEqual((await e.getDecisions()).map(d => d.decision), ['decision 3', 'decision 1']);
      assert.ok(e.recoveryReport!.lost.some(l => /line 2 .*checksum/.test(l)), e.recoveryReport!.lost.join('\n'));
    } finally {
      await e.close();
    }
  });

  it('refuses to open while the marker names a live process, and recovers when it is dead', async () => {
    const dir = tempDir();
    const marker = (pid: number) => fs.writeFileSync(path.join(dir, MARKER_FILE), JSON.stringify({ pid, host: os.hostname(), started_at: '2026-01-01T00:00:00Z', session_id: 's' }));
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      marker(sleeper.pid!);
      await assert.rejects(() => openEngine(dir), (e: Error) => e.name === 'SecondWriterError' && e.message.includes(String(sleeper.pid)));
      assert.strictEqual(JSON.parse(fs.readFileSync(path.join(dir, MARKER_FILE), 'utf8')).pid, sleeper.pid, "the live owner's marker is untouched");
    } finally {
      sleeper.kill('SIGKILL');
    }
    await new Promise(r => sleeper.on('exit', r));
    const e = await openEngine(dir);
    assert.strictEqual(e.recoveryReport!.previous_run!.pid, sleeper.pid);
    await e.close();
  });

  it('writes emergency JSON and keeps journaling when the database cannot be written', async () => {
    const dir = tempDir();
    let failDb = true;
    // Root ignores permissions, so the unwritable database is played through the file-system port.
    const fsPort: FileSystemPort = {
      ...nodeFileSystem,
      rename: async (from, to) => {
        if (failDb && path.basename(to) === 'jarvis_context.db') throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
        return nodeFileSystem.rename(from, to);
      },
    };
    const log = new MemoryLogger();
    const e = await openEngine(dir, { fs: fsPort, logger: log, journalCompactBytes: 100 });
    await e.updateTaskProgress('t', { percentage: 60, blockers: ['disk'] });
    await e.autoCheckpoint();
    assert.strictEqual(e.getStatus().persistence, 'degraded');
    assert.match(e.getStatus().persistence_error!, /EACCES/);
    assert.ok(log.errors().some(l => /EMERGENCY BACKUP/.test(l)), log.errors().join('\n'));
    const em = fs.readdirSync(dir).filter(f => f.startsWith('emergency_'));
    assert.strictEqual(em.length, 1);
    const body = JSON.parse(fs.readFileSync(path.join(dir, em[0]), 'utf8'));
    assert.strictEqual(body.tasks[0].percentage, 60);
    // Writes are still acknowledged: the journal is fine.
    await e.updateTaskProgress('t', { percentage: 70 });
    failDb = false;
    await e.autoCheckpoint();
    assert.strictEqual(e.getStatus().persistence, 'ok', 'it recovers when the disk does');
    await e.close();
    const e2 = await openEngine(dir);
    assert.strictEqual(e2.getTask('t')!.percentage, 70);
    await e2.close();
  });

  it('falls back to the newest emergency JSON when database and checkpoints are unreadable', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'jarvis_context.db'), 'not a database at all, just text that is long enough'.repeat(20));
    fs.writeFileSync(path.join(dir, 'emergency_2026-11-26T00-00-00-000Z.json'), JSON.stringify({
      created_at: '2026-11-26T00:00:00.000Z', reason: 'test', last_seq: 0, state: { goal: 'resume me' },
      tasks: [{ task_id: 't', description: 'd', status: 'in_progress', percentage: 33, completed_subtasks: [], blockers: [], agent_id: null, metadata: {}, created_at: '2026-11-26T00:00:00.000Z', updated_at: '2026-11-26T00:00:00.000Z' }],
      agents: [], decisions: [{ id: 4, ts: '2026-11-26T00:00:00.000Z', decision_type: 'p', context: 1, decision: 'kept', reasoning: 'r', outcome: null, agent_id: null, task_id: null }], messages: [],
    }));
    const e = await openEngine(dir);
    try {
      assert.strictEqual(e.recoveryReport!.loaded_from, 'emergency_json');
      assert.strictEqual(e.getTask('t')!.percentage, 33);
      assert.strictEqual(e.getContext().state.goal, 'resume me');
      assert.strictEqual((await e.getDecisions())[0].decision, 'kept');
    } finally {
      await e.close();
    }
  });

  it('rejects a write whose flush fails and never shows it later', async () => {
    const dir = tempDir();
    let failSync = false;
    const fsPort: FileSystemPort = {
      ...nodeFileSystem,
      fdatasync: async fd => {
        if (failSync) throw Object.assign(new Error('I/O error'), { code: 'EIO' });
        return nodeFileSystem.fdatasync(fd);
      },
    };
    const e = await openEngine(dir, { fs: fsPort });
    await e.updateTaskProgress('t', { percentage: 10 });
    failSync = true;
    await assert.rejects(() => e.updateTaskProgress('t', { percentage: 90 }), PersistenceError);
    assert.strictEqual(e.getTask('t')!.percentage, 10, 'the failed write is rolled back in memory too');
    assert.strictEqual(e.getStatus().persistence, 'degraded');
    failSync = false;
    await e.updateTaskProgress('t', { percentage: 20 });
    assert.strictEqual(e.getStatus().persistence, 'ok');
    await e.close();
    const e2 = await openEngine(dir);
    assert.strictEqual(e2.getTask('t')!.percentage, 20);
    assert.ok(!e2.getTaskEvents('t').some(ev => ev.changes.percentage === 90));
    await e2.close();
  });
});

describe('kill drill: SIGKILL a writer at random moments', function () {
  const kills = Number(process.env.JARVIS_KILL_DRILL_RUNS ?? 50);
  this.timeout(60_000 + kills * 5_000);

  it(`loses no acknowledged write over ${kills} kills`, async () => {
    const dir = tempDir('jarvis-drill-');
    let totalAcks = 0;
    let reportsSeen = 0;
    for (let k = 0; k < kills; k++) {
      const killAfter = 20 + Math.floor(Math.random() * 280);
      const { acks, signal, stderr } = await runWriter(dir, ['continuous'], killAfter);
      assert.strictEqual(signal, 'SIGKILL', `writer ended by itself: ${stderr}`);
      totalAcks += acks.length;
      const e = await ContextEngine.open({ folder: dir, wasmBinary: WASM, checkpointIntervalMs: 0, ...DRILL_LIMITS });
      try {
        const where = `kill ${k + 1} after ${killAfter} ms`;
        assert.ok(e.recoveryReport, `${where}: a recovery report exists`);
        assert.deepStrictEqual(e.recoveryReport.lost, [], `${where}: ${e.recoveryReport.lost.join('; ')}`);
        reportsSeen++;
        const decisions = new Set((await e.getDecisions({ limit: 10_000 })).map(d => d.decision));
        const messages = new Set((await e.getMessages({ limit: 10_000 })).map(m => m.id));
        const lastV = new Map<string, number>();
        for (const a of acks) {
          if (a.k === 'decision') assert.ok(decisions.has(a.decision as string), `${where}: lost ${a.decision}`);
          if (a.k === 'batch') {
            assert.ok(decisions.has(a.decision as string), `${where}: lost batch ${a.decision}`);
            lastV.set(`task:${a.task}`, a.v as number);
          }
          if (a.k === 'message') assert.ok(messages.has(a.id as number), `${where}: lost message ${a.id}`);
          if (a.k === 'task') lastV.set(`task:${a.id}`, a.v as number);
          if (a.k === 'agent') lastV.set(`agent:${a.id}`, a.v as number);
          if (a.k === 'context') lastV.set('context', a.v as number);
          if (a.k === 'recovery') assert.ok(e.listCheckpoints(10_000).some(c => c.checkpoint_id === a.id), `${where}: lost recovery point ${a.id}`);
        }
        for (const [key, v] of lastV) {
          const [kind, id] = key.split(':');
          const stored = kind === 'task' ? e.getTask(id)?.metadata.v : kind === 'agent' ? e.getAgent(id)?.metadata.v : e.getContext().state.v;
          // A later write may have reached the disk unacknowledged; an older value would be a loss.
          assert.ok(typeof stored === 'number' && stored >= v, `${where}: ${key} holds ${stored}, acknowledged ${v}`);
        }
        const db = path.join(dir, 'jarvis_context.db');
        if (fs.existsSync(db)) assert.strictEqual(await integrityOk(db), 'ok', where);
      } finally {
        await e.close();
      }
      assert.strictEqual(await integrityOk(path.join(dir, 'jarvis_context.db')), 'ok', `after kill ${k + 1} and a clean close`);
      // Each run starts on a folder with a clean close behind it, then crashes again.
    }
    assert.strictEqual(reportsSeen, kills);
    assert.ok(totalAcks > kills, `the writers got work acknowledged (${totalAcks} acks)`);
    const archive = fs.readdirSync(path.join(dir, 'archive'));
    assert.ok(archive.length > 0 || kills < 20, `the drill grew the history past the live limit into archive segments (${totalAcks} acks, db ${fs.statSync(path.join(dir, 'jarvis_context.db')).size} bytes)`);
  });
});
