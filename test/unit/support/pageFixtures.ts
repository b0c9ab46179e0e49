// Realistic models for the pages and the Markdown report, every optional section filled in, so a
// test that swaps one string field at a time reaches every place a page writes data.
import type { Agent, Alert, ChangesSince, Decision, EngineMetrics, EngineStatus, RecoveryReport, Span, Task } from '../../../src/core/types';
import type { StatusPageData } from '../../../src/views/pages/statusHtml';
import type { TimelineHtmlOptions } from '../../../src/views/pages/timelineHtml';

const T = '2026-12-01T12:00:00.000Z';
const T2 = '2026-12-01T12:03:14.000Z';

const task = (over: Partial<Task>): Task => ({
  task_id: 'write-docs', description: 'Write the user guide', status: 'in_progress', percentage: 40.5, completed_subtasks: ['outline'],
  blockers: ['needs screenshots'], agent_id: 'writer', metadata: { priority: 'high' }, created_at: T, updated_at: T2, ...over,
});
const agent = (over: Partial<Agent>): Agent => ({
  agent_id: 'researcher', status: 'busy', current_task: 'survey', capabilities: ['search'], metadata: { model: 'large' },
  first_seen: T, last_seen: T2, seconds_since_update: 400, health: 'stale', stale: true, at_rest: false, ...over,
});
const span = (over: Partial<Span>): Span => ({
  id: 7, trace_id: 'trace-1', span_id: 'span-1', parent_span_id: 'span-0', name: 'execute_tool web_search', kind: 1, start_time: T2, end_time: null,
  status: 'error', status_message: 'timed out', operation: 'execute_tool', agent_id: 'researcher', agent_name: 'Researcher',
  conversation_id: 'conv-9', task_id: 'survey', tool_name: 'web_search', model: 'gpt', input_tokens: 10, output_tokens: 20,
  attributes: { query: 'rust' }, resource: { service: 'orch' }, scope: 'otel', duration_ms: null, ...over,
} as Span);
const decision: Decision = {
  id: 11, ts: T2, decision_type: 'agent_assignment', context: { options: ['a', 'b'] }, decision: 'Assign survey to researcher',
  reasoning: 'it has the search tool', outcome: 'accepted', agent_id: 'planner', task_id: 'survey',
};
const alert: Alert = {
  id: 3, kind: 'loop', subject: { type: 'agent', id: 'looper' }, message: 'repeated the same tool call 5 times',
  first_seen: T, last_seen: T2, count: 5, active: true, detail: { tool: 'fetch' }, cleared_at: null, cleared_by: null,
} as Alert;

