// Team mode figures for `npm run bench` (JARVIS_BENCH_ONLY=team), against a throwaway PostgreSQL:
// events per second into PostgreSQL, replication lag at a steady 1,000 writes/s, the time to
// drain a 60-second outage's backlog, and the local acknowledgement with team mode on vs off.
import { ContextEngine } from '../src/core';
import { readWasmBinary } from '../src/core/wasm';
import { checkTeamConfig } from '../src/team/teamConfig';
import { TeamMode } from '../src/team/teamMode';
import { startPg } from '../test/unit/support/pgServer';
import { eventAt, tmp } from './engine';
import * as path from 'path';

const WASM = readWasmBinary(path.join(__dirname, '..', 'dist'));
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const r2 = (n: number): number => Math.round(n * 100) / 100;
const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));

async function waitUntil(fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

/** `rate` single-event writes a second for `seconds`, paced in 10 ms ticks; answers each ack's latency. */
async function steady(engine: ContextEngine, rate: number, seconds: number, offset: number): Promise<number[]> {
  const lat: number[] = [];
  const perTick = rate / 100;
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let tick = 0; tick < seconds * 100; tick++) {
    const due = t0 + tick * 10;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    for (let k = 0; k < perTick; k++) {
      const i = offset + tick * perTick + k;
      const s = performance.now();
      inFlight.push(engine.writeBatch([eventAt(i)]).then(() => void lat.push(performance.now() - s)));
    }
  }
  await Promise.all(inFlight);
  return lat;
}

export async function runTeamBench(log: (s: string) => void): Promise<Record<string, unknown>> {
  const pg = await startPg();
  try {
    const url = await pg.createDatabase('bench');
    // Local acknowledgement with team mode off: the same steady load on a plain folder.
    log('team: local acks, team mode off');
    const plain = await ContextEngine.open({ folder: tmp('team-off'), wasmBinary: WASM, checkpointIntervalMs: 0 });
    await steady(plain, 1000, 1, 0);
    const offLat = await steady(plain, 1000, 10, 1000);
    await plain.close();

    const folder = tmp('team-on');
    const team = new TeamMode(folder, checkTeamConfig({ databaseUrl: url, project: 'bench' })!, { debug() {}, info() {}, warn() {}, error() {} } as never);
    const engine = await ContextEngine.open({ folder, wasmBinary: WASM, checkpointIntervalMs: 0, journalTap: team.journalTap });
    await team.attach(engine);
    const r = team.running;
    await waitUntil(() => r.state === 'replicating', 30_000);

    log('team: steady 1,000 writes/s, team mode on');
    await steady(engine, 1000, 1, 0);
    await waitUntil(() => r.pending === 0, 30_000);
    const lagBefore = r.lagSamples().length;
    const onLat = await steady(engine, 1000, 10, 1000);
    await waitUntil(() => r.pending === 0, 30_000);
    const lags = r.lagSamples().slice(lagBefore);

    log('team: a 60-second outage (60,000 writes while PostgreSQL is down), then the drain');
    await pg.stopImmediate();
    await waitUntil(() => r.state === 'offline', 30_000);
    const backlog = 60_000;
    let offset = 20_000;
    for (let i = 0; i < backlog; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, k) => engine.writeBatch([eventAt(offset + i + k)])));
      if (i % 20_000 === 0) await engine.compact();
    }
    offset += backlog;
    const pendingAtRestart = r.pending;
    const tStart = performance.now();
    await pg.start();
    await waitUntil(() => r.state === 'replicating', 60_000);
    const tConnected = performance.now();
    await waitUntil(() => r.pending === 0, 300_000);
    const tDone = performance.now();
    const drainS = (tDone - tConnected) / 1000;

    await team.close();
    await engine.close();
    const offP50 = quantile(offLat, 0.5);
    const onP50 = quantile(onLat, 0.5);
    return {
      events_per_s_into_postgres: Math.round(pendingAtRestart / drainS),
      lag_at_1000_per_s: { p50_ms: r2(quantile(lags, 0.5)), p90_ms: r2(quantile(lags, 0.9)), p99_ms: r2(quantile(lags, 0.99)), max_ms: r2(Math.max(...lags)), n: lags.length },
      outage_60s_backlog: {
        records: pendingAtRestart,
        drain_s_after_reconnect: r2(drainS),
        reconnect_s_after_postgres_start: r2((tConnected - tStart) / 1000),
        total_s_after_postgres_start: r2((tDone - tStart) / 1000),
      },
      local_ack_p50_ms: { team_off: r2(offP50), team_on: r2(onP50), ratio_on_off: r2(onP50 / offP50) },
      local_ack_p99_ms: { team_off: r2(quantile(offLat, 0.99)), team_on: r2(quantile(onLat, 0.99)) },
      targets: { events_per_s: 20_000, lag_p50_ms: 50, lag_p99_ms: 250, ack_ratio: 1.1 },
    };
  } finally {
    pg.stop();
  }
}
