// The search index (src/core/searchIndex.ts): finds what the substring check accepts over the whole
// history, live and archived, for folders written before it, and after a kill -9.
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import initSqlJs, { type Database } from 'sql.js';
import type { ContextEngine } from '../../../src/core';
import { ARCHIVE_DIR, DB_FILE } from '../../../src/core/fileNames';
import { Store } from '../../../src/core/store';
import { fold, indexTerms, LONG_RUN, matchAt, matchQuery, queryTerms, stemOf } from '../../../src/core/searchText';
import { indexStep, matchIds } from '../../../src/core/searchIndex';
import type { BatchEvent } from '../../../src/core/types';
import { search } from '../../../src/server/search';
import type { ScriptCall } from '../support/crashWriter';
import { FakeClock, openEngine, tempDir, WASM } from '../support/fixtures';
import { mulberry32 } from '../support/rng';

const WRITER = path.join(__dirname, '..', 'support', 'crashWriter.js');
const sql = () => initSqlJs({ wasmBinary: WASM as unknown as ArrayBuffer });

/** Decisions in batches of 500 (one flush each): filler that pushes a record past the newest 10 000. */
async function filler(e: ContextEngine, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i += 500) {
    const events: BatchEvent[] = [];
    for (let j = i; j < Math.min(from + n, i + 500); j++) events.push({ type: 'decision', decision_type: 'plan', context: { j }, decision: `step ${j}`, reasoning: 'routine work' });
    await e.writeBatch(events);
  }
}

