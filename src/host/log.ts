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
    trace: (m, ...a) => channel.trace(p(m), ...a),
    debug: (m, ...a) => channel.debug(p(m), ...a),
    info: (m, ...a) => channel.info(p(m), ...a),
    warn: (m, ...a) => channel.warn(p(m), ...a),
    error: (m, ...a) => channel.error(typeof m === 'string' ? p(m) : m, ...a),
  };
}
