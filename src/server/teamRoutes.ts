// Team mode in the REST API: GET /team and `scope=team` on the four lists (shared/API.md).
import type { TeamReader } from '../team/teamMode';
import { TeamUnavailableError } from '../team/teamMode';
import { fieldError, HttpError } from './http';
import type { Query } from './validate';

export type Scope = 'local' | 'team';

/** `scope` of a list: local (default) or team; team needs a configured database. */
export function listScope(query: Query, team: TeamReader | undefined): Scope {
  const raw = query.get('scope');
  if (raw === undefined || raw === 'local') return 'local';
  if (raw !== 'team') throw fieldError('scope', 'must be local or team');
  if (!team) throw fieldError('scope', 'team is not available: this server has no team database (start it with --database-url and --project)');
  return 'team';
}

/** Runs a read of the team database; its failure is a 503 that says why, without the password. */
export async function teamRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof TeamUnavailableError) throw new HttpError(503, 'team_unavailable', e.message, undefined, { 'Retry-After': '5' });
    throw e;
  }
}

export async function teamStatus(team: TeamReader | undefined): Promise<unknown> {
  return team ? team.status() : { enabled: false };
}
