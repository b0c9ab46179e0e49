// The jarvis-context command line as users run it: node dist/cli.js, real folders, real servers.
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { request } from '../server/support';

const CLI = path.resolve(__dirname, '../../../../dist/cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, JARVIS_CONTEXT_PATH: '', ...env }, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', code => resolve({ code, stdout, stderr }));
  });
}

interface Serving {
  child: ChildProcess;
  url: string;
  token: string;
  exit: Promise<number | null>;
  stdout: () => string;
}

function serve(folder: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Serving> {
  const child = spawn(process.execPath, [CLI, 'serve', '--path', folder, '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const exit = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        const ep = JSON.parse(fs.readFileSync(path.join(folder, 'endpoint.json'), 'utf8'));
        resolve({ child, url: m[1], token: ep.token, exit, stdout: () => out });
      }
    });
    void exit.then(code => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-cli-'));
}

function json(r: Run): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.strictEqual(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('cli', function () {
  this.timeout(60_000);
  let dirs: string[] = [];
  const dir = (): string => {
    const d = tmp();
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    dirs = [];
  });

  it('keeps the #!/usr/bin/env node line of the bundle', () => {
    assert.ok(fs.readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n'));
  });

  it('prints help for the program and each command; wrong usage exits 2', async () => {
    const top = await cli(['--help']);
    assert.strictEqual(top.code, 0);
    assert.match(top.stdout, /Usage: jarvis-context <command>/);
    for (const c of ['serve', 'status', 'checkpoint', 'recover', 'report', 'export', 'cleanup', 'env']) {
      const r = await cli([c, '--help']);
      assert.strictEqual(r.code, 0, c);
      assert.match(r.stdout, new RegExp(`Usage: jarvis-context ${c}`));
    }
    assert.strictEqual((await cli([])).code, 2);
    const unknown = await cli(['frobnicate']);
    assert.strictEqual(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const badOption = await cli(['status', '--bogus']);
    assert.strictEqual(badOption.code, 2);
    assert.match(badOption.stderr, /bogus/);
    assert.strictEqual((await cli(['cleanup', '--path', dir()])).code, 2, 'cleanup needs --older-than-days');
    assert.strictEqual((await cli(['cleanup', '--older-than-days', 'soon', '--path', dir()])).code, 2);
    assert.strictEqual((await cli(['report', '--format', 'pdf', '--path', dir()])).code, 2);
    assert.strictEqual((await cli(['serve', '--port', 'http', '--path', dir()])).code, 2);
  });

  it('fails clearly on a folder that holds no store', async () => {
    const missing = path.join(dir(), 'nothing-here');
    const r = await cli(['status', '--path', missing]);
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /No Jarvis Context store at .*nothing-here/);
    assert.strictEqual(fs.existsSync(missing), false, 'a read-only command does not create the folder');
  });

  it('works on the folder directly when no server owns it', async () => {
    const folder = dir();
    const cp = json(await cli(['checkpoint', '--label', 'first', '--path', folder]));
    assert.strictEqual(typeof cp.checkpoint_id, 'number');
    const status = json(await cli(['status'], { JARVIS_CONTEXT_PATH: folder }));
    assert.ok(status.counts.snapshots >= 1, JSON.stringify(status));
    const noReport = await cli(['report', '--path', folder]);
    assert.strictEqual(noReport.code, 1);
    assert.match(noReport.stderr, /No recovery report/);
    const out = path.join(dir(), 'export.json');
    const exp = await cli(['export', '--path', folder, '--out', out]);
    assert.strictEqual(exp.code, 0, exp.stderr);
    assert.strictEqual(typeof JSON.parse(fs.readFileSync(out, 'utf8')), 'object');
    assert.strictEqual(typeof json(await cli(['export', '--path', folder])), 'object');
    const dry = json(await cli(['cleanup', '--older-than-days', '30', '--dry-run', '--path', folder]));
    assert.strictEqual(dry.dry_run, true);
    assert.strictEqual(typeof dry.removed.decisions, 'number');
    const env = await cli(['env', '--path', folder]);
    assert.strictEqual(env.code, 1);
    assert.match(env.stderr, /No server is running/);
    assert.strictEqual(fs.existsSync(path.join(folder, 'CRASH_DETECTED')), false, 'each command closed the folder cleanly');
  });

  it('recovers a folder whose server was killed, and reports it', async () => {
    const folder = dir();
    const s = await serve(folder);
    const w = await request(s.url, '/tasks/half', s.token, { method: 'PUT', body: { description: 'half done', status: 'in_progress', percentage: 50 } });
    assert.strictEqual(w.status, 200);
    s.child.kill('SIGKILL');
    await s.exit;
    assert.ok(fs.existsSync(path.join(folder, 'CRASH_DETECTED')));
    assert.ok(fs.existsSync(path.join(folder, 'endpoint.json')), 'left behind by the killed server');
    const rec = await cli(['recover', '--path', folder]);
    assert.strictEqual(rec.code, 0, rec.stderr);
    assert.strictEqual(fs.existsSync(path.join(folder, 'endpoint.json')), false, 'stale endpoint.json removed');
    const file = rec.stdout.trim();
    assert.ok(fs.existsSync(file), `report ${file}`);
    const report = json(await cli(['report', '--format', 'json', '--path', folder]));
    assert.strictEqual(report.trigger, 'crash');
    assert.ok(report.incomplete_tasks.some((t: { task_id: string }) => t.task_id === 'half'));
    const md = await cli(['report', '--path', folder]);
    assert.strictEqual(md.code, 0, md.stderr);
    assert.ok(md.stdout.includes('half'), md.stdout.slice(0, 500));
    assert.strictEqual(fs.existsSync(path.join(folder, 'CRASH_DETECTED')), false);
  });

  it('talks to the server that owns the folder, and SIGTERM shuts it down cleanly', async () => {
    const folder = dir();
    const s = await serve(folder);
    const served = await request(s.url, '/status', s.token);
    const status = json(await cli(['status', '--path', folder]));
    assert.strictEqual(status.session_id, served.json.session_id, 'status came from the server');
    const cp = json(await cli(['checkpoint', '--label', 'via-server', '--path', folder]));
    const list = await request(s.url, '/checkpoints', s.token);
    assert.ok(list.json.checkpoints.some((c: { checkpoint_id: number }) => c.checkpoint_id === cp.checkpoint_id));
    const env = await cli(['env', '--path', folder]);
    assert.strictEqual(env.code, 0);
    assert.ok(env.stdout.includes(`export JARVIS_CONTEXT_URL='${s.url}'`));
    assert.ok(env.stdout.includes(`export JARVIS_CONTEXT_TOKEN='${s.token}'`));
    assert.ok(env.stdout.includes(`export JARVIS_CONTEXT_PATH='${folder}'`), env.stdout);
    // A relative --path is exported absolute: the variable must name the same folder from any directory.
    const relative = await cli(['env', '--path', path.basename(folder)], {}, path.dirname(folder));
    assert.ok(relative.stdout.includes(`export JARVIS_CONTEXT_PATH='${folder}'`), relative.stdout);
    assert.ok(env.stdout.includes(`export OTEL_EXPORTER_OTLP_ENDPOINT='${new URL(s.url).origin}'`));
    assert.ok(env.stdout.includes(`export OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%20${s.token}'`));
    assert.strictEqual((await cli(['report', '--path', folder])).code, 1, 'no recovery yet');
    const rec = await cli(['recover', '--path', folder]);
    assert.strictEqual(rec.code, 0, rec.stderr);
    assert.ok(fs.existsSync(rec.stdout.trim()));
    const exp = json(await cli(['export', '--path', folder]));
    assert.strictEqual(exp.status.session_id, served.json.session_id);
    const clean = json(await cli(['cleanup', '--older-than-days', '1', '--path', folder]));
    assert.strictEqual(clean.dry_run, false);

    s.child.kill('SIGTERM');
    assert.strictEqual(await s.exit, 0);
    assert.strictEqual(fs.existsSync(path.join(folder, 'CRASH_DETECTED')), false);
    assert.strictEqual(fs.existsSync(path.join(folder, 'endpoint.json')), false);
    // The next run finds a clean folder.
    assert.strictEqual(json(await cli(['status', '--path', folder])).recovered_from_crash, false);
  });

  it('serve takes the watchdog thresholds as flags over environment variables; a bad one is wrong usage', async () => {
    const bad = await cli(['serve', '--loop-repeats', '1', '--path', dir()]);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.stderr, /--loop-repeats: 1 is not an integer of at least 2/);
    assert.strictEqual((await cli(['serve', '--task-token-budget', 'lots', '--path', dir()])).code, 2);
    const loop = async (s: Serving, from: string, times: number) => {
      for (let i = 0; i < times; i++) await request(s.url, '/messages', s.token, { method: 'POST', body: { from_agent: from, to_agent: 'b', message_type: 'ask', content: 'again' } });
      return (await request(s.url, '/alerts?active=true', s.token)).json.alerts.map((a: { subject: { id: string } }) => a.subject.id);
    };
    const s = await serve(dir(), ['--loop-repeats', '3'], { JARVIS_ALERT_LOOP_REPEATS: '7' });
    try {
      assert.deepStrictEqual(await loop(s, 'x', 2), []);
      assert.deepStrictEqual(await loop(s, 'x', 1), ['x'], 'the flag wins over the environment');
    } finally {
      s.child.kill('SIGTERM');
      await s.exit;
    }
    const e = await serve(dir(), [], { JARVIS_ALERT_LOOP_REPEATS: '4' });
    try {
      assert.deepStrictEqual(await loop(e, 'y', 3), []);
      assert.deepStrictEqual(await loop(e, 'y', 1), ['y']);
    } finally {
      e.child.kill('SIGTERM');
      await e.exit;
    }
    const off = await serve(dir(), ['--no-alerts']);
    try {
      assert.deepStrictEqual(await loop(off, 'z', 6), []);
    } finally {
      off.child.kill('SIGTERM');
      await off.exit;
    }
  });

  it('SIGINT shuts down cleanly too; the token survives the restart', async () => {
    const folder = dir();
    const s = await serve(folder);
    s.child.kill('SIGINT');
    assert.strictEqual(await s.exit, 0);
    assert.strictEqual(fs.existsSync(path.join(folder, 'CRASH_DETECTED')), false);
    const again = await serve(folder);
    try {
      assert.strictEqual(again.token, s.token);
    } finally {
      again.child.kill('SIGTERM');
      await again.exit;
    }
  });

  it('serve on a folder another server holds names that server, its URL and its pid', async () => {
    const folder = dir();
    const s = await serve(folder);
    try {
      const second = await cli(['serve', '--path', folder, '--port', '0']);
      assert.strictEqual(second.code, 1);
      const ep = JSON.parse(fs.readFileSync(path.join(folder, 'endpoint.json'), 'utf8')) as { url: string; pid: number; holder: string };
      assert.strictEqual(ep.holder, 'jarvis-context serve');
      assert.ok(second.stderr.includes(`the server at ${ep.url} (pid ${ep.pid}) holds ${folder}`), second.stderr);
      assert.match(second.stderr, /stop it first/);
    } finally {
      s.child.kill('SIGTERM');
      await s.exit;
    }
  });

  it('exits 1 with the engine\'s message when another process owns the folder', async () => {
    const folder = dir();
    const s = await serve(folder);
    try {
      // Without endpoint.json the command cannot find the server and opens the folder itself.
      fs.rmSync(path.join(folder, 'endpoint.json'));
      const r = await cli(['status', '--path', folder]);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /Another Jarvis Context process/);
      const second = await cli(['serve', '--path', folder, '--port', '0']);
      assert.strictEqual(second.code, 1);
      assert.match(second.stderr, /Another Jarvis Context process/);
    } finally {
      s.child.kill('SIGTERM');
      await s.exit;
    }
  });
});
