#!/usr/bin/env node
// Shows that the power-cut drill has teeth: for each fsync/fdatasync/syncDir call site in src/core
// (found from source-mapped stacks), turn that site's syncs into no-ops and run power cuts; the
// drill must fail. Usage: npm run test:powercut:teeth (after npm run build).
//   JARVIS_POWERCUT_TEETH_RUNS  cuts per mutated site (default 40)
//   JARVIS_POWERCUT_TEETH_SITE  only mutate sites containing this text
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

// Stacks must name src/core files, so run under --enable-source-maps.
if (!process.execArgv.includes('--enable-source-maps')) {
  const r = spawnSync(process.execPath, ['--enable-source-maps', __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { runOne, calibrate } = require(path.join(__dirname, '..', 'out', 'test', 'unit', 'powercut', 'harness.js'));
const RUNS = Number(process.env.JARVIS_POWERCUT_TEETH_RUNS ?? 40);
const ONLY = process.env.JARVIS_POWERCUT_TEETH_SITE;
const STEPS = 30;
const BASE = 777000;
// Half the runs inject ENOSPC/EIO, so the failure-path syncs run too.
const faultsFor = seed => seed % 2 === 1;

async function main() {
  const t0 = Date.now();
  const expectedOps = await calibrate(7, STEPS);

  // Discover the call sites, and check the unmutated drill passes on the same seeds.
  const sites = new Map();
  let baselineFailures = 0;
  for (let i = 0; i < RUNS; i++) {
    const seed = BASE + i;
    const r = await runOne({ seed, expectedOps, steps: STEPS, faults: faultsFor(seed), recordSites: true });
    for (const s of r.sites.values()) {
      sites.set(s.direct, s.kind);
      sites.set(s.chain, s.kind);
    }
    if (r.failures.length) {
      baselineFailures++;
      console.log(`baseline seed ${seed} failed: ${r.failures[0]}`);
    }
  }
  const keys = [...sites.keys()].filter(k => !ONLY || k.includes(ONLY)).sort((a, b) => {
    const direct = k => (k.includes(' <- ') ? 1 : 0);
    return a.split(' <- ')[0].localeCompare(b.split(' <- ')[0]) || direct(a) - direct(b) || a.localeCompare(b);
  });
  console.log(`baseline: ${baselineFailures} of ${RUNS} cuts failed without a mutation; ${keys.length} call sites\n`);

  const rows = [];
  for (const key of keys) {
    let failed = 0;
    let fired = 0;
    let example = '';
    for (let i = 0; i < RUNS; i++) {
      const seed = BASE + i;
      const r = await runOne({ seed, expectedOps, steps: STEPS, faults: faultsFor(seed), mutate: key });
      if (r.mutatedSkips > 0) fired++;
      if (r.failures.length) {
        failed++;
        if (!example) example = `seed ${seed}: ${r.failures[0]}`;
      }
    }
    rows.push({ key, failed, fired, example });
    console.log(`${failed ? 'CAUGHT ' : 'MISSED '} ${failed}/${RUNS} cuts failed (site ran in ${fired})  ${key}${example ? `\n         e.g. ${example.slice(0, 160)}` : ''}`);
  }

  console.log('\n| removed sync (call site <- callers) | cuts failed / run | runs where it was called |');
  console.log('| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.key.replace(/\|/g, '\\|')} | ${r.failed} / ${RUNS} | ${r.fired} |`);
  console.log(`\n${((Date.now() - t0) / 1000).toFixed(0)} s; baseline failures: ${baselineFailures}`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
