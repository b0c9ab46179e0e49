// JarvisSaver against LangGraph's own checkpointer validation suite (1.1.1), under the saver's own
// name, so "should only store channel_values that have changed" runs too (the stock savers skip
// it). The server is the real one: `jarvis-context serve` on a temporary folder.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { deltaChannelHistoryTests, specTest } from '@langchain/langgraph-checkpoint-validation';
import { JarvisSaver } from '../../clients/typescript/src/langgraph';
import { startServe, type ServeProcess } from '../unit/support/serveProcess';

let server: ServeProcess | undefined;
const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-lg-validation-'));

const initializer = {
  checkpointerName: 'JarvisSaver',
  beforeAllTimeout: 60_000,
  async beforeAll() {
    server = await startServe(folder);
  },
  async afterAll() {
    server?.child.kill('SIGTERM');
    await server?.exited;
    fs.rmSync(folder, { recursive: true, force: true });
  },
  async createCheckpointer() {
    // No spool: a failure to reach the server must fail the test, not be answered locally.
    const saver = new JarvisSaver({ url: server!.url, token: server!.token, spool: false, contextPath: folder });
    // Each set of tests starts on an empty store, as with a new stock saver.
    await wipe(saver);
    return saver;
  },
  async destroyCheckpointer(saver: JarvisSaver) {
    await wipe(saver);
    saver.dispose();
  },
};

async function wipe(saver: JarvisSaver): Promise<void> {
  const threads = new Set<string>();
  for await (const t of saver.list({})) threads.add(String(t.config.configurable?.thread_id));
  for (const id of threads) await saver.deleteThread(id);
}

specTest(initializer);
deltaChannelHistoryTests(initializer);
