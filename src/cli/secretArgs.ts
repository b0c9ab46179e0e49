import * as fs from 'fs';
import { privateFileProblem } from '../core/privateFile';

// A password on the command line is visible to every user of the machine (ps, /proc/PID/cmdline)
// for as long as the process runs. The server takes the database URL from a file or the
// environment instead; given on the command line it still works, with a warning, and the copy of
// the arguments the system shows is overwritten at start (on Linux and macOS, setting the process
// title rewrites that memory; it was readable until then).

/** scheme://user:password@… and ?password=… (libpq takes both). */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:)[^@\s]+@/gi;
const QUERY_PASSWORD = /([?&][^=&\s]*pass[^=&\s]*=)[^&\s]+/gi;

export function redactArg(arg: string): string {
  return arg.replace(URL_PASSWORD, '$1***@').replace(QUERY_PASSWORD, '$1***');
}

export function hasUrlPassword(arg: string): boolean {
  return redactArg(arg) !== arg;
}

/** What `ps` shows for this process from now on, when an argument carried a password. */
export function scrubArgv(command: string, args: readonly string[]): void {
  if (!args.some(hasUrlPassword)) return;
  try {
    process.title = [command, ...args.map(redactArg)].join(' ');
  } catch {
    // Not supported here: the warning printed by serve stands.
  }
}

export const ARGV_PASSWORD_WARNING = 'jarvis-context: warning: --database-url carries a password, which other users of this ' +
  'machine can read in the process list (ps) while the server starts. Put the URL in a file only you can read and pass ' +
  '--database-url-file FILE, or set JARVIS_CONTEXT_DATABASE_URL.\n';

/** The URL kept in a file: trimmed; a file others can read is said, not refused. */
export function readUrlFile(file: string, warn: (text: string) => void): string {
  const url = fs.readFileSync(file, 'utf8').trim();
  const problem = privateFileProblem({ ...fs.statSync(file), isDirectory: false });
  if (problem !== undefined && hasUrlPassword(url)) warn(`jarvis-context: warning: ${file} holds a database password and ${problem}; chmod 600 it.\n`);
  return url;
}
