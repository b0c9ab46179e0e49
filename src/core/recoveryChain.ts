import * as path from 'path';
import type { SqlJsStatic } from 'sql.js';
import { listDir, readFileIfExists } from './atomicFile';
import { importEmergency, type EmergencyFile } from './emergency';
import { errorText as errText } from './errorText';
import { CHECKPOINT_DIR, DB_FILE, isEmergencyFile, JOURNAL_FILE } from './fileNames';
import { listImages, readImage } from './images';
import { parseIds } from './history';
import { describeForeign, type ForeignObject } from './schemaGuard';
import { decodeJournal, type JournalRecord } from './journal';
import { lostKinds } from './lostText';
import type { FileSystemPort, Logger } from './ports';
import { Store } from './store';
import type { RecoveryReport, RecoveryStep } from './types';

// The recovery fallback chain: what a start loads the state from, and the journal replayed on top.

export interface LoadOutcome {
  store: Store;
  loadedFrom: RecoveryReport['loaded_from'];
  /** What was tried, in order, for the recovery report. */
  steps: RecoveryStep[];
  lost: string[];
  replayed: number;
  /** The highest journal sequence applied or seen; new records continue after it. */
  lastSeq: number;
  journalHadContent: boolean;
  /** The journal must be folded before anything is appended: a torn tail, a corrupt line or a record that failed to apply would otherwise stay in it. */
  journalNeedsFold: boolean;
  /** Where the journal's last valid record ends. */
  journalEnd: number;
  /** The highest sequence number this folder shows any sign of: new records continue past it. */
  highestSeen: number;
  /** Why the loaded state starts a new history (history.ts), when it does. */
  fork?: string;
  /** Records acknowledged once and in no readable file: the sequence range and, where known, counts by kind. */
  lostRecords?: LostRecords;
  /** Triggers, views and objects not ours found in the file loaded, dropped (written out at the next fold). */
  foreignObjectsDropped: ForeignObject[];
}

export interface LostRecords {
  from: number;
  to: number;
  count: number;
  /** New ids per kind between the loaded state and the newest fold this folder remembers; null when unknown. */
  by_kind: Record<string, number> | null;
}

/**
 * The chain: the database file, else the newest readable image under checkpoints/, else the newest
 * readable emergency JSON, else empty; then the journal replayed past the loaded state's last sequence.
 */
