// LangGraph checkpoint routes (JarvisSaver in the clients), under /langgraph. Writes answer once
// durable; the engine checks every field (core/langgraph/validate.ts) before journaling.
import type { Json } from '../core/types';
import { fieldError, HttpError } from './http';
import type { Answer, Route, RouteContext } from './routes';
import { pathId, requireObject, type Query } from './validate';

const done: Answer = { status: 204, body: null };

async function bodyObject(ctx: RouteContext): Promise<{ [key: string]: Json | undefined }> {
  return requireObject(await ctx.body(), 'body');
}

/** `filter` of a list: a JSON object in the query string. */
function filterQuery(query: Query): Record<string, unknown> | undefined {
  const raw = query.get('filter');
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw fieldError('filter', 'must be a JSON object');
  }
}

function limitQuery(query: Query): number | undefined {
  return query.get('limit') === undefined ? undefined : query.limit(100);
}

export const langGraphRoutes: Route[] = [
  {
    method: 'POST',
    path: '/langgraph/checkpoints',
    handle: async ctx => ({ status: 201, body: await ctx.engine.langgraph.put(await ctx.body()) }),
  },
  {
    method: 'GET',
    path: '/langgraph/checkpoints',
    handle: ({ engine, query }) => ({
      status: 200,
      body: {
        checkpoints: engine.langgraph.list({
          thread_id: query.get('thread_id'), checkpoint_ns: query.get('checkpoint_ns'), checkpoint_id: query.get('checkpoint_id'),
          before: query.get('before'),
          limit: limitQuery(query), filter: filterQuery(query), readable: query.flag('readable'),
        }),
      },
    }),
  },
  {
    method: 'GET',
    path: '/langgraph/checkpoint',
    handle: ({ engine, query }) => {
      const thread = query.get('thread_id');
      if (thread === undefined) throw fieldError('thread_id', 'is required');
      const t = engine.langgraph.getTuple(thread, query.get('checkpoint_ns') ?? '', query.get('checkpoint_id'), query.flag('readable') === true);
      if (t === undefined) throw new HttpError(404, 'not_found', 'No such LangGraph checkpoint.');
      return { status: 200, body: t };
    },
  },
  {
    method: 'POST',
    path: '/langgraph/writes',
    handle: async ctx => {
      await ctx.engine.langgraph.putWrites(await ctx.body());
      return done;
    },
  },
  {
    method: 'DELETE',
    path: '/langgraph/threads/:thread_id',
    handle: async ({ engine, params }) => {
      await engine.langgraph.deleteThread(pathId(params.thread_id, 'thread_id'));
      return done;
    },
  },
  {
    method: 'POST',
    path: '/langgraph/delete-for-runs',
    handle: async ctx => {
      await ctx.engine.langgraph.deleteForRuns((await bodyObject(ctx)).run_ids);
      return done;
    },
  },
  {
    method: 'POST',
    path: '/langgraph/copy-thread',
    handle: async ctx => {
      const o = await bodyObject(ctx);
      await ctx.engine.langgraph.copyThread(o.source_thread_id as string, o.target_thread_id as string);
      return done;
    },
  },
  // Resume from a chosen checkpoint, or fork it with edited JSON values: the thread's next run continues there.
  {
    method: 'POST',
    path: '/langgraph/fork',
    handle: async ctx => ({ status: 201, body: await ctx.engine.langgraph.fork(await ctx.body()) }),
  },
  {
    method: 'POST',
    path: '/langgraph/prune',
    handle: async ctx => {
      const o = await bodyObject(ctx);
      await ctx.engine.langgraph.prune(o.thread_ids, o.strategy);
      return done;
    },
  },
];
