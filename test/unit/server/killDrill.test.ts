// Kill drill over HTTP: `jarvis-context serve` in a child process, several keep-alive clients
// writing, SIGKILL at a random moment, restart on the same folder. Every write that got a 2xx must
// be there afterwards. JARVIS_HTTP_KILLS sets the number of kills (default 20).
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import { findCli, startServe, type ServeProcess } from '../support/serveProcess';
import { openEngine, request, tempDir } from './support';

const CLIENTS = 4;

type Live = ServeProcess;

const startServer = (folder: string) => startServe(folder, { JARVIS_CHECKPOINT_INTERVAL: '0.2' });

/** What the clients of one round got acknowledged. */
interface Acked {
  decisions: Map<string, string[]>; // agent_id -> decision texts
  messages: Map<string, string[]>; // from_agent -> contents
  batches: { events: unknown[] }[];
  taskSeq: Map<string, number>; // task_id -> highest acknowledged seq
}

async function client(live: Live, round: number, k: number, acked: Acked, stop: { now: boolean }, seq: { n: number }): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const who = `r${round}-c${k}`;
  const post = (method: string, route: string, body: unknown) => request(live.url, route, live.token, { method, body, agent });
  try {
    for (let n = 0; !stop.now; n++) {
      try {
        switch (n % 3) {
          case 0: {
            const text = `${who}-d${n}`;
            const r = await post('POST', '/decisions', { decision_type: 'drill', context: { n }, decision: text, reasoning: 'r', agent_id: who });
            if (r.status === 201) acked.decisions.get(who)!.push(text);
            else assert.strictEqual(r.status, 503, r.text);
            break;
          }
          case 1: {
            const s = ++seq.n;
            const r = await post('PUT', `/tasks/task-c${k}`, { description: `client ${k}`, status: 'in_progress', metadata: { seq: s } });
            if (r.status === 200) acked.taskSeq.set(`task-c${k}`, Math.max(acked.taskSeq.get(`task-c${k}`) ?? 0, s));
            else assert.strictEqual(r.status, 503, r.text);
            break;
          }
          default: {
            const events = Array.from({ length: 5 }, (_, j) => ({
              event_id: `${who}-b${n}-${j}`, type: 'message', from_agent: who, to_agent: 'drill', message_type: 'm', content: `${who}-m${n}-${j}`,
            }));
            const r = await post('POST', '/events', { events });
            if (r.status === 201) {
              assert.deepStrictEqual(r.json, { accepted: 5, duplicates: 0 });
              acked.messages.get(who)!.push(...events.map(e => e.content));
              acked.batches.push({ events });
            } else {
              assert.strictEqual(r.status, 503, r.text);
            }
          }
        }
      } catch (e) {
        // The kill: the write in flight is unknown, not acknowledged.
        if ((e as Error).name === 'AssertionError') throw e;
        return;
      }
    }
  } finally {
    agent.destroy();
  }
}

async function verify(url: string, token: string, round: number, acked: Acked): Promise<void> {
  for (let k = 0; k < CLIENTS; k++) {
    const who = `r${round}-c${k}`;
    const d = await request(url, `/decisions?agent_id=${who}&limit=10000`, token);
    assert.strictEqual(d.status, 200);
    const stored = new Set(d.json.decisions.map((x: { decision: string }) => x.decision));
    for (const text of acked.decisions.get(who)!) assert.ok(stored.has(text), `round ${round}: acknowledged decision ${text} lost`);
    const m = await request(url, `/messages?agent_id=${who}&limit=10000`, token);
    const contents = new Set(m.json.messages.map((x: { content: string }) => x.content));
    for (const c of acked.messages.get(who)!) assert.ok(contents.has(c), `round ${round}: acknowledged message ${c} lost`);
  }
  const tasks = await request(url, '/task-progress', token);
  for (const [taskId, s] of acked.taskSeq) {
    const t = tasks.json.tasks.find((x: { task_id: string }) => x.task_id === taskId);
    assert.ok(t && t.metadata.seq >= s, `round ${round}: task ${taskId} has seq ${t?.metadata.seq}, acknowledged ${s}`);
  }
  // Resending an acknowledged batch after the crash is recognised by its event ids.
  const batch = acked.batches[acked.batches.length - 1];
  if (batch) {
    const again = await request(url, '/events', token, { method: 'POST', body: batch });
    assert.strictEqual(again.status, 201);
    assert.deepStrictEqual(again.json, { accepted: 0, duplicates: 5 });
  }
}

describe('server: kill drill over HTTP', () => {
  it('keeps every acknowledged write across repeated SIGKILLs of the server', async function () {
    const kills = Number(process.env.JARVIS_HTTP_KILLS ?? 20);
    this.timeout(30_000 + kills * 10_000);
    findCli(); // throws with a clear message when dist/cli.js is missing
    const folder = tempDir('jarvis-drill-');
    const seq = { n: 0 };
    let previous: { round: number; acked: Acked } | undefined;
    let totalAcked = 0;
    try {
      for (let round = 0; round < kills; round++) {
        const live = await startServer(folder);
        if (previous) {
          const status = await request(live.url, '/status', live.token);
          assert.strictEqual(status.json.recovered_from_crash, true, 'the restart noticed the crash');
          await verify(live.url, live.token, previous.round, previous.acked);
        }
        const acked: Acked = { decisions: new Map(), messages: new Map(), batches: [], taskSeq: new Map() };
        for (let k = 0; k < CLIENTS; k++) {
          acked.decisions.set(`r${round}-c${k}`, []);
          acked.messages.set(`r${round}-c${k}`, []);
        }
        const stop = { now: false };
        const clients = Array.from({ length: CLIENTS }, (_, k) => client(live, round, k, acked, stop, seq));
        await new Promise(r => setTimeout(r, 30 + Math.random() * 300));
        const exited = new Promise(r => live.child.once('exit', r));
        live.child.kill('SIGKILL');
        await exited;
        stop.now = true;
        await Promise.all(clients);
        totalAcked += [...acked.decisions.values()].reduce((a, b) => a + b.length, 0) + acked.batches.length + acked.taskSeq.size;
        previous = { round, acked };
      }
      assert.ok(totalAcked > kills, `the drill acknowledged only ${totalAcked} writes`);
      // The last round, checked by opening the folder directly.
      const engine = await openEngine(folder);
      try {
        assert.ok(engine.recoveryReport, 'opening after the last kill recovered');
        for (const [who, texts] of previous!.acked.decisions) {
          const stored = new Set((await engine.getDecisions({ agent_id: who, limit: 10_000 })).map(d => d.decision));
          for (const t of texts) assert.ok(stored.has(t), `acknowledged decision ${t} lost`);
        }
        for (const [who, contents] of previous!.acked.messages) {
          const stored = new Set((await engine.getMessages({ agent_id: who, limit: 10_000 })).map(m => m.content));
          for (const c of contents) assert.ok(stored.has(c), `acknowledged message ${c} lost`);
        }
      } finally {
        await engine.close();
      }
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
