import type { FileStat } from './ports';

// Files the server takes on trust (a client's spool, the folder's token) must be ones this user
// wrote for itself: owned by the server's user, with no group or other access. Anyone else able to
// write into the folder could otherwise plant history or a token of their choosing.

/** Why a file is not private to this user, or undefined when it is (or the system cannot tell). */
export function privateFileProblem(st: Pick<FileStat, 'isDirectory' | 'mode' | 'uid'>, uid: number | undefined = process.getuid?.()): string | undefined {
  // Windows has no owner or mode bits to go by; a port that cannot tell (tests' in-memory one) neither.
  if (uid === undefined || st.uid === undefined || st.mode === undefined) return undefined;
  if (st.isDirectory) return 'it is a folder';
  if (st.uid !== uid) return `it is owned by uid ${st.uid}, not by this server's user (uid ${uid})`;
  if (st.mode & 0o077) return `its mode is ${(st.mode & 0o777).toString(8).padStart(4, '0')}, not 0600 (no group or other access)`;
  return undefined;
}
