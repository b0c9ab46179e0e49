// LangGraph checkpoints through the engine's one write path: each put, write batch or thread
// operation is one journal record, acknowledged once fdatasync'd, like every write of ours.
import type { EngineContext } from '../engineContext';
import type { JournalOp } from '../ops';
import type { ApplyResult } from '../store';
import { buildFork } from './fork';
import { getTuple, listSummaries, listTuples } from './read';
import type { LgAction, LgListQuery, LgPruneStrategy, LgSummary, LgTuple } from './types';
import { checkLgCheckpoint, checkLgFork, checkLgKey, checkLgKeys, checkLgListQuery, checkLgStrategy, checkLgWrites } from './validate';

export type { LgForkInput } from './fork';
export type { LgAction, LgBlob, LgCheckpointInput, LgListQuery, LgPendingWrite, LgPruneStrategy, LgSummary, LgTuple, LgTyped, LgWrite, LgWritesInput } from './types';

/** Where a checkpoint lives: LangGraph's config keys. */
export interface LgCheckpointKey {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
}

/** What the engine offers for LangGraph (ContextEngineApi.langgraph); inputs are checked here. */
export interface LangGraphApi {
  put(input: unknown): Promise<LgCheckpointKey>;
  putWrites(input: unknown): Promise<void>;
  /** The newest checkpoint of the namespace, or the one named; `readable` renders JSON values. */
  getTuple(threadId: string, checkpointNs: string, checkpointId?: string, readable?: boolean): LgTuple | undefined;
  list(query: LgListQuery): LgTuple[];
  /** The newest `limit` checkpoints of every thread, newest first, without values (the Checkpoints view). */
  summaries(limit: number): LgSummary[];
  deleteThread(threadId: string): Promise<void>;
  deleteForRuns(runIds: unknown): Promise<void>;
  copyThread(sourceThreadId: string, targetThreadId: string): Promise<void>;
  prune(threadIds: unknown, strategy?: unknown): Promise<void>;
  /** A new newest checkpoint of the namespace from a chosen one, with edited JSON values (fork.ts). */
  fork(input: unknown): Promise<LgCheckpointKey>;
}

export class LangGraphCheckpoints implements LangGraphApi {
  constructor(private readonly ctx: EngineContext, private readonly submit: (op: JournalOp) => Promise<ApplyResult>) {}

  async put(input: unknown): Promise<LgCheckpointKey> {
    const c = checkLgCheckpoint(input);
    await this.write({ a: 'put', c });
    return { thread_id: c.thread_id, checkpoint_ns: c.checkpoint_ns, checkpoint_id: c.checkpoint_id };
  }

  async putWrites(input: unknown): Promise<void> {
    const w = checkLgWrites(input);
    if (w.writes.length > 0) await this.write({ a: 'writes', w });
  }

  getTuple(threadId: string, checkpointNs: string, checkpointId?: string, readable = false): LgTuple | undefined {
    return getTuple(this.ctx.store, this.ctx.log, checkLgKey('thread_id', threadId), checkLgKey('checkpoint_ns', checkpointNs, true),
      checkpointId === undefined ? undefined : checkLgKey('checkpoint_id', checkpointId), readable);
  }

  list(query: LgListQuery): LgTuple[] {
    return listTuples(this.ctx.store, this.ctx.log, checkLgListQuery(query));
  }

  summaries(limit: number): LgSummary[] {
    return listSummaries(this.ctx.store, this.ctx.log, limit);
  }

  deleteThread(threadId: string): Promise<void> {
    return this.write({ a: 'delete_thread', thread_id: checkLgKey('thread_id', threadId) });
  }

  async deleteForRuns(runIds: unknown): Promise<void> {
    const run_ids = checkLgKeys('run_ids', runIds);
    if (run_ids.length > 0) await this.write({ a: 'delete_runs', run_ids });
  }

  copyThread(sourceThreadId: string, targetThreadId: string): Promise<void> {
    return this.write({ a: 'copy_thread', source: checkLgKey('source_thread_id', sourceThreadId), target: checkLgKey('target_thread_id', targetThreadId) });
  }

  async prune(threadIds: unknown, strategy?: unknown): Promise<void> {
    const thread_ids = checkLgKeys('thread_ids', threadIds);
    const s: LgPruneStrategy = checkLgStrategy(strategy);
    if (thread_ids.length > 0) await this.write({ a: 'prune', thread_ids, strategy: s });
  }

  async fork(input: unknown): Promise<LgCheckpointKey> {
    const f = checkLgFork(input);
    const { store, log, clock } = this.ctx;
    const from = getTuple(store, log, f.thread_id, f.checkpoint_ns, f.checkpoint_id);
    const key = [f.thread_id, f.checkpoint_ns];
    const newest = String(store.get('SELECT MAX(checkpoint_id) AS id FROM lg_checkpoints WHERE thread_id = ? AND ns = ?', key)?.id ?? '');
    const top = store.all('SELECT DISTINCT version FROM lg_blobs WHERE thread_id = ? AND ns = ?', key)
      .map(r => Number(r.version)).filter(Number.isFinite).reduce((a, b) => Math.max(a, b), 0);
    // One record, a put: a replay stores it as it was made.
    const put = buildFork(from, f, newest, top, clock.now());
    await this.write({ a: 'put', c: put });
    return { thread_id: put.thread_id, checkpoint_ns: put.checkpoint_ns, checkpoint_id: put.checkpoint_id };
  }

  private async write(x: LgAction): Promise<void> {
    await this.submit({ o: 'langgraph', t: this.ctx.clock.now(), x });
  }
}
