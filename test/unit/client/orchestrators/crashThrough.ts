// The TypeScript twin of crash_through.py: an orchestrator that never restarts, reporting every
// step while the test kills and restarts its server. node out/.../crashThrough.js CONTROL NAME
import * as fs from 'fs';
import * as path from 'path';
import { JarvisContextManager } from 'jarvis-context-client';

const [control, name] = process.argv.slice(2);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const exists = (f: string) => fs.existsSync(path.join(control, f));

async function main(): Promise<void> {
  const cm = new JarvisContextManager(); // JARVIS_CONTEXT_URL / _TOKEN / _PATH, as in a VS Code terminal
  const task = `run-${name}`;
  await cm.updateTaskProgress(task, { description: `Pipeline run ${name}`, status: 'in_progress', percentage: 0 });
  let step = 0;
  let maxPending = 0;
  let spooledWrites = 0;
  let slowest = 0;
  while (!exists('stop')) {
    if (exists('pause')) {
      maxPending = Math.max(maxPending, cm.pendingSpooled());
      await sleep(20);
      continue;
    }
    const t = Date.now();
    const answer = await cm.logAgentMessage({ from_agent: name, to_agent: 'planner', message_type: 'progress', content: { orchestrator: name, step } });
    if (answer === undefined) spooledWrites++;
    await cm.updateTaskProgress(task, { percentage: Math.min(99, Math.floor(step / 10)) });
    maxPending = Math.max(maxPending, cm.pendingSpooled());
    slowest = Math.max(slowest, (Date.now() - t) / 1000);
    step++;
    await sleep(5);
  }
  // The last writes may still be in the spool: the background drain sends them.
  const deadline = Date.now() + 30_000;
  while (cm.pendingSpooled() && Date.now() < deadline) await sleep(50);
  await cm.updateTaskProgress(task, { status: 'completed', percentage: 100 });
  const point = await cm.markRecoveryPoint(`all tasks completed ${name}`);
  fs.writeFileSync(path.join(control, `${name}.done.json`), JSON.stringify({
    steps: step, max_pending: maxPending, spooled_writes: spooledWrites, pending_at_end: cm.pendingSpooled(), recovery_point: point ?? null,
    slowest_s: slowest,
  }));
  cm.dispose();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
