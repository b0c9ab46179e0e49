// HTTP benchmark (`npm run bench`; JARVIS_BENCH_ONLY=http for this part alone): acknowledged
// (durable) writes per second over keep-alive with 1 and 16 clients,
// p50/p99 latency, batched events per second through POST /events, and OTLP spans per second
// through POST /v1/traces. The server runs as `jarvis-context serve` in its own process (as users
// run it) on a temp folder, 127.0.0.1 only; JARVIS_BENCH_CLI names another build's dist/cli.js
// (`npm run bench -- --against <ref>` measures an older server with this same client).
// Every workload also goes to a bare node:http server in the same run, right after: its share of
// that ceiling is the figure that survives a busy machine.
// Targets: >= 5,000 single writes/s, >= 50,000 events/s batched, p99 < 5 ms at 16 clients.
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { startServe } from '../test/unit/support/serveProcess';
import { runs } from './otel';

interface Server {
  url: string;
  origin: string;
  token: string;
  stop(): Promise<void>;
}

async function startServer(folder: string): Promise<Server> {
  const live = await startServe(folder);
  return {
    url: live.url,
    origin: live.origin,
    token: live.token,
    stop: async () => {
      live.child.kill('SIGTERM');
      await live.exited;
    },
  };
}

// The ceiling on this machine: a server that only parses the JSON body and answers, in its own
// process like `serve`, driven by the same client. Our figures are read as a share of it.
// Protobuf bodies (OTLP) are only read.
const BASELINE_SERVER = `
const http = require('http');
const s = http.createServer((req, res) => {
  const parts = [];
  req.on('data', d => parts.push(d));
  req.on('end', () => {
    const b = Buffer.concat(parts);
    if (String(req.headers['content-type']).includes('json')) JSON.parse(b.toString('utf8'));
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
  return { url, origin: url, token: 'none', stop: async () => { child.kill('SIGTERM'); await exited; } };
}

type Request = [method: string, route: string, body: string | Buffer, contentType?: string];

/** A route starting with /v1/ is outside the API (OTLP), on the server's origin. */
function send(agent: http.Agent, server: Server, method: string, route: string, body: string | Buffer, contentType = 'application/json'): Promise<number> {
  const url = new URL((route.startsWith('/v1/') ? server.origin : server.url) + route);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: url.port, path: url.pathname, method, agent, headers: {
        Authorization: `Bearer ${server.token}`, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body),
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
async function measure(server: Server, clients: number, perClient: number, make: (c: number, i: number) => Request): Promise<Run> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const [method, route, body, type] = make(c, i);
        const s = process.hrtime.bigint();
        const status = await send(agent, server, method, route, body, type);
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

/** Items (events, spans) a second for `r`, whose requests carry `per` items each. */
function rates(r: Run, per: number): { per_s: number; p50_ms: number; p99_ms: number } {
  return { per_s: Math.round((r.ops * per) / r.seconds), p50_ms: round(percentile(r.latencies, 50), 3), p99_ms: round(percentile(r.latencies, 99), 3) };
}
const eventRates = (r: Run, per: number) => { const { per_s, ...rest } = rates(r, per); return { events_per_s: per_s, ...rest }; };
const spanRates = (r: Run, per: number) => { const { per_s, ...rest } = rates(r, per); return { spans_per_s: per_s, ...rest }; };

export async function runHttpBench(options: { scale?: number } = {}): Promise<object> {
  const scale = options.scale ?? Number(process.env.JARVIS_BENCH_SCALE ?? 1);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-bench-http-'));
  const server = await startServer(folder);
  let baseline: Server | undefined;
  try {
    baseline = await startBaseline();
    const decision = (c: number, i: number): Request => [
      'POST', '/decisions', JSON.stringify({ decision_type: 'bench', context: { c, i }, decision: `d${c}-${i}`, reasoning: 'benchmark', agent_id: `agent-${c}` }),
    ];
    const task = (c: number, i: number): Request => [
      'PUT', `/tasks/bench-${c}`, JSON.stringify({ status: 'in_progress', percentage: i % 100, description: `task ${c}` }),
    ];
    const mixed = (c: number, i: number): Request => (i % 2 ? task(c, i) : decision(c, i));
    const batchSize = 1000;
    const batchBody = (c: number, i: number): Request => [
      'POST', '/events', JSON.stringify({
        events: Array.from({ length: batchSize }, (_, j) => ({
          type: 'message', from_agent: `agent-${c}`, to_agent: 'coordinator', message_type: 'progress', content: { i, j },
        })),
      }),
    ];
    // OTLP as the SDK's BatchSpanProcessor sends it: 512-span protobuf batches, 4 exporters.
    const spanBatch = 512;
    const otlpClients = 4;
    const spans = runs(Math.round(1000 * scale));
    const otlpBodies: Buffer[] = [];
    for (let i = 0; i + spanBatch <= spans.length; i += spanBatch) otlpBodies.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans.slice(i, i + spanBatch))!));
    const perOtlpClient = Math.floor(otlpBodies.length / otlpClients);
    const otlp = (c: number, i: number): Request => ['POST', '/v1/traces', otlpBodies[c * perOtlpClient + i], 'application/x-protobuf'];

    // Each workload on our server, then at once on the bare one: both see the same machine load.
    const both = async (clients: number, perClient: number, make: (c: number, i: number) => Request): Promise<[Run, Run]> =>
      [await measure(server, clients, perClient, make), await measure(baseline!, clients, perClient, make)];
    await both(4, Math.round(100 * scale), decision); // warm-up: JIT, sockets, journal file
    const [one, b1] = await both(1, Math.round(1500 * scale), mixed);
    const [sixteen, b16] = await both(16, Math.round(400 * scale), mixed);
    const [batch, bb] = await both(4, Math.round(15 * scale), batchBody);
    const [spanRun, bo] = await both(otlpClients, perOtlpClient, otlp);

    const s1 = summary(one);
    const s16 = summary(sixteen);
    const sb = { batch_size: batchSize, batches: batch.ops, ...eventRates(batch, batchSize) };
    const so = { batch_size: spanBatch, batches: spanRun.ops, ...spanRates(spanRun, spanBatch) };
    const bare = {
      single_writes_1_client: summary(b1), single_writes_16_clients: summary(b16),
      batched_events: eventRates(bb, batchSize), otlp_spans: spanRates(bo, spanBatch),
    };
    return {
      single_writes_1_client: s1,
      single_writes_16_clients: s16,
      batched_events: sb,
      otlp_spans: so,
      // the same requests to a server that parses and answers, nothing else: what node:http allows here
      bare_node_http_ceiling: bare,
      share_of_bare: {
        single_writes_1_client: round(s1.writes_per_s / bare.single_writes_1_client.writes_per_s, 2),
        single_writes_16_clients: round(s16.writes_per_s / bare.single_writes_16_clients.writes_per_s, 2),
        batched_events: round(sb.events_per_s / bare.batched_events.events_per_s, 2),
        otlp_spans: round(so.spans_per_s / bare.otlp_spans.spans_per_s, 4),
      },
      targets: { single_writes_per_s: 5000, batched_events_per_s: 50000, p99_ms_at_16_clients: 5 },
      met: {
        single_writes_per_s: Math.max(s1.writes_per_s, s16.writes_per_s) >= 5000,
        batched_events_per_s: sb.events_per_s >= 50000,
        p99_ms_at_16_clients: s16.p99_ms < 5,
      },
      server_cli: process.env.JARVIS_BENCH_CLI ?? 'this build',
      cpus: os.cpus().length,
    };
  } finally {
    await baseline?.stop();
    await server.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
