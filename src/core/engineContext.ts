import type { SqlJsStatic } from 'sql.js';
import type { ResolvedOptions } from './config';
import type { JournalTap } from './journalTap';
import type { Clock, FileSystemPort, Logger } from './ports';
import type { Store } from './store';
import type { ChangeKind } from './types';

/** What every part of the engine shares: the folder and its ports, the live store, the settings. */
export interface EngineContext {
  readonly folder: string;
  readonly fs: FileSystemPort;
  readonly clock: Clock;
  readonly log: Logger;
  readonly SQL: SqlJsStatic;
  readonly store: Store;
  /** Changed in place when the user changes a live setting. */
  readonly settings: ResolvedOptions;
  /** Tells the listeners (views, the SSE stream) what changed. */
  emit(kind: ChangeKind, ids: string[]): void;
  /** Team mode's observer of the journal, when configured. */
  readonly tap?: JournalTap;
}
