// The debugger's routes (README, "Holding a run"): a session's breakpoint state (a lease, renewed
// by PUT), the holds it created, their resolution, and the long polls clients and the debug
// adapter wait on.
import { checkId } from '../core/validate';
import { BreakpointError } from '../debug/breakpoints';
import { MAX_WAIT_MS } from '../debug/debugSessions';
import { fieldError, HttpError } from './http';
import type { Route, RouteContext } from './routes';
import { pathId, requireObject, type Query } from './validate';

/** `wait` / `timeout` in seconds (decimals allowed), at most MAX_WAIT_MS. */
function waitMs(query: Query, name: string): number {
  const raw = query.get(name);
  if (raw === undefined) return 0;
  if (!/^\d{1,3}(\.\d{1,3})?$/.test(raw)) throw fieldError(name, `seconds, from 0 to ${MAX_WAIT_MS / 1000}`);
  return Math.min(Number(raw) * 1000, MAX_WAIT_MS);
}

function refusal(e: unknown): unknown {
  if (!(e instanceof BreakpointError)) return e;
  const at = e.position === undefined || /at position \d+$/.test(e.message) ? '' : ` at position ${e.position}`;
  return new HttpError(400, 'invalid_field', `${e.message}${at}`, e.where);
}

function holdOf(ctx: RouteContext) {
  const id = pathId(ctx.params.hold_id, 'hold_id');
  return { id, hold: ctx.debug.get(id) };
}

export const debugRoutes: Route[] = [
  {
    method: 'PUT',
    path: '/debug/session',
    handle: async ({ debug, body }) => {
      const b = requireObject(await body(), 'body');
      const id = checkId('session_id', b.session_id);
      try {
        return { status: 200, body: debug.put(id, b) };
      } catch (e) {
        throw refusal(e);
      }
    },
  },
  {
    method: 'DELETE',
    path: '/debug/session/:session_id',
    handle: ({ debug, params }) => {
      if (!debug.end(pathId(params.session_id, 'session_id'))) throw new HttpError(404, 'not_found', `session_id: no debug session ${params.session_id}`, 'session_id');
      return { status: 204, body: null };
    },
  },
  {
    method: 'GET',
    path: '/debug/holds',
    handle: async ({ debug, query }) => {
      const after = query.get('after');
      if (after !== undefined && !/^\d{1,15}$/.test(after)) throw fieldError('after', 'a sequence number from an earlier answer');
      return { status: 200, body: await debug.feed(after === undefined ? Number.MAX_SAFE_INTEGER : Number(after), after === undefined ? 0 : waitMs(query, 'wait')) };
    },
  },
  {
    method: 'GET',
    path: '/debug/holds/:hold_id',
    handle: ctx => {
      const { id, hold } = holdOf(ctx);
      if (!hold) throw new HttpError(404, 'not_found', `hold_id: no hold ${id}`, 'hold_id');
      return { status: 200, body: hold };
    },
  },
  {
    // The client's long poll (API.md): the hold's state once it is not open, or after `wait` seconds.
    method: 'GET',
    path: '/holds/:hold_id',
    handle: async ctx => {
      const { id } = holdOf(ctx);
      const hold = await ctx.debug.wait(id, waitMs(ctx.query, 'wait'));
      // Unknown (a restarted server, or long forgotten): the client continues.
      if (!hold) throw new HttpError(404, 'not_found', `hold_id: no hold ${id}; continue`, 'hold_id');
      return { status: 200, body: { hold_id: hold.hold_id, state: hold.state, resolved_by: hold.resolved_by } };
    },
  },
  {
    method: 'POST',
    path: '/debug/holds/:hold_id',
    handle: async ctx => {
      const { id } = holdOf(ctx);
      const action = requireObject(await ctx.body(), 'body').action;
      if (action !== 'continue' && action !== 'step' && action !== 'cancel') throw fieldError('action', 'must be "continue", "step" or "cancel"');
      const hold = ctx.debug.resolve(id, action);
      if (!hold) throw new HttpError(404, 'not_found', `hold_id: no hold ${id}`, 'hold_id');
      return { status: 200, body: hold };
    },
  },
];
