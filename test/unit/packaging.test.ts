// `vsce package` (as `npm run package` calls it) builds a .vsix with the bundle and the wasm, and nothing from node_modules
// (.vscodeignore is an allow-list); `vsce ls` lists the same files. Needs `npm run build` first
// (npm test runs it).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '../../..');

/**
 * What `npm run package` passes. `--no-dependencies`: everything is bundled into dist/. The other two
 * only because the project has no public repository yet: with `repository` in package.json vsce
 * makes the README's relative images absolute itself and asks nothing, and both flags go.
 */
const PACKAGE_FLAGS = ['--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links'];

/** Names in a zip's central directory. */
function zipEntries(file: string): string[] {
  const buf = fs.readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, 'not a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.strictEqual(buf.readUInt32LE(p), 0x02014b50, 'bad central directory');
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    names.push(buf.toString('utf8', p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

describe('vsce package', function () {
  this.timeout(180_000);
  let entries: string[];
  let listed: string[];
  let dir: string;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-vsix-'));
    const vsix = path.join(dir, 'jarvis-context.vsix');
    const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
    // stdin closed: a question from vsce (a missing field) fails the run instead of waiting
    execFileSync(process.execPath, [vsce, 'package', ...PACKAGE_FLAGS, '-o', vsix], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    entries = zipEntries(vsix);
    listed = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      .toString().split('\n').filter(Boolean).sort();
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('holds the bundle, the wasm and the manifest', function () {
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/sql-wasm.wasm', 'extension/dist/webview/timeline.js', 'extension/dist/webview/codicon.ttf', 'extension/media/jarvis.svg', 'extension/media/icon.png', 'extension/LICENSE.txt']) {
      assert.ok(entries.includes(f), `${f} missing from the .vsix: ${entries.join(', ')}`);
    }
  });

  it('holds no node_modules, sources, tests or source maps', function () {
    const bad = entries.filter(e => /(^|\/)node_modules\/|^extension\/(src|test|out|scripts)\/|\.map$|\.ts$/.test(e));
    assert.deepStrictEqual(bad, []);
  });

  it('vsce ls lists exactly what ships', function () {
    assert.deepStrictEqual(listed, [
      'CHANGELOG.md', 'LICENSE', 'README.md', 'clients/python/jarvis_context/__init__.py', 'clients/python/jarvis_context/_aio.py',
      'clients/python/jarvis_context/_discovery.py', 'clients/python/jarvis_context/_errors.py', 'clients/python/jarvis_context/_http.py',
      'clients/python/jarvis_context/_integration.py', 'clients/python/jarvis_context/_manager.py', 'clients/python/jarvis_context/_spool.py',
      'clients/python/jarvis_context/_validate.py', 'clients/python/jarvis_context/langgraph.py', 'dist/cli.js', 'dist/extension.js', 'dist/sql-wasm.wasm', 'dist/webview/codicon.css', 'dist/webview/codicon.ttf', 'dist/webview/timeline.js',
      'examples/python/orchestrator.py', 'media/icon.png', 'media/jarvis.svg', 'media/screenshot-alerts.png', 'media/screenshot-debugger.png', 'media/screenshot-fork.png', 'media/screenshot-recovery.png', 'media/screenshot-sidebar.png', 'media/screenshot-status.png', 'media/screenshot-timeline-crash.png', 'media/screenshot-timeline.png', 'media/screenshot-walkthrough-sidebar.png',
      'media/walkthrough/connect.md', 'media/walkthrough/example.md', 'package.json',
    ]);
  });

  it('npm run package passes only the flags above (no --skip-license: the LICENSE ships)', function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.strictEqual(pkg.scripts.package, `npm run build -- --production && vsce package ${PACKAGE_FLAGS.join(' ')}`);
    assert.strictEqual(pkg.repository, undefined, 'repository is set: drop --allow-missing-repository and --no-rewrite-relative-links');
  });
});
