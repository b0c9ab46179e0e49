// GET /metrics with Accept: text/plain — the engine's figures in Prometheus text exposition format 0.0.4.
import { ALERT_KINDS, type Alert, type EngineMetrics, type EngineStatus } from '../core/types';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Text (Prometheus) when the client asks for text/plain or OpenMetrics and not for JSON. */
export function wantsPrometheus(accept: string | undefined): boolean {
  if (!accept) return false;
  const a = accept.toLowerCase();
  return (a.includes('text/plain') || a.includes('application/openmetrics-text')) && !a.includes('application/json');
}

export interface ServerCounters {
  /** Answers sent, by status class ("2xx", "4xx", ...). */
  responses: Map<string, number>;
  streams: number;
}

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  samples: { labels?: Record<string, string>; value: number }[];
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function renderPrometheus(m: EngineMetrics, s: EngineStatus, server: ServerCounters, activeAlerts: readonly Alert[] = []): string {
  const ms = (v: number): number => v / 1000;
  const g = (name: string, help: string, value: number): Family => ({ name, type: 'gauge', help, samples: [{ value }] });
  const c = (name: string, help: string, value: number): Family => ({ name, type: 'counter', help, samples: [{ value }] });
  const families: Family[] = [
    c('jarvis_context_checkpoints_total', 'Checkpoints taken since the store was created.', m.checkpoint.count),
    {
      name: 'jarvis_context_checkpoint_duration_seconds',
      type: 'gauge',
      help: 'Checkpoint duration: average, 95th percentile and last.',
      samples: [
        { labels: { stat: 'avg' }, value: ms(m.checkpoint.avg_ms) },
        { labels: { stat: 'p95' }, value: ms(m.checkpoint.p95_ms) },
        { labels: { stat: 'last' }, value: ms(m.checkpoint.last_ms) },
      ],
    },
    c('jarvis_context_compactions_total', 'Journal compactions into the database.', m.compaction.count),
    g('jarvis_context_compaction_last_seconds', 'Duration of the last compaction.', ms(m.compaction.last_ms)),
    g('jarvis_context_db_bytes', 'Size of the primary database file.', m.db_bytes),
    g('jarvis_context_journal_bytes', 'Size of the journal not yet folded into the database.', m.journal_bytes),
    g('jarvis_context_archive_bytes', 'Size of the archive segments.', m.archive_bytes),
    {
      name: 'jarvis_context_storage_bytes',
      type: 'gauge',
      help: 'Bytes in the storage folder, by kind: database, journal, images (checkpoints/), archive.',
      samples: (['database', 'journal', 'images', 'archive'] as const).map(kind => ({ labels: { kind }, value: m.storage_bytes[kind] })),
    },
    g('jarvis_context_memory_bytes', 'Memory held by the in-memory database.', m.memory_bytes),
    c('jarvis_context_events_total', 'Records written (tasks, agents, decisions, messages, context).', m.events_total),
    c('jarvis_context_dedup_hits_total', 'Snapshots not stored again because they equalled the latest.', m.dedup_hits),
    g('jarvis_context_snapshots_per_hour', 'Context snapshots stored in the last hour.', m.snapshot_rates.hourly),
    g('jarvis_context_snapshots_per_day', 'Context snapshots stored in the last day.', m.snapshot_rates.daily),
    g('jarvis_context_messages_per_hour', 'Agent messages logged per hour.', m.activity.messages_per_hour),
    g('jarvis_context_decisions_per_hour', 'Decisions logged per hour.', m.activity.decisions_per_hour),
    g('jarvis_context_storage_growth_bytes_per_day', 'Storage growth rate.', m.storage.growth_rate_mb_per_day * 1024 * 1024),
    {
      name: 'jarvis_context_records',
      type: 'gauge',
      help: 'Records held, by kind.',
      samples: Object.entries(s.counts).map(([kind, value]) => ({ labels: { kind }, value })),
    },
    g('jarvis_context_persistence_ok', '1 when the store can write, 0 when degraded.', s.persistence === 'ok' ? 1 : 0),
    g('jarvis_context_recovered_from_crash', '1 when this run recovered a crashed previous run.', s.recovered_from_crash ? 1 : 0),
    {
      name: 'jarvis_context_http_responses_total',
      type: 'counter',
      help: 'HTTP answers sent by this server, by status class.',
      samples: [...server.responses.entries()].sort().map(([code, value]) => ({ labels: { code }, value })),
    },
    g('jarvis_context_http_streams', 'Open /stream connections.', server.streams),
    {
      name: 'jarvis_context_alerts_active',
      type: 'gauge',
      help: 'Watchdog alerts active now, by kind (stuck_agent, loop, stalled_task, budget).',
      samples: ALERT_KINDS.map(kind => ({ labels: { kind }, value: activeAlerts.filter(a => a.kind === kind).length })),
    },
  ];
  if (m.recovery.last_ms !== null) {
    families.push(g('jarvis_context_recovery_last_seconds', 'Duration of the last crash recovery.', ms(m.recovery.last_ms)));
  }
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const sample of f.samples) {
      const labels = sample.labels
        ? `{${Object.entries(sample.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
        : '';
      lines.push(`${f.name}${labels} ${fmt(sample.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}
