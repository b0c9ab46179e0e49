// A graph process for the drills: runs the graph on a thread with JarvisSaver (the server found
// through the storage folder's endpoint.json), then sends anything it spooled before exiting.
// argv: folder thread effects [hold] [resume]
import { JarvisSaver } from '../../../clients/typescript/src/langgraph';
import { buildGraph } from './graph';

async function main(): Promise<void> {
  const [folder, thread, effectsFile, hold, resume] = process.argv.slice(2);
  const saver = new JarvisSaver({ contextPath: folder, env: {} });
  const graph = buildGraph(saver, { effects: effectsFile, hold: hold || undefined });
  const config = { configurable: { thread_id: thread } };
  const out = await graph.invoke(resume === 'resume' ? null : { messages: [] }, config);
  process.stdout.write(`done ${JSON.stringify(out.log)}\n`);
  // The server may be away: the spool waits for it (a bounded wait; the test restarts it).
  for (let i = 0; i < 600 && !(await saver.flush()); i++) await new Promise(r => setTimeout(r, 100));
  saver.dispose();
  process.stdout.write('flushed\n');
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
