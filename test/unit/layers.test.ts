// Dependencies point one way: the imports of each folder of src/, read from the files.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const src = path.resolve(__dirname, '../../../src');

/** Each .ts file below `dir` (relative to src/) with what it imports, resolved relative to src/. */
function importsOf(dir: string): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/^(?:import|export)\b[^;]*?from '([^']+)'/gms)) {
          const spec = m[1];
          const target = spec.startsWith('.') ? path.relative(src, path.resolve(path.dirname(p), spec)) : spec;
          out.push({ file: path.relative(src, p), target });
        }
      }
    }
  };
  walk(path.join(src, dir));
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

  it('the core and the server never import vscode or the extension', () => {
    for (const dir of ['core', 'server']) refuse(dir, t => t === 'vscode' || /^(host|views|commands|extension)\b/.test(t));
  });

  it('the TypeScript client, shipped to orchestrators, needs only the core types', () => {
    refuse('client', t => /^(host|views|commands|server|otel|cli|extension)\b/.test(t) || t === 'vscode' || (t.startsWith('core') && t !== 'core/types'));
  });
});
