// `npm run bench`: prints one JSON object with every figure (progress goes to stderr).
// `npm run bench -- --against <ref>` compares with another commit (bench/against.ts).
// Speed targets live here, never in unit tests: compare figures within one run, on one machine.
import * as os from 'os';
import { runAlertsBench } from './alerts';
import { parseAgainstArgs, runAgainst } from './against';
import { runBusyDayBench } from './busyDay';
import { runDebugBench } from './debug';
import { runEngineBench } from './engine';
import { runHttpBench } from './http';
import { runLangGraphBench } from './langgraph';
import { runOtelBench } from './otel';
import { runSearchBench } from './search';
import { runSpoolDrainBench } from './spoolDrain';
import { runTeamBench } from './team';
import { runTimelineBench } from './timeline';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

/** The section running, for the guard below. */
let section = 'start';
let printed = false;
// Node exits when nothing holds the event loop, even in the middle of an await (work waiting on
// unref'd timers): without this the bench would end with status 0 and no JSON.
process.on('beforeExit', () => {
  if (printed) return;
  process.stderr.write(`[bench] ended in section "${section}" without its JSON: something awaited work that nothing held the process open for\n`);
  process.exit(3);
});

async function main(): Promise<void> {
  // `npm run bench -- --against <ref>`: compare with another commit instead (bench/against.ts).
  const against = parseAgainstArgs(process.argv.slice(2));
  if (against) {
    section = 'against';
    process.exitCode = await runAgainst(against);
    printed = true;
    return;
  }
  const only = process.env.JARVIS_BENCH_ONLY;
  const result: Record<string, unknown> = {
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    started_at: new Date().toISOString(),
  };
  const step = (name: string): boolean => {
    if (only && only !== name) return false;
    section = name;
    return true;
  };
  if (step('busyday')) result.busy_day = await runBusyDayBench(log);
  if (step('engine')) result.engine = await runEngineBench(log);
  if (step('http')) {
    log('http');
    result.http = await runHttpBench();
  }
  if (step('otel')) {
    log('otel');
    result.otel = await runOtelBench();
  }
  if (step('spool')) result.spool_drain = await runSpoolDrainBench(log);
  if (step('alerts')) result.alerts = await runAlertsBench(log);
  if (step('search')) result.search = await runSearchBench(log);
  if (step('team')) result.team = await runTeamBench(log);
  if (step('timeline')) result.timeline = await runTimelineBench(log);
  if (step('langgraph')) result.langgraph = await runLangGraphBench(log);
  if (step('debug')) result.debug = await runDebugBench(log);
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  printed = true;
}

main().catch(e => {
  process.stderr.write(`bench failed: ${e?.stack ?? e}\n`);
  // --against: 1 means a figure got worse, 2 that the comparison itself could not run.
  process.exit(process.argv.includes('--against') ? 2 : 1);
});
