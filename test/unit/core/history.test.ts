// A store's history (history.ts): a load that does not continue the newest history starts a new
// one, sequence numbers never repeat within a folder, and recovery says what was lost.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { epochOf } from '../../../src/core/history';
import { openEngine, tempDir } from '../support/fixtures';

const decide = (n: number) => ({ decision_type: 'step', context: { n }, decision: `decision ${n}`, reasoning: 'r' });

/** A folder with `before` decisions folded into an image, then `after` more folded into a newer one. */
async function folderWithTwoImages(before: number, after: number): Promise<{ dir: string; images: string[]; seq: number }> {
  const dir = tempDir();
  // A clean close folds the journal and writes the database's image.
  let e = await openEngine(dir);
  for (let i = 1; i <= before; i++) await e.logDecision(decide(i));
  await e.close();
  e = await openEngine(dir);
  for (let i = before + 1; i <= before + after; i++) await e.logDecision(decide(i));
  await e.close();
  const seq = e.journalSeq;
  const images = fs.readdirSync(path.join(dir, 'checkpoints')).filter(f => f.startsWith('image_')).sort();
  return { dir, images, seq };
}

describe('history: forks and what recovery says was lost', () => {
  it('database corrupt and the newest image gone: the older image loads, a new history starts past the highest sequence, the report counts the loss by kind', async () => {
    const { dir, images, seq } = await folderWithTwoImages(20, 30);
    assert.ok(images.length >= 2, `two images expected: ${images}`);
    fs.writeFileSync(path.join(dir, 'jarvis_context.db'), 'not a database');
    fs.unlinkSync(path.join(dir, 'checkpoints', images[images.length - 1]));

    const e = await openEngine(dir);
    try {
      const report = e.recoveryReport!;
      assert.ok(report, 'a report is written');
      assert.strictEqual(report.loaded_from, 'recovery_checkpoint');
      assert.ok(report.new_history, 'the load starts a new history');
      const lost = report.lost_records!;
      assert.ok(lost, JSON.stringify(report.lost));
      assert.strictEqual(lost.to, seq);
      assert.strictEqual(lost.by_kind?.decision, 30, JSON.stringify(lost));
      assert.ok(report.lost.some(l => l.includes(`to ${seq}`)), report.lost.join('\n'));
      // New records continue past everything the folder had acknowledged, in the new history.
      const before = e.journalSeq;
      assert.ok(before > seq, `sequence ${before} continues past ${seq}`);
      await e.logDecision(decide(999));
      const epochs = e.epochs;
      assert.strictEqual(epochs.length, 1);
      assert.ok(epochs[0].after >= seq);
      assert.strictEqual(epochOf(epochs, e.journalSeq), epochs[0].id);
      assert.strictEqual(epochOf(epochs, seq), '');
    } finally {
      await e.close();
    }
    // The fork is durable: reopened, the same history continues.
    const again = await openEngine(dir);
    try {
      assert.strictEqual(again.epochs.length, 1);
      assert.strictEqual(again.recoveryReport, undefined);
    } finally {
      await again.close();
    }
  });

  it('database and journal both gone: the newest readable image loads (never an empty store), with a report and a new history', async () => {
    const { dir, images, seq } = await folderWithTwoImages(10, 15);
    fs.unlinkSync(path.join(dir, 'jarvis_context.db'));
    fs.unlinkSync(path.join(dir, 'journal.jsonl'));
    const e = await openEngine(dir);
    try {
      const report = e.recoveryReport!;
      assert.ok(report, 'a report is written');
      assert.strictEqual(report.loaded_from, 'recovery_checkpoint');
      assert.strictEqual(report.restored.decisions, 25, `the newest image ${images[images.length - 1]} holds every decision`);
      assert.ok(report.new_history);
      assert.strictEqual((await e.getDecisions({ limit: 100 })).length, 25);
      assert.ok(e.journalSeq >= seq);
    } finally {
      await e.close();
    }
  });

  it('a clean restart continues the same history: no fork, no report', async () => {
    const dir = tempDir();
    const e = await openEngine(dir);
    await e.logDecision(decide(1));
    await e.close();
    const again = await openEngine(dir);
    try {
      assert.deepStrictEqual(again.epochs, []);
      assert.strictEqual(again.recoveryReport, undefined);
    } finally {
      await again.close();
    }
  });
});
