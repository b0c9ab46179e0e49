// A process that writes without a pause, so the search index catches up in paced steps, then closes
// the engine at once (as a benchmark section or a script ends): prints "closed" once close() returns.
import { ContextEngine } from '../../../src/core';
import { WASM } from './fixtures';

async function main(): Promise<void> {
  const engine = await ContextEngine.open({ folder: process.argv[2], wasmBinary: WASM, checkpointIntervalMs: 0 });
  const until = Date.now() + Number(process.argv[3] ?? 1500);
  for (let i = 0; Date.now() < until; i++) {
    await engine.writeBatch(Array.from({ length: 20 }, (_, k) => ({ type: 'message' as const, from_agent: 'a', to_agent: 'b', message_type: 'note', content: `message ${i}.${k} about the database connection` })));
  }
  await engine.close();
  process.stdout.write('closed\n');
}

void main();
