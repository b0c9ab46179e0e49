// Runs every framework's recording script (each in its own process: instrumentations patch
// modules globally), rewriting fixtures/. `npm run test:frameworks` at the root runs this, then
// the unit tests that map the fixtures.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const SCRIPTS = [
  'vercel-ai.js', 'openai-sdk.js', 'langgraph-openinference.js', 'langgraph-traceloop.js',
  'openai-agents.js', 'mastra.js', 'voltagent.js', 'google-adk.js', 'openai-sdk-traceloop.js', 'genkit.js',
];

const only = process.argv.slice(2);
let failed = 0;
for (const script of SCRIPTS) {
  if (only.length && !only.some(o => script.startsWith(o))) continue;
  const r = spawnSync(process.execPath, [path.join(__dirname, script)], { stdio: 'inherit', timeout: 180_000 });
  if (r.status !== 0) {
    failed++;
    console.error(`[frameworks] ${script} failed (${r.error ? r.error.message : `status ${r.status}`})`);
  }
}
process.exitCode = failed ? 1 : 0;
