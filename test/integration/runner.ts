// Runs mocha inside the extension host (extensionTestsPath -> <suite>/index.js -> runDir()).
// Writes the spec output to mocha.log and a summary to result.json in $HARNESS_OUT: the driver
// trusts only that file, since the workbench reports success even when the host died.
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import Mocha = require('mocha');

export function runDir(dir: string, filter: (file: string) => boolean = f => f.endsWith('.test.js')): Promise<void> {
  const out = process.env.HARNESS_OUT;
  const logStream = out ? fs.createWriteStream(path.join(out, 'mocha.log'), { flags: 'a' }) : undefined;
  // The spec reporter prints through Base.consoleLog; the browser console would show raw %s.
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void };
  const origLog = base.consoleLog;
  base.consoleLog = (...a: unknown[]) => {
    logStream?.write(util.format(...a) + '\n');
    origLog(...a);
  };
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  if (process.env.HARNESS_GREP) mocha.grep(process.env.HARNESS_GREP);
  for (const f of fs.readdirSync(dir).filter(filter).sort()) mocha.addFile(path.join(dir, f));

  return new Promise((resolve, reject) => {
    const failed: { title: string; error: string }[] = [];
    const runner = mocha.run(failures => {
      const s = runner.stats;
      const summary = { passes: s?.passes, failures, pending: s?.pending, tests: s?.tests, durationMs: s?.duration, failed, extHostPid: process.pid, node: process.version };
      const finish = () => (failures > 0 ? reject(new Error(`${failures} tests failed.`)) : resolve());
      if (out) fs.writeFileSync(path.join(out, 'result.json'), JSON.stringify(summary, null, 2));
      if (logStream) logStream.end(finish);
      else finish();
    });
    runner.on('fail', (test, err) => failed.push({ title: test.fullTitle(), error: String((err && err.stack) || err) }));
  });
}
