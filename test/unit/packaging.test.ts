// `vsce package` builds a .vsix with the bundle and the wasm, and nothing from node_modules
// (.vscodeignore is an allow-list). Needs `npm run build` first (npm test runs it).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '../../..');

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
  let dir: string;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jarvis-vsix-'));
    const vsix = path.join(dir, 'jarvis-context.vsix');
    const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
    execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--skip-license', '-o', vsix], {
      cwd: root,
      stdio: 'pipe',
    });
    entries = zipEntries(vsix);
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('holds the bundle, the wasm and the manifest', function () {
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/sql-wasm.wasm', 'extension/media/jarvis.svg']) {
      assert.ok(entries.includes(f), `${f} missing from the .vsix: ${entries.join(', ')}`);
    }
  });

  it('holds no node_modules, sources, tests or source maps', function () {
    const bad = entries.filter(e => /(^|\/)node_modules\/|^extension\/(src|test|out|scripts)\/|\.map$|\.ts$/.test(e));
    assert.deepStrictEqual(bad, []);
  });
});
