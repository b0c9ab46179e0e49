import type { Archive } from './archive';
import { canonicalJson } from './canonicalJson';
import { setOwn } from './ownKeys';
import type { EngineContext } from './engineContext';
import { NotFoundError, ValidationError } from './errors';
import type { CheckpointOp, DecisionOp, ResumeClearOp, ResumePointOp, SnapshotOp } from './ops';
import { hashHex, hashParts, partsFromView, viewOf, type SnapshotDelta, type SnapshotParts } from './snapshotDelta';
import type { Store } from './store';
import { iso } from './time';
import type { ContextView, Json, JsonObject, ResumeClearedBy, ResumePoint, ResumePointInfo } from './types';
import { checkContext, isPlainObject } from './validate';
import type { WritePath } from './writePath';

// Resume and fork. A resume point says "the next orchestrator start restores this checkpoint's
// context". History is never rewritten: setting one records a new checkpoint of kind `fork`
// (parent: the chosen checkpoint) whose snapshot is the parent's context, its state replaced when
// the user edited it. The resume point, its fork and a decision saying so are one journal record;
// clearing it (the orchestrator restored it, or the user cancelled) is another, with its decision.

/** Who ends a pending resume point through the API. */
export type ResumeCloser = Exclude<ResumeClearedBy, 'replaced'>;

export interface ResumePointDeps {
  ctx: EngineContext;
  writes: WritePath;
  archive: Archive;
  /** Runs `fn` alone among checkpoints, archiving and cleanup (ids and chains stay consistent). */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Caps conversation_history as a context write would. */
  capHistory(state: JsonObject): JsonObject;
}

export class ResumePoints {
  constructor(private readonly deps: ResumePointDeps) {}

  private get store(): Store {
    return this.deps.ctx.store;
  }

  /** The pending resume point, without its context (cheap: the status bar and the views ask often). */
  pending(): ResumePointInfo | undefined {
    const r = this.store.get(`SELECT r.*, p.label AS label FROM resume_points r LEFT JOIN checkpoints p ON p.id = r.parent_id
      WHERE r.cleared_at IS NULL ORDER BY r.id DESC LIMIT 1`);
    return r && toInfo(r);
  }

  /** The pending resume point with the context it restores. */
  async get(): Promise<ResumePoint | undefined> {
    const info = this.pending();
    if (!info) return undefined;
    const view = await this.forkView(info.checkpoint_id);
    return { ...info, state: view.state, tasks: view.tasks, agents: view.agents, recent_decisions: view.recent_decisions };
  }

  /** What GET /context answers: the resume point's context while one is pending, else the live one. */
  async restoreView(live: () => ContextView): Promise<ContextView> {
    const info = this.pending();
    if (!info) return live();
    const view = await this.forkView(info.checkpoint_id);
    return {
      state: view.state, tasks: view.tasks as unknown as ContextView['tasks'], agents: view.agents as unknown as ContextView['agents'],
      recent_decisions: view.recent_decisions as unknown as ContextView['recent_decisions'],
      updated_at: info.created_at, resume_point_id: info.resume_point_id, checkpoint_id: info.checkpoint_id,
    };
  }

  /**
   * `{ checkpoint_id, state? }`: records the fork and makes it the pending resume point (replacing
   * any pending one). Throws ValidationError for bad input, NotFoundError for an unknown checkpoint.
   */
  async set(input: unknown): Promise<ResumePointInfo> {
    if (!isPlainObject(input)) throw new ValidationError('body', 'must be a JSON object');
    const parentId = checkCheckpointId(input.checkpoint_id);
    const edit = input.state === undefined ? undefined : this.deps.capHistory(checkContext(input.state, 'state'));
    return this.deps.serial(async () => {
      const { ctx, writes, archive } = this.deps;
      const { store, clock } = ctx;
      const parent = store.getCheckpoint(parentId);
      if (!parent) throw new NotFoundError('checkpoint_id', `no checkpoint ${parentId}`);
      const content = await archive.readSnapshot(parent.snapshot_id);
      if (!content) throw new NotFoundError('checkpoint_id', `the snapshot of checkpoint ${parentId} is no longer stored`);
      const parts = partsFromView(content);
      const edited = edit !== undefined && canonicalJson(edit) !== canonicalJson(parts.state);
      if (edit !== undefined) parts.state = edit;
      const t = clock.now();
      const id = store.scalar('SELECT COALESCE(MAX(id), 0) FROM resume_points') + 1;
      const snapshotId = ++store.counters.snapshot;
      const checkpointId = ++store.counters.checkpoint;
      const label = `${edited ? 'edited ' : ''}fork of #${parentId}`;
      // A keyframe of its own: the fork opens whatever happens to its parent's chain (archived, cleaned up).
      const snapshot: SnapshotOp = {
        o: 'snapshot', t, id: snapshotId, kind: 'fork', label, hash: hashHex(hashParts(parts)), delta: keyframe(parts),
        chain_start: snapshotId, size: Buffer.byteLength(canonicalJson(viewOf(parts))),
      };
      const checkpoint: CheckpointOp = { o: 'checkpoint', t, id: checkpointId, kind: 'fork', label, snapshot_id: snapshotId, snapshot, parent_id: parentId };
      const named = parent.label ? ` ("${parent.label}")` : '';
      const decision = this.decision(t, 'resume_point', { resume_point_id: id, checkpoint_id: checkpointId, parent_id: parentId, edited },
        `Resume from checkpoint #${parentId}${named}${edited ? ' with an edited state' : ''} at the next orchestrator start`,
        `Recorded as fork checkpoint #${checkpointId}; the history before it is kept as it was. The orchestrator gets this context ` +
        'from GET /context (restore_context()) and clears the resume point once restored.');
      const op: ResumePointOp = { o: 'resume_point', t, id, checkpoint, edited, decision };
      await writes.submit(op);
      ctx.log.info(`[resume] resume point ${id}: fork #${checkpointId} of checkpoint #${parentId}${edited ? ' (state edited)' : ''}`);
      return this.pending()!;
    });
  }

