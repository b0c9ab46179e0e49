// Search figures for `npm run bench` (JARVIS_BENCH_ONLY=search): what the search index costs on the
// write path (with vs without, in one run, alternated), how far it trails a sustained write load
// and what a search costs meanwhile, its bytes per record, the backfill of an older folder, and
// search latency over a long history (live and archived) against the scan it replaced, which read
// the newest 10 000 records of each kind and missed anything older. The long history is
// 400 000 records, JARVIS_BENCH_SEARCH_RECORDS=1000000 for a million (about 3.5 minutes to build).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import { ContextEngine, type BatchEvent } from '../src/core';
import { decisionCandidate, matchesAll, messageCandidate, queryTerms } from '../src/core/searchText';
import { readWasmBinary } from '../src/core/wasm';
import { search } from '../src/server/search';

const WASM = readWasmBinary(path.join(__dirname, '..', 'dist'));
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), `jarvis-bench-search-${p}-`));
const open = (folder: string, extra: object = {}) => ContextEngine.open({ folder, wasmBinary: WASM, checkpointIntervalMs: 0, ...extra });
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const r2 = (n: number) => Math.round(n * 100) / 100;

const WORDS = ('route invoice queue retry network unstable planner coder handoff database connection error escalate human ' +
  'credentials missing quarantine flaky deploy rollback migration schema index latency throughput review summary parser ' +
  'timeout budget token cache refresh stale worker scheduler').split(' ');

/** A decision or message as orchestrators write them: a sentence or two, ids, a small JSON context. */
function eventAt(i: number): BatchEvent {
  const w = (k: number) => WORDS[(i * 7 + k * 13) % WORDS.length];
  if (i % 2 === 0) {
    return { type: 'decision', decision_type: 'tool_choice', context: { step: i, options: [w(1), w(2)] },
      decision: `${w(3)} the ${w(4)} before the ${w(5)} (step ${i})`, reasoning: `the ${w(6)} ${w(7)} was ${w(8)} after ${w(9)} ${w(10)}`,
      agent_id: `agent-${i % 8}`, task_id: `task-${i % 200}` };
  }
  return { type: 'message', from_agent: `agent-${i % 8}`, to_agent: `agent-${(i + 1) % 8}`, message_type: 'handoff',
    content: { step: i, note: `${w(1)} ${w(2)} ${w(3)}, then ${w(4)} the ${w(5)}` } };
}

async function write(e: ContextEngine, from: number, to: number, batch = 1000, checkpointEvery = 20): Promise<number> {
  let maxCheckpointMs = 0;
  for (let i = from; i < to; i += batch) {
    const events: BatchEvent[] = [];
    for (let j = i; j < Math.min(to, i + batch); j++) events.push(eventAt(j));
    await e.writeBatch(events);
    if ((i / batch) % checkpointEvery === checkpointEvery - 1) {
      const t0 = performance.now();
      await e.autoCheckpoint();
      maxCheckpointMs = Math.max(maxCheckpointMs, performance.now() - t0);
    }
  }
  return maxCheckpointMs;
}

async function ackLatency(index: boolean): Promise<{ p50_ms: number; p99_ms: number }> {
  const e = await open(tmp('ack'), { searchIndex: index });
  const lat: number[] = [];
  for (let i = 0; i < 1500; i++) {
    const ev = eventAt(i * 2) as BatchEvent & { type: 'decision' };
    const t0 = performance.now();
    await e.logDecision(ev);
    lat.push(performance.now() - t0);
  }
  await e.close();
  return { p50_ms: r2(quantile(lat, 0.5)), p99_ms: r2(quantile(lat, 0.99)) };
}

async function concurrent(index: boolean): Promise<number> {
  const e = await open(tmp('conc'), { searchIndex: index });
  const writers = 64;
  const each = 200;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; i < each; i++) await e.logDecision(eventAt((w * each + i) * 2) as BatchEvent & { type: 'decision' });
  }));
  const perS = (writers * each) / ((performance.now() - t0) / 1000);
  await e.close();
  return Math.round(perS);
}

/** Batches of 1000 into a live database below its cap: records per second, and the database's bytes per record. */
async function batched(index: boolean, n: number): Promise<{ records_per_s: number; db_bytes_per_record: number; folder: string }> {
  const folder = tmp('batch');
  const e = await open(folder, { searchIndex: index, liveDbLimitBytes: 1024 * 1024 * 1024 });
  const t0 = performance.now();
  await write(e, 0, n, 1000, Number.MAX_SAFE_INTEGER);
  const perS = n / ((performance.now() - t0) / 1000);
  // Bytes with the index complete (the catch-up after the last write is not part of the writes' time).
  await e.searchIndexBuilt();
  await e.close();
  return { records_per_s: Math.round(perS), db_bytes_per_record: Math.round(fs.statSync(path.join(folder, 'jarvis_context.db')).size / n), folder };
}

