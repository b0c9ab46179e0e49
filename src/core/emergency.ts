import * as path from 'path';
import { writeFileAtomic } from './atomicFile';
import type { EngineContext } from './engineContext';
import { errorText as errText } from './errorText';
import { emergencyFile } from './fileNames';
import type { Store } from './store';
import { iso } from './time';
import type { Decision, Json, JsonObject, Message, Task } from './types';

// emergency_<time>.json: a readable copy of the state, written when the database or the journal
// cannot be written, and the last step but one of the recovery fallback chain.

export interface EmergencyFile {
  created_at: string;
  reason?: string;
  last_seq: number;
  state: JsonObject;
  tasks: Task[];
  agents: Record<string, string | number | null>[];
  decisions: Decision[];
  messages: Message[];
}

/** Writes the copy; a failure is logged (the disk is already failing) and journaling goes on. */
export async function writeEmergency(ctx: EngineContext, lastSeq: number, reason: string): Promise<void> {
  const t = ctx.clock.now();
  const file = path.join(ctx.folder, emergencyFile(t));
  try {
    const s = ctx.store;
    const body = {
      created_at: iso(t), reason, last_seq: lastSeq,
      state: s.getState().state,
      tasks: s.getTasks() as unknown as Json,
      agents: s.all('SELECT * FROM agent_states') as unknown as Json,
      decisions: s.getDecisions({ limit: 1000 }) as unknown as Json,
      messages: s.getMessages({ limit: 1000 }) as unknown as Json,
    };
    await writeFileAtomic(ctx.fs, file, JSON.stringify(body, null, 2) + '\n');
    ctx.log.error(`[engine] EMERGENCY BACKUP written to ${file} (${reason})`);
  } catch (e) {
    ctx.log.error(`[engine] emergency backup failed too (${errText(e)}); journaling continues where it can`);
  }
}

/** Loads an emergency copy into an empty store. */
export function importEmergency(store: Store, data: EmergencyFile): void {
  store.exec('BEGIN');
  store.run('INSERT OR REPLACE INTO orchestrator_state (id, body, updated_at) VALUES (1, ?, ?)', [JSON.stringify(data.state ?? {}), data.created_at]);
  for (const t of data.tasks ?? []) {
    store.run(
      `INSERT OR REPLACE INTO task_progress (task_id, description, status, percentage, completed_subtasks, blockers, agent_id, metadata,
        created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
      [t.task_id, t.description, t.status, t.percentage, JSON.stringify(t.completed_subtasks), JSON.stringify(t.blockers),
        t.agent_id, JSON.stringify(t.metadata), t.created_at, t.updated_at],
    );
  }
  for (const a of data.agents ?? []) {
    store.run(
      `INSERT OR REPLACE INTO agent_states (agent_id, status, current_task, capabilities, metadata, first_seen, last_seen, last_seen_ms)
       VALUES (?,?,?,?,?,?,?,?)`,
      [a.agent_id, a.status, a.current_task, a.capabilities, a.metadata, a.first_seen, a.last_seen, a.last_seen_ms],
    );
  }
  for (const d of data.decisions ?? []) store.applyOp({ o: 'decision', t: Date.parse(d.ts), id: d.id, d });
  for (const m of data.messages ?? []) store.applyOp({ o: 'message', t: Date.parse(m.ts), id: m.id, d: m });
  store.setMeta('last_seq', data.last_seq ?? 0);
  store.exec('COMMIT');
  store.dropCaches(); // rows written around the caches
}
