// The routes of shared/API.md, under /api/jarvis/context. Each handler checks what is HTTP (body
// shape, path ids, query strings: validate.ts) and hands the content to the engine, which checks
// all of it with the core's validator before writing anything. A handler answers only after the
// engine's write resolved, that is once the write is durable.
import type { IncomingMessage, ServerResponse } from 'http';
import type { ContextEngineApi } from '../core/engineApi';
import type { AgentUpdate, BatchEvent, DecisionInput, Json, JsonObject, MessageInput, TaskUpdate } from '../core/types';
import { clientName, fieldError, HttpError } from './http';
import { search } from './search';
import { listSpans } from './spansRoute';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus, wantsPrometheus, type ServerCounters } from './prometheus';
import type { EventStreams } from './sse';
import type { TeamReader } from '../team/teamMode';
import { langGraphRoutes } from './langgraphRoutes';
import { debugRoutes } from './debugRoutes';
import type { DebugSessions } from '../debug/debugSessions';
import { listScope, teamRead, teamRecoveryReport, teamRecoveryReports, teamStatus } from './teamRoutes';
import { checkpointId, cleanupInput, optionalLabel, optionalObject, pathId, positiveId, Query, requireObject } from './validate';

export const BASE_PATH = '/api/jarvis/context';

export interface RouteContext {
  engine: ContextEngineApi;
  req: IncomingMessage;
  res: ServerResponse;
  /** The `:name` segments of the path, raw (still percent-encoded). */
  params: Record<string, string>;
  query: Query;
  /** The parsed JSON body (undefined when empty); 400/413 on bad input. */
  body(): Promise<Json | undefined>;
  streams: EventStreams;
  counters: ServerCounters;
  /** Team mode, when this server has a team database. */
  team?: TeamReader;
  /** The debugger's sessions and holds (debugRoutes.ts). */
  debug: DebugSessions;
}

export type Answer =
  | { status: number; body: unknown }
  | { status: number; text: string; contentType: string }
  /** The handler wrote the response itself (the event stream). */
  | { streamed: true };

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface Route {
  method: Method;
  path: string;
  handle(ctx: RouteContext): Promise<Answer> | Answer;
}

const ok = (body: unknown): Answer => ({ status: 200, body });
const created = (body: unknown): Answer => ({ status: 201, body });
/** A body's content, typed as the engine's input: the engine checks it (core/validate.ts) before writing. */
const content = <T>(body: Json | undefined): T => requireObject(body, 'body') as unknown as T;

