// Random and mutated requests against a live server. The server must stay up, never answer 5xx
// other than 503, and hold exactly what it acknowledged: a model applies every 2xx write and the
// state read back at the end must match it.
// Run: node out/test/fuzz/http-fuzz.js   (JARVIS_FUZZ_COUNT, default 10000; JARVIS_FUZZ_SEED)
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ContextEngine } from '../../src/core/engine';
import { readWasmBinary } from '../../src/core/wasm';
import { JarvisServer } from '../../src/server/server';
import { mulberry32 as rng } from '../unit/support/rng';

type J = null | boolean | number | string | J[] | { [k: string]: J };
type Obj = { [k: string]: J };


interface Model {
  tasks: Map<string, { description?: string; status?: string }>;
  agents: Map<string, string>;
  decisions: number;
  messages: number;
  context: Obj | undefined;
  eventIds: Set<string>;
}

interface Planned {
  method: string;
  route: string;
  /** Raw text sent as the body, if any. */
  body?: string;
  headers?: Record<string, string>;
  noAuth?: boolean;
  rawSocket?: Buffer;
}

export interface FuzzResult {
  requests: number;
  byStatus: Record<string, number>;
  accepted: number;
  seed: number;
}

const STATUSES = ['pending', 'in_progress', 'blocked', 'completed', 'failed', 'cancelled'];

