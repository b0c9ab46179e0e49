// The crash notification's text: how long the server was away, who came back, what was taken in.
import * as assert from 'assert';
import type { SinceStart } from '../../../src/core/intake';
import type { RecoveryReport } from '../../../src/core/types';
import { crashNotice, returnSummary } from '../../../src/views/recoverySummary';

const report = (over: Partial<RecoveryReport> = {}): RecoveryReport => ({
  file: 'r.json', created_at: '2026-12-01T12:00:14.000Z', as_of: '2026-12-01T12:00:14.000Z', trigger: 'crash', previous_run: null, loaded_from: 'database',
  steps: [], restored: { tasks: 0, agents: 0, decisions: 0, messages: 0, snapshots: 0, journal_records_replayed: 1 },
  stale_agents: [], incomplete_tasks: [{} as never, {} as never], last_decisions: [],
  after_last_recovery_point: { recovery_point: null, decisions: 0, messages: 0, task_events: 0 },
  crash_frontier: { last_activity_at: '2026-12-01T12:00:00.000Z', tasks_in_progress: [], agents_active_at_crash: [], tool_calls_after_recovery_point: [], unfinished_conversations: [] },
  lost: [], duration_ms: 1, ...over,
});
const since = (over: Partial<SinceStart> = {}): SinceStart => ({
  started_at: '2026-12-01T12:00:14.000Z', spool_at_start: { accepted: 20, duplicates: 0, rejected: 0, unreadable_lines: 0 },
  spool_from_clients: { accepted: 6, duplicates: 2 }, clients: [{ client: 'python pid=1 o.py', first_seen: '', last_seen: '', writes: 3 }], ...over,
});

describe('crash notification', function () {
  it('says how long the server was away, who reconnected and how many spooled events were taken in', function () {
    assert.strictEqual(crashNotice(report(), since()),
      'Jarvis Context recovered from a crash: away about 14 s; 1 orchestrator reconnected; 20 spooled events taken in at restart, 6 more sent by orchestrators since. ' +
      '2 incomplete tasks, 0 stale agents, 1 journal record replayed.');
  });

  it('gives the spool the figure the report and the log give, and what orchestrators sent afterwards apart', function () {
    // The report (and the log's "[spool] took in 207") count what the server took from the spool
    // files on its way back; orchestrators then send what they spooled after it had read them.
    const r = report({ spool_intake: { accepted: 207, duplicates: 0, rejected: 0, unreadable_lines: 0 } });
    const s = since({ spool_at_start: { accepted: 207, duplicates: 0, rejected: 0, unreadable_lines: 0 }, spool_from_clients: { accepted: 2, duplicates: 207 } });
    const text = crashNotice(r, s);
    assert.match(text, /; 207 spooled events taken in at restart, 2 more sent by orchestrators since\. /);
    assert.doesNotMatch(text, /209/);
    assert.strictEqual(returnSummary(r, since({ spool_at_start: r.spool_intake!, spool_from_clients: { accepted: 0, duplicates: 3 } })).split('; ')[2],
      '207 spooled events taken in at restart');
    assert.strictEqual(returnSummary(report({ spool_intake: null }), since({ spool_at_start: null, spool_from_clients: { accepted: 1, duplicates: 0 } })).split('; ')[2],
      '1 spooled event sent by orchestrators since');
  });

  it('says so when no orchestrator has come back, and leaves out what it cannot know', function () {
    assert.strictEqual(returnSummary(report(), since({ clients: [], spool_at_start: null, spool_from_clients: { accepted: 0, duplicates: 0 } })),
      'away about 14 s; no orchestrator has reported since');
    const noActivity = report({ crash_frontier: { ...report().crash_frontier, last_activity_at: null } });
    assert.strictEqual(returnSummary(noActivity, undefined), '');
    assert.match(crashNotice(noActivity, undefined, ' (ws)'), /^Jarvis Context recovered from a crash \(ws\)\. 2 incomplete tasks/);
    assert.strictEqual(returnSummary(report({ as_of: '2026-12-01T12:03:05.000Z' }), since({ clients: [] })).split(';')[0], 'away about 3 min 5 s');
  });
});
