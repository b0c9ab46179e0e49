// Phase "dayprep": this folder's store becomes a crashed day-sized one (dayStore.ts) for the next
// phases, which measure activation on it.
import * as fs from 'fs';
import * as path from 'path';
import { activate } from '../harness';
import { buildCrashedDay } from './dayStore';

describe('phase dayprep', function () {
  it('leaves a crashed day-sized store in this folder\'s storage', async function () {
    this.timeout(600_000);
    const api = await activate();
    const session = api.testing.sessions.current!;
    const folder = session.storagePath!;
    await session.close();
    for (const f of fs.readdirSync(folder)) fs.rmSync(path.join(folder, f), { recursive: true, force: true });
    await buildCrashedDay(folder);
  });
});
