import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { activate, freePort, terminalEnv, type TestApi, waitFor } from '../harness';

const config = () => vscode.workspace.getConfiguration('jarvis');
const W = vscode.ConfigurationTarget.Workspace;

describe('settings take effect', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
  });

  after(async function () {
    for (const key of ['server.port', 'server.enabled', 'contextPath']) await config().update(key, undefined, W);
    await waitFor(() => {
      const s = api.testing.sessions.current!;
      return s.state === 'ready' && s.server && !s.engine!.folder.includes('jarvis-moved');
    }, 'defaults restored');
  });

  it('jarvis.server.port restarts the server on that port and updates terminals', async function () {
    const port = await freePort();
    await config().update('server.port', port, W);
    const session = api.testing.sessions.current!;
    await waitFor(() => session.server?.url.includes(`:${port}/`), `server on port ${port}`);
    const res = await fetch(session.server!.url + '/status', { headers: { Authorization: `Bearer ${session.server!.token}` } });
    assert.strictEqual(res.status, 200);
    assert.strictEqual((await terminalEnv('after-port')).split('\n')[0], session.server!.url);
  });

  it('jarvis.server.enabled=false stops the server and clears the terminal variables', async function () {
    const session = api.testing.sessions.current!;
    const url = session.server!.url;
    await config().update('server.enabled', false, W);
    await waitFor(() => !session.server, 'server stopped');
    await assert.rejects(fetch(url + '/status'));
    assert.strictEqual(await terminalEnv('after-disable'), '\n\n');
    await config().update('server.enabled', undefined, W);
    await waitFor(() => session.server, 'server back');
  });

  it('jarvis.contextPath reopens the engine in the new folder, closing the old one cleanly', async function () {
    const session = api.testing.sessions.current!;
    const oldFolder = session.engine!.folder;
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-moved-'));
    await config().update('contextPath', target, W);
    await waitFor(() => session.engine?.folder === target, 'engine on the new folder');
    assert.ok(!fs.existsSync(path.join(oldFolder, 'CRASH_DETECTED')), 'old engine not closed cleanly');
    assert.ok(fs.existsSync(path.join(target, 'CRASH_DETECTED')), 'new engine not running');
    await waitFor(() => api.testing.views.agents.getChildren().length === 0, 'views show the empty new store');
    await config().update('contextPath', undefined, W);
    await waitFor(() => session.engine?.folder === oldFolder, 'engine back on the workspace storage');
    await waitFor(() => api.testing.views.agents.describe('planner'), 'old data back in the views');
  });
});