export async function loadState(
  SQL: SqlJsStatic, fs: FileSystemPort, folder: string, log: Logger, crashed: boolean, knownSeq = 0,
): Promise<LoadOutcome> {
  const steps: RecoveryStep[] = [];
  const lost: string[] = [];
  let store: Store | undefined;
  let loadedFrom: LoadOutcome['loadedFrom'] = 'database';

  const journalBytes = (await readFileIfExists(fs, path.join(folder, JOURNAL_FILE))) ?? new Uint8Array();
  const journal = decodeJournal(journalBytes);
  const dbBytes = await readFileIfExists(fs, path.join(folder, DB_FILE));
  const tryOpen = (bytes: Uint8Array, what: string): Store | undefined => {
    try {
      const s = Store.open(SQL, bytes);
      // The file is only ever replaced whole (rename + folder fsync), so a crash cannot tear it;
      // damage from outside shows when Store.open reads the schema. A full check would cost about
      // 10 ms per MB at every recovery, so it is left to `PRAGMA integrity_check` on demand.
      steps.push({ step: `open ${what}`, ok: true, detail: `${bytes.length} bytes, last folded journal record ${s.getMeta('last_seq')}` });
      if (s.foreignObjectsDropped.length) {
        const list = describeForeign(s.foreignObjectsDropped);
        steps.push({ step: `drop objects not of our schema from ${what}`, ok: false, detail: list });
        log.warn(`[engine] ${what} held objects not of our schema, dropped: ${list}`);
      }
      return s;
    } catch (e) {
      steps.push({ step: `open ${what}`, ok: false, detail: errText(e) });
      return undefined;
    }
  };

  if (dbBytes && dbBytes.length > 0) store = tryOpen(dbBytes, DB_FILE);
  else steps.push({ step: `open ${DB_FILE}`, ok: dbBytes === undefined, detail: dbBytes === undefined ? 'no database file yet' : 'the file is empty' });

  // Without a readable database, the journal alone is complete only if it starts at record 1.
  const historyElsewhere = journal.records.length > 0 && (journal.records[0].op.o === 'base' || journal.records[0].seq > 1);
  const images = await listImages(fs, folder).catch(e => {
    steps.push({ step: `list ${CHECKPOINT_DIR}/`, ok: false, detail: errText(e) });
    return [];
  });
  // Whatever is readable is loaded: a missing database with no journal is never an empty store
  // while images are there. A missing database with a journal from record 1 is a run that never
  // compacted (it has no images): replay it all.
  if (!store && (dbBytes !== undefined || historyElsewhere || images.length > 0)) {
    for (const img of images) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = await readImage(fs, folder, img);
      } catch (e) {
        steps.push({ step: `open ${CHECKPOINT_DIR}/${img.name}`, ok: false, detail: errText(e) });
        continue;
      }
      if ((store = tryOpen(bytes, `${CHECKPOINT_DIR}/${img.name}`))) {
        loadedFrom = 'recovery_checkpoint';
        break;
      }
    }
    if (!store) {
      const ems = (await listDir(fs, folder)).filter(isEmergencyFile).sort().reverse();
      for (const f of ems) {
        try {
          const data = JSON.parse(Buffer.from(await fs.readFile(path.join(folder, f))).toString('utf8')) as EmergencyFile;
          const s = Store.open(SQL, undefined);
          try {
            importEmergency(s, data);
          } catch (e) {
            s.close();
            throw e;
          }
          store = s;
          loadedFrom = 'emergency_json';
          steps.push({ step: `load ${f}`, ok: true, detail: `emergency backup from ${data.created_at}` });
          break;
        } catch (e) {
          steps.push({ step: `load ${f}`, ok: false, detail: errText(e) });
        }
      }
    }
    if (!store && (dbBytes !== undefined || images.length > 0)) lost.push('The database and every fallback were unreadable; history before the journal is lost.');
  }
  const evidence = dbBytes !== undefined || images.length > 0 || historyElsewhere || knownSeq > 0;
  if (!store) {
    store = Store.open(SQL, undefined);
    loadedFrom = 'empty';
  }

  const lastSeq = Number(store.getMeta('last_seq') ?? 0);
  const loadedIds = { ...store.counters };
  const base = journal.records[0]?.op.o === 'base' ? journal.records[0].seq : undefined;
  const toApply = journal.records.filter(r => r.seq > lastSeq && r.op.o !== 'base');
  const firstNeeded = base !== undefined ? base + 1 : toApply[0]?.seq;
  if (firstNeeded !== undefined && firstNeeded > lastSeq + 1) {
    lost.push(`Journal records ${lastSeq + 1} to ${firstNeeded - 1} were only in the unreadable database and are lost ` +
      `(the state is that of ${loadedFrom === 'empty' ? 'an empty store' : `the ${loadedFrom.replace('_', ' ')}`} plus the journal).`);
  }
  for (const c of journal.corrupt) {
    lost.push(`Journal line ${c.line} (byte ${c.offset}) failed its checksum and was skipped: "${c.preview}"`);
  }
  const { replayed, maxSeq } = replay(store, toApply, lastSeq, lost);
  steps.push({
    step: 'replay journal',
    ok: journal.corrupt.length === 0,
    detail: `${replayed} records replayed after record ${lastSeq}` +
      (journal.tornTailBytes ? `; a torn tail of ${journal.tornTailBytes} bytes (a write never acknowledged) was discarded` : '') +
      (journal.corrupt.length ? `; ${journal.corrupt.length} corrupt records skipped` : ''),
  });
  if (replayed) log.info(`[engine] replayed ${replayed} journal records`);
  const lastSeen = journal.records.reduce((m, r) => Math.max(m, r.seq), maxSeq);
  const journalHadContent = journal.records.some(r => r.op.o !== 'base') || journal.tornTailBytes > 0 || journal.corrupt.length > 0;
  const journalNeedsFold = journal.tornTailBytes > 0 || journal.corrupt.length > 0 || replayed < toApply.length;
  const imageSeqs = images.map(i => /_(\d+)\.sqlite\.gz$/.exec(i.name)).map(m => (m ? Number(m[1]) : 0));
  const highestSeen = Math.max(lastSeen, knownSeq, ...imageSeqs);
  // Records between the loaded state and the journal (or, without one, the highest sequence seen
  // anywhere) were acknowledged and are in no readable file.
  let lostRecords: LostRecords | undefined;
  const lostTo = firstNeeded !== undefined ? firstNeeded - 1 : highestSeen;
  if (loadedFrom !== 'database' && lostTo > lastSeq) {
    const baseOp = journal.records[0]?.op;
    const baseIds = baseOp?.o === 'base' && base === lostTo ? parseIds(baseOp.ids) : undefined;
    const have = loadedIds;
    const byKind = baseIds && have ? Object.fromEntries(Object.entries(baseIds).map(([k, v]) => [k, Math.max(0, v - have[k as keyof typeof have])])) : null;
    lostRecords = { from: lastSeq + 1, to: lostTo, count: lostTo - lastSeq, by_kind: byKind };
    if (firstNeeded === undefined) {
      lost.push(`Records ${lastSeq + 1} to ${lostTo} were acknowledged and are in no readable file: the state is that of ` +
        `${loadedFrom === 'empty' ? 'an empty store' : `the ${loadedFrom.replace('_', ' ')}`}${byKind && lostKinds(byKind) ? ` (lost: ${lostKinds(byKind)})` : ''}.`);
    }
  }
  // The loaded state does not continue the newest history: what follows is a new one.
  const fork = loadedFrom === 'recovery_checkpoint' || loadedFrom === 'emergency_json' ? `loaded from the ${loadedFrom.replace('_', ' ')}`
    : loadedFrom === 'empty' && evidence ? 'started empty over an older history'
      : highestSeen > lastSeen ? `sequence ${lastSeen} is behind ${highestSeen}, seen elsewhere in the folder` : undefined;
  return { store, loadedFrom, steps, lost, replayed, lastSeq: lastSeen, journalHadContent, journalNeedsFold, journalEnd: journal.end, highestSeen, fork, lostRecords,
    foreignObjectsDropped: store.foreignObjectsDropped };
}

