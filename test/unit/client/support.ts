// A real engine and REST server in this process, for the client tests.
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
    f.manager = new JarvisContextManager({ url: f.s.server.url, token: f.s.server.token });
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
