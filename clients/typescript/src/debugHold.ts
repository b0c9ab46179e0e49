// The client's side of the debugger's holds (the server's README, "Holding a run"): where a call
// came from, sent only while the server says a debug session exists, and the wait on a hold.
import * as path from 'path';

/** This package's folder: frames inside it are ours, not the orchestrator's. */
const OWN_DIR = (() => {
  const file = frameFile((new Error().stack ?? '').split('\n')[1] ?? '');
  return file ? path.dirname(file) : undefined;
})();

function frameFile(line: string): string | undefined {
  const m = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?\s*$/.exec(line.trim());
  if (!m) return undefined;
  let file = m[1]!;
  if (file.startsWith('file://')) {
    try {
      file = decodeURIComponent(new URL(file).pathname);
    } catch {
      return undefined;
    }
  }
  return file;
}

/**
 * `<file>:<line>:<function>` of the first stack frame outside this package and Node's own code
 * (the Jarvis-Caller header), or undefined when there is none. The file is percent-encoded.
 */
export function captureCaller(): string | undefined {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  for (const line of lines) {
    const m = /^\s*at (?:async )?(?:(.*?) \()?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const file = frameFile(line);
    if (!file || file.startsWith('node:') || !path.isAbsolute(file)) continue;
    if (OWN_DIR && file.startsWith(OWN_DIR + path.sep)) continue;
    const fn = (m[1] ?? '').replace(/^async /, '').replace(/[^\x21-\x7e]|:/g, '_').slice(0, 200);
    return `${encodeURIComponent(file)}:${m[3]}:${fn}`;
  }
  return undefined;
}
