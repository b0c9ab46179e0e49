import { redactText } from './redact';

// What a PostgreSQL failure means to the person reading GET /team or the status bar, without the
// password: one sentence naming the host, the user or the database, and what to check.

interface PgLikeError {
  code?: string;
  message?: string;
  hostname?: string;
  address?: string;
  port?: number;
}

function target(url: string): { host: string; user: string; database: string } {
  try {
    const u = new URL(url);
    return { host: `${u.hostname || 'localhost'}:${u.port || '5432'}`, user: decodeURIComponent(u.username) || '(default user)', database: decodeURIComponent(u.pathname.slice(1)) || '(default database)' };
  } catch {
    return { host: '(unknown host)', user: '(unknown user)', database: '(unknown database)' };
  }
}

export function isValidDatabaseUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'postgres:' || u.protocol === 'postgresql:';
  } catch {
    return false;
  }
}

export function describePgError(e: unknown, url: string): string {
  const err = (e ?? {}) as PgLikeError;
  const t = target(url);
  const raw = err.message ?? String(e);
  let text: string;
  switch (err.code) {
    case '28P01':
    case '28000':
      text = `PostgreSQL at ${t.host} refused the login of user "${t.user}": wrong password or user (${err.code})`;
      break;
    case '3D000':
      text = `the database "${t.database}" does not exist at ${t.host} (3D000)`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      text = `unknown host ${t.host.replace(/:\d+$/, '')}: check the host name in the database URL (${err.code})`;
      break;
    case 'ECONNREFUSED':
      text = `PostgreSQL at ${t.host} refused the connection: is it running and listening there? (ECONNREFUSED)`;
      break;
    case 'ETIMEDOUT':
      text = `no answer from ${t.host} (ETIMEDOUT)`;
      break;
    case '57P01':
    case '57P02':
    case '57P03':
      text = `PostgreSQL at ${t.host} is shutting down or starting up (${err.code})`;
      break;
    case 'ECONNRESET':
    case 'EPIPE':
      text = `the connection to PostgreSQL at ${t.host} was cut (${err.code})`;
      break;
    default:
      if (/timeout/i.test(raw)) text = `no answer from ${t.host} in time: ${raw}`;
      else if (/Connection terminated/i.test(raw)) text = `the connection to PostgreSQL at ${t.host} was cut: ${raw}`;
      else text = `${raw}${err.code ? ` (${err.code})` : ''}`;
  }
  return redactText(text, url);
}