/**
 * Applies the journal records after `lastSeq` in one transaction. A savepoint per record would
 * cost a third of the replay, so they are taken only when a record fails: everything is rolled
 * back and applied again record by record, the failed ones left out and reported in `lost`.
 */
function replay(store: Store, records: JournalRecord[], lastSeq: number, lost: string[]): { replayed: number; maxSeq: number } {
  const counters = { ...store.counters };
  const run = (savepoints: boolean) => {
    let replayed = 0;
    let maxSeq = lastSeq;
    store.exec('BEGIN');
    for (const r of records) {
      if (r.seq <= maxSeq) continue;
      if (!savepoints) {
        store.applyOp(r.op);
      } else {
        try {
          store.exec('SAVEPOINT r');
          store.applyOp(r.op);
          store.exec('RELEASE r');
        } catch (e) {
          store.exec('ROLLBACK TO r; RELEASE r');
          store.dropCaches();
          lost.push(`Journal record ${r.seq} (${r.op.o}) could not be applied: ${errText(e)}`);
          maxSeq = r.seq;
          continue;
        }
      }
      replayed++;
      maxSeq = r.seq;
    }
    store.exec('COMMIT');
    return { replayed, maxSeq };
  };
  try {
    return run(false);
  } catch {
    store.exec('ROLLBACK');
    store.dropCaches();
    store.counters = { ...counters };
    return run(true);
  }
}
