// JarvisSaver: a LangGraph checkpointer backed by Jarvis Context (jarvis-context-client/langgraph).
//
//   import { JarvisSaver } from 'jarvis-context-client/langgraph';
//   const graph = builder.compile({ checkpointer: new JarvisSaver() });
//
// Every put is durable on the server (journal, fdatasync) before it resolves. Values travel as
// LangGraph's serializer wrote them; a put carries only the channels that changed (newVersions).
// While the server cannot be reached, writes go to langgraph.spool.jsonl and reads are answered
// from what this process wrote meanwhile; the spool is sent, in order, once the server answers
// (puts and writes are idempotent on their keys, so a resend stores nothing twice).
import {
  BaseCheckpointSaver, copyCheckpoint, maxChannelVersion, TASKS, WRITES_IDX_MAP,
  type ChannelVersions, type Checkpoint, type CheckpointListOptions, type CheckpointMetadata, type CheckpointPendingWrite,
  type CheckpointTuple, type PendingWrite, type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { contextPath } from './discovery.js';
import { JarvisContextError } from './errors.js';
import { JarvisContextClient, type ClientOptions } from './httpClient.js';
import { LangGraphSpool, type SpooledCall, type Typed, type WireBlob, type WireTuple } from './langgraphSpool.js';

export interface JarvisSaverOptions extends ClientOptions {
  client?: JarvisContextClient;
  serde?: SerializerProtocol;
  /** false: an unreachable server makes writes reject instead of spooling. Default true. */
  spool?: boolean;
}


const CHECKPOINTS = '/langgraph/checkpoints';
const WRITES = '/langgraph/writes';

export class JarvisSaver extends BaseCheckpointSaver {
  readonly client: JarvisContextClient;
  private readonly spool: LangGraphSpool | undefined;
  /** One call at a time reaches the server: a spool is always sent before what follows it. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: JarvisSaverOptions = {}) {
    super(options.serde);
    this.client = options.client ?? new JarvisContextClient(options);
    this.spool = options.spool === false ? undefined : new LangGraphSpool(options.contextPath ?? contextPath(options.env ?? process.env));
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const c = config.configurable ?? {};
    if (c.thread_id === undefined) return undefined;
    const q = query({ thread_id: c.thread_id, checkpoint_ns: c.checkpoint_ns ?? '', checkpoint_id: c.checkpoint_id });
    const wire = await this.read(
      async () => {
        const t = await this.client.request<WireTuple>('GET', `/langgraph/checkpoint${q}`).catch(e => (isNotFound(e) ? undefined : Promise.reject(e)));
        // Kept for reads while the server is away: a graph reads its namespaces' newest checkpoints mid-run.
        if (t) this.spool?.note({ route: CHECKPOINTS, body: { ...t, blobs: t.channel_values } as unknown as Record<string, unknown> });
        return t;
      },
      local => local.getTuple(String(c.thread_id), String(c.checkpoint_ns ?? ''), c.checkpoint_id as string | undefined));
    return wire && this.toTuple(wire);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const c = config.configurable ?? {};
    const q = {
      thread_id: c.thread_id as string | undefined, checkpoint_ns: c.checkpoint_ns as string | undefined,
      checkpoint_id: c.checkpoint_id as string | undefined, before: options.before?.configurable?.checkpoint_id as string | undefined,
      limit: options.limit, filter: options.filter === undefined ? undefined : JSON.stringify(options.filter),
    };
    if (q.limit !== undefined && q.limit <= 0) return;
    const found = await this.read(
      async () => (await this.client.request<{ checkpoints: WireTuple[] }>('GET', CHECKPOINTS + query(q))).checkpoints,
      local => local.list(q.thread_id, q.checkpoint_ns, q.checkpoint_id, q.before, options.filter, q.limit));
    for (const w of found) yield await this.toTuple(w);
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const c = config.configurable ?? {};
    if (c.thread_id === undefined) throw new Error('JarvisSaver.put: the config has no configurable.thread_id');
    const thread_id = String(c.thread_id);
    const checkpoint_ns = String(c.checkpoint_ns ?? '');
    const { channel_values: values, ...rest } = copyCheckpoint(checkpoint);
    const blobs: WireBlob[] = [];
    for (const [channel, version] of Object.entries(newVersions)) {
      const has = Object.hasOwn(values, channel);
      blobs.push({ channel, version: JSON.stringify(version), ...(has ? await this.typed(values[channel]) : { type: 'empty', data: '' }) });
    }
    const body = {
      thread_id, checkpoint_ns, checkpoint_id: checkpoint.id, parent_checkpoint_id: (c.checkpoint_id as string | undefined) ?? null,
      checkpoint: await this.typed(rest), channel_versions: checkpoint.channel_versions,
      metadata: JSON.parse(JSON.stringify(metadata ?? {})) as CheckpointMetadata, blobs,
    };
    await this.write({ route: CHECKPOINTS, body });
    return { configurable: { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ''): Promise<void> {
    const c = config.configurable ?? {};
    if (c.thread_id === undefined || c.checkpoint_id === undefined) {
      throw new Error('JarvisSaver.putWrites: the config needs configurable.thread_id and configurable.checkpoint_id');
    }
    const body = {
      thread_id: String(c.thread_id), checkpoint_ns: String(c.checkpoint_ns ?? ''), checkpoint_id: String(c.checkpoint_id),
      task_id: taskId, task_path: taskPath,
      writes: await Promise.all(writes.map(async ([channel, value], i) => ({ idx: WRITES_IDX_MAP[channel] ?? i, channel, ...(await this.typed(value)) }))),
    };
    await this.write({ route: WRITES, body });
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.write({ route: `/langgraph/threads/${encodeURIComponent(threadId)}`, method: 'DELETE' });
  }

  /** Checkpoints whose metadata run_id is one of these, with their writes. */
  async deleteForRuns(runIds: string[]): Promise<void> {
    await this.write({ route: '/langgraph/delete-for-runs', body: { run_ids: runIds } });
  }

  async copyThread(sourceThreadId: string, targetThreadId: string): Promise<void> {
    await this.write({ route: '/langgraph/copy-thread', body: { source_thread_id: sourceThreadId, target_thread_id: targetThreadId } });
  }

  /** keep_latest: per namespace only the newest checkpoint stays; delete: nothing stays. */
  async prune(threadIds: string[], strategy: 'keep_latest' | 'delete' = 'keep_latest'): Promise<void> {
    await this.write({ route: '/langgraph/prune', body: { thread_ids: threadIds, strategy } });
  }

  /** Sends what the spool holds now; false when the server still cannot be reached. */
  flush(): Promise<boolean> {
    return this.serial(() => this.drain());
  }

  /** Closes idle sockets so the process can exit. */
  dispose(): void {
    this.client.dispose();
  }

  private async typed(value: unknown): Promise<Typed> {
    const [type, bytes] = await this.serde.dumpsTyped(value);
    return { type, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  }

  private untyped(t: Typed): Promise<unknown> {
    return this.serde.loadsTyped(t.type, Buffer.from(t.data, 'base64'));
  }

  private async toTuple(w: WireTuple): Promise<CheckpointTuple> {
    const checkpoint = (await this.untyped(w.checkpoint)) as Checkpoint;
    const values: Record<string, unknown> = {};
    for (const b of w.channel_values) Object.defineProperty(values, b.channel, { value: await this.untyped(b), enumerable: true, writable: true, configurable: true });
    checkpoint.channel_values = values;
    if (checkpoint.v < 4 && w.parent_checkpoint_id !== null) await this.migratePendingSends(checkpoint, w);
    const pendingWrites: CheckpointPendingWrite[] = [];
    for (const p of w.pending_writes) pendingWrites.push([p.task_id, p.channel, await this.untyped(p)]);
    const key = { thread_id: w.thread_id, checkpoint_ns: w.checkpoint_ns };
    return {
      config: { configurable: { ...key, checkpoint_id: w.checkpoint_id } },
      checkpoint, metadata: w.metadata as CheckpointMetadata, pendingWrites,
      ...(w.parent_checkpoint_id === null ? {} : { parentConfig: { configurable: { ...key, checkpoint_id: w.parent_checkpoint_id } } }),
    };
  }

  /** Checkpoints before format 4 kept pending sends as the parent's writes to TASKS: moved into the values, as LangGraph reads them. */
  private async migratePendingSends(checkpoint: Checkpoint, w: WireTuple): Promise<void> {
    const q = query({ thread_id: w.thread_id, checkpoint_ns: w.checkpoint_ns, checkpoint_id: w.parent_checkpoint_id ?? undefined });
    const parent = await this.client.request<WireTuple>('GET', `/langgraph/checkpoint${q}`).catch(e => (isNotFound(e) ? undefined : Promise.reject(e)));
    const sends: unknown[] = [];
    for (const p of parent?.pending_writes ?? []) if (p.channel === TASKS) sends.push(await this.untyped(p));
    checkpoint.channel_values[TASKS] = sends;
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** A write: sent after the spool, or spooled when the server cannot be reached. */
  private write(call: SpooledCall): Promise<void> {
    return this.serial(async () => {
      if (this.spool && !(await this.drain())) return this.spool.add(call);
      try {
        await this.send(call);
      } catch (e) {
        if (!this.spool || !isUnreachable(e)) throw e;
        return this.spool.add(call);
      }
      this.spool?.note(call);
    });
  }

  /** A read from the server, or, while it cannot be reached, from what this process spooled. */
  private read<T>(remote: () => Promise<T>, local: (spool: LangGraphSpool) => T): Promise<T> {
    return this.serial(async () => {
      if (this.spool && !(await this.drain())) return local(this.spool);
      try {
        return await remote();
      } catch (e) {
        if (!this.spool || !isUnreachable(e)) throw e;
        return local(this.spool);
      }
    });
  }

  private send(call: SpooledCall): Promise<unknown> {
    return this.client.request(call.method ?? 'POST', call.route, call.body);
  }

  /** True once nothing is left in the spool. */
  private async drain(): Promise<boolean> {
    const spool = this.spool!;
    if (!spool.pending()) return true;
    return spool.send(call => this.send(call), isUnreachable);
  }
}

function isUnreachable(e: unknown): boolean {
  return e instanceof JarvisContextError && (e.code === 'unreachable' || e.code === 'no_endpoint' || e.code === 'timeout' || e.status === 503);
}

function isNotFound(e: unknown): boolean {
  return e instanceof JarvisContextError && e.status === 404;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
