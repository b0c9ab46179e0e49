// Dependencies point one way: the imports of each folder of src/, read from the files.
import * as assert from 'assert';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';

const src = path.resolve(__dirname, '../../../src');

/** Each .ts file below `dir` (relative to `root`) with what it imports, resolved relative to `root`. */
function importsOf(dir: string, root = src): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/^(?:import|export)\b[^;]*?from '([^']+)'/gms)) {
          const spec = m[1];
          const target = spec.startsWith('.') ? path.relative(root, path.resolve(path.dirname(p), spec)) : spec;
          out.push({ file: path.relative(root, p), target });
        }
      }
    }
  };
  walk(path.join(root, dir));
  return out;
}

function refuse(dir: string, forbidden: (target: string) => boolean): void {
  const bad = importsOf(dir).filter(i => forbidden(i.target)).map(i => `${i.file} imports ${i.target}`);
  assert.deepStrictEqual(bad, []);
}

describe('layers', () => {
  it('views and commands never import each other (ids, labels and document addresses are neutral)', () => {
    refuse('views', t => t.startsWith('commands'));
    refuse('commands', t => t.startsWith('views'));
  });

  it('the core, the server and team mode never import vscode or the extension', () => {
    for (const dir of ['core', 'server', 'team']) refuse(dir, t => t === 'vscode' || /^(host|views|commands|extension)\b/.test(t));
  });

  it('the debug adapter speaks DAP without vscode: only its glue file imports it', () => {
    const bad = importsOf('debugAdapter')
      .filter(i => i.file !== path.join('debugAdapter', 'vscodeDebugger.ts') && (i.target === 'vscode' || /^(host|views|commands|extension)\b/.test(i.target)))
      .map(i => `${i.file} imports ${i.target}`);
    assert.deepStrictEqual(bad, []);
  });

  it('the core knows nothing of PostgreSQL: team mode sees the journal through its tap', () => {
    refuse('core', t => t === 'pg' || t.startsWith('team'));
  });

  it('the TypeScript client package, shipped to orchestrators, imports nothing but its own files and Node', () => {
    const pkg = path.resolve(__dirname, '../../../clients/typescript/src');
    // The LangGraph checkpointer (its own subpath export) imports its peer dependencies, and only it.
    const peers = (i: { file: string; target: string }) => i.file === 'langgraph.ts' && /^@langchain\/(langgraph-checkpoint|core\/runnables)$/.test(i.target);
    const bad = importsOf('.', pkg).filter(i => !peers(i))
      // Relative imports resolve inside the package; anything else must be a Node built-in.
      .filter(i => i.target.startsWith('..') || (!fs.existsSync(path.join(pkg, i.target.replace(/\.js$/, '.ts'))) && !builtinModules.includes(i.target.replace(/^node:/, ''))))
      .map(i => `${i.file} imports ${i.target}`);
    assert.deepStrictEqual(bad, []);
  });
});
