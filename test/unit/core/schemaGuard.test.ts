import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import initSqlJs from 'sql.js';
import { ARCHIVE_DIR, CHECKPOINT_DIR, DB_FILE } from '../../../src/core';
import { MemoryLogger, openEngine, tempDir, WASM } from '../support/fixtures';

// A database planted in the folder (or edited in place) holds our schema and nothing else once opened.

const decision = (text: string) => ({ decision_type: 'review', context: 'release', decision: text, reasoning: 'checked' });

/** Runs `sql` on a database image, as someone with write access to the folder would. */
async function plant(file: string, sql: string, gzip = false): Promise<void> {
  const SQL = await initSqlJs({ wasmBinary: WASM as unknown as ArrayBuffer });
  const raw = fs.readFileSync(file);
  const db = new SQL.Database(gzip ? zlib.gunzipSync(raw) : raw);
  try {
    db.exec(sql);
    const out = Buffer.from(db.export());
    fs.writeFileSync(file, gzip ? zlib.gzipSync(out) : out);
  } finally {
    db.close();
  }
}

async function schemaObjects(file: string): Promise<string[]> {
  const SQL = await initSqlJs({ wasmBinary: WASM as unknown as ArrayBuffer });
  const db = new SQL.Database(fs.readFileSync(file));
  try {
    return (db.exec('SELECT type, name FROM sqlite_master')[0]?.values ?? []).map(([t, n]) => `${t} ${n}`);
  } finally {
    db.close();
  }
}

const TAMPER = `
CREATE TRIGGER tamper AFTER INSERT ON decision_log BEGIN UPDATE decision_log SET decision = 'TAMPERED' WHERE id = NEW.id; END;
CREATE VIEW planted_view AS SELECT * FROM decision_log;
CREATE TABLE planted_table (x TEXT);
CREATE INDEX planted_index ON decision_log(decision);
DROP INDEX decision_log_task;
CREATE UNIQUE INDEX decision_log_task ON decision_log(decision_type);
`;
// The last one is ours by name, redefined to refuse every second decision of a type: made again as ours.
const PLANTED = ['index decision_log_task', 'index planted_index', 'table planted_table', 'trigger tamper', 'view planted_view'];
const named = (objs: { type: string; name: string }[] | undefined) => objs?.map(o => `${o.type} ${o.name}`).sort();

describe('schema guard: a planted database', () => {
  it('drops a trigger, a view and objects not ours from the database file; writes are stored as written, the report and log name them', async () => {
    const dir = tempDir();
    let e = await openEngine(dir);
    await e.logDecision(decision('first'));
    await e.close();
    await plant(path.join(dir, DB_FILE), TAMPER);

    const log = new MemoryLogger();
    e = await openEngine(dir, { logger: log });
    await e.logDecision(decision('Security review approved by alice'));
    assert.deepStrictEqual((await e.getDecisions()).map(d => d.decision), ['Security review approved by alice', 'first']);
    const report = e.recoveryReport;
    assert.ok(report, 'a report is written when the database held objects not ours');
    assert.deepStrictEqual(named(report.foreign_objects_dropped), PLANTED);
    const warned = log.lines.filter(l => l.level === 'warn').map(l => l.text).join('\n');
    for (const name of ['tamper', 'planted_view', 'planted_table', 'planted_index']) assert.match(warned, new RegExp(name));
    await e.close();

    // Gone from the file itself, and the decisions read back as written.
    const objects = await schemaObjects(path.join(dir, DB_FILE));
    for (const p of PLANTED.filter(p => p !== 'index decision_log_task')) assert.ok(!objects.includes(p), `${p} is still in the file`);
    assert.ok(objects.includes('index decision_log_task'), 'our index is made again');
    e = await openEngine(dir);
    try {
      await e.logDecision(decision('third'));
      assert.deepStrictEqual((await e.getDecisions()).map(d => d.decision), ['third', 'Security review approved by alice', 'first']);
      assert.strictEqual(e.recoveryReport, undefined, 'a clean file needs no report');
    } finally {
      await e.close();
    }
  });

  it('drops a trigger from a rotated image under checkpoints/ when the chain falls back to it', async () => {
    const dir = tempDir();
    let e = await openEngine(dir);
    await e.logDecision(decision('first'));
    await e.close();
    const images = fs.readdirSync(path.join(dir, CHECKPOINT_DIR)).filter(f => f.endsWith('.gz'));
    assert.ok(images.length > 0, 'a close leaves an image');
    for (const img of images) await plant(path.join(dir, CHECKPOINT_DIR, img), TAMPER, true);
    fs.writeFileSync(path.join(dir, DB_FILE), 'not a database');

    e = await openEngine(dir);
    try {
      assert.strictEqual(e.recoveryReport?.loaded_from, 'recovery_checkpoint');
      assert.deepStrictEqual(named(e.recoveryReport?.foreign_objects_dropped), PLANTED);
      await e.logDecision(decision('second'));
      assert.deepStrictEqual((await e.getDecisions()).map(d => d.decision), ['second', 'first']);
    } finally {
      await e.close();
    }
  });

  it('ignores a trigger and a table planted in an archive segment, said once in the log', async () => {
    const dir = tempDir();
    let e = await openEngine(dir, { liveDbLimitBytes: 48 * 1024 });
    for (let i = 0; i < 400; i++) await e.logDecision(decision(`d${i} ${'x'.repeat(200)}`));
    await e.autoCheckpoint();
    assert.ok(e.getMetrics().archive_bytes > 0, 'nothing was archived');
    await e.close();
    const segments = fs.readdirSync(path.join(dir, ARCHIVE_DIR)).filter(f => f.endsWith('.sqlite'));
    assert.ok(segments.length > 0);
    for (const seg of segments) await plant(path.join(dir, ARCHIVE_DIR, seg), `CREATE TABLE planted_table (x TEXT);
      CREATE TRIGGER seg_tamper AFTER DELETE ON decision_log BEGIN INSERT INTO planted_table VALUES (OLD.decision); END;`);

    const log = new MemoryLogger();
    e = await openEngine(dir, { logger: log, liveDbLimitBytes: 48 * 1024 });
    try {
      const all = await e.getDecisions({ limit: 10_000 });
      assert.strictEqual(all.length, 400);
      assert.strictEqual(all[399].decision.slice(0, 3), 'd0 ');
      await e.getDecisions({ limit: 10_000 });
      const warned = log.lines.filter(l => l.level === 'warn' && /archive segment .* not of our schema/.test(l.text)).map(l => l.text);
      assert.strictEqual(warned.length, segments.length, warned.join('\n'));
      assert.match(warned[0], /trigger seg_tamper/);
      assert.match(warned[0], /table planted_table/);
    } finally {
      await e.close();
    }
  });
});
