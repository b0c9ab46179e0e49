import type { RecoveryReport } from './types';

// What a recovery lost, in words: one sentence for the report's JSON `lost`, its page and its Markdown.

type LostRecords = NonNullable<RecoveryReport['lost_records']>;

const KIND_NAMES: Record<string, [string, string]> = {
  decision: ['decision', 'decisions'], message: ['message', 'messages'], task_event: ['task update', 'task updates'],
  span: ['span', 'spans'], snapshot: ['snapshot', 'snapshots'], checkpoint: ['checkpoint', 'checkpoints'],
};

/** "100 decisions, 1 message" (kinds with none left out); '' when unknown or none. */
export function lostKinds(byKind: Record<string, number> | null | undefined): string {
  if (!byKind) return '';
  return Object.entries(byKind).filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([k, n]) => `${n.toLocaleString('en-US')} ${(KIND_NAMES[k] ?? [k, k])[n === 1 ? 0 : 1]}`).join(', ');
}

/** "Records 704 to 1,052 (349) are in no readable file: 100 decisions, 20 messages." */
export function lostRecordsText(lr: LostRecords): string {
  const kinds = lostKinds(lr.by_kind);
  return `Records ${lr.from.toLocaleString('en-US')} to ${lr.to.toLocaleString('en-US')} (${lr.count.toLocaleString('en-US')}) are in no readable file` +
    (kinds ? `: ${kinds}.` : ' (their kinds are not known).') +
    ' In team mode, PostgreSQL still holds those it had received.';
}
