#!/usr/bin/env node
// Opens code-server's workbench in headless Chromium with a `payload` that makes the remote (Node)
// extension host load this extension and run a mocha suite (extensionTestsPath). Plain JS: it runs
// with playwright-core from .vscode-test/driver (NODE_PATH), outside the project's bundle.
//   --phases a,b   run the suite once per phase (HARNESS_PHASE), reloading the page in between.
//                  A phase whose tests print `__HARNESS_KILL_ME__ <pid>` gets that extension host
//                  SIGKILLed and must end without a result; the others must pass.
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const opt = { env: {}, phases: [''] };
for (let i = 0; i < args.length; i++) {
  const a = args[i], v = () => args[++i];
  if (a === '--server') opt.server = v();
  else if (a === '--ext') opt.ext = v();
  else if (a === '--tests') opt.tests = v();
  else if (a === '--folder') opt.folder = v();
  else if (a === '--out') opt.out = v();
  else if (a === '--timeout') opt.timeout = Number(v());
  else if (a === '--phases') opt.phases = v().split(',');
  else if (a === '--env') { const [k, ...r] = v().split('='); opt.env[k] = r.join('='); }
  else if (a === '--verbose') opt.verbose = true;
  else { console.error('unknown arg ' + a); process.exit(2); }
}
const timeoutMs = (opt.timeout || 300) * 1000;
const authority = new URL(opt.server).host;
const remote = p => `vscode-remote://${authority}${p}`; // file:// fails: "No extension host found…"

function urlFor(env) {
  const payload = [
    ['extensionDevelopmentPath', remote(opt.ext)],
    ['extensionTestsPath', remote(opt.tests)],
    ['extensionEnvironment', JSON.stringify({ HARNESS_OUT: opt.out, HARNESS_DRIVER: '1', ...opt.env, ...env })],
  ];
  return `${opt.server}/?folder=${encodeURIComponent(opt.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

(async () => {
  fs.mkdirSync(opt.out, { recursive: true });
  const profile = fs.mkdtempSync(path.join(opt.out, 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 860 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = context.pages()[0] || await context.newPage();
  let onExit = null;
  let killed = null;
  await page.exposeFunction('codeAutomationExit', code => { if (onExit) onExit(code); });
  page.on('pageerror', e => opt.verbose && console.log('[pageerror]', e.message));
  page.on('console', async msg => {
    const text = msg.text();
    let m;
    if ((m = /__HARNESS_SCREENSHOT__ (\S+)(?: (\d+),(\d+),(\d+),(\d+))?/.exec(text))) {
      const file = path.join(opt.out, m[1] + '.png');
      const clip = m[2] ? { x: +m[2], y: +m[3], width: +m[4], height: +m[5] } : undefined;
      await page.waitForTimeout(800); // let the workbench paint the last changes
      await page.screenshot({ path: file, ...(clip ? { clip } : {}) });
      fs.writeFileSync(file + '.done', '');
      console.log(`[driver] screenshot ${file}`);
    } else if ((m = /__HARNESS_KILL_ME__ (\d+)/.exec(text))) {
      killed = Number(m[1]);
      console.log(`[driver] SIGKILL extension host pid ${killed}`);
      try { process.kill(killed, 'SIGKILL'); } catch (e) { console.log('[driver] kill failed: ' + e.message); }
    } else if (opt.verbose || (msg.type() === 'error' && /xtension host/.test(text))) {
      console.log(`[browser:${msg.type()}] ${text.slice(0, 2000)}`);
    }
  });

  const resultFile = path.join(opt.out, 'result.json');
  async function runOnce(phase) {
    fs.rmSync(resultFile, { force: true });
    killed = null;
    const t0 = Date.now();
    const exited = new Promise(r => { onExit = r; });
    await page.goto(urlFor(phase ? { HARNESS_PHASE: phase } : {}));
    let timer;
    const code = await Promise.race([exited, new Promise(r => { timer = setTimeout(() => r('timeout'), timeoutMs); })]);
    clearTimeout(timer);
    // codeAutomationExit alone is not trusted: when the extension host dies the workbench still
    // reports 0. result.json is written only when mocha really finished.
    const result = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : null;
    console.log(`[driver] phase ${phase || 'tests'}: codeAutomationExit=${code}, result.json=${result ? `${result.passes} passed/${result.failures} failed` : 'MISSING'}` +
      ` after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    if (code === 'timeout') return 124;
    if (killed !== null) return !result ? 0 : 1; // a killed phase must not have finished
    return code === 0 && result && result.failures === 0 ? 0 : 1;
  }

  let rc = 0;
  try {
    for (const phase of opt.phases) {
      const r = await runOnce(phase);
      if (r !== 0) { rc = r; break; }
    }
  } catch (e) {
    console.error('[driver] error', e);
    rc = 2;
  }
  await context.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(rc);
})();
