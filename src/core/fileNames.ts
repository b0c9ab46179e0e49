import { iso } from './time';

// Every name in the storage folder is built and recognised here (DESIGN.md, Storage layout).

export const DB_FILE = 'jarvis_context.db';
export const JOURNAL_FILE = 'journal.jsonl';
export const CHECKPOINT_DIR = 'checkpoints';
export const ARCHIVE_DIR = 'archive';

/** A time as it appears in file names: ISO 8601 without ':' and '.', so it sorts and is portable. */
export const stamp = (ms: number): string => iso(ms).replace(/[:.]/g, '-');
const STAMP = /(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)/;

export const reportFile = (ms: number): string => `recovery_report_${stamp(ms)}.json`;
export const isReportFile = (name: string): boolean => /^recovery_report_.*\.json$/.test(name);
export const reportMarkdownFile = (jsonName: string): string => jsonName.replace(/\.json$/, '.md');

export const emergencyFile = (ms: number): string => `emergency_${stamp(ms)}.json`;
export const isEmergencyFile = (name: string): boolean => /^emergency_.*\.json$/.test(name);

export const segmentFile = (ms: number, seq: number, suffix = ''): string => `segment_${stamp(ms)}_${seq}${suffix}.sqlite`;

/** A gzipped database image under checkpoints/, named by time and the journal position it holds. */
export const imageFile = (ms: number, seq: number): string => `image_${stamp(ms)}_${seq}.sqlite.gz`;

export interface ImageName {
  name: string;
  /** Sort key: the time in the name, then the journal position (newest last). */
  key: string;
  gzip: boolean;
}

/** Database images: ours, and the whole copies that recovery points made before schema version 2. */
export function parseImageName(name: string): ImageName | undefined {
  let m = /^image_(.+)_(\d+)\.sqlite\.gz$/.exec(name);
  if (m && STAMP.test(m[1])) return { name, key: `${m[1]}_${m[2].padStart(16, '0')}`, gzip: true };
  m = /^recovery_(.+)\.sqlite$/.exec(name);
  const t = m && STAMP.exec(m[1]);
  if (t) return { name, key: `${t[1]}_${''.padStart(16, '0')}`, gzip: false };
  return undefined;
}