export async function runHttpFuzz(options: { count: number; seed?: number; log?: (s: string) => void }): Promise<FuzzResult> {
  const seed = options.seed ?? (Date.now() & 0x7fffffff);
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (n: number): number => Math.floor(r() * n);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-fuzz-'));
  const engine = await ContextEngine.open({ folder, wasmBinary: readWasmBinary(), checkpointIntervalMs: 0 });
  const server = await JarvisServer.start({ engine, port: 0, maxBodyBytes: 64 * 1024 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const model: Model = { tasks: new Map(), agents: new Map(), decisions: 0, messages: 0, context: undefined, eventIds: new Set() };
  const byStatus: Record<string, number> = {};
  let accepted = 0;

  const id = (): string => pick(['t1', 't2', 'a', 'b', 'x y', 'ünï', 'id/slash', String(int(50))]);
  const text = (): string => pick(['', 'x', 'hello world', 'ünïcødé ✓', '"quoted"', 'a'.repeat(int(300)), '\u0000\u001f']);
  const anyJson = (depth = 0): J => {
    switch (int(depth > 2 ? 4 : 6)) {
      case 0: return null;
      case 1: return r() < 0.5;
      case 2: return pick([0, -1, 1.5, 1e300, 42]);
      case 3: return text();
      case 4: return Array.from({ length: int(4) }, () => anyJson(depth + 1));
      default: return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(['k', 'n', '__proto__', 'constructor', 'v']), anyJson(depth + 1)]));
    }
  };
  const taskBody = (): Obj => {
    const o: Obj = {};
    if (r() < 0.7) o.description = text();
    if (r() < 0.6) o.status = pick(STATUSES);
    if (r() < 0.5) o.percentage = Math.round(r() * 1000) / 10;
    if (r() < 0.3) o.blockers = [text()];
    if (r() < 0.3) o.completed_subtasks = [text(), text()];
    if (r() < 0.2) o.agent_id = pick([null, id()]);
    if (r() < 0.2) o.metadata = { n: int(10) };
    return o;
  };
  const agentBody = (): Obj => ({ status: pick(['idle', 'busy', 'done', 'x']), ...(r() < 0.4 ? { capabilities: ['a', 'b'] } : {}), ...(r() < 0.3 ? { current_task: pick([null, id()]) } : {}) });
  const decisionBody = (): Obj => ({ decision_type: pick(['route', 'plan']), context: anyJson(), decision: text(), reasoning: text(), ...(r() < 0.3 ? { outcome: anyJson() } : {}), ...(r() < 0.3 ? { agent_id: id() } : {}) });
  const messageBody = (): Obj => ({ from_agent: id(), to_agent: id(), message_type: pick(['ask', 'tell']), content: anyJson() });
  const contextBody = (): Obj => ({ goal: text(), step: int(100), nested: anyJson() as J });
  const batchEvent = (): Obj => {
    const eventId: Obj = r() < 0.6 ? { event_id: `e${int(300)}` } : {};
    switch (int(5)) {
      case 0: return { ...eventId, type: 'task', task_id: id(), ...taskBody() };
      case 1: return { ...eventId, type: 'agent', agent_id: id(), ...agentBody() };
      case 2: return { ...eventId, type: 'decision', ...decisionBody() };
      case 3: return { ...eventId, type: 'message', ...messageBody() };
      default: return r() < 0.5 ? { ...eventId, type: 'context', context: contextBody() } : { ...eventId, type: 'context', ...contextBody() };
    }
  };

  /** Breaks a valid body in one of many ways; some breakages happen to stay valid, which is fine. */
  const mutate = (body: Obj): string => {
    const keys = Object.keys(body);
    const k = keys.length ? pick(keys) : 'x';
    const copy: Obj = JSON.parse(JSON.stringify(body));
    switch (int(10)) {
      case 0: delete copy[k]; break;
      case 1: copy[k] = pick([null, 7, -5, 'str', [], {}, true, 101, 1e6]); break;
      case 2: copy[pick(['percentage', 'status', 'events', 'label', 'older_than_days'])] = pick([-1, 200, 'done', {}, [1], 'x'.repeat(300)]); break;
      case 3: if (Array.isArray(copy.events) && copy.events.length) (copy.events as J[])[int(copy.events.length)] = pick([1, 'x', null, { type: 'nope' }, { type: 'task' }]); break;
      case 4: { const s = JSON.stringify(copy); return s.slice(0, int(s.length)); }
      case 5: { const s = JSON.stringify(copy); const i = int(s.length); return s.slice(0, i) + pick(['}', '"', ',', '\\', '\u0000', 'NaN', ']']) + s.slice(i); }
      case 6: return pick(['', 'null', '[]', '"x"', '42', 'true', '{}', '{"a":1e999}', `{"a":${'['.repeat(80)}${']'.repeat(80)}}`]);
      case 7: copy[k] = 'x'.repeat(257); break;
      case 8: return JSON.stringify(copy) + ' '.repeat(70 * 1024); // over the 64 KiB limit
      default: copy.extra_field = anyJson(); break;
    }
    return JSON.stringify(copy);
  };

  const plan = (): Planned => {
    const kind = int(20);
    const mutated = r() < 0.35;
    const send = (method: string, route: string, body: Obj): Planned => ({ method, route, body: mutated ? mutate(body) : JSON.stringify(body) });
    switch (kind) {
      case 0: case 1: return send('PUT', `/tasks/${encodeURIComponent(id())}`, taskBody());
      case 2: return send('PUT', `/agents/${encodeURIComponent(id())}`, agentBody());
      case 3: case 4: return send('POST', '/decisions', decisionBody());
      case 5: return send('POST', '/messages', messageBody());
      case 6: return send('PUT', '/context', contextBody());
      case 7: case 8: return send('POST', '/events', { events: Array.from({ length: 1 + int(6) }, batchEvent) });
      case 9: return send('POST', pick(['/checkpoint', '/recovery-points']), { label: pick(['l1', 'before', 'x y']) });
      case 10: return send('POST', '/cleanup', { older_than_days: pick([1, 30, 3650]), dry_run: r() < 0.5 });
      case 11: {
        const route = pick(['/status', '/agent-states', '/task-progress', '/metrics', '/decisions', '/decision-log', '/messages', '/context', '/checkpoints', '/recovery-reports', '/conversation-history', '/checkpoints/1', '/recovery-report']);
        const q = pick(['', '?limit=5', '?limit=0', '?limit=abc', '?status=blocked', '?status=zzz', '?since=2020-01-01', '?since=garbage', '?agent_id=a', `?agent_id=${'y'.repeat(300)}`, '?limit=1&limit=2']);
        return { method: 'GET', route: route + q, headers: r() < 0.2 ? { Accept: 'text/plain' } : {} };
      }
      case 12: return { method: pick(['DELETE', 'PATCH', 'GET', 'POST', 'PUT', 'OPTIONS']), route: pick(['/tasks/x', '/events', '/nope', '', '/status/extra', '/%zz', '/tasks/' + 'z'.repeat(300)]), body: '{}' };
      case 13: return { method: 'PUT', route: '/context', body: JSON.stringify(contextBody()), noAuth: r() < 0.5, headers: r() < 0.5 ? { Authorization: 'Bearer wrong' } : {} };
      case 14: return { method: 'POST', route: '/decisions', body: JSON.stringify(decisionBody()), headers: pick<Record<string, string>>([{ Host: 'evil.example' }, { Origin: 'http://evil.example' }, { Host: 'localhost.evil:1' }]) };
      case 15: if (r() < 0.3) return { method: 'RAW', route: '', rawSocket: Buffer.from(pick(['GARBAGE\r\n\r\n', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n', 'POST /api/jarvis/context/events HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'])) };
      return send('POST', '/decisions', decisionBody());
      default: return send('PUT', `/tasks/${encodeURIComponent(id())}`, taskBody());
    }
  };

  const apply = (p: Planned): void => {
    // An accepted write with an empty body (POST /checkpoint) changes nothing the model tracks.
    const body = p.body === undefined || p.body.trim() === '' ? undefined : (JSON.parse(p.body) as Obj);
    const route = p.route.split('?')[0];
    const applyTask = (taskId: string, u: Obj): void => {
      const t = model.tasks.get(taskId) ?? {};
      if (typeof u.description === 'string') t.description = u.description;
      if (typeof u.status === 'string') t.status = u.status;
      model.tasks.set(taskId, t);
    };
    // An agent update without a status is a heartbeat: the status stays, a new agent starts active.
    const applyAgent = (agentId: string, status: unknown): void => {
      model.agents.set(agentId, typeof status === 'string' ? status : model.agents.get(agentId) ?? 'active');
    };
    const applyContext = (c: Obj): void => {
      model.context = c;
    };
    if (p.method === 'PUT' && route.startsWith('/tasks/')) applyTask(decodeURIComponent(route.slice(7)), body!);
    else if (p.method === 'PUT' && route.startsWith('/agents/')) applyAgent(decodeURIComponent(route.slice(8)), body!.status);
    else if (p.method === 'POST' && route === '/decisions') model.decisions++;
    else if (p.method === 'POST' && route === '/messages') model.messages++;
    else if (p.method === 'PUT' && route === '/context') applyContext(body!);
    else if (p.method === 'POST' && route === '/events') {
      for (const e of body!.events as Obj[]) {
        if (typeof e.event_id === 'string') {
          if (model.eventIds.has(e.event_id)) continue;
          model.eventIds.add(e.event_id);
        }
        if (e.type === 'task') applyTask(e.task_id as string, e);
        else if (e.type === 'agent') applyAgent(e.agent_id as string, e.status);
        else if (e.type === 'decision') model.decisions++;
        else if (e.type === 'message') model.messages++;
        else if (e.type === 'context') {
          if (e.context !== undefined) applyContext(e.context as Obj);
          else {
            const { type: _t, event_id: _e, ts: _ts, ...rest } = e;
            applyContext(rest);
          }
        }
      }
    }
  };

  /** How many entries of a batch the model expects to be new, for checking `accepted`/`duplicates`. */
  const expectBatch = (p: Planned): { accepted: number; duplicates: number } | undefined => {
    if (p.method !== 'POST' || p.route !== '/events' || p.body === undefined) return undefined;
    let events: Obj[];
    try {
      events = (JSON.parse(p.body) as Obj).events as Obj[];
    } catch {
      return undefined; // not JSON: must be refused, nothing to expect
    }
    if (!Array.isArray(events)) return undefined;
    const seen = new Set(model.eventIds);
    let dup = 0;
    for (const e of events) {
      if (e === null || typeof e !== 'object' || typeof e.event_id !== 'string') continue;
      if (seen.has(e.event_id)) dup++;
      seen.add(e.event_id);
    }
    return { accepted: events.length - dup, duplicates: dup };
  };

  const send = (p: Planned): Promise<{ status: number; text: string }> => {
    if (p.rawSocket) {
      return new Promise(resolve => {
        const sock = net.connect(server.port, '127.0.0.1', () => sock.end(p.rawSocket as Buffer));
        let out = '';
        sock.on('data', d => (out += d.toString()));
        sock.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(out)?.[1] ?? 0), text: out }));
        sock.on('error', () => undefined);
        sock.setTimeout(5_000, () => sock.destroy());
      });
    }
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (!p.noAuth) headers.Authorization = `Bearer ${server.token}`;
      if (p.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(p.body));
      Object.assign(headers, p.headers ?? {});
      const req = http.request({ host: '127.0.0.1', port: server.port, path: '/api/jarvis/context' + p.route, method: p.method, headers, agent }, res => {
        let t = '';
        res.on('data', (d: Buffer) => (t += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: t }));
      });
      req.on('error', e => {
        // A 413 may close the connection while the body is still going out; the answer came first.
        if ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET') resolve({ status: -1, text: String(e) });
        else reject(e);
      });
      req.end(p.body);
    });
  };

  try {
    for (let i = 0; i < options.count; i++) {
      const p = plan();
      const expected = expectBatch(p);
      const a = await send(p);
      byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
      const ctx = `request ${i} (seed ${seed}): ${p.method} ${p.route} ${(p.body ?? '').slice(0, 300)} -> ${a.status} ${a.text.slice(0, 300)}`;
      if (p.rawSocket) continue;
      assert.ok(a.status === -1 || (a.status >= 200 && a.status < 500) || a.status === 503, ctx);
      if (a.status === -1) {
        // Only a refused over-limit body may lose its answer; anything else is a server fault.
        assert.ok((p.body?.length ?? 0) > 64 * 1024, ctx);
        continue;
      }
      if (a.status >= 200 && a.status < 300 && p.method !== 'GET') {
        if (expected) assert.deepStrictEqual(JSON.parse(a.text), expected, ctx);
        apply(p);
        accepted++;
      }
      if (i % 1000 === 999) options.log?.(`${i + 1} requests, ${accepted} writes accepted`);
    }
    // The server is still up, and holds exactly what it acknowledged.
    const get = async (route: string): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const a = await send({ method: 'GET', route });
      assert.strictEqual(a.status, 200, `GET ${route}: ${a.text}`);
      return JSON.parse(a.text);
    };
    const status = await get('/status');
    assert.strictEqual(status.counts.decisions, model.decisions, 'decisions');
    assert.strictEqual(status.counts.messages, model.messages, 'messages');
    const tasks = (await get('/task-progress')).tasks as { task_id: string; description: string; status: string }[];
    assert.deepStrictEqual(tasks.map(t => t.task_id).sort(), [...model.tasks.keys()].sort(), 'task ids');
    for (const t of tasks) {
      const m = model.tasks.get(t.task_id)!;
      if (m.description !== undefined) assert.strictEqual(t.description, m.description, `task ${t.task_id} description`);
      if (m.status !== undefined) assert.strictEqual(t.status, m.status, `task ${t.task_id} status`);
    }
    const agents = (await get('/agent-states')).agents as { agent_id: string; status: string }[];
    assert.deepStrictEqual(Object.fromEntries(agents.map(a => [a.agent_id, a.status])), Object.fromEntries(model.agents), 'agents');
    const context = await get('/context');
    if (model.context !== undefined) assert.deepStrictEqual(context.state, JSON.parse(JSON.stringify(model.context)), 'context');
    return { requests: options.count, byStatus, accepted, seed };
  } catch (e) {
    // The seed replays the run: JARVIS_FUZZ_SEED=<seed>.
    if (e instanceof Error) e.message += ` [fuzz seed ${seed}]`;
    throw e;
  } finally {
    agent.destroy();
    await server.close();
    await engine.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const count = Number(process.env.JARVIS_FUZZ_COUNT ?? 10_000);
  const seed = process.env.JARVIS_FUZZ_SEED === undefined ? undefined : Number(process.env.JARVIS_FUZZ_SEED);
  runHttpFuzz({ count, seed, log: s => process.stderr.write(s + '\n') }).then(
    res => {
      process.stdout.write(JSON.stringify(res) + '\n');
    },
    e => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
