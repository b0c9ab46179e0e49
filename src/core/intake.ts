import { iso } from './time';
import type { Clock } from './ports';
import type { BatchResult } from './types';

// What reached this run from outside since it started: which orchestrators wrote (clients name
// themselves in a Jarvis-Client header) and how much of what they spooled while no server was up
// was taken in. Said after a crash, so a user knows whether the run went on through it.

/** What ingesting spooled events came to. */
export interface SpoolResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  unreadable_lines: number;
}

export interface ClientSeen {
  /** As the client names itself, e.g. "python pid=4242 orchestrator.py". */
  client: string;
  first_seen: string;
  last_seen: string;
  writes: number;
}

export interface SinceStart {
  started_at: string;
  /** Taken from the spool files by this server when it started. */
  spool_at_start: SpoolResult | null;
  /** Spooled events clients sent once they reached this server. */
  spool_from_clients: { accepted: number; duplicates: number };
  /** Orchestrators that wrote to this server, newest first (at most 20). */
  clients: ClientSeen[];
}

const MAX_CLIENTS = 20;
const MAX_CLIENT_NAME = 120;

export class IntakeLog {
  private readonly clients = new Map<string, ClientSeen>();
  private atStart: SpoolResult | null = null;
  private readonly fromClients = { accepted: 0, duplicates: 0 };

  constructor(private readonly clock: Clock, private readonly startedAt: string) {}

  spoolAtStart(result: SpoolResult): void {
    this.atStart = { ...result };
  }

  /** A write that came from a client; `spooled` when it carried spooled events. */
  write(client: string | undefined, spooled?: BatchResult): void {
    if (spooled) {
      this.fromClients.accepted += spooled.accepted;
      this.fromClients.duplicates += spooled.duplicates;
    }
    if (!client) return;
    const name = client.slice(0, MAX_CLIENT_NAME);
    const now = iso(this.clock.now());
    const seen = this.clients.get(name);
    if (seen) {
      seen.last_seen = now;
      seen.writes++;
      // Most recent last, so the oldest is the first one dropped.
      this.clients.delete(name);
      this.clients.set(name, seen);
      return;
    }
    this.clients.set(name, { client: name, first_seen: now, last_seen: now, writes: 1 });
    if (this.clients.size > MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value as string);
  }

  summary(): SinceStart {
    return {
      started_at: this.startedAt,
      spool_at_start: this.atStart && { ...this.atStart },
      spool_from_clients: { ...this.fromClients },
      clients: [...this.clients.values()].reverse().map(c => ({ ...c })),
    };
  }
}
