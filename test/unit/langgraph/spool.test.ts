// A graph process that wrote while no server was there, and exited: its spool waits in the storage
// folder, and the next JarvisSaver on the folder sends it once a server answers.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { JarvisSaver } from '../../../clients/typescript/src/langgraph';
import { tempDir } from '../support/fixtures';
import { startServe } from '../support/serveProcess';

describe('LangGraph: a spool left by a process that exited', function () {
  this.timeout(60_000);

  it('is sent by the next saver on the folder, once a server answers', async () => {
    const folder = tempDir('jarvis-lg-spool-');
    try {
      assert.strictEqual(execFileSync(process.execPath, [path.join(__dirname, 'putOnce.js'), folder, 't', 'while away'], { encoding: 'utf8' }), 'put\n');
      const left = fs.readdirSync(folder).filter(n => n.startsWith('langgraph.spool.'));
      assert.strictEqual(left.length, 1);
      const server = await startServe(folder);
      const saver = new JarvisSaver({ contextPath: folder, env: {} });
      try {
        assert.strictEqual(await saver.flush(), true);
        assert.deepStrictEqual(fs.readdirSync(folder).filter(n => n.startsWith('langgraph.spool.')), []);
        const remote = new JarvisSaver({ url: server.url, token: server.token, spool: false, env: {} });
        const t = await remote.getTuple({ configurable: { thread_id: 't' } });
        remote.dispose();
        assert.strictEqual(t?.checkpoint.channel_values.value, 'while away');
      } finally {
        saver.dispose();
        server.child.kill('SIGTERM');
        await server.exited;
      }
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
