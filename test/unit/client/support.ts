// A real engine and REST server in this process, for the client tests.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JarvisContextClient } from '../../../src/client';
import { ContextEngine } from '../../../src/core/engine';
import { readWasmBinary } from '../../../src/core/wasm';
import { JarvisServer } from '../../../src/server/server';

export interface Running {
  folder: string;
  engine: ContextEngine;
  server: JarvisServer;
  /** A client given the URL and token explicitly. */
  client: JarvisContextClient;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'jarvis-client-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startServer(folder = tempDir(), port = 0): Promise<Running> {
  const engine = await ContextEngine.open({ folder, wasmBinary: readWasmBinary(), checkpointIntervalMs: 0 });
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

/** The statuses a task went through, oldest first. */
export function statusHistory(s: Running, taskId: string): string[] {
  return s.engine.getTaskEvents(taskId).sort((a, b) => a.id - b.id).map(e => e.changes.status).filter((x): x is NonNullable<typeof x> => !!x);
}
