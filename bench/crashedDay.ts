// Child of the activation measurement (crash suite, bench): leaves a day-sized folder as a crash
// would: `events` events of history, `tasks` tasks of a busy day (a recovery point at every step),
// then `journalRecords` records only in the journal; then it SIGKILLs itself.
//   node crashedDay.js <folder> <events> <tasks> <journal records>
import * as path from 'path';
import { ContextEngine, type JsonObject } from '../src/core';
import { readWasmBinary } from '../src/core/wasm';
import { busyTask } from './busyDay';
import { eventAt, fill } from './engine';

async function main(): Promise<void> {
  const [folder, events, tasks, journalRecords] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a))) as [string, number, number, number];
  const e = await ContextEngine.open({
    folder, wasmBinary: readWasmBinary(path.join(__dirname, '..', 'dist')), checkpointIntervalMs: 0, journalCompactBytes: 1 << 30,
  });
  await fill(e, 0, events);
  const history: JsonObject[] = [];
  for (let i = 0; i < tasks; i++) {
    await busyTask(e, i, history);
    await e.autoCheckpoint();
  }
  await e.compact();
  for (let i = 0; i < journalRecords; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, journalRecords - i) }, (_, j) => e.writeBatch([eventAt(events + i + j)])));
  }
  process.stdout.write(`crashed day: ${events} events, ${tasks} tasks, ${journalRecords} journal records in ${folder}\n`);
  process.kill(process.pid, 'SIGKILL');
}
main().catch(err => {
  process.stderr.write(String(err?.stack ?? err) + '\n');
  process.exit(1);
});
