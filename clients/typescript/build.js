// Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with .d.ts, by running tsc twice.
// A package.json in each folder tells Node (and TypeScript) which module kind its .js files are.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const tsc = require.resolve('typescript/bin/tsc');
const builds = [
  { dir: 'esm', type: 'module', args: ['--module', 'es2022', '--moduleResolution', 'bundler'] },
  { dir: 'cjs', type: 'commonjs', args: ['--module', 'commonjs', '--moduleResolution', 'node10'] },
];
fs.rmSync(path.join(__dirname, 'dist'), { recursive: true, force: true });
for (const b of builds) {
  const out = path.join(__dirname, 'dist', b.dir);
  execFileSync(process.execPath, [tsc, '-p', path.join(__dirname, 'tsconfig.json'), '--outDir', out, ...b.args], { stdio: 'inherit' });
  fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify({ type: b.type }) + '\n');
}
