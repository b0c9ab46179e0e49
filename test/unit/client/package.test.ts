// The TypeScript client as a user gets it: `npm pack` of clients/typescript, installed into an
// empty folder (offline: it has no dependencies), loaded as CommonJS and as ES module, type-checked
// from its .d.ts, and the example orchestrator run from that folder against a real server.
import * as assert from 'assert';
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { startServer, tempDir } from './support';

const ROOT = path.resolve(__dirname, '../../../..');
const PACKAGE = path.join(ROOT, 'clients', 'typescript');

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
  assert.strictEqual(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('client package: npm pack, install into an empty folder, use', function () {
  this.timeout(300_000);

  it('installs offline, loads as CommonJS and ESM, type-checks, and runs the example', async () => {
    const work = tempDir('jarvis-pack-');
    run('npm', ['pack', PACKAGE, '--pack-destination', work, '--silent'], work); // prepack builds dist/
    const [tarball] = fs.readdirSync(work).filter(n => n.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack made no tarball');

    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(work, tarball)], app);
    const installed = path.join(app, 'node_modules', 'jarvis-context-client');
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as { dependencies?: object };
    assert.strictEqual(manifest.dependencies, undefined); // nothing of the extension or server comes along

    fs.writeFileSync(path.join(app, 'cjs.cjs'), "const c = require('jarvis-context-client'); console.log(typeof c.JarvisContextManager, typeof c.JarvisOrchestratorWithContext, c.TASK_STATUSES.length)");
    fs.writeFileSync(path.join(app, 'esm.mjs'), "import { JarvisContextManager, integrateContextManager } from 'jarvis-context-client'; console.log(typeof JarvisContextManager, typeof integrateContextManager)");
    assert.strictEqual(run(process.execPath, ['cjs.cjs'], app).trim(), 'function function 6');
    assert.strictEqual(run(process.execPath, ['esm.mjs'], app).trim(), 'function function');

    // The example, compiled on its own (not bundled): it loads the installed package.
    fs.copyFileSync(path.join(ROOT, 'examples', 'typescript', 'orchestrator.ts'), path.join(app, 'orchestrator.ts'));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const mode of ['node16', 'bundler']) {
      run(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'),
        '--module', mode === 'node16' ? 'node16' : 'es2022', '--moduleResolution', mode, '--target', 'es2022', 'orchestrator.ts'], app);
    }
    run(process.execPath, [tsc, '--strict', '--skipLibCheck', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'),
      '--module', 'commonjs', '--moduleResolution', 'node10', '--target', 'es2022', 'orchestrator.ts'], app);

    const s = await startServer();
    try {
      const env = { ...process.env, JARVIS_CONTEXT_URL: s.server.url, JARVIS_CONTEXT_TOKEN: s.server.token, JARVIS_CONTEXT_PATH: s.folder, JARVIS_EXAMPLE_STEP_MS: '5' };
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['orchestrator.js'], { cwd: app, env }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))));
      assert.match(out, /all tasks completed/);
      assert.deepStrictEqual(s.engine.getTasks().map(t => t.status), ['completed', 'completed', 'completed', 'completed']);
    } finally {
      await s.stop();
    }
  });
});
