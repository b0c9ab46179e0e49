// Spool drain: an orchestrator spooled 10,000 events while its server was down; the server comes
// back and the client's background drain sends them (in order, exactly once) while the
// orchestrator goes on writing. Measures the time to drain and what the new writes paid meanwhile.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { JarvisContextManager, type BatchEvent } from 'jarvis-context-client';
import { findCli } from '../test/unit/support/serveProcess';

// The shape of a token the server makes (43 base64url characters): it replaces any other.
const TOKEN = 'spool-drain-bench-token-0123456789abcdefABC';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

export async function runSpoolDrainBench(log: (s: string) => void, events = 10_000): Promise<object> {
  log(`spool drain: ${events} spooled events`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-bench-drain-'));
  const clientFolder = path.join(root, 'client');
  // The server's folder is another one: it must not take the client's spool in by itself.
  const serverFolder = path.join(root, 'server');
  fs.mkdirSync(serverFolder, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(serverFolder, 'endpoint_token'), TOKEN + '\n', { mode: 0o600 });
  const port = await freePort();
  const cm = new JarvisContextManager({ url: `http://127.0.0.1:${port}`, token: TOKEN, contextPath: clientFolder, onRecordError: () => undefined });
  const t0 = Date.now();
  for (let i = 0; i < events; i += 500) {
    const batch: BatchEvent[] = [];
    for (let j = i; j < Math.min(events, i + 500); j++) {
      batch.push({ type: 'message', from_agent: 'worker', to_agent: 'planner', message_type: 'progress', content: { i: j } });
    }
    await cm.record(batch);
  }
  const spoolMs = Date.now() - t0;
  if (cm.pendingSpooled() !== events) throw new Error(`spooled ${cm.pendingSpooled()} of ${events}`);

  const child = spawn(process.execPath, [findCli(), 'serve', '--path', serverFolder, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, JARVIS_LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<void>(r => child.once('exit', () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/listening on/.test(out)) resolve();
      });
      void exited.then(() => reject(new Error('the server exited before listening')));
    });
    const back = Date.now();
    // The orchestrator goes on: one message at a time, each after the previous was answered.
    const acks: number[] = [];
    let drainedAt = 0;
    while (!drainedAt || Date.now() - drainedAt < 200) {
      const t = performance.now();
      await cm.logAgentMessage('orchestrator', 'planner', 'progress', { n: acks.length });
      acks.push(performance.now() - t);
      if (!drainedAt && cm.pendingSpooled() === 0) drainedAt = Date.now();
      if (Date.now() - back > 120_000) throw new Error('the spool did not drain within 120 s');
    }
    const drainMs = drainedAt - back;
    acks.sort((a, b) => a - b);
    const res = await fetch(`http://127.0.0.1:${port}/api/jarvis/context/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const status = await res.json() as { counts: { messages: number }; since_start: { spool_from_clients: { accepted: number; duplicates: number } } };
    const stored = status.counts.messages;
    if (stored !== events + acks.length) throw new Error(`stored ${stored} messages, expected ${events + acks.length}`);
    const r = {
      spooled_events: events,
      spool_ms: spoolMs,
      drain_ms: drainMs,
      drained_events_per_s: Math.round(events / Math.max(drainMs, 1) * 1000),
      new_writes_during_drain: acks.length,
      new_write_ms: { p50: +percentile(acks, 50).toFixed(2), p99: +percentile(acks, 99).toFixed(2), max: +acks[acks.length - 1].toFixed(1) },
      taken_in_from_clients: status.since_start.spool_from_clients,
    };
    log(`spool drain: ${events} events in ${drainMs} ms while ${acks.length} new writes went on`);
    return r;
  } finally {
    cm.dispose();
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(root, { recursive: true, force: true });
  }
}
