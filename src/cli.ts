#!/usr/bin/env node
// jarvis-context: the command line entry (bundled to dist/cli.js). The commands live in src/cli/.
import { runCli } from './cli/commands';
import { scrubArgv } from './cli/secretArgs';
import { errorWithStack } from './core/errorText';

// A password given on the command line leaves what ps shows at once (serve warns about it).
scrubArgv('jarvis-context', process.argv.slice(2));

runCli(process.argv.slice(2), {
  out: text => process.stdout.write(text),
  err: text => process.stderr.write(text),
  env: process.env,
}).then(
  code => {
    process.exitCode = code;
    // serve keeps nothing open after a clean shutdown, but a stray handle must not keep us alive.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (e: unknown) => {
    process.stderr.write(`jarvis-context: ${errorWithStack(e)}\n`);
    process.exit(1);
  },
);
