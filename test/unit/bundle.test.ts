// What ships reads no `navigator` global: VS Code's extension host defines one that logs a
// PendingMigrationError as an error when read, and pg read it while loading (to tell a Cloudflare
// Worker). Needs `npm run build` first.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '../../..');

describe('shipped bundles', function () {
  this.timeout(60_000);

  it('name no navigator global: the extension and the CLI', function () {
    for (const f of ['dist/extension.js', 'dist/cli.js']) {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      const at = text.search(/\bnavigator\b/);
      assert.strictEqual(at, -1, `${f} reads navigator: …${text.slice(Math.max(0, at - 80), at + 40)}…`);
    }
  });

  it('the CLI, with the team mode code (pg) loaded, never reads it', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-nav-'));
    try {
      // The extension host's trap, as a getter that says who read it.
      const trap = path.join(dir, 'trap.js');
      fs.writeFileSync(trap, "Object.defineProperty(globalThis, 'navigator', { configurable: true, get() { process.stderr.write('NAVIGATOR READ ' + new Error().stack + '\\n'); return undefined; } });\n");
      const r = spawnSync(process.execPath, ['-r', trap, path.join(root, 'dist', 'cli.js'), '--help'], { cwd: dir, encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.match(r.stdout, /serve/);
      assert.doesNotMatch(r.stderr, /NAVIGATOR READ/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
