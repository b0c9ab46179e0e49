// Crash suite: phase "crash" writes until the driver SIGKILLs this host; phase "verify" runs in the
// next host, after the page reload.
import { runDir } from '../runner';

export function run(): Promise<void> {
  return runDir(__dirname, f => f === `${process.env.HARNESS_PHASE}.test.js`);
}
