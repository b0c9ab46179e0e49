// A process that puts one checkpoint with JarvisSaver on a storage folder and exits without
// flushing: with no server there, the put is spooled and the spool is left for the next saver.
// argv: folder thread value
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { JarvisSaver } from '../../../clients/typescript/src/langgraph';

async function main(): Promise<void> {
  const [folder, thread, value] = process.argv.slice(2);
  const saver = new JarvisSaver({ contextPath: folder, env: {} });
  const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { value }, channel_versions: { value: 1 } };
  await saver.put({ configurable: { thread_id: thread, checkpoint_ns: '' } }, checkpoint, { source: 'input', step: -1, parents: {} }, { value: 1 });
  saver.dispose();
  process.stdout.write('put\n');
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
