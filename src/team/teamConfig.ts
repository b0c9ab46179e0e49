import { ValidationError } from '../core/errors';

// Team mode's settings: where PostgreSQL is, which project this folder belongs to, in which schema.

export interface TeamConfig {
  /** postgres://user:password@host:port/db?sslmode=... (TLS options in it are honoured by `pg`). */
  databaseUrl: string;
  project: string;
  /** PostgreSQL schema holding the tables; default `jarvis_context`. */
  schema: string;
  /** The folder the store serves, shown to the team (VS Code: the workspace folder); default the store's folder. */
  place?: string;
}

export const DEFAULT_TEAM_SCHEMA = 'jarvis_context';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks the settings; a URL that does not parse is left to the connection, which reports it. */
export function checkTeamConfig(input: { databaseUrl?: string; project?: string; schema?: string }): TeamConfig | undefined {
  const databaseUrl = input.databaseUrl?.trim();
  if (!databaseUrl) return undefined;
  const project = input.project?.trim() ?? '';
  if (!project) throw new ValidationError('project', 'is required with a database URL (--project NAME or JARVIS_CONTEXT_PROJECT)');
  if (project.length > 200) throw new ValidationError('project', 'must be at most 200 characters');
  const schema = input.schema?.trim() || DEFAULT_TEAM_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) throw new ValidationError('schema', 'must be a lower-case identifier: letters, digits and _, not starting with a digit, at most 63');
  return { databaseUrl, project, schema };
}

/** From the environment: JARVIS_CONTEXT_DATABASE_URL, JARVIS_CONTEXT_PROJECT, JARVIS_CONTEXT_SCHEMA. */
export function teamInputFromEnv(env: NodeJS.ProcessEnv): { databaseUrl?: string; project?: string; schema?: string } {
  return {
    ...(env.JARVIS_CONTEXT_DATABASE_URL ? { databaseUrl: env.JARVIS_CONTEXT_DATABASE_URL } : {}),
    ...(env.JARVIS_CONTEXT_PROJECT ? { project: env.JARVIS_CONTEXT_PROJECT } : {}),
    ...(env.JARVIS_CONTEXT_SCHEMA ? { schema: env.JARVIS_CONTEXT_SCHEMA } : {}),
  };
}