const routes: Route[] = [
  // Monitoring
  { method: 'GET', path: '/status', handle: ({ engine }) => ok(engine.getStatus()) },
  {
    method: 'GET',
    path: '/agent-states',
    handle: async ({ engine, query, team }) => listScope(query, team) === 'team'
      ? ok({ agents: await teamRead(() => team!.agents()) })
      : ok({ agents: engine.getAgents() }),
  },
  {
    method: 'GET',
    path: '/task-progress',
    handle: async ({ engine, query, team }) => {
      const status = query.status();
      if (listScope(query, team) === 'team') return ok({ tasks: await teamRead(() => team!.tasks(status)) });
      return ok({ tasks: engine.getTasks(status === undefined ? undefined : { status }) });
    },
  },
  { method: 'GET', path: '/team', handle: async ({ team }) => ok(await teamStatus(team)) },
  { method: 'GET', path: '/team/recovery-reports', handle: async ({ team, query }) => ok(await teamRecoveryReports(team, query)) },
  { method: 'GET', path: '/team/recovery-report', handle: async ({ team, query }) => ok(await teamRecoveryReport(team, query)) },
  {
    method: 'POST',
    path: '/checkpoint',
    handle: async ({ engine, body }) => {
      const label = optionalLabel(optionalObject(await body(), 'body'));
      const r = await engine.checkpoint(label);
      return created({
        checkpoint_id: r.checkpoint_id, created_at: r.created_at, duration_ms: r.duration_ms,
        deduplicated: r.deduplicated, kind: r.kind, file: r.file,
      });
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    handle: ({ engine, req, counters, streams }) => {
      const metrics = engine.getMetrics();
      if (wantsPrometheus(req.headers.accept)) {
        return {
          status: 200, contentType: PROMETHEUS_CONTENT_TYPE,
          text: renderPrometheus(metrics, engine.getStatus(), { responses: counters.responses, streams: streams.count }, engine.getAlerts({ active: true, limit: 10_000 })),
        };
      }
      return ok(metrics);
    },
  },

  // Reporting
  {
    method: 'PUT',
    path: '/tasks/:task_id',
    handle: async ({ engine, params, body }) => {
      const id = pathId(params.task_id, 'task_id');
      const update = content<TaskUpdate>(await body());
      return ok(await engine.updateTaskProgress(id, update));
    },
  },
  {
    method: 'POST',
    path: '/decisions',
    handle: async ({ engine, body }) => {
      const d = await engine.logDecision(content<DecisionInput>(await body()));
      return created({ id: d.id, ts: d.ts });
    },
  },
  {
    method: 'PUT',
    path: '/agents/:agent_id',
    handle: async ({ engine, params, body }) => {
      const id = pathId(params.agent_id, 'agent_id');
      const update = content<AgentUpdate>(await body());
      return ok(await engine.updateAgentState(id, update));
    },
  },
  {
    method: 'POST',
    path: '/messages',
    handle: async ({ engine, body }) => {
      const m = await engine.logAgentMessage(content<MessageInput>(await body()));
      return created({ id: m.id, ts: m.ts });
    },
  },
  {
    method: 'PUT',
    path: '/context',
    handle: async ({ engine, body }) => ok(await engine.updateContext(requireObject(await body(), 'body') as JsonObject)),
  },
  {
    method: 'POST',
    path: '/events',
    handle: async ({ engine, body, req }) => {
      const r = await engine.writeBatch(content<{ events: BatchEvent[] }>(await body()).events);
      engine.noteClientWrite(clientName(req), req.headers['jarvis-spooled'] === '1' ? r : undefined);
      return created({ accepted: r.accepted, duplicates: r.duplicates });
    },
  },
  {
    method: 'POST',
    path: '/recovery-points',
    handle: async ({ engine, body }) => {
      const r = await engine.markRecoveryPoint(content<{ label: string }>(await body()).label);
      return created({ checkpoint_id: r.checkpoint_id, created_at: r.created_at, file: r.file });
    },
  },

  // Reading back
  {
    method: 'GET',
    path: '/decisions',
    handle: async ({ engine, query, team }) => {
      const q = query.listQuery(100, ['agent_id', 'task_id']);
      if (listScope(query, team) === 'team') return ok({ decisions: await teamRead(() => team!.decisions(q)) });
      return ok({ decisions: await engine.getDecisions(q) });
    },
  },
  {
    method: 'GET',
    path: '/decision-log',
    handle: async ({ engine, query }) => ok({ decisions: await engine.getDecisions(query.listQuery(20, ['agent_id', 'task_id'])) }),
  },
  {
    method: 'GET',
    path: '/messages',
    handle: async ({ engine, query, team }) => {
      const q = query.listQuery(100, ['agent_id']);
      if (listScope(query, team) === 'team') return ok({ messages: await teamRead(() => team!.messages(q)) });
      return ok({ messages: await engine.getMessages(q) });
    },
  },
  // While a resume point is pending, its context and resume_point_id (see "Acting on what was recorded").
  { method: 'GET', path: '/context', handle: async ({ engine }) => ok(await engine.getRestoreContext()) },
  // What arrived over OTLP (spansRoute.ts).
  { method: 'GET', path: '/spans', handle: async ({ engine, query }) => ok(await listSpans(engine, query)) },
  {
    method: 'GET',
    path: '/search',
    handle: async ({ engine, query }) => {
      const q = query.get('q');
      if (q === undefined || q.trim() === '') throw fieldError('q', 'the words to search for are required');
      if (q.length > 500) throw fieldError('q', 'at most 500 characters');
      return ok({ results: await search(engine, q, query.limit(20, 200)) });
    },
  },
  {
    method: 'GET',
    path: '/checkpoints',
    handle: ({ engine, query }) => ok({
      checkpoints: engine.listCheckpoints(query.limit(100)).map(c => ({
        checkpoint_id: c.checkpoint_id, created_at: c.created_at, label: c.label, kind: c.kind,
        snapshot_id: c.snapshot_id, content_hash: c.content_hash, size: c.size, file: c.file, parent_id: c.parent_id,
      })),
    }),
  },
  {
    method: 'GET',
    path: '/checkpoints/:id',
    handle: async ({ engine, params }) => {
      const snapshot = await engine.getCheckpointSnapshot(checkpointId(params.id));
      if (snapshot === undefined) throw new HttpError(404, 'not_found', `checkpoint_id: no checkpoint ${params.id}`, 'checkpoint_id');
      return ok(snapshot);
    },
  },
  {
    method: 'GET',
    path: '/recovery-report',
    handle: async ({ engine }) => {
      const report = await engine.getLatestRecoveryReport();
      if (report === undefined) throw new HttpError(404, 'not_found', 'There has been no recovery in this storage folder.');
      return ok(report);
    },
  },
  {
    method: 'GET',
    path: '/recovery-reports',
    handle: async ({ engine, query }) => ok({ reports: await engine.listRecoveryReports(query.limit(10, 100)) }),
  },
  { method: 'POST', path: '/recover', handle: async ({ engine }) => ok(await engine.analyzeRecovery()) },
  {
    method: 'GET',
    path: '/conversation-history',
    handle: ({ engine, query }) => ok({ history: engine.getConversationHistory(query.limit(50)) }),
  },
  {
    method: 'GET',
    path: '/stream',
    handle: ({ req, res, streams }) => {
      streams.attach(req, res);
      return { streamed: true };
    },
  },
  // Acting on what was recorded: the watchdogs' alerts
  {
    method: 'GET',
    path: '/alerts',
    handle: ({ engine, query }) => {
      const active = query.flag('active');
      return ok({ alerts: engine.getAlerts({ active: active === true, limit: query.limit(100) }) });
    },
  },
  {
    method: 'POST',
    path: '/alerts/:id/dismiss',
    handle: async ({ engine, params }) => {
      const alert = await engine.dismissAlert(positiveId(params.id, 'id'));
      if (alert === undefined) throw new HttpError(404, 'not_found', `id: no alert ${params.id}`, 'id');
      return ok(alert);
    },
  },

  // Acting on what was recorded
  {
    method: 'POST',
    path: '/resume-point',
    handle: async ({ engine, body }) => {
      const r = await engine.setResumePoint(content<{ checkpoint_id: number; state?: JsonObject }>(await body()));
      return created({ resume_point_id: r.resume_point_id, checkpoint_id: r.checkpoint_id, parent_id: r.parent_id, edited: r.edited, created_at: r.created_at });
    },
  },
  {
    method: 'GET',
    path: '/resume-point',
    handle: async ({ engine }) => {
      const r = await engine.getResumePoint();
      if (r === undefined) throw new HttpError(404, 'not_found', 'There is no pending resume point.');
      return ok(r);
    },
  },
  {
    method: 'DELETE',
    path: '/resume-point',
    handle: async ({ engine, query }) => {
      // The clients clear it once restored; `?by=user` is a cancellation (the decision says which).
      const by = query.get('by') ?? 'orchestrator';
      if (by !== 'orchestrator' && by !== 'user') throw fieldError('by', 'must be "orchestrator" or "user"');
      await engine.clearResumePoint(by, resumePointIdQuery(query.get('resume_point_id')));
      return { status: 204, body: null };
    },
  },
  {
    method: 'POST',
    path: '/cleanup',
    handle: async ({ engine, body }) => ok(await engine.cleanup(cleanupInput(requireObject(await body(), 'body')))),
  },
  ...langGraphRoutes,
  ...debugRoutes,
];

function resumePointIdQuery(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw fieldError('resume_point_id', 'must be a positive integer');
  return Number(raw);
}

const compiled = routes.map(r => ({ ...r, segments: r.path.split('/').slice(1) }));

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** The route for `method` and `pathname`; 404 when no route has the path, 405 (with Allow) when none has the method. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  if (pathname !== BASE_PATH && !pathname.startsWith(BASE_PATH + '/')) {
    throw new HttpError(404, 'not_found', `No route ${pathname}; the API lives under ${BASE_PATH}`);
  }
  // No trailing-slash folding: `/tasks/` is a task with an empty id (400), not the list.
  const rest = pathname.slice(BASE_PATH.length);
  const parts = rest.split('/').slice(1);
  const allowed: string[] = [];
  for (const r of compiled) {
    if (r.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let matches = true;
    for (let i = 0; i < parts.length && matches; i++) {
      const seg = r.segments[i];
      if (seg.startsWith(':')) {
        params[seg.slice(1)] = parts[i];
      } else if (seg !== parts[i]) {
        matches = false;
      }
    }
    if (!matches) continue;
    if (r.method === method) return { route: r, params };
    allowed.push(r.method);
  }
  if (allowed.length === 0) throw new HttpError(404, 'not_found', `No route ${pathname}`);
  const allow = [...new Set(allowed)].join(', ');
  throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${pathname}; use ${allow}`, undefined, { Allow: allow });
}

/** Every route, for tests and help texts. */
export function listRoutes(): { method: Method; path: string }[] {
  return routes.map(r => ({ method: r.method, path: r.path }));
}
