import type { ContextEngineApi } from '../core/engineApi';
import type { Logger } from '../core/ports';
import type { TeamReader } from '../team/teamMode';

/** What the extension needs of the REST server (src/server); injected so the wiring stays testable. */
export interface RunningServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

export type ServerStarter = (options: {
  engine: ContextEngineApi;
  port?: number;
  token?: string;
  logger: Logger;
  team?: TeamReader;
}) => Promise<RunningServer>;
