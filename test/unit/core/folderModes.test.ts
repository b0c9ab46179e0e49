import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ARCHIVE_DIR, CHECKPOINT_DIR } from '../../../src/core';
import { JarvisServer } from '../../../src/server/server';
import { openEngine, tempDir } from '../support/fixtures';

// The store folder and what is in it are the user's alone, whoever made the folder and whatever
// the umask (000 here: what a container entry point or a careless script runs with).

const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8).padStart(4, '0');

describe('store folder modes under umask 000', () => {
  let umask: number;
  beforeEach(() => (umask = process.umask(0)));
  afterEach(() => process.umask(umask));

  async function openAndList(folder: string): Promise<Record<string, string>> {
    const engine = await openEngine(folder);
    const server = await JarvisServer.start({ engine, port: 0 });
    await engine.logDecision({ decision_type: 'a', context: 'c', decision: 'd', reasoning: 'r' });
    await engine.checkpoint('x');
    const modes: Record<string, string> = {};
    for (const f of [folder, path.join(folder, CHECKPOINT_DIR), path.join(folder, ARCHIVE_DIR), ...fs.readdirSync(folder).map(f => path.join(folder, f))]) {
      modes[path.relative(folder, f) || '.'] = `${fs.statSync(f).isDirectory() ? 'dir' : 'file'} ${mode(f)}`;
    }
    await server.close();
    await engine.close();
    return modes;
  }

  it('a folder the engine creates, and its files, are private', async () => {
    const folder = path.join(tempDir(), 'made', 'by', 'engine');
    const modes = await openAndList(folder);
    assert.ok(Object.keys(modes).length >= 8, JSON.stringify(modes));
    for (const [name, m] of Object.entries(modes)) assert.match(m, /^(dir 0700|file 0600)$/, `${name}: ${JSON.stringify(modes)}`);
    assert.strictEqual(mode(path.join(folder, '..')), '0700', 'parents the engine made too');
  });

  it('a folder someone else made open to all (0777) is made private, with its subfolders', async () => {
    const folder = path.join(tempDir(), 'jarvis');
    fs.mkdirSync(path.join(folder, CHECKPOINT_DIR), { recursive: true, mode: 0o777 });
    fs.mkdirSync(path.join(folder, ARCHIVE_DIR), { mode: 0o777 });
    assert.strictEqual(mode(folder), '0777');
    const modes = await openAndList(folder);
    assert.strictEqual(modes['.'], 'dir 0700');
    assert.strictEqual(modes[CHECKPOINT_DIR], 'dir 0700');
    assert.strictEqual(modes[ARCHIVE_DIR], 'dir 0700');
  });
});
