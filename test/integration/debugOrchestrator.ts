// An orchestrator process for the debugger suite (suite/19-debugger.test.ts): a few writes through
// the TypeScript client, found through JARVIS_CONTEXT_URL / _TOKEN like any orchestrator run from a
// VS Code terminal. After each call returns it appends a line to the progress file (argv[2]), so
// the suite sees which line the process has reached while the debugger holds it.
import * as fs from 'fs';
import { JarvisContextClient } from 'jarvis-context-client';

const [progress, run] = process.argv.slice(2) as [string, string];
const reached = (step: string) => fs.appendFileSync(progress, step + '\n');

async function main(): Promise<void> {
  const client = new JarvisContextClient();
  await client.updateAgent('researcher', { status: 'busy', current_task: `report-${run}` });
  await client.putContext({ phase: 'search', mode: 'fast', run });
  await client.checkpoint(`before the search ${run}`);
  reached('agent');
  await client.updateTask(`report-${run}`, { status: 'in_progress', percentage: 30, agent_id: 'researcher', description: 'Write the weather report' });
  reached('task');
  await client.logMessage({ from_agent: 'researcher', to_agent: 'tool:search', message_type: 'tool_call', content: { task_id: `report-${run}`, tool_name: 'search', arguments: { query: `weather in Lisbon ${run}` } } });
  reached('search');
  await client.logDecision({ decision_type: 'summarize', context: {}, decision: 'write it up', reasoning: 'the search answered', agent_id: 'researcher', task_id: `report-${run}` });
  reached('decision');
  await client.updateTask(`report-${run}`, { status: 'completed', percentage: 100 });
  reached('done');
  client.dispose();
}

main().catch(e => {
  reached(`failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
