// A child process that opens an engine, writes, prints every acknowledged message id on stdout,
// then exits with the given code WITHOUT close(): a host whose shutdown was cut short.
//   node exitWriter.js <folder> <exit code> <release: 0|1> <acknowledged writes> <writes left in flight>
import { ContextEngine } from '../../../src/core';
import { WASM } from './fixtures';

const [folder, code, release, acked, inFlight] = process.argv.slice(2);

async function main(): Promise<void> {
  const engine = await ContextEngine.open({ folder, wasmBinary: WASM, checkpointIntervalMs: 0, journalCompactBytes: 16 * 1024, releaseOnCleanExit: release === '1' });
  for (let i = 0; i < Number(acked); i++) {
    const m = await engine.logAgentMessage({ from_agent: 'a', to_agent: 'b', message_type: 'note', content: { i } });
    process.stdout.write(`${m.id}\n`);
  }
  // Writes submitted and not yet acknowledged when the process goes.
  for (let i = 0; i < Number(inFlight); i++) void engine.logAgentMessage({ from_agent: 'a', to_agent: 'b', message_type: 'late', content: { i } }).catch(() => undefined);
  process.exit(Number(code));
}
main().catch(err => {
  process.stderr.write(String(err?.stack ?? err) + '\n');
  process.exit(9);
});
