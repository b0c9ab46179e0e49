import * as assert from 'assert';
import { activate, terminalEnv, type TestApi } from '../harness';

describe('integrated terminals', function () {
  let api: TestApi;

  before(async function () {
    api = await activate();
  });

  it('carry JARVIS_CONTEXT_URL and JARVIS_CONTEXT_TOKEN of the running server', async function () {
    const server = api.testing.sessions.current!.server!;
    assert.strictEqual(await terminalEnv('jarvis-env'), `${server.url}\n${server.token}\n`);
  });
});
