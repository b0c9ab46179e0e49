// The debugger's announcements as GET /stream sends them (event `debug`), for tests and the bench.
import * as http from 'http';
import { onSseBlocks } from './sseBlocks';

export interface DebugStream {
  /** Each announcement's JSON, in order of arrival. */
  events: any[];
  /** Called after each announcement arrives. */
  onEvent?: (event: any) => void;
  close(): void;
}

export function streamDebug(url: string, token: string): Promise<DebugStream> {
  return new Promise((resolve, reject) => {
    const stream: DebugStream = { events: [], close: () => req.destroy() };
    const req = http.get(url + '/stream', { headers: { Authorization: `Bearer ${token}` } }, res => {
      onSseBlocks(res, frame => {
        if (!frame.includes('event: debug')) return;
        const event = JSON.parse(frame.split('\n').find(l => l.startsWith('data: '))!.slice(6));
        stream.events.push(event);
        stream.onEvent?.(event);
      });
      resolve(stream);
    });
    req.on('error', reject);
  });
}
