// The Logger port for the command line: one line a message on stderr, so stdout stays for results.
import { inspect } from 'util';
import { errorWithStack } from '../core/errorText';
import type { Logger } from '../core/ports';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function parseLogLevel(raw: string | undefined, fallback: LogLevel): LogLevel {
  return raw !== undefined && (LEVELS as readonly string[]).includes(raw) ? (raw as LogLevel) : fallback;
}

export function stderrLogger(level: LogLevel, write: (line: string) => void = l => process.stderr.write(l)): Logger {
  const min = LEVELS.indexOf(level);
  const at = (lvl: LogLevel) => (message: string | Error, ...args: unknown[]): void => {
    if (LEVELS.indexOf(lvl) < min) return;
    const text = message instanceof Error ? errorWithStack(message) : message;
    const extra = args.map(a => (a instanceof Error ? errorWithStack(a) : typeof a === 'string' ? a : inspect(a))).join(' ');
    write(`${new Date().toISOString()} [${lvl}] ${text}${extra ? ' ' + extra : ''}\n`);
  };
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