/** The search this index replaced: the newest 10 000 of each kind, read and checked one by one. */
async function scanSearch(e: ContextEngine, q: string): Promise<number> {
  const terms = queryTerms(q);
  const [ds, ms] = await Promise.all([e.getDecisions({ limit: 10_000 }), e.getMessages({ limit: 10_000 })]);
  return [...ds.map(d => decisionCandidate(d)), ...ms.map(m => messageCandidate(m))].filter(c => matchesAll(c, terms)).length;
}

async function timeIt(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return r2(quantile(xs, 0.5));
}

/**
 * 64 writers for `seconds` with the catch-up running alongside: writes per second, and how many
 * live rows the index trails by (sampled every 100 ms), also in seconds of writing.
 */
async function sustained(index: boolean, seconds: number): Promise<Record<string, number>> {
  const e = await open(tmp('sust'), { searchIndex: index });
  const h = monitorEventLoopDelay({ resolution: 1 });
  let done = false;
  let n = 0;
  const trail: number[] = [];
  const sampler = setInterval(() => trail.push(Object.values(e.searchIndexTrailing()).reduce((a, b) => a + b, 0)), 100);
  setTimeout(() => (done = true), seconds * 1000);
  h.enable();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 64 }, async (_, w) => {
    for (let i = 0; !done; i++) {
      await e.logDecision(eventAt((w * 1_000_000 + i) * 2) as BatchEvent & { type: 'decision' });
      n++;
    }
  }));
  const perS = n / ((performance.now() - t0) / 1000);
  h.disable();
  clearInterval(sampler);
  const out: Record<string, number> = { writes_per_s: Math.round(perS), max_event_loop_block_ms: r2(h.max / 1e6) };
  if (index) {
    out.trailing_rows_p50 = quantile(trail, 0.5);
    out.trailing_rows_max = Math.max(...trail);
    out.trailing_s_max = r2(out.trailing_rows_max / perS);
    const t1 = performance.now();
    await e.searchIndexBuilt();
    out.caught_up_ms_after_last_write = Math.round(performance.now() - t1);
  }
  await e.close();
  return out;
}

/** Decisions at a steady `rate` per second for `seconds`: how many live rows the index trails by (sampled every 100 ms). */
async function steady(rate: number, seconds: number): Promise<Record<string, number>> {
  const e = await open(tmp('steady'));
  const trail: number[] = [];
  const t0 = performance.now();
  let sent = 0;
  const writes: Promise<unknown>[] = [];
  let nextSample = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; sent < due; sent++) writes.push(e.logDecision(eventAt(sent * 2) as BatchEvent & { type: 'decision' }));
    if (performance.now() - t0 >= nextSample) {
      trail.push(e.searchIndexTrailing().decision);
      nextSample += 100;
    }
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  await Promise.all(writes);
  await e.close();
  const p50 = quantile(trail, 0.5);
  const max = Math.max(...trail);
  return { rate, trailing_rows_p50: p50, trailing_rows_max: max, trailing_s_p50: r2(p50 / rate), trailing_s_max: r2(max / rate) };
}

/** Search over `live` indexed records and a burst of `burst` more the catch-up has not reached yet, then after it. */
async function backlog(live: number, burst: number): Promise<Record<string, number>> {
  const e = await open(tmp('backlog'), { liveDbLimitBytes: 1024 * 1024 * 1024 });
  await write(e, 0, live, 1000, Number.MAX_SAFE_INTEGER);
  await e.searchIndexBuilt();
  const q = 'rollback schema';
  const before = await timeIt(() => search(e, q, 20), 3);
  await write(e, live, live + burst, 1000, Number.MAX_SAFE_INTEGER);
  const waiting = Object.values(e.searchIndexTrailing()).reduce((a, b) => a + b, 0);
  const t0 = performance.now();
  await search(e, q, 20);
  const during = performance.now() - t0;
  await e.searchIndexBuilt();
  const after = await timeIt(() => search(e, q, 20), 3);
  await e.close();
  return { indexed_records: live, unindexed_records: waiting, search_ms_caught_up_before: before, search_ms_with_backlog: r2(during), search_ms_caught_up_after: after };
}

/**
 * Median of three runs, with and without the index alternated (which goes first swaps every round)
 * after one run thrown away, so both see the same machine and neither the cold JIT.
 */
