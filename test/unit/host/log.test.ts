import * as assert from 'assert';
import type * as vscode from 'vscode';
import { channelLogger } from '../../../src/host/log';

describe('channelLogger', () => {
  it('prefixes lines with the component', () => {
    const lines: string[] = [];
    const channel = { info: (m: string) => lines.push(m), error: (m: string) => lines.push(m) } as unknown as vscode.LogOutputChannel;
    const log = channelLogger(channel, 'session');
    log.info('engine open');
    log.error('it failed');
    assert.deepStrictEqual(lines, ['[session] engine open', '[session] it failed']);
  });

  it('never throws when the channel is closed (the extension host shutting down), so a close goes on', () => {
    const closed = () => { throw new Error('Channel has been closed'); };
    const channel = { trace: closed, debug: closed, info: closed, warn: closed, error: closed } as unknown as vscode.LogOutputChannel;
    const log = channelLogger(channel, 'server');
    for (const level of ['trace', 'debug', 'info', 'warn', 'error'] as const) assert.doesNotThrow(() => log[level]('closed'), level);
  });
});
