import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/fixtures';
import { startServe, type ServeProcess } from '../support/serveProcess';

// The PostgreSQL password never stays in what `ps` shows of a running server. No PostgreSQL is
// needed: serve starts at once and replication retries in the background.

const PASSWORD = 'Sup3rSecretPw';
const URL_WITH_PASSWORD = `postgres://jarvis:${PASSWORD}@127.0.0.1:1/jarvis`;

const psArgs = (pid: number) => execFileSync('ps', ['-o', 'args=', '-p', String(pid)]).toString();

describe('cli: the database password stays out of the process list', function () {
  this.timeout(60_000);
  let running: ServeProcess | undefined;
  afterEach(async () => {
    running?.child.kill('SIGTERM');
    await running?.exited;
    running = undefined;
  });

  it('serve --database-url-file reads the URL from the file; ps never shows the password', async () => {
    const dir = tempDir();
    const file = path.join(tempDir(), 'db-url');
    fs.writeFileSync(file, `  ${URL_WITH_PASSWORD}\n`, { mode: 0o600 });
    running = await startServe(path.join(dir, 'store'), {}, ['--database-url-file', file, '--project', 'p']);
    const args = psArgs(running.child.pid!);
    assert.match(args, /--database-url-file/);
    assert.ok(!args.includes(PASSWORD), args);
    assert.ok(!running.stderr().includes('warning'), running.stderr());
    const team = await fetch(`${running.url}/team`, { headers: { authorization: `Bearer ${running.token}` } }).then(r => r.json()) as { enabled: boolean; project: string };
    assert.deepStrictEqual([team.enabled, team.project], [true, 'p'], 'the URL from the file is used');
  });

  it('serve --database-url with a password still works, warns how to avoid it, and ps no longer shows it', async () => {
    const dir = tempDir();
    running = await startServe(path.join(dir, 'store'), {}, ['--database-url', URL_WITH_PASSWORD, '--project', 'p']);
    assert.match(running.stderr(), /warning: --database-url carries a password.*--database-url-file FILE.*JARVIS_CONTEXT_DATABASE_URL/s);
    const args = psArgs(running.child.pid!);
    assert.ok(!args.includes(PASSWORD), args);
    assert.match(args, /--database-url postgres:\/\/jarvis:\*\*\*@127\.0\.0\.1:1\/jarvis/);
  });
});
