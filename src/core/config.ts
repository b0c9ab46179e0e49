import { resolveAlertSettings, type AlertSettings } from './alertSettings';
import { envNumber } from './envNumber';
import type { JournalTap } from './journalTap';
import type { Clock, FileSystemPort, Logger } from './ports';

export interface EngineOptions {
  /** The storage folder; created when missing. */
  folder: string;
  /** Bytes of sql-wasm.wasm; the host reads them (extension: through extensionUri). */
  wasmBinary: Uint8Array;
  clock?: Clock;
  logger?: Logger;
  fs?: FileSystemPort;
  /** Automatic checkpoint period; 0 turns the timer off. Default 30 s. */
  checkpointIntervalMs?: number;
  /** Entries kept of the context's conversation_history. Default 100. */
  historySize?: number;
  /** An agent not seen for longer is stale. Default 5 minutes. */
  staleAfterMs?: number;
  /** Above this size the oldest history moves to archive segments. Default 16 MB. */
  liveDbLimitBytes?: number;
  /** The journal is folded into the database when it passes this size. Default 4 MB. */
  journalCompactBytes?: number;
  /** Database images kept under checkpoints/ (a guard against a corrupt database file). Default 3. */
  imageCount?: number;
  /** Bytes those images may take together; the newest is always kept. Default 256 MB. */
  imageBytes?: number;
  /** Watchdog thresholds (loop, stalled task, budgets); defaults in alertSettings.ts. */
  alerts?: Partial<AlertSettings>;
  /** Identity written in the crash marker; tests override them to play two processes. */
  pid?: number;
  hostname?: string;
  isProcessAlive?: (pid: number) => boolean;
  /**
   * How long open waits for a live owner of the folder on this host to let go before refusing it
   * (an editor window reloading starts its new process while the old one still closes). Default 0.
   */
  ownerWaitMs?: number;
  /**
   * When the process exits with code 0 without close() (a host that cut close short), the crash
   * marker is removed synchronously if it is still this run's: every acknowledged write is in the
   * journal already, so the next open replays it without reporting a crash. Default false.
   */
  releaseOnCleanExit?: boolean;
  /** Called as soon as open knows the last run crashed, before the (longer) recovery runs. */
  onRecovering?: () => void;
  /**
   * false: the search index is not caught up (writes never touch it anyway); search then reads
   * every row written since. For measuring what the index costs (the search bench); a later open
   * with the index catches up. Default true.
   */
  searchIndex?: boolean;
  /** Sees every acknowledged record and the journal before it is emptied (team mode's outbox). */
  journalTap?: JournalTap;
}

export const DEFAULTS = {
  checkpointIntervalMs: 30_000,
  historySize: 100,
  staleAfterMs: 5 * 60_000,
  liveDbLimitBytes: 16 * 1024 * 1024,
  journalCompactBytes: 4 * 1024 * 1024,
  imageCount: 3,
  imageBytes: 256 * 1024 * 1024,
  cliContextPath: './memory/context/jarvis',
} as const;

/** The engine's settings with every default filled in: the one place defaults are applied. */
export interface ResolvedOptions {
  folder: string;
  historySize: number;
  staleAfterMs: number;
  liveDbLimitBytes: number;
  journalCompactBytes: number;
  checkpointIntervalMs: number;
  imageCount: number;
  imageBytes: number;
  alerts: AlertSettings;
}

export function resolveOptions(o: EngineOptions): ResolvedOptions {
  return {
    folder: o.folder,
    historySize: o.historySize ?? DEFAULTS.historySize,
    staleAfterMs: o.staleAfterMs ?? DEFAULTS.staleAfterMs,
    liveDbLimitBytes: o.liveDbLimitBytes ?? DEFAULTS.liveDbLimitBytes,
    journalCompactBytes: o.journalCompactBytes ?? DEFAULTS.journalCompactBytes,
    checkpointIntervalMs: o.checkpointIntervalMs ?? DEFAULTS.checkpointIntervalMs,
    imageCount: o.imageCount ?? DEFAULTS.imageCount,
    imageBytes: o.imageBytes ?? DEFAULTS.imageBytes,
    alerts: resolveAlertSettings(o.alerts),
  };
}

/** Settings from the environment (DESIGN.md, Configuration). Invalid values are ignored with a warning. */
export function configFromEnv(env: NodeJS.ProcessEnv, logger?: Logger): Partial<EngineOptions> & { folder?: string } {
  const out: Partial<EngineOptions> & { folder?: string } = {};
  const num = (name: string) => envNumber(env, name, logger);
  const interval = num('JARVIS_CHECKPOINT_INTERVAL');
  if (interval !== undefined) out.checkpointIntervalMs = interval * 1000;
  const history = num('JARVIS_CONTEXT_HISTORY_SIZE');
  if (history !== undefined) out.historySize = Math.floor(history);
  const images = num('JARVIS_CONTEXT_IMAGES');
  if (images !== undefined) out.imageCount = Math.max(1, Math.floor(images));
  const imageMb = num('JARVIS_CONTEXT_IMAGES_MB');
  if (imageMb !== undefined && imageMb > 0) out.imageBytes = imageMb * 1024 * 1024;
  const stale = num('JARVIS_STALE_AGENT_MINUTES');
  if (stale) out.staleAfterMs = stale * 60_000;
  if (env.JARVIS_CONTEXT_PATH) out.folder = env.JARVIS_CONTEXT_PATH;
  return out;
}
