// Bundles the extension and the CLI into dist/ (what ships), tests and the benchmark into out/.
// sql.js is bundled; its wasm is copied beside the bundles and read at run time.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// What ships: the extension and the CLI.
const shipped = { extension: 'src/extension.ts', cli: 'src/cli.ts' };
// Tests, helpers run by tests, and the benchmark go to out/, bundled the same way so they run
// the code the user gets. Every .ts file under these folders becomes one entry.
const internal = {};
function addDir(dir) {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    // test/frameworks installs real frameworks beside their scripts: never bundled as tests.
    if (e.name === 'node_modules') continue;
    if (e.isDirectory()) addDir(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) internal[p.replace(/\.ts$/, '')] = p;
  }
}
['test', 'bench', 'examples/typescript'].forEach(addDir);

async function main() {
  fs.mkdirSync('dist', { recursive: true });
  fs.copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');
  // Webviews load their script and the codicon font from dist/webview (their only resource root).
  fs.mkdirSync('dist/webview', { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(require.resolve(`@vscode/codicons/dist/${f}`), `dist/webview/${f}`);
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    // pg's optional native binding is never installed: its require sits behind a lazy getter.
    external: ['vscode', 'sql.js/dist/sql-wasm.wasm', 'mocha', '@vscode/test-electron', 'playwright-core', 'pg-native'],
    // pg probes `navigator` for Cloudflare Workers when it loads (sql.js reads its language for a
    // locale): in VS Code's extension host that global is a getter that logs a PendingMigrationError
    // as an error. Node is neither a Worker nor a browser.
    define: { navigator: 'undefined', 'globalThis.navigator': 'undefined' },
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    // Tests and examples import the client package by name; bundle it from its source.
    alias: { 'jarvis-context-client': './clients/typescript/src/index.ts' },
  };
  const contexts = [
    await esbuild.context({ ...common, entryPoints: shipped, outdir: 'dist' }),
    // The timeline's script runs in the webview (a browser): its web components (Lit) bundled in.
    await esbuild.context({
      entryPoints: { timeline: 'src/webview/timeline.ts' }, outdir: 'dist/webview', bundle: true, platform: 'browser', format: 'iife',
      target: 'es2022', sourcemap: !production, minify: production, logLevel: 'warning',
    }),
    // The OpenTelemetry SDK and exporters are test-only (they play the orchestrator): loaded from
    // node_modules by tests, never part of what ships. The runtime decoder (protobufjs) is bundled.
    // better-sqlite3 (the stock LangGraph saver of the bench) finds its native binding beside its own files.
    await esbuild.context({ ...common, external: [...common.external, '@opentelemetry/*', 'better-sqlite3'], entryPoints: internal, outdir: 'out' }),
  ];
  for (const ctx of contexts) {
    if (watch) await ctx.watch();
    else { await ctx.rebuild(); await ctx.dispose(); }
  }
}

main().catch(e => { console.error(e); process.exit(1); });
