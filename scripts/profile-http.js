// Where the server's CPU goes per HTTP write: runs `serve` (this build's dist/cli.js, or --cli
// <other build's dist/cli.js>) under --cpu-prof, drives 16 keep-alive clients of single durable
// writes (decisions and task updates, as bench/http.ts), then prints server CPU per write by
// category (from whole stacks) and by the innermost src/ function (sql.js, wasm, fs and crypto
// time charged to the project function that asked for it). Build first: npm run build.
// With --batches, the clients send batches of 1,000 messages through POST /events instead (as
// bench/http.ts's batched workload), and the figures are per event.
//   node scripts/profile-http.js [--cli <dist/cli.js>] [--per-client 1000] [--batches] [--keep <file>]
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { SourceMap } = require('module');

const arg = (flag, dflt) => { const i = process.argv.indexOf(flag); return i >= 0 ? process.argv[i + 1] : dflt; };
const cli = path.resolve(arg('--cli', path.join(__dirname, '..', 'dist', 'cli.js')));
const perClient = Number(arg('--per-client', 1000));
const BATCHES = process.argv.includes('--batches');
const BATCH_SIZE = 1000;
const CLIENTS = BATCHES ? 4 : 16;

// First rule whose pattern matches a frame of the sample's stack wins; order matters.
const RULES = [
  ['startup (open, loadState, token, endpoint file)', /loadState|openEngine|loadOrCreateToken|writeEndpoint|saveLastPort|src\/cli\.ts|crashMarker/],
  ['search index catch-up', /searchIndex|historySearch|searchText/],
  ['watchdogs / alerts', /watchdog|alerts?\.ts/i],
  ['team tap / replicator', /src\/team\//],
  ['storage metrics', /metrics|storageStats|diskUsage/i],
  ['client bookkeeping', /clientName|clientStats|sinceStart/],
  ['journal append (write + fdatasync)', /journal\.ts|nodeFs/],
  ['write transaction (sql.js)', /store\.ts/],
  ['core validation (door rule)', /src\/core\/validate/],
  ['auth (token hash)', /auth\.ts/],
  ['request parse, route, answer (src/server)', /src\/server\//],
  ['engine / write path JS', /src\/core\//],
  ['GC', /garbage collector/],
  ['node http / other', /./],
];

function drive(base, token) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const send = (method, route, body) => new Promise((resolve, reject) => {
    const u = new URL(base + route);
    const req = http.request({ host: '127.0.0.1', port: u.port, path: u.pathname, method, agent, headers: {
      Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
    } }, res => { res.resume(); res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(`${route}: ${res.statusCode}`)))); });
    req.on('error', reject);
    req.end(body);
  });
  const batch = (c, i) => send('POST', '/events', JSON.stringify({
    events: Array.from({ length: BATCH_SIZE }, (_, j) => ({ type: 'message', from_agent: `agent-${c}`, to_agent: 'coordinator', message_type: 'progress', content: { i, j } })),
  }));
  const one = BATCHES ? batch : (c, i) => (i % 2
    ? send('PUT', `/tasks/bench-${c}`, JSON.stringify({ status: 'in_progress', percentage: i % 100, description: `task ${c}` }))
    : send('POST', '/decisions', JSON.stringify({ decision_type: 'bench', context: { c, i }, decision: `d${c}-${i}`, reasoning: 'benchmark', agent_id: `agent-${c}` })));
  const t0 = Date.now();
  return Promise.all(Array.from({ length: CLIENTS }, async (_, c) => { for (let i = 0; i < perClient; i++) await one(c, i); }))
    .then(() => { agent.destroy(); return (Date.now() - t0) / 1000; });
}

function analyse(profileFile, mapFile, writes) {
  const p = JSON.parse(fs.readFileSync(profileFile, 'utf8'));
  const sm = fs.existsSync(mapFile) ? new SourceMap(JSON.parse(fs.readFileSync(mapFile, 'utf8'))) : undefined;
  const dt = new Map();
  for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) || 0) + (p.timeDeltas[i] || 0));
  const byId = new Map(p.nodes.map(n => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const names = new Map();
  const name = n => {
    if (names.has(n.id)) return names.get(n.id);
    const cf = n.callFrame;
    let s = `${cf.functionName || '(anon)'}  ${cf.url.replace(/^.*\//, '') || '(native)'}`;
    let src = false;
    if (sm && cf.url.endsWith('cli.js') && cf.lineNumber >= 0) {
      const e = sm.findEntry(cf.lineNumber, cf.columnNumber);
      if (e && e.originalSource) {
        s = `${cf.functionName || '(anon)'}  ${e.originalSource.replace(/^.*?(src\/|node_modules\/)/, '$1')}`;
        src = s.includes('  src/');
      }
    }
    const v = { s, src };
    names.set(n.id, v);
    return v;
  };
  const cats = new Map();
  const own = new Map();
  let busy = 0;
  for (const [id, t] of dt) {
    if (byId.get(id).callFrame.functionName === '(idle)') continue;
    busy += t;
    const stack = [];
    for (let c = id; c; c = parent.get(c)) stack.push(name(byId.get(c)));
    const text = stack.map(f => f.s).join('\n');
    const rule = RULES.find(([, rx]) => rx.test(text));
    cats.set(rule[0], (cats.get(rule[0]) || 0) + t);
    const inner = stack.find(f => f.src) || { s: `(outside src: ${stack[0].s})` };
    own.set(inner.s, (own.get(inner.s) || 0) + t);
  }
  const row = (k, t) => `${(t / writes).toFixed(1).padStart(7)} µs/write ${(100 * t / busy).toFixed(1).padStart(5)} %  ${k}`;
  console.log(`server CPU (not idle): ${(busy / writes).toFixed(0)} µs/write\n-- by category --`);
  for (const [k] of RULES) if (cats.get(k)) console.log(row(k, cats.get(k)));
  console.log('-- by innermost src/ function --');
  for (const [k, t] of [...own].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(row(k, t));
}

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-profile-http-'));
const profDir = path.join(folder, 'profile');
const store = path.join(folder, 'store');
fs.mkdirSync(store);
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '200', cli, 'serve', '--path', store, '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, JARVIS_LOG_LEVEL: 'warn' },
});
let out = '';
let started = false;
let seconds = 0;
child.stdout.on('data', d => {
  out += d;
  const m = /listening on (\S+)/.exec(out);
  if (!m || started) return;
  started = true;
  const token = JSON.parse(fs.readFileSync(path.join(store, 'endpoint.json'), 'utf8')).token;
  drive(m[1], token).then(s => { seconds = s; child.kill('SIGTERM'); }, e => { console.error(e); process.exitCode = 1; child.kill('SIGTERM'); });
});
child.on('exit', () => {
  try {
    const writes = CLIENTS * perClient * (BATCHES ? BATCH_SIZE : 1);
    const file = fs.existsSync(profDir) && fs.readdirSync(profDir).find(f => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no profile written');
    console.log(`${cli}: ${writes} writes, ${CLIENTS} clients, ${seconds.toFixed(2)} s = ${Math.round(writes / seconds)}/s (under the profiler)`);
    analyse(path.join(profDir, file), cli + '.map', writes);
    const keep = arg('--keep');
    if (keep) fs.copyFileSync(path.join(profDir, file), keep);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
