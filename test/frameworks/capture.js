// A local OTLP/HTTP capture (JSON): what an exporter sends to /v1/traces and /v1/logs is kept in
// order and written as one fixture with the framework's name and version.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

async function startCapture() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && (req.url === '/v1/traces' || req.url === '/v1/logs')) {
        requests.push({ path: req.url, body: JSON.parse(text) });
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    requests,
    close: () => new Promise(r => server.close(r)),
  };
}

function versionOf(pkg) {
  // Read from node_modules directly: not every package exports its package.json.
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

/** Writes fixtures/<name>.json: { framework, packages: { name: version }, scenario, requests }. */
function writeFixture(name, packages, scenario, requests) {
  const versions = {};
  for (const p of packages) versions[p] = versionOf(p);
  const file = path.join(__dirname, 'fixtures', `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ framework: name, packages: versions, scenario, requests }, null, 1)}\n`);
  const spans = requests.filter(r => r.path === '/v1/traces')
    .reduce((n, r) => n + r.body.resourceSpans.reduce((m, rs) => m + rs.scopeSpans.reduce((k, ss) => k + ss.spans.length, 0), 0), 0);
  console.log(`[frameworks] ${name}: ${requests.length} request(s), ${spans} span(s) -> ${path.relative(process.cwd(), file)}`);
}

/**
 * Runs a recording script: an error fails the process (npm run test:frameworks sees it). It ends
 * once the fixture is written: some frameworks keep timers of their own running.
 */
function run(main) {
  main().then(() => process.exit(0), e => {
    console.error(e);
    process.exit(1);
  });
}

module.exports = { startCapture, writeFixture, versionOf, run };
