#!/usr/bin/env node
// npm run test:powercut: only the power-cut drill, JARVIS_POWERCUT_RUNS cuts (default 2000).
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const env = { ...process.env, JARVIS_POWERCUT_RUNS: process.env.JARVIS_POWERCUT_RUNS || '2000' };
const mocha = require.resolve('mocha/bin/mocha.js');
const spec = path.join(__dirname, '..', 'out', 'test', 'unit', 'powercut', 'powercut.test.js');
const r = spawnSync(process.execPath, [mocha, '--no-config', '--enable-source-maps', '--timeout', '0', spec, ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