async function alternate<T>(fn: (index: boolean) => Promise<T>, key: (x: T) => number): Promise<{ with_index: T; without_index: T }> {
  const w: T[] = [];
  const wo: T[] = [];
  await fn(false);
  for (let i = 0; i < 3; i++) {
    for (const index of i % 2 ? [false, true] : [true, false]) (index ? w : wo).push(await fn(index));
  }
  const mid = (xs: T[]) => [...xs].sort((a, b) => key(a) - key(b))[1];
  return { with_index: mid(w), without_index: mid(wo) };
}

export async function runSearchBench(log: (s: string) => void): Promise<Record<string, unknown>> {
  log('search: write cost with and without the index');
  const ack = await alternate(ackLatency, x => x.p50_ms);
  const conc = await alternate(concurrent, x => x);
  const n = 50_000;
  const batches = await alternate(index => batched(index, n), x => x.records_per_s);
  const withIdx = batches.with_index;
  const without = batches.without_index;
  log('search: 64 writers for 6 s, the index catching up alongside (two rounds each, alternated)');
  const sustRuns: Record<string, number>[][] = [[], []];
  for (let i = 0; i < 2; i++) {
    sustRuns[0].push(await sustained(true, 6));
    sustRuns[1].push(await sustained(false, 6));
  }
  const sust = { with_index: sustRuns[0], without_index: sustRuns[1] };
  const sumRate = (xs: Record<string, number>[]) => xs.reduce((a, x) => a + x.writes_per_s, 0);
  log('search: how far the index trails a steady 1,000 and 3,000 writes/s');
  const steadyRates = [await steady(1000, 8), await steady(3000, 8)];
  log('search: a search with a backlog the catch-up has not reached');
  const back = await backlog(100_000, 50_000);

  log('search: backfill of a folder written without the index');
  const h = monitorEventLoopDelay({ resolution: 1 });
  const t0 = performance.now();
  const old = await open(without.folder);
  // The steps run between writes once the folder is open (loading it is not part of them).
  h.enable();
  await old.searchIndexBuilt();
  const backfillMs = performance.now() - t0;
  h.disable();
  await old.close();

  const big = Number(process.env.JARVIS_BENCH_SEARCH_RECORDS ?? 400_000);
  log(`search: ${big} records (default live cap, older ones in archive segments)`);
  const folder = tmp('big');
  const e = await open(folder);
  await e.logDecision({ decision_type: 'plan', context: null, decision: 'Quarantine the zebraquartz test', reasoning: 'Datenbankverbindungsfehler; データベース接続を再試行する' });
  const tb = performance.now();
  const maxCheckpointMs = await write(e, 0, big);
  const buildS = (performance.now() - tb) / 1000;
  // Searches below are timed with the index caught up (search_with_backlog times one before).
  await e.searchIndexBuilt();
  const m = e.getMetrics();
  const queries: Record<string, string> = {
    rare_oldest: 'zebraquartz', compound_part: 'verbindung', japanese: '接続', two_words_common: 'rollback schema', one_common: 'network',
  };
  const latency: Record<string, unknown> = {};
  for (const [name, q] of Object.entries(queries)) {
    log(`search: "${q}"`);
    const hits = (await search(e, q, 20)).length;
    latency[name] = {
      q, index_ms: await timeIt(() => search(e, q, 20), 3), results: hits,
      scan_ms: await timeIt(() => scanSearch(e, q), 3), scan_matches: await scanSearch(e, q),
    };
  }
  await e.close();
  return {
    ack_latency_ms: { ...ack, p50_ratio: r2(ack.with_index.p50_ms / ack.without_index.p50_ms) },
    concurrent_writes_per_s: { ...conc, ratio: r2(conc.with_index / conc.without_index) },
    batched_records_per_s: { with_index: withIdx.records_per_s, without_index: without.records_per_s, ratio: r2(withIdx.records_per_s / without.records_per_s) },
    sustained_64_writers: { ...sust, ratio: r2(sumRate(sust.with_index) / sumRate(sust.without_index)) },
    steady_writes_trailing: steadyRates,
    search_with_backlog: back,
    index_bytes_per_record: withIdx.db_bytes_per_record - without.db_bytes_per_record,
    db_bytes_per_record: { with_index: withIdx.db_bytes_per_record, without_index: without.db_bytes_per_record },
    backfill: { records: n, ms_from_open: Math.round(backfillMs), max_event_loop_block_ms: r2(h.max / 1e6) },
    history: { records: big + 1, build_s: r2(buildS), records_per_s: Math.round(big / buildS), archive_segments: m.archive_bytes > 0 ? fs.readdirSync(path.join(folder, 'archive')).length : 0,
      archive_bytes: m.archive_bytes, max_checkpoint_with_archive_ms: Math.round(maxCheckpointMs) },
    search_latency: latency,
  };
}