async function withDb<T>(file: string, fn: (db: Database) => T): Promise<T> {
  const db = new (await sql()).Database(fs.readFileSync(file));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const count = (db: Database, q: string, p: (string | number)[] = []) => Number(db.exec(q, p)[0]?.values[0][0] ?? 0);

describe('core: search index', function () {
  this.timeout(120_000);

  it('finds through the index alone any start of a word, any part of 3+ characters of a long word, any part of Japanese', async () => {
    // Random texts mixing scripts; each query is a random piece of one of their words, of a kind
    // the index promises to find: the index must return that record (the substring check then
    // keeps exactly what the scan kept).
    const rng = mulberry32(14);
    const alphabets = ['abcdefghij', 'абвгдеёжзи', 'äöüßen', 'データベース接続再試行', 'αβγδεζ', '0123456789'];
    const word = () => {
      const a = alphabets[Math.floor(rng() * alphabets.length)];
      return Array.from({ length: 1 + Math.floor(rng() * 20) }, () => a[Math.floor(rng() * a.length)]).join('');
    };
    const s = Store.open(await sql(), undefined);
    try {
      const texts: string[] = [];
      s.exec('BEGIN');
      for (let id = 1; id <= 300; id++) {
        const text = Array.from({ length: 1 + Math.floor(rng() * 8) }, word).join(rng() < 0.5 ? ' ' : '-');
        texts.push(text);
        s.applyOp({ o: 'decision', t: 0, id, d: { decision_type: 'x', context: null, decision: text.toUpperCase(), reasoning: '' } });
      }
      // Writes leave the index alone; the catch-up indexes them.
      assert.deepStrictEqual(matchIds(s, 'decision', matchQuery(queryTerms(texts[0]))!, 10), []);
      while (indexStep(s, 128));
      s.exec('COMMIT');
      let asked = 0;
      for (let n = 0; n < 600; n++) {
        const id = 1 + Math.floor(rng() * texts.length);
        const runs = fold(texts[id - 1].toUpperCase()).match(/[\p{L}\p{N}\p{M}]+/gu)!;
        const run = runs[Math.floor(rng() * runs.length)];
        const japanese = /[\p{Script=Katakana}\p{Script=Han}]/u.test(run);
        const at = japanese || run.length >= LONG_RUN ? Math.floor(rng() * run.length) : 0;
        const piece = run.slice(at, at + 1 + Math.floor(rng() * 16));
        if (!japanese && at > 0 && piece.length < 3) continue;
        asked++;
        const ids = matchIds(s, 'decision', matchQuery(queryTerms(piece))!, 1000);
        assert.ok(ids.includes(id), `"${piece}" is in decision ${id} "${run}" but the index did not return it`);
      }
      assert.ok(asked > 400);
    } finally {
      s.close();
    }
  });

  it('stores words, and suffixes of long words and of Japanese, folded and cut to 12 characters', () => {
    assert.deepStrictEqual(indexTerms('Datenbankverbindungsfehler Ab').split(' ').slice(0, 3), ['datenbankver', 'atenbankverb', 'tenbankverbi']);
    assert.ok(indexTerms('Datenbankverbindungsfehler').split(' ').includes('verbindungsf'));
    assert.deepStrictEqual(indexTerms('接続を'), '接続を 続を を');
    assert.strictEqual(indexTerms('Failed 12345'), 'failed 12345', 'short words are stored whole');
    assert.strictEqual(matchQuery(queryTerms('Verbindung, a')), 'verbind*', 'pieces of one or two characters are left to the check');
    assert.strictEqual(matchQuery(queryTerms('接')), '接*');
  });

  it('a word finds its other forms through the index: Cyrillic, accents, any case; not words that merely contain its stem', async () => {
    assert.strictEqual(stemOf('ошибки'), 'ошиб');
    assert.strictEqual(stemOf('connection'), 'connect');
    assert.strictEqual(stemOf('tasks'), 'task');
    for (const kept of ['data', 'café', 'error404', 'データベース']) assert.strictEqual(stemOf(fold(kept)), undefined, kept);
    const texts = [
      'Ошибка соединения с базой', // 1
      'ОШИБОК больше нет', // 2
      'Надел ошейник на собаку', // 3
      'Re\u0301seau indisponible', // 4: decomposed accent
      'Failure of the nightly job', // 5
      'A terror of a bug', // 6
      'The date is fixed', // 7
      'безошибочный план', // 8: the stem inside a word, not at its start
    ];
    const s = Store.open(await sql(), undefined);
    try {
      s.exec('BEGIN');
      texts.forEach((text, i) => s.applyOp({ o: 'decision', t: 0, id: i + 1, d: { decision_type: 'x', context: null, decision: text, reasoning: '' } }));
      while (indexStep(s, 128));
      s.exec('COMMIT');
      // What the index returns, then what the check keeps: the path search takes.
      const found = (q: string) => {
        const terms = queryTerms(q);
        return matchIds(s, 'decision', matchQuery(terms)!, 100)
          .filter(id => terms.every(t => matchAt(fold(texts[id - 1]), t) >= 0)).sort((a, b) => a - b);
      };
      assert.deepStrictEqual(found('ошибки'), [1, 2]);
      assert.deepStrictEqual(found('ОШИБКА'), [1, 2]);
      assert.deepStrictEqual(found('réseaux'), [4]);
      assert.deepStrictEqual(found('failed job'), [5]);
      assert.deepStrictEqual(found('errors'), [], '"erro" inside "terror" is no form of "errors"');
      assert.deepStrictEqual(found('data'), [], 'a short word is matched as it is');
      assert.deepStrictEqual(found('ошибочный'), [8], 'the word itself still matches inside a longer one');
    } finally {
      s.close();
    }
  });

  it('finds a live match older than the newest 10 000 decisions, and a message among 10 000 newer', async () => {
    const e = await openEngine(tempDir());
    try {
      await e.logDecision({ decision_type: 'plan', context: null, decision: 'Quarantine the flaky zebra test', reasoning: 'Ошибка соединения' });
      await e.logAgentMessage({ from_agent: 'planner', to_agent: 'coder', message_type: 'note', content: { text: 'Datenbankverbindung fällt aus' } });
      await filler(e, 10_050);
      const msgs: BatchEvent[] = Array.from({ length: 10_050 }, (_, i) => ({ type: 'message', from_agent: 'a', to_agent: 'b', message_type: 'tick', content: i }));
      for (let i = 0; i < msgs.length; i += 1000) await e.writeBatch(msgs.slice(i, i + 1000));
      // Reading the newest 10 000 (today's scan) would not reach them.
      assert.ok(!(await e.getDecisions({ limit: 10_000 })).some(d => d.decision.includes('zebra')));
      assert.deepStrictEqual((await search(e, 'ZEBRA')).map(r => [r.kind, r.title]), [['decision', 'Quarantine the flaky zebra test']]);
      assert.strictEqual((await search(e, 'соединения')).length, 1);
      assert.deepStrictEqual((await search(e, 'verbindung')).map(r => r.kind), ['message']);
    } finally {
      await e.close();
    }
  });

  it('finds a match in an archive segment through the index the segment carries', async () => {
    const dir = tempDir();
    const e = await openEngine(dir, { liveDbLimitBytes: 512 * 1024 });
    try {
      await e.logDecision({ decision_type: 'plan', context: null, decision: 'データベース接続を再試行する', reasoning: 'zebra crossing' });
      for (let i = 0; i < 10_050; i += 1000) {
        await filler(e, 1000, i);
        await e.autoCheckpoint();
      }
      assert.ok(!(await e.getDecisions({ limit: 1, live_only: true }))[0].decision.includes('接続'));
      assert.ok(!(await e.getDecisions({ limit: 10_000 })).some(d => d.decision.includes('接続')), 'past the newest 10 000');
      assert.deepStrictEqual((await search(e, '接続')).map(r => r.title), ['データベース接続を再試行する']);
      assert.strictEqual((await search(e, 'zebra')).length, 1);
      // The segment holding it has it in its own index, complete: no row of it is read to find it.
      const segs = fs.readdirSync(path.join(dir, ARCHIVE_DIR));
      const holding = [];
      for (const f of segs) {
        holding.push(await withDb(path.join(dir, ARCHIVE_DIR, f), db => [
          count(db, "SELECT COUNT(*) FROM search_decision WHERE terms MATCH '接続*'"), count(db, 'SELECT SUM(unindexed) FROM search_progress')]));
      }
      assert.deepStrictEqual(holding.filter(([hits]) => hits > 0), [[1, 0]]);
      // The live index let go of what moved.
      await e.compact();
      assert.strictEqual(await withDb(path.join(dir, DB_FILE), db => count(db, "SELECT COUNT(*) FROM search_decision WHERE terms MATCH '接続*'")), 0);
    } finally {
      await e.close();
    }
  });

  it('builds the index of a folder written before it, live and archived, searching the rows it does not cover yet meanwhile', async () => {
    const dir = tempDir();
    let e = await openEngine(dir, { liveDbLimitBytes: 96 * 1024 });
    await e.logDecision({ decision_type: 'plan', context: null, decision: 'Old zebra in a segment', reasoning: '' });
    await filler(e, 600);
    await e.autoCheckpoint();
    await e.logDecision({ decision_type: 'plan', context: null, decision: 'Live zebra, still live', reasoning: 'Ошибка' });
    await e.close();
    // As a version before the index left it: no index tables, in the database or in the segments.
    const strip = async (file: string) => {
      const db = new (await sql()).Database(fs.readFileSync(file));
      db.exec('DROP TABLE search_decision; DROP TABLE search_message; DROP TABLE search_span; DROP TABLE search_progress');
      fs.writeFileSync(file, db.export());
      db.close();
    };
    await strip(path.join(dir, DB_FILE));
    const segs = fs.readdirSync(path.join(dir, ARCHIVE_DIR));
    assert.ok(segs.length > 0, 'nothing was archived');
    for (const f of segs) await strip(path.join(dir, ARCHIVE_DIR, f));

    e = await openEngine(dir);
    try {
      // At once: the rows not indexed yet are read, nothing is missed.
      assert.deepStrictEqual((await search(e, 'zebra')).map(r => r.title).sort(), ['Live zebra, still live', 'Old zebra in a segment']);
      await e.searchIndexBuilt();
      assert.deepStrictEqual((await search(e, 'zebra')).map(r => r.title).sort(), ['Live zebra, still live', 'Old zebra in a segment']);
      assert.strictEqual((await search(e, 'ошибка')).length, 1);
    } finally {
      await e.close();
    }
    let inSegments = 0;
    for (const f of fs.readdirSync(path.join(dir, ARCHIVE_DIR))) {
      inSegments += await withDb(path.join(dir, ARCHIVE_DIR, f), db => {
        assert.strictEqual(count(db, 'SELECT SUM(unindexed) FROM search_progress'), 0, `segment ${f} was indexed`);
        assert.strictEqual(count(db, "SELECT COUNT(*) FROM search_decision WHERE terms MATCH 'plan*'"), count(db, 'SELECT COUNT(*) FROM decision_log'));
        return count(db, "SELECT COUNT(*) FROM search_decision WHERE terms MATCH 'zebra*'");
      });
    }
    assert.strictEqual(inSegments, 1, 'the old zebra is in its segment\'s index');
    await withDb(path.join(dir, DB_FILE), db => {
      assert.strictEqual(count(db, 'SELECT SUM(unindexed) FROM search_progress'), 0, 'the live rows were all indexed');
      assert.strictEqual(count(db, "SELECT COUNT(*) FROM search_decision WHERE terms MATCH 'zebra*'"), 1);
      assert.strictEqual(count(db, "SELECT COUNT(*) FROM search_decision WHERE terms MATCH 'plan*'"), count(db, 'SELECT COUNT(*) FROM decision_log'));
    });
  });

  it('writes leave the index alone: a record is found right after its ack, and the index catches up within a second or so', async () => {
    const dir = tempDir();
    const e = await openEngine(dir);
    try {
      await e.logDecision({ decision_type: 'plan', context: null, decision: 'Quarantine the flaky zebra test', reasoning: '' });
      await e.logAgentMessage({ from_agent: 'planner', to_agent: 'coder', message_type: 'note', content: { text: 'Datenbankverbindung fällt aus' } });
      // Not in the index yet: found by reading the rows above its high-water mark.
      assert.deepStrictEqual(e.searchIndexTrailing(), { decision: 1, message: 1, span: 0 });
      assert.deepStrictEqual((await search(e, 'zebra')).map(r => r.title), ['Quarantine the flaky zebra test']);
      assert.deepStrictEqual((await search(e, 'verbindung')).map(r => r.kind), ['message']);
      // Nothing asks for it: the catch-up runs on its own once the writes pause (reading how far it
      // trails does not start it; waited for with a deadline a loaded machine meets).
      const t0 = Date.now();
      while (e.searchIndexTrailing().decision + e.searchIndexTrailing().message > 0 && Date.now() - t0 < 20_000) await new Promise(resolve => setTimeout(resolve, 50));
      assert.deepStrictEqual(e.searchIndexTrailing(), { decision: 0, message: 0, span: 0 });
      assert.deepStrictEqual((await search(e, 'zebra')).map(r => r.title), ['Quarantine the flaky zebra test']);
      // Under a steady stream of writes it does not wait for a pause.
      let trailedAtMost = Infinity;
      for (let i = 0; i < 60; i++) {
        await e.logDecision({ decision_type: 'plan', context: null, decision: `stream ${i}`, reasoning: '' });
        if (i >= 50) trailedAtMost = Math.min(trailedAtMost, e.searchIndexTrailing().decision);
        await new Promise(resolve => setTimeout(resolve, 40));
      }
      assert.ok(trailedAtMost < 50, `the index trailed by ${trailedAtMost} of 60 decisions written over 2.4 s`);
      assert.strictEqual((await search(e, 'stream', 100)).length, 60);
      await e.searchIndexBuilt();
      assert.strictEqual(e.searchIndexTrailing().decision, 0);
    } finally {
      await e.close();
    }
    await withDb(path.join(dir, DB_FILE), db => {
      assert.strictEqual(count(db, "SELECT COUNT(*) FROM search_decision WHERE terms MATCH 'zebra*'"), 1);
      assert.strictEqual(count(db, "SELECT COUNT(*) FROM search_decision WHERE terms MATCH 'stream*'"), 60);
      assert.strictEqual(count(db, "SELECT COUNT(*) FROM search_message WHERE terms MATCH 'verbindung*'"), 1);
      assert.strictEqual(count(db, "SELECT indexed_to FROM search_progress WHERE kind = 'decision'"), count(db, 'SELECT MAX(id) FROM decision_log'));
    });
  });

  it('a write acknowledged and then lost by a kill -9 is searchable, through the index, after replay', async () => {
    const calls: ScriptCall[] = [
      { call: 'decision', d: { decision_type: 'retry', context: null, decision: 'Повторить загрузку после ошибки соединения', reasoning: '' } },
      { call: 'message', d: { from_agent: 'planner', to_agent: 'coder', message_type: 'handoff', content: { note: 'Datenbankverbindungsfehler melden' } } },
      { call: 'decision', d: { decision_type: 'plan', context: null, decision: 'データベース接続を再試行する', reasoning: '' } },
    ];
    const dir = tempDir();
    const script = path.join(tempDir('jarvis-script-'), 'calls.json');
    fs.writeFileSync(script, JSON.stringify(calls));
    const acks = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--enable-source-maps', WRITER, dir, 'script', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', d => (out += d));
      child.on('error', reject);
      child.on('exit', (_c, signal) => (signal === 'SIGKILL' ? resolve(out) : reject(new Error(`writer ended with ${signal}`))));
    });
    assert.strictEqual(acks.split('\n').filter(l => l.includes('"k":"call"')).length, 3, 'every write was acknowledged before the kill');
    const e = await openEngine(dir);
    try {
      assert.ok(e.recoveryReport, 'the run crashed');
      assert.strictEqual((await search(e, 'ошибки')).length, 1);
      assert.deepStrictEqual((await search(e, 'verbindung')).map(r => r.kind), ['message']);
      assert.strictEqual((await search(e, '接続')).length, 1);
      // The replayed rows are indexed by the catch-up, not by the replay.
      await e.searchIndexBuilt();
      assert.deepStrictEqual(e.searchIndexTrailing(), { decision: 0, message: 0, span: 0 });
      assert.strictEqual((await search(e, '接続')).length, 1);
    } finally {
      await e.close();
    }
    await withDb(path.join(dir, DB_FILE), db => {
      assert.strictEqual(count(db, 'SELECT SUM(unindexed) FROM search_progress'), 0);
      assert.strictEqual(count(db, "SELECT COUNT(*) FROM search_decision WHERE terms MATCH 'ошибки*'"), 1);
      assert.strictEqual(count(db, "SELECT COUNT(*) FROM search_message WHERE terms MATCH 'verbindungsf*'"), 1);
    });
  });

  it('cleanup removes the index terms of what it deletes, live and in segments', async () => {
    const clock = new FakeClock();
    const dir = tempDir();
    const e = await openEngine(dir, { clock, liveDbLimitBytes: 96 * 1024 });
    try {
      await e.logDecision({ decision_type: 'plan', context: null, decision: 'old zebra', reasoning: '' });
      await filler(e, 600);
      await e.autoCheckpoint();
      await e.logDecision({ decision_type: 'plan', context: null, decision: 'old live zebra', reasoning: '' });
      clock.advance(10 * 86_400_000);
      await e.logDecision({ decision_type: 'plan', context: null, decision: 'new zebra', reasoning: '' });
      assert.strictEqual((await search(e, 'zebra')).length, 3);
      await e.cleanup({ olderThanDays: 5 });
      assert.deepStrictEqual((await search(e, 'zebra')).map(r => r.title), ['new zebra']);
      await e.searchIndexBuilt();
      await e.compact();
      await withDb(path.join(dir, DB_FILE), db => {
        assert.strictEqual(count(db, "SELECT COUNT(*) FROM search_decision WHERE terms MATCH 'plan*'"), count(db, 'SELECT COUNT(*) FROM decision_log'));
      });
    } finally {
      await e.close();
    }
  });
  it('waiting for the catch-up keeps a process alive that has nothing else to do (its own timers do not)', async () => {
    const waiter = path.join(__dirname, '..', 'support', 'searchWaiter.js');
    const child = spawn(process.execPath, ['--enable-source-maps', waiter, tempDir()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (err += d));
    const code = await new Promise(resolve => child.on('exit', resolve));
    assert.strictEqual(code, 0, err);
    const [trailing, done] = out.trim().split('\n');
    assert.strictEqual(done, 'done', `the process ended while waiting: ${out} ${err}`);
    assert.deepStrictEqual(Object.values(JSON.parse(trailing)).reduce((a: number, b) => a + (b as number), 0), 0);
  });

  it('closing while the catch-up steps under load finishes the close (no sleep begins after stop)', async function () {
    this.timeout(60_000);
    // The race (close during a paced step) is timing-bound: several processes at once, each ending
    // at another moment, hit it in about one run of seven without the fix.
    const script = path.join(__dirname, '..', 'support', 'closeWhileIndexing.js');
    const runs = await Promise.all([1100, 1230, 1370, 1490, 1610, 1750].map(ms => new Promise<string>(resolve => {
      const child = spawn(process.execPath, ['--enable-source-maps', script, tempDir(), String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', d => (out += d));
      child.on('exit', code => resolve(`${code} ${out.trim()}`));
    })));
    assert.deepStrictEqual(runs, runs.map(() => '0 closed'), 'a process ended in the middle of close()');
  });
});

