// GET /stream as tests read it: the response cut into its SSE blocks (events and comments).
import type * as http from 'http';

/** Calls `onBlock` with each block of `res` as it completes, in order. */
export function onSseBlocks(res: http.IncomingMessage, onBlock: (block: string) => void): void {
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (d: string) => {
    buffer += d;
    let i: number;
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      onBlock(block);
    }
  });
}