export function fixtureReport(): RecoveryReport {
  return {
    file: 'recovery_report_2026-12-01T12-03-15.json', created_at: T2, trigger: 'crash',
    previous_run: { pid: 4242, host: 'build-box', started_at: T }, loaded_from: 'database',
    steps: [{ step: 'load', ok: true, detail: 'database read' }, { step: 'replay', ok: false, detail: 'torn tail skipped' }],
    restored: { tasks: 3, agents: 2, decisions: 1, messages: 4, snapshots: 2, journal_records_replayed: 17 },
    stale_agents: [agent({})],
    incomplete_tasks: [task({}), task({ task_id: 'survey', description: 'Survey the field', status: 'blocked', agent_id: 'researcher', blockers: ['quota', 'access'] })],
    last_decisions: [decision],
    after_last_recovery_point: {
      recovery_point: { checkpoint_id: 5, created_at: T, label: 'before survey', kind: 'recovery', snapshot_id: 4, content_hash: 'abc', size: 10, file: 'cp-5.sqlite', parent_id: 4 } as never,
      decisions: 1, messages: 2, task_events: 3,
    },
    crash_frontier: {
      last_activity_at: T2, tasks_in_progress: [task({ task_id: 'review', description: 'Review' })], agents_active_at_crash: [agent({ agent_id: 'writer' })],
      tool_calls_after_recovery_point: [span({})], unfinished_conversations: [{ conversation_id: 'conv-9', trace_id: 'trace-1', spans: [span({ name: 'chat' })] }],
    } as never,
    alerts: [alert, { ...alert, id: 4, active: false, kind: 'stalled_task', subject: { type: 'task', id: 'review' } } as Alert],
    lost: ['2 events of a torn journal tail'], duration_ms: 12.5, as_of: T2,
    lost_records: { from: 704, to: 1052, count: 349, by_kind: { decision: 100, message: 20, task_event: 0, span: 0, snapshot: 1, checkpoint: 1 } },
    new_history: 'loaded from the recovery checkpoint',
    as_of_ids: { decision: 11, message: 4, task_event: 9, checkpoint: 5, span: 7 },
    spool_intake: { accepted: 3, duplicates: 1, rejected: 1, unreadable_lines: 1 },
    breakpoint_holds_at_crash: [
      { hold_id: 'mx1-7', breakpoint: 'tool:search', reason: 'breakpoint', filter: null, event_kind: 'tool', event_name: 'search', agent_id: 'coder', task_id: 'survey',
        source: { file: '/work/orch.py', line: 42, function: 'run_tools' }, since: T2 },
      { hold_id: 'mx1-8', breakpoint: null, reason: 'filter', filter: 'blocker', event_kind: 'task', event_name: null, agent_id: null, task_id: null, source: null, since: T2 },
    ],
  };
}

export function fixtureChanges(): ChangesSince {
  return { as_of: T2, decisions: 1, messages: 2, task_events: 1, checkpoints: 1, spans: 3, tasks: [task({ task_id: 'deploy', description: 'Deploy' })] };
}

export function fixtureRemote(): { host: string; user: string } {
  return { host: 'ci-runner', user: 'alice' };
}

export function fixtureStatus(): StatusPageData {
  const status: EngineStatus = {
    session_id: 'session-1', started_at: T, last_checkpoint_at: T2, checkpoint_count: 4, recovered_from_crash: true, storage_path: '/home/alice/ws/memory/context/jarvis',
    persistence: 'ok', persistence_error: 'disk full', counts: { agents: 2, tasks: 3, decisions: 1, messages: 4, snapshots: 2 },
    since_start: { started_at: T, spool_at_start: null, spool_from_clients: { accepted: 0, duplicates: 0 }, clients: [] },
  };
  const metrics = {
    checkpoint: { count: 2, avg_ms: 4.5, p95_ms: 9, last_ms: 3 }, compaction: { count: 1, last_ms: 20 },
    db_bytes: 0, journal_bytes: 0, archive_bytes: 0, storage_bytes: { database: 2048, journal: 641, images: 0, archive: 0, total: 2689 },
    memory_bytes: 1 << 20, events_total: 3, dedup_hits: 1, recovery: { last_ms: 15 }, snapshot_rates: { hourly: 1.5, daily: 2 },
    activity: { messages_per_hour: 3, decisions_per_hour: 0.25 }, storage: { growth_rate_mb_per_day: 0.5 },
  } as EngineMetrics;
  return { folderName: 'ws', status, metrics, serverUrl: 'http://127.0.0.1:41234/api/jarvis/context', holder: { kind: 'attached', url: 'http://127.0.0.1:41234/api/jarvis/context', pid: 4242, holder: 'jarvis-context serve' }, checkpoints: { count: 4, newest: { title: 'before survey', created_at: T2 } } };
}

export function fixtureTimelineShell(): TimelineHtmlOptions {
  const src = 'https://file+.vscode-resource.vscode-cdn.net';
  return { title: 'Run timeline — ws', folder: 'file:///home/alice/ws', nonce: 'N0nce', cspSource: src,
    scriptUri: `${src}/ext/dist/webview/timeline.js`, codiconsUri: `${src}/ext/dist/webview/codicon.css` };
}
