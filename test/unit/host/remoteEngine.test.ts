// The engine of a store another process holds, over the REST API: against a real server on
// 127.0.0.1 over a real engine, against `jarvis-context serve` in a child process that goes away,
// and against endpoint.json files and answers that are not what a server of ours writes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import type { ContextEngine } from '../../../src/core/engine';
import type { ContextEngineApi } from '../../../src/core/engineApi';
import type { ChangeEvent } from '../../../src/core/types';
import { findHoldingServer, NotOfferedError, RemoteEngine } from '../../../src/host/remoteEngine';
import { ENDPOINT_FILE, type Endpoint } from '../../../src/server/endpointFile';
import { JarvisServer } from '../../../src/server/server';
import { MemoryLogger, openEngine, tempDir } from '../support/fixtures';
import { startServe } from '../support/serveProcess';
import { waitFor } from '../team/support';

function endpointOf(server: JarvisServer): Endpoint {
  return { url: server.url, token: server.token, pid: process.pid };
}

function plantEndpoint(folder: string, content: string | object, mode = 0o600): void {
  const file = path.join(folder, ENDPOINT_FILE);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content), { mode });
  fs.chmodSync(file, mode);
}

describe('remote engine: a store held by another server', function () {
  this.timeout(60_000);

  describe('over a real server and engine', () => {
    let dir: string;
    let engine: ContextEngine;
    let server: JarvisServer;
    let remote: RemoteEngine;
    const log = new MemoryLogger();

    beforeEach(async () => {
      dir = tempDir();
      engine = await openEngine(dir);
      await engine.updateAgentState('planner', { status: 'busy', current_task: 'oauth' });
      await engine.updateTaskProgress('oauth', { description: 'Implement OAuth login with PKCE', status: 'in_progress', percentage: 60, blockers: ['a', 'b'] });
      server = await JarvisServer.start({ engine, port: 0 });
      remote = await RemoteEngine.connect(dir, endpointOf(server), log);
    });

    afterEach(async () => {
      await remote.close();
      await server.close();
      await engine.close();
    });

    it('reads what the views read synchronously from its cache, filled before connect resolves', () => {
      assert.deepStrictEqual(remote.getAgents().map(a => [a.agent_id, a.status, a.current_task]), [['planner', 'busy', 'oauth']]);
      const [task] = remote.getTasks();
      assert.deepStrictEqual([task!.task_id, task!.percentage, task!.blockers], ['oauth', 60, ['a', 'b']]);
      assert.strictEqual(remote.getTasks({ status: 'completed' }).length, 0);
      assert.strictEqual(remote.getStatus().storage_path, engine.getStatus().storage_path);
      assert.strictEqual(remote.getStatus().counts.tasks, 1);
      assert.strictEqual(typeof remote.getMetrics().checkpoint.count, 'number');
      assert.strictEqual(remote.getPendingResumePoint(), undefined);
    });

    it('stays live through GET /stream: a write to the holding engine is in the cache when the change is passed on', async () => {
      const seen: ChangeEvent[] = [];
      remote.onDidChange(e => seen.push(e));
      await engine.updateTaskProgress('oauth', { status: 'completed', percentage: 100 });
      await engine.updateAgentState('coder', { status: 'idle' });
      await waitFor('both changes passed on', async () => seen.some(e => e.kind === 'task') && seen.some(e => e.kind === 'agent'));
      assert.deepStrictEqual(remote.getTasks({ status: 'completed' }).map(t => t.task_id), ['oauth']);
      assert.deepStrictEqual(remote.getAgents().map(a => a.agent_id).sort(), ['coder', 'planner']);
      assert.strictEqual(remote.getStatus().counts.agents, 2);
    });

    it('writes through the server, durable in the holding engine when they resolve', async () => {
      const task = await remote.updateTaskProgress('docs/readme', { status: 'in_progress', percentage: 10 });
      assert.strictEqual(task.task_id, 'docs/readme');
      assert.strictEqual(engine.getTask('docs/readme')?.percentage, 10);
      const d = await remote.logDecision({ decision_type: 'route', context: {}, decision: 'coder', reasoning: 'free' });
      assert.deepStrictEqual((await engine.getDecisions()).map(x => x.id), [d.id]);
      assert.deepStrictEqual((await remote.getDecisions()).map(x => x.decision), ['coder']);
      const cp = await remote.checkpoint('before deploy');
      await waitFor('the checkpoint in the cache', async () => remote.listCheckpoints().some(c => c.checkpoint_id === cp.checkpoint_id));
      assert.strictEqual(remote.listCheckpoints()[0]!.label, 'before deploy');
      const resume = await remote.setResumePoint({ checkpoint_id: cp.checkpoint_id });
      assert.strictEqual(resume.parent_id, cp.checkpoint_id);
      await waitFor('the resume point in the cache', async () => remote.getPendingResumePoint()?.resume_point_id === resume.resume_point_id);
      assert.strictEqual(engine.getPendingResumePoint()?.resume_point_id, resume.resume_point_id);
      await remote.clearResumePoint('user');
      assert.strictEqual(engine.getPendingResumePoint(), undefined);
    });

    it('a bad write is the server\'s readable refusal, and what the API does not offer says so', async () => {
      await assert.rejects(remote.updateTaskProgress('t', { percentage: 250 }), /400.*percentage/);
      const api: ContextEngineApi = remote; // as the views and commands call it
      await assert.rejects(api.searchHistory('x'), (e: Error) => e instanceof NotOfferedError && e.message.includes(server.url) && /opens the store itself/.test(e.message));
      await assert.rejects(remote.exportAll(), NotOfferedError);
      assert.throws(() => api.getTaskEvents('oauth'), NotOfferedError);
      assert.deepStrictEqual(remote.langgraph.summaries(10), [], 'the Checkpoints view still draws');
      assert.strictEqual(await remote.getCheckpointSnapshot(999), undefined, '404 is "none"');
      assert.strictEqual(await remote.dismissAlert(999), undefined);
    });

    it('says once that the server went away when it closes, and stops following it', async () => {
      let gone = 0;
      remote.onDidGoAway(() => gone++);
      await server.close();
      await waitFor('gone', async () => gone > 0);
      assert.strictEqual(gone, 1);
      assert.ok(remote.hasGoneAway);
    });
  });

  describe('finding the server that holds a folder', () => {
    it('finds `jarvis-context serve` through endpoint.json, and sees it go away when killed', async () => {
      const dir = tempDir();
      const serve = await startServe(dir);
      try {
        const endpoint = await findHoldingServer(dir);
        assert.ok(endpoint, 'found');
        assert.strictEqual(endpoint.url, serve.url);
        assert.strictEqual(endpoint.holder, 'jarvis-context serve');
        const remote = await RemoteEngine.connect(dir, endpoint, new MemoryLogger());
        let gone = false;
        remote.onDidGoAway(() => (gone = true));
        const written = await remote.updateAgentState('a1', { status: 'busy' });
        assert.strictEqual(written.agent_id, 'a1');
        await waitFor('a1 in the cache', async () => remote.getAgent('a1'));
        serve.child.kill('SIGKILL');
        await serve.exited;
        await waitFor('gone', async () => gone);
        assert.strictEqual(await findHoldingServer(dir), undefined, 'a dead pid is nobody');
        // Nothing acknowledged was lost: the next opener recovers it.
        const engine = await openEngine(dir);
        try {
          assert.ok(engine.recoveryReport, 'the kill is a crash');
          assert.strictEqual(engine.getAgent('a1')?.status, 'busy');
        } finally {
          await engine.close();
        }
      } finally {
        serve.child.kill('SIGKILL');
      }
    });

    it('sees `jarvis-context serve` stopped with SIGTERM go away too, and the store it leaves is no crash', async () => {
      const dir = tempDir();
      const serve = await startServe(dir);
      try {
        const remote = await RemoteEngine.connect(dir, (await findHoldingServer(dir))!, new MemoryLogger());
        let gone = false;
        remote.onDidGoAway(() => (gone = true));
        await remote.updateTaskProgress('t1', { status: 'completed', percentage: 100 });
        serve.child.kill('SIGTERM');
        await waitFor('gone', async () => gone);
        await serve.exited;
        assert.strictEqual(fs.existsSync(path.join(dir, ENDPOINT_FILE)), false, 'a clean stop removes endpoint.json');
        const engine = await openEngine(dir);
        try {
          assert.strictEqual(engine.recoveryReport, undefined, 'a clean exit is not reported as a crash');
          assert.strictEqual(engine.getTask('t1')?.status, 'completed');
        } finally {
          await engine.close();
        }
      } finally {
        serve.child.kill('SIGKILL');
      }
    });

    it('refuses endpoint.json files a server of ours does not write', async () => {
      const dir = tempDir();
      const engine = await openEngine(dir);
      const server = await JarvisServer.start({ engine, port: 0 });
      try {
        const good = endpointOf(server);
        assert.deepStrictEqual(await findHoldingServer(dir), { ...good }, 'the real one is found');
        const port = new URL(server.url).port;
        const cases: [string, string | object, number?][] = [
          ['a host that is not loopback', { ...good, url: `http://192.0.2.1:${port}/api/jarvis/context` }],
          ['a name that resolves elsewhere', { ...good, url: `http://example.com:${port}/api/jarvis/context` }],
          ['https', { ...good, url: good.url.replace('http:', 'https:') }],
          ['credentials in the URL', { ...good, url: good.url.replace('http://', 'http://u:p@') }],
          ['a pid that is a string', { ...good, pid: String(process.pid) }],
          ['a token that is a number', { ...good, token: 12345 }],
          ['no url', { token: good.token, pid: good.pid }],
          ['an array', [good]],
          ['not JSON', '{"url": '],
          ['a huge file', JSON.stringify({ ...good, padding: 'x'.repeat(1 << 20) })],
          ['a file others can read', good, 0o644],
          ['a dead pid', { ...good, pid: 2 ** 22 + 12345 }],
          ['a wrong token', { ...good, token: 'not-the-token' }],
        ];
        for (const [what, content, mode] of cases) {
          plantEndpoint(dir, content, mode);
          assert.strictEqual(await findHoldingServer(dir, 1_000), undefined, what);
        }
      } finally {
        await server.close();
        await engine.close();
      }
    });
  });

  describe('answers that are not what a server of ours sends', () => {
    let fake: http.Server;
    let url: string;
    let stream: http.ServerResponse | undefined;
    const answers: Record<string, unknown> = {};
    /** Answers a read in place of `answers` (to act between the stream opening and the reads). */
    let hooks: Record<string, () => unknown> = {};

    beforeEach(async () => {
      const status = { session_id: 's', started_at: '2026-01-01T00:00:00Z', storage_path: '/x', counts: { agents: 0, tasks: 0, decisions: 0, messages: 0, snapshots: 0 }, persistence: 'ok' };
      const metrics = { checkpoint: {}, storage_bytes: {}, activity: {}, storage: {}, recovery: {}, snapshot_rates: {}, compaction: {} };
      Object.assign(answers, {
        '/status': status, '/metrics': metrics, '/checkpoints': { checkpoints: [] }, '/alerts': { alerts: [] },
        '/task-progress': { tasks: [] },
        '/agent-states': { agents: [{ agent_id: 5, status: 'busy', last_seen: 'x' }, { agent_id: 'ok', status: 'idle', last_seen: '2026-01-01T00:00:00Z' }, null, 'a'] },
      });
      fake = http.createServer((req, res) => {
        const route = new URL(req.url!, 'http://x').pathname.replace('/api/jarvis/context', '');
        if (route === '/stream') {
          res.writeHead(200, { 'Content-Type': 'text/event-stream' });
          res.write(': connected\n\n');
          stream = res;
          return;
        }
        const body = hooks[route] ? hooks[route]!() : answers[route];
        res.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body ?? { error: { code: 'not_found', message: 'none' } }));
      });
      await new Promise<void>(r => fake.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/api/jarvis/context`;
    });

    afterEach(async () => {
      hooks = {};
      stream?.destroy();
      fake.closeAllConnections();
      await new Promise(r => fake.close(r));
    });

    it('drops entries of the wrong shape and keeps the rest', async () => {
      const remote = await RemoteEngine.connect('/x', { url, token: 't', pid: process.pid }, new MemoryLogger());
      try {
        assert.deepStrictEqual(remote.getAgents().map(a => a.agent_id), ['ok']);
      } finally {
        await remote.close();
      }
    });

    it('a change made while the cache is being read is not lost: the stream is open before the reads', async () => {
      const late = { task_id: 'late', status: 'in_progress', percentage: 5, updated_at: '2026-01-01T00:00:00Z', blockers: [], completed_subtasks: [] };
      hooks['/task-progress'] = () => {
        delete hooks['/task-progress'];
        const stale = answers['/task-progress'];
        answers['/task-progress'] = { tasks: [late] };
        assert.ok(stream, 'the stream is open when the tasks are read');
        stream.write('event: change\ndata: {"kind":"task","ids":["late"],"at":"2026-01-01T00:00:00Z"}\n\n');
        return stale;
      };
      const remote = await RemoteEngine.connect('/x', { url, token: 't', pid: process.pid }, new MemoryLogger());
      try {
        await waitFor('the late task in the cache', async () => remote.getTask('late'), 5_000);
      } finally {
        await remote.close();
      }
    });

    it('refuses to attach when the status is not a status', async () => {
      answers['/status'] = { hello: 'world' };
      await assert.rejects(RemoteEngine.connect('/x', { url, token: 't', pid: process.pid }, new MemoryLogger()), /not a status/);
    });

    it('skips events of unknown shape, and drops a stream whose event grows past 1 MiB', async () => {
      const log = new MemoryLogger();
      const remote = await RemoteEngine.connect('/x', { url, token: 't', pid: process.pid }, log);
      try {
        const seen: ChangeEvent[] = [];
        remote.onDidChange(e => seen.push(e));
        await waitFor('the stream open', async () => stream);
        stream!.write('event: change\ndata: {"kind":"nonsense","ids":[],"at":"x"}\n\n');
        stream!.write('event: change\ndata: not json\n\n');
        answers['/task-progress'] = { tasks: [{ task_id: 't1', status: 'in_progress', percentage: 5, updated_at: 'x', blockers: [], completed_subtasks: [] }] };
        stream!.write('event: change\ndata: {"kind":"task","ids":["t1"],"at":"2026-01-01T00:00:00Z"}\n\n');
        await waitFor('the task change', async () => seen.length > 0);
        assert.deepStrictEqual(seen.map(e => e.kind), ['task'], 'only the valid event is passed on');
        assert.deepStrictEqual(remote.getTasks().map(t => t.task_id), ['t1']);
        assert.strictEqual(log.lines.filter(l => /skipped/.test(l.text)).length, 2);
        const first = stream!;
        first.write('event: change\ndata: "' + 'x'.repeat(1100 * 1024));
        // The fake server still answers, so the engine follows the stream again rather than giving up.
        await waitFor('a new stream', async () => stream !== first);
        assert.ok(log.lines.some(l => /over 1 MiB/.test(l.text)), JSON.stringify(log.lines));
        assert.ok(!remote.hasGoneAway);
      } finally {
        await remote.close();
      }
    });
  });
});
