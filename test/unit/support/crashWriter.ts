// A child process that writes to an engine and reports every acknowledged write on stdout, one
// JSON line each, so the parent can SIGKILL it at any moment and check nothing acknowledged is lost.
//   node crashWriter.js <folder> continuous          write until killed
//   node crashWriter.js <folder> script <file.json>   run the listed calls, then SIGKILL itself
import * as fs from 'fs';
import { ContextEngine, type AgentUpdate, type BatchEvent, type DecisionInput, type MessageInput, type TaskUpdate } from '../../../src/core';
import { WASM } from './fixtures';

export type ScriptCall =
  | { call: 'task'; id: string; u: TaskUpdate }
  | { call: 'agent'; id: string; u: AgentUpdate }
  | { call: 'decision'; d: DecisionInput }
  | { call: 'message'; d: MessageInput }
  | { call: 'context'; d: Record<string, never> }
  | { call: 'recovery'; label: string }
  | { call: 'checkpoint' }
  | { call: 'resume'; checkpoint_id: number; state?: Record<string, string> }
  | { call: 'clearResume'; by: 'orchestrator' | 'user' };

/** Small thresholds so compaction and archive moves happen within a short drill. */
export const DRILL_LIMITS = { journalCompactBytes: 16 * 1024, liveDbLimitBytes: 48 * 1024 };

const [folder, mode, scriptFile] = process.argv.slice(2);
const ack = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const engine = await ContextEngine.open({ folder, wasmBinary: WASM, checkpointIntervalMs: 0, ...DRILL_LIMITS });
  ack({ k: 'open', recovered: engine.recoveryReport !== undefined });
  if (mode === 'script') {
    const calls = JSON.parse(fs.readFileSync(scriptFile, 'utf8')) as ScriptCall[];
    for (const c of calls) {
      switch (c.call) {
        case 'task': await engine.updateTaskProgress(c.id, c.u); break;
        case 'agent': await engine.updateAgentState(c.id, c.u); break;
        case 'decision': await engine.logDecision(c.d); break;
        case 'message': await engine.logAgentMessage(c.d); break;
        case 'context': await engine.updateContext(c.d); break;
        case 'recovery': await engine.markRecoveryPoint(c.label); break;
        case 'checkpoint': await engine.autoCheckpoint(); break;
        case 'resume': await engine.setResumePoint({ checkpoint_id: c.checkpoint_id, state: c.state }); break;
        case 'clearResume': await engine.clearResumePoint(c.by); break;
      }
      ack({ k: 'call', c });
    }
    process.kill(process.pid, 'SIGKILL');
    return;
  }
  // Continuous: several writers, each owning its tasks so "last acknowledged value" is well defined.
  const run = `${process.pid}`;
  let n = 0;
  const writer = async (w: number) => {
    for (let i = 0; ; i++) {
      const v = ++n;
      switch (i % 6) {
        case 0: await engine.updateTaskProgress(`task-${w}`, { percentage: i % 101, status: 'in_progress', metadata: { v } });
          ack({ k: 'task', id: `task-${w}`, v }); break;
        case 1: { const d = await engine.logDecision({ decision_type: 'drill', context: { run, v }, decision: `d-${run}-${v}`, reasoning: 'x'.repeat(80) });
          ack({ k: 'decision', id: d.id, decision: d.decision }); break; }
        case 2: { const m = await engine.logAgentMessage({ from_agent: `agent-${w}`, to_agent: 'boss', message_type: 'report', content: { run, v } });
          ack({ k: 'message', id: m.id, v }); break; }
        case 3: await engine.updateAgentState(`agent-${w}`, { status: 'working', metadata: { v } });
          ack({ k: 'agent', id: `agent-${w}`, v }); break;
        case 4: {
          const events: BatchEvent[] = [
            { type: 'decision', decision_type: 'batch', context: v, decision: `b-${run}-${v}`, reasoning: '' },
            { type: 'task', task_id: `batch-${w}`, metadata: { v } },
          ];
          await engine.writeBatch(events);
          ack({ k: 'batch', decision: `b-${run}-${v}`, task: `batch-${w}`, v }); break;
        }
        case 5: await engine.updateContext({ writer: w, v } as never);
          ack({ k: 'context', v }); break;
      }
    }
  };
  const maintenance = async () => {
    for (let i = 0; ; i++) {
      // Far more often than the real 30 s, so kills land inside checkpoints, compactions and archive moves.
      await new Promise(r => setTimeout(r, 20));
      if (i % 10 === 9) {
        const r = await engine.markRecoveryPoint(`drill-${i}`);
        ack({ k: 'recovery', id: r.checkpoint_id });
      } else {
        await engine.autoCheckpoint();
      }
    }
  };
  await Promise.all([0, 1, 2, 3].map(writer).concat(maintenance()));
}

if (require.main === module) main().catch(e => {
  process.stderr.write(`crashWriter failed: ${(e as Error).stack ?? e}\n`);
  process.exit(3);
});
