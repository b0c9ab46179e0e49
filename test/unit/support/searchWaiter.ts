// A process whose only work is to write and then wait for the search index to catch up: nothing
// else holds it open, as in a script or a benchmark. Prints the rows left unindexed, then "done".
import { ContextEngine } from '../../../src/core';
import { WASM } from './fixtures';

async function main(): Promise<void> {
  const engine = await ContextEngine.open({ folder: process.argv[2], wasmBinary: WASM, checkpointIntervalMs: 0 });
  // Writes for 1.5 s without a pause, so the catch-up is under way, pacing itself, when the wait begins.
  const until = Date.now() + 1500;
  for (let i = 0; Date.now() < until; i++) {
    await engine.writeBatch(Array.from({ length: 20 }, (_, k) => ({ type: 'message' as const, from_agent: 'a', to_agent: 'b', message_type: 'note', content: `Nachricht ${i}.${k} über die Datenbankverbindung` })));
  }
  await engine.searchIndexBuilt();
  process.stdout.write(`${JSON.stringify(engine.searchIndexTrailing())}\n`);
  await engine.close();
  process.stdout.write('done\n');
}

void main();
