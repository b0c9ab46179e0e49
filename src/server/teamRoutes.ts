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

function requireTeam(team: TeamReader | undefined): TeamReader {
  if (!team) throw new HttpError(404, 'not_found', 'This server has no team database (start it with --database-url and --project).');
  return team;
}

/** GET /team/recovery-reports?origin=&limit=: the project's reports, newest first, each with its origin. */
export async function teamRecoveryReports(team: TeamReader | undefined, query: Query): Promise<unknown> {
  const t = requireTeam(team);
  const origin = query.id('origin');
  const limit = query.limit(10, 100);
  return { reports: await teamRead(() => t.recoveryReports(origin, limit)) };
}

/** GET /team/recovery-report?origin=ID&file=: one origin's report (its newest without `file`). */
export async function teamRecoveryReport(team: TeamReader | undefined, query: Query): Promise<unknown> {
  const t = requireTeam(team);
  const origin = query.id('origin');
  if (origin === undefined) throw fieldError('origin', 'is required: the id of an origin (GET /team lists them)');
  const file = query.get('file');
  if (file !== undefined && (file.length === 0 || file.length > 200)) throw fieldError('file', 'must be a report file name of 1 to 200 characters');
  const report = await teamRead(() => t.recoveryReport(origin, file));
  if (!report) {
    throw new HttpError(404, 'not_found', file === undefined
      ? `origin: ${origin} has no recovery report in the team database`
      : `file: origin ${origin} has no recovery report ${file} in the team database`, file === undefined ? 'origin' : 'file');
  }
  return report;
}