  /**
   * Ends the pending resume point: `orchestrator` once it restored it, `user` to cancel. With
   * `resumePointId`, only that one (a newer one set meanwhile is left pending). NotFoundError when none.
   */
  async clear(by: ResumeCloser, resumePointId?: number): Promise<ResumePointInfo> {
    if (by !== 'orchestrator' && by !== 'user') throw new ValidationError('by', 'must be "orchestrator" or "user"');
    if (resumePointId !== undefined && !(Number.isInteger(resumePointId) && resumePointId > 0)) {
      throw new ValidationError('resume_point_id', 'must be a positive integer');
    }
    return this.deps.serial(async () => {
      const info = this.pending();
      if (!info) throw new NotFoundError(undefined, 'There is no pending resume point.');
      if (resumePointId !== undefined && info.resume_point_id !== resumePointId) {
        throw new NotFoundError('resume_point_id', `resume point ${resumePointId} is not the pending one (${info.resume_point_id})`);
      }
      const t = this.deps.ctx.clock.now();
      const what = `checkpoint #${info.parent_id}${info.label ? ` ("${info.label}")` : ''}${info.edited ? ' with an edited state' : ''}`;
      const context = { resume_point_id: info.resume_point_id, checkpoint_id: info.checkpoint_id, parent_id: info.parent_id, edited: info.edited, by };
      const decision = by === 'orchestrator'
        ? this.decision(t, 'resume', context, `Orchestrator resumed from ${what} (fork #${info.checkpoint_id})`,
          'It restored the resume point\'s context on start and cleared the resume point.')
        : this.decision(t, 'resume_cancelled', context, `User cancelled the resume from ${what} (fork #${info.checkpoint_id})`,
          'The next orchestrator start restores the live context; the fork checkpoint stays in the history.');
      const op: ResumeClearOp = { o: 'resume_clear', t, id: info.resume_point_id, by, decision };
      await this.deps.writes.submit(op);
      this.deps.ctx.log.info(`[resume] resume point ${info.resume_point_id} ${by === 'orchestrator' ? 'restored by the orchestrator' : 'cancelled by the user'}`);
      return { ...info, cleared_at: iso(t), cleared_by: by };
    });
  }

  /** The newest recovery point (a recovery point or a manual checkpoint, as the recovery report names it). */
  lastRecoveryPointId(): number | undefined {
    const r = this.store.get("SELECT id FROM checkpoints WHERE kind IN ('manual', 'recovery') ORDER BY id DESC LIMIT 1");
    return r ? Number(r.id) : undefined;
  }

  async fromLastRecoveryPoint(): Promise<ResumePointInfo> {
    const id = this.lastRecoveryPointId();
    if (id === undefined) throw new NotFoundError('checkpoint_id', 'there is no recovery point to resume from yet');
    return this.set({ checkpoint_id: id });
  }

  private decision(t: number, type: string, context: JsonObject, decision: string, reasoning: string): DecisionOp {
    return { o: 'decision', t, id: ++this.store.counters.decision, d: { decision_type: type, context, decision, reasoning } };
  }

  private async forkView(checkpointId: number): Promise<{ state: JsonObject; tasks: Json[]; agents: Json[]; recent_decisions: Json[] }> {
    const cp = this.store.getCheckpoint(checkpointId);
    const content = cp && (await this.deps.archive.readSnapshot(cp.snapshot_id));
    if (!content) throw new NotFoundError('checkpoint_id', `the fork checkpoint ${checkpointId} of the pending resume point cannot be read`);
    return {
      state: (content.state as JsonObject) ?? {}, tasks: (content.tasks as Json[]) ?? [], agents: (content.agents as Json[]) ?? [],
      recent_decisions: (content.recent_decisions as Json[]) ?? [],
    };
  }
}

// ---- applying the journal records (live and in replay) -----------------------------------------

function keyframe(p: SnapshotParts): SnapshotDelta {
  const obj = <K>(m: Map<K, string>) => {
    const out: { [id: string]: Json } = {};
    for (const [k, v] of m) setOwn(out, String(k), JSON.parse(v) as Json);
    return out;
  };
  return { base: null, state: [0, p.state], tasks: obj(p.tasks), agents: obj(p.agents), decisions: obj(p.decisions) };
}

function checkCheckpointId(v: unknown): number {
  if (v === undefined) throw new ValidationError('checkpoint_id', 'is required');
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ValidationError('checkpoint_id', 'must be a positive integer');
  return v;
}

function toInfo(r: Record<string, unknown>): ResumePointInfo {
  return {
    resume_point_id: Number(r.id), checkpoint_id: Number(r.checkpoint_id), parent_id: Number(r.parent_id), edited: Number(r.edited) === 1,
    created_at: String(r.created_at), label: (r.label as string | null) ?? null,
    cleared_at: (r.cleared_at as string | null) ?? null, cleared_by: (r.cleared_by as ResumeClearedBy | null) ?? null,
  };
}
