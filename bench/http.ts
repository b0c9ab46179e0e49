// HTTP benchmark (`npm run bench`; JARVIS_BENCH_ONLY=http for this part alone): acknowledged
// (durable) writes per second over keep-alive with 1 and 16 clients,
// p50/p99 latency, and batched events per second through POST /events. The server runs as
// `jarvis-context serve` in its own process (as users run it) on a temp folder, 127.0.0.1 only.
// Targets: >= 5,000 single writes/s, >= 50,000 events/s batched, p99 < 5 ms at 16 clients.
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';
import { startServe } from '../test/unit/support/serveProcess';

interface Server {
  url: string;
  token: string;
  stop(): Promise<void>;
}

async function startServer(folder: string): Promise<Server> {
  const live = await startServe(folder);
  return {
    url: live.url,
    token: live.token,
    stop: async () => {
      live.child.kill('SIGTERM');
      await live.exited;
    },
  };
}

// The ceiling on this machine: a server that only parses the JSON body and answers, in its own
// process like `serve`, driven by the same client. Our figures are read as a share of it.
const BASELINE_SERVER = `
const http = require('http');
const s = http.createServer((req, res) => {
  let b = '';
  req.setEncoding('utf8');
  req.on('data', d => (b += d));
  req.on('end', () => {
    JSON.parse(b);
    const out = JSON.stringify({ ok: true });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(out) });
    res.end(out);
  });
});
s.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + s.address().port + '\\n'));
`;

async function startBaseline(): Promise<Server> {
  const child = spawn(process.execPath, ['-e', BASELINE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>(r => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', code => reject(new Error(`baseline server exited (${code})`)));
  });
  return { url, token: 'none', stop: async () => { child.kill('SIGTERM'); await exited; } };
}

function send(agent: http.Agent, server: Server, method: string, route: string, body: string): Promise<number> {
  const url = new URL(server.url + route);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: url.port, path: url.pathname, method, agent, headers: {
        Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
      } },
      res => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

interface Run {
  ops: number;
  seconds: number;
  latencies: number[];
}

/** `clients` concurrent loops of `perClient` sequential requests, each on its own keep-alive socket. */
async function measure(server: Server, clients: number, perClient: number, make: (c: number, i: number) => [string, string, string]): Promise<Run> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const [method, route, body] = make(c, i);
        const s = process.hrtime.bigint();
        const status = await send(agent, server, method, route, body);
        latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
        if (status < 200 || status >= 300) throw new Error(`${method} ${route}: ${status}`);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { ops: clients * perClient, seconds, latencies };
}

function summary(r: Run): { writes_per_s: number; p50_ms: number; p99_ms: number; writes: number } {
  return { writes: r.ops, writes_per_s: Math.round(r.ops / r.seconds), p50_ms: round(percentile(r.latencies, 50), 3), p99_ms: round(percentile(r.latencies, 99), 3) };
}

export async function runHttpBench(options: { scale?: number } = {}): Promise<object> {
  const scale = options.scale ?? Number(process.env.JARVIS_BENCH_SCALE ?? 1);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-bench-http-'));
  const server = await startServer(folder);
  try {
    const decision = (c: number, i: number): [string, string, string] => [
      'POST', '/decisions', JSON.stringify({ decision_type: 'bench', context: { c, i }, decision: `d${c}-${i}`, reasoning: 'benchmark', agent_id: `agent-${c}` }),
    ];
    const task = (c: number, i: number): [string, string, string] => [
      'PUT', `/tasks/bench-${c}`, JSON.stringify({ status: 'in_progress', percentage: i % 100, description: `task ${c}` }),
    ];
    await measure(server, 4, Math.round(100 * scale), decision); // warm-up: JIT, sockets, journal file
    const one = await measure(server, 1, Math.round(1500 * scale), (c, i) => (i % 2 ? task(c, i) : decision(c, i)));
    const sixteen = await measure(server, 16, Math.round(400 * scale), (c, i) => (i % 2 ? task(c, i) : decision(c, i)));
    const batchSize = 1000;
    const batch = await measure(server, 4, Math.round(15 * scale), (c, i) => [
      'POST', '/events', JSON.stringify({
        events: Array.from({ length: batchSize }, (_, j) => ({
          type: 'message', from_agent: `agent-${c}`, to_agent: 'coordinator', message_type: 'progress', content: { i, j },
        })),
      }),
    ]);
    const batchEventsPerS = Math.round((batch.ops * batchSize) / batch.seconds);
    const s1 = summary(one);
    const s16 = summary(sixteen);
    const baseline = await startBaseline();
    let b1: ReturnType<typeof summary>;
    let b16: ReturnType<typeof summary>;
    try {
      await measure(baseline, 4, Math.round(100 * scale), decision);
      b1 = summary(await measure(baseline, 1, Math.round(1500 * scale), (c, i) => (i % 2 ? task(c, i) : decision(c, i))));
      b16 = summary(await measure(baseline, 16, Math.round(400 * scale), (c, i) => (i % 2 ? task(c, i) : decision(c, i))));
    } finally {
      await baseline.stop();
    }
    return {
      single_writes_1_client: s1,
      single_writes_16_clients: s16,
      // same requests to a server that parses and answers, nothing else: what node:http allows here
      bare_node_http_ceiling: {
        clients_1: b1, clients_16: b16,
        share_of_ceiling_1_client: round(s1.writes_per_s / b1.writes_per_s, 2),
        share_of_ceiling_16_clients: round(s16.writes_per_s / b16.writes_per_s, 2),
      },
      batched_events: {
        batch_size: batchSize, batches: batch.ops, events_per_s: batchEventsPerS,
        p50_ms: round(percentile(batch.latencies, 50), 3), p99_ms: round(percentile(batch.latencies, 99), 3),
      },
      targets: { single_writes_per_s: 5000, batched_events_per_s: 50000, p99_ms_at_16_clients: 5 },
      met: {
        single_writes_per_s: Math.max(s1.writes_per_s, s16.writes_per_s) >= 5000,
        batched_events_per_s: batchEventsPerS >= 50000,
        p99_ms_at_16_clients: s16.p99_ms < 5,
      },
      cpus: os.cpus().length,
    };
  } finally {
    await server.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
