// Child of the benchmark: leaves a folder as a crash would, with `events` folded into the database
// and `journalRecords` more only in the journal, then SIGKILLs itself.
import * as path from 'path';
import { ContextEngine } from '../src/core';
import { readWasmBinary } from '../src/core/wasm';
import { eventAt, fill } from './engine';

async function main(): Promise<void> {
  const [folder, events, journalRecords] = process.argv.slice(2);
  const e = await ContextEngine.open({
    folder, wasmBinary: readWasmBinary(path.join(__dirname, '..', 'dist')), checkpointIntervalMs: 0, journalCompactBytes: 1 << 30,
  });
  await fill(e, 0, Number(events));
  await e.compact();
  const n = Number(journalRecords);
  for (let i = 0; i < n; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => e.writeBatch([eventAt(Number(events) + i + j)])));
  }
  process.kill(process.pid, 'SIGKILL');
}
main().catch(err => {
  process.stderr.write(String(err?.stack ?? err) + '\n');
  process.exit(1);
});
