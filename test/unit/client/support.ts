// A real engine and REST server in this process, for the client tests.
import * as fs from 'fs';
import * as path from 'path';
import { JarvisContextClient, JarvisContextManager } from 'jarvis-context-client';
import type { ContextEngine } from '../../../src/core/engine';
import { JarvisServer } from '../../../src/server/server';
import { openEngine, tempDir } from '../support/fixtures';

export interface Running {
  folder: string;
  engine: ContextEngine;
  server: JarvisServer;
  /** A client given the URL and token explicitly. */
  client: JarvisContextClient;
  stop(): Promise<void>;
}

export { tempDir };

export async function startServer(folder = tempDir('jarvis-client-'), port = 0): Promise<Running> {
  const engine = await openEngine(folder);
  const server = await JarvisServer.start({ engine, port });
  const client = new JarvisContextClient({ url: server.url, token: server.token });
  let stopped = false;
  return {
    folder, engine, server, client,
    async stop() {
      if (stopped) return;
      stopped = true;
      client.dispose();
      await server.close();
      await engine.close();
    },
  };
}

/** Mocha hooks: a fresh server, and a JarvisContextManager pointed at it, for each test. */
export function managerFixture(): { readonly s: Running; readonly manager: JarvisContextManager } {
  const f = {} as { s: Running; manager: JarvisContextManager };
  beforeEach(async () => {
    f.s = await startServer();
    f.manager = new JarvisContextManager({ url: f.s.server.url, token: f.s.server.token, contextPath: f.s.folder });
  });
  afterEach(async () => {
    f.manager.dispose();
    await f.s.stop();
  });
  return f;
}

/** The statuses a task went through, oldest first. */
export function statusHistory(s: Running, taskId: string): string[] {
  return s.engine.getTaskEvents(taskId).sort((a, b) => a.id - b.id).map(e => e.changes.status).filter((x): x is NonNullable<typeof x> => !!x);
}

/** Spooled events, oldest first: a spool taken for sending whose send failed, then spool.jsonl. */
export function spooledEvents(folder: string): Record<string, unknown>[] {
  const files = fs.readdirSync(folder).filter(n => /^spool\.sending\.\d+\.jsonl$/.test(n)).sort().concat(['spool.jsonl']);
  return files.flatMap(n => {
    const file = path.join(folder, n);
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').split('\n').filter(l => l.trim()).map(l => JSON.parse(l) as Record<string, unknown>);
  });
}
