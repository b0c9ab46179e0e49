import type { EngineContext } from './engineContext';
import { iso } from './time';
import type { EngineMetrics } from './types';

/** The figures the parts keep, gathered for GET /metrics. */
export interface MetricFigures {
  checkpointDurations: number[];
  checkpointCount: number;
  compaction: { count: number; last_ms: number };
  storage: { database: number; journal: number; images: number; archive: number };
  /** Bytes of journal records not folded yet (the file also holds the zeros written ahead of them). */
  journalRecords: number;
  eventsTotal: number;
  dedupHits: number;
  lastRecoveryMs: number | null;
}

export function buildMetrics(ctx: EngineContext, f: MetricFigures): EngineMetrics {
  const d = [...f.checkpointDurations].sort((a, b) => a - b);
  const now = ctx.clock.now();
  const hourAgo = iso(now - 3_600_000);
  const s = ctx.store;
  const first = s.get('SELECT MIN(created_at) AS t FROM task_progress');
  const ageDays = first?.t ? Math.max(1, (now - Date.parse(String(first.t))) / 86_400_000) : 1;
  const storage = { ...f.storage, total: f.storage.database + f.storage.journal + f.storage.images + f.storage.archive };
  return {
    checkpoint: {
      count: f.checkpointCount,
      avg_ms: d.length ? d.reduce((a, b) => a + b, 0) / d.length : 0,
      p95_ms: d.length ? d[Math.min(d.length - 1, Math.floor(d.length * 0.95))] : 0,
      last_ms: f.checkpointDurations[f.checkpointDurations.length - 1] ?? 0,
    },
    compaction: { ...f.compaction },
    db_bytes: storage.database,
    journal_bytes: f.journalRecords,
    archive_bytes: storage.archive,
    storage_bytes: storage,
    memory_bytes: s.totalBytes(),
    events_total: f.eventsTotal,
    dedup_hits: f.dedupHits,
    recovery: { last_ms: f.lastRecoveryMs },
    snapshot_rates: {
      hourly: s.scalar('SELECT COUNT(*) FROM context_snapshots WHERE created_at >= ?', [hourAgo]),
      daily: s.scalar('SELECT COUNT(*) FROM context_snapshots WHERE created_at >= ?', [iso(now - 86_400_000)]),
    },
    activity: {
      messages_per_hour: s.scalar('SELECT COUNT(*) FROM agent_coordination WHERE ts >= ?', [hourAgo]),
      decisions_per_hour: s.scalar('SELECT COUNT(*) FROM decision_log WHERE ts >= ?', [hourAgo]),
    },
    storage: { growth_rate_mb_per_day: storage.total / 1_048_576 / ageDays },
  };
}
