import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ContextEngine, type EngineOptions, type Logger } from '../../../src/core';

export const WASM = fs.readFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'));

/** A fresh temp folder, removed when the test process exits (JARVIS_KEEP_TEMP=1 keeps it). */
export function tempDir(prefix = 'jarvis-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
// Each test file is its own bundle with its own copy of this module: one list and one exit hook
// for the whole mocha process.
const shared = globalThis as { jarvisTempDirs?: string[] };
if (!shared.jarvisTempDirs) {
  const dirs: string[] = (shared.jarvisTempDirs = []);
  process.on('exit', () => {
    if (process.env.JARVIS_KEEP_TEMP) return;
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
}
const made = shared.jarvisTempDirs;

/** A clock the test moves by hand; staleness and intervals are tested without sleeping. */
export class FakeClock {
  constructor(public ms = Date.parse('2026-11-26T09:00:00.000Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Collects log lines so tests can assert that failures are said loudly. */
export class MemoryLogger implements Logger {
  lines: { level: string; text: string }[] = [];
  private add(level: string, m: unknown) {
    this.lines.push({ level, text: m instanceof Error ? m.stack ?? m.message : String(m) });
  }
  trace(m: string) { this.add('trace', m); }
  debug(m: string) { this.add('debug', m); }
  info(m: string) { this.add('info', m); }
  warn(m: string) { this.add('warn', m); }
  error(m: string | Error) { this.add('error', m); }
  errors(): string[] {
    return this.lines.filter(l => l.level === 'error').map(l => l.text);
  }
}

export function openEngine(folder: string, options: Partial<EngineOptions> = {}): Promise<ContextEngine> {
  return ContextEngine.open({ folder, wasmBinary: WASM, checkpointIntervalMs: 0, ...options });
}

/** The journal's records as text: the file continues with the zeros written ahead of them. */
export function journalText(file: string): string {
  const bytes = fs.readFileSync(file);
  const zeros = bytes.indexOf(0);
  return bytes.subarray(0, zeros === -1 ? bytes.length : zeros).toString('utf8');
}

/** Writes records after the journal's last one, as the engine would (over the zeros). */
export function appendToJournal(file: string, text: string): void {
  fs.writeFileSync(file, journalText(file) + text);
}
