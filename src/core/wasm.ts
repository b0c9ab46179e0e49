import * as fs from 'fs';
import * as path from 'path';

/** sql-wasm.wasm as esbuild.js copies it beside the bundle (dist/), or from node_modules when unbundled. */
export function readWasmBinary(bundleDir: string = __dirname): Uint8Array {
  const beside = path.join(bundleDir, 'sql-wasm.wasm');
  if (fs.existsSync(beside)) return fs.readFileSync(beside);
  return fs.readFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'));
}
