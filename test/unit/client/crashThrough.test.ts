// An orchestrator never notices that its server went down: a Python and a TypeScript
// orchestrator keep reporting while `jarvis-context serve` is SIGKILLed and restarted, first on
// its own port, then with that port taken by another program (it moves; the orchestrators, which
// hold the old URL as a VS Code terminal does, follow endpoint.json). Neither restarts; at the end
// every step each made is stored exactly once, the spool is empty and their last recovery points exist.
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { openEngine, tempDir } from '../support/fixtures';
import { findCli, startServe, type ServeProcess } from '../support/serveProcess';

const REPO = path.dirname(path.dirname(findCli()));
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function spoolLines(folder: string): number {
  // A file listed may be gone by the time it is read: the server drains and removes it meanwhile.
  const lines = (f: string): number => {
    try {
      return fs.readFileSync(path.join(folder, f), 'utf8').split('\n').filter(l => l.trim()).length;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
  };
  return fs.readdirSync(folder).filter(n => n === 'spool.jsonl' || /^spool\.sending\.\d+\.jsonl$/.test(n)).reduce((n, f) => n + lines(f), 0);
}

function killed(p: ServeProcess): Promise<void> {
  p.child.kill('SIGKILL');
  return p.exited;
}

describe('crash-through: orchestrators keep reporting while their server is killed and restarted', function () {
  this.timeout(180_000);
  const children: ChildProcess[] = [];
  let server: ServeProcess | undefined;
  let squatter: net.Server | undefined;

  afterEach(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (server && server.child.exitCode === null) await killed(server);
    squatter?.close();
  });

  it('Python and TypeScript clients: every step exactly once, spool drained in the background, endpoint followed', async () => {
    const folder = tempDir('jarvis-through-');
    const control = tempDir('jarvis-through-control-');
    server = await startServe(folder);
    const firstUrl = server.url;
    const firstPort = Number(new URL(firstUrl).port);
    // As in a VS Code terminal: the URL and token of the server as it was when the terminal opened.
    const env = { ...process.env, JARVIS_CONTEXT_URL: server.url, JARVIS_CONTEXT_TOKEN: server.token, JARVIS_CONTEXT_PATH: folder,
      PYTHONPATH: path.join(REPO, 'clients', 'python') };
    const logs: Record<string, string> = { py: '', ts: '' };
    const run = (name: string, cmd: string, args: string[]) => {
      const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout!.on('data', (d: Buffer) => (logs[name] += d.toString()));
      c.stderr!.on('data', (d: Buffer) => (logs[name] += d.toString()));
      children.push(c);
      return new Promise<number | null>(resolve => c.once('exit', code => resolve(code)));
    };
    const py = run('py', 'python3', [path.join(REPO, 'test', 'unit', 'client', 'orchestrators', 'crash_through.py'), control, 'py']);
    const ts = run('ts', process.execPath, [path.join(REPO, 'out', 'test', 'unit', 'client', 'orchestrators', 'crashThrough.js'), control, 'ts']);
    const messages = async () => {
      const res = await fetch(`${server!.url}/status`, { headers: { authorization: `Bearer ${server!.token}` } });
      return ((await res.json()) as { counts: { messages: number } }).counts.messages;
    };
    let before = 0;
    for (const deadline = Date.now() + 30_000; (before = await messages()) < 200 && Date.now() < deadline;) await sleep(50);
    assert.ok(before >= 200, `only ${before} messages before the first kill:\n${logs.py}\n${logs.ts}`);

    // 1. SIGKILL mid-run; the orchestrators spool; held while the server is away, so what they
    //    spooled is theirs to send (a restarted server also takes spool.jsonl in by itself).
    await killed(server);
    await sleep(400);
    fs.writeFileSync(path.join(control, 'pause'), '');
    await sleep(100);
    assert.ok(spoolLines(folder) > 0, 'nothing was spooled while the server was down');
    server = await startServe(folder);
    assert.strictEqual(server.url, firstUrl, 'the server came back on another port although its own was free');
    await waitFor('the spool to drain with the orchestrators idle', () => spoolLines(folder) === 0);
    fs.unlinkSync(path.join(control, 'pause'));
    await sleep(500);

    // 2. SIGKILL again, and another program takes the port meanwhile: the server moves.
    await killed(server);
    // The other program starts a moment later, as one does. Until the killed server is reaped it
    // still answers a signal 0, so a client may find it "alive" and connect; on a loaded machine
    // that connect can land after the port is taken, which no user meets within milliseconds.
    await sleep(300);
    squatter = net.createServer().listen(firstPort, '127.0.0.1');
    await new Promise(r => squatter!.once('listening', r));
    await sleep(300);
    server = await startServe(folder);
    assert.notStrictEqual(server.url, firstUrl, 'the server did not move off a taken port');
    await sleep(800);
    fs.writeFileSync(path.join(control, 'stop'), '');
    const [pyCode, tsCode] = await Promise.all([py, ts]);
    assert.strictEqual(pyCode, 0, `python orchestrator failed:\n${logs.py}`);
    assert.strictEqual(tsCode, 0, `typescript orchestrator failed:\n${logs.ts}`);

    const status = await (await fetch(`${server.url}/status`, { headers: { authorization: `Bearer ${server.token}` } })).json() as {
      since_start: { clients: { client: string }[]; spool_from_clients: { accepted: number } };
    };
    await killed(server);
    server = undefined;
    const engine = await openEngine(folder);
    try {
      const messages = await engine.getMessages({ limit: 10_000 });
      for (const name of ['py', 'ts']) {
        const done = JSON.parse(fs.readFileSync(path.join(control, `${name}.done.json`), 'utf8')) as {
          steps: number; max_pending: number; spooled_writes: number; pending_at_end: number; recovery_point: unknown; slowest_s: number;
        };
        // No call waited for the client's 10 s timeout: a dead server or a port another program
        // took (and never answers on) is found out from endpoint.json before connecting.
        const clientLog = () => { try { return fs.readFileSync(path.join(control, `${name}.log`), 'utf8').slice(-4000); } catch { return logs[name]; } };
        assert.ok(done.slowest_s < 9, `${name}: a write took ${done.slowest_s.toFixed(1)} s:\n${clientLog()}`);
        assert.ok(done.spooled_writes > 0, `${name} never spooled: the kills missed it`);
        assert.strictEqual(done.pending_at_end, 0, `${name} still had spooled events at the end`);
        assert.ok(done.recovery_point, `${name}: its last recovery point was not taken`);
        const steps = messages.filter(m => (m.content as { orchestrator?: string }).orchestrator === name)
          .map(m => (m.content as { step: number }).step).sort((a, b) => a - b);
        assert.strictEqual(steps.length, done.steps, `${name}: ${steps.length} messages stored for ${done.steps} steps`);
        steps.forEach((s, i) => assert.strictEqual(s, i, `${name}: step ${i} missing or stored twice`));
        const task = engine.getTask(`run-${name}`)!;
        assert.deepStrictEqual([task.status, task.percentage], ['completed', 100]);
        assert.ok(engine.listCheckpoints(1000).some(c => c.label === `all tasks completed ${name}`), `${name}: no final recovery point`);
      }
      assert.strictEqual(spoolLines(folder), 0);
      const names = status.since_start.clients.map(c => c.client).join(' | ');
      assert.match(names, /python pid=\d+ crash_through\.py/);
      assert.match(names, /typescript pid=\d+ crashThrough\.js/);
    } finally {
      await engine.close();
    }
  });
});
