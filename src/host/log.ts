import * as vscode from 'vscode';
import type { Logger } from '../core/ports';

export const LOG_CHANNEL_NAME = 'Jarvis Context';

/**
 * A core Logger writing to the extension's one LogOutputChannel with a `[component]` prefix
 * (none for the core and the server: they prefix their own lines).
 */
export function channelLogger(channel: vscode.LogOutputChannel, component?: string): Logger {
  const p = (m: string) => (component ? `[${component}] ${m}` : m);
  return {
    trace: (m, ...a) => quiet(() => channel.trace(p(m), ...a)),
    debug: (m, ...a) => quiet(() => channel.debug(p(m), ...a)),
    info: (m, ...a) => quiet(() => channel.info(p(m), ...a)),
    warn: (m, ...a) => quiet(() => channel.warn(p(m), ...a)),
    error: (m, ...a) => quiet(() => channel.error(typeof m === 'string' ? p(m) : m, ...a)),
  };
}

/**
 * A line that cannot be logged is dropped: while the extension host shuts down, the channel throws
 * "Channel has been closed", and a log line must never stop the store from closing.
 */
function quiet(write: () => void): void {
  try {
    write();
  } catch {
    // the channel is gone: nowhere left to say it
  }
}
