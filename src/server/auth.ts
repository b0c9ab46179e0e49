// Who may talk to the server: a local process holding the token, not a web page.
import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import type { IncomingHttpHeaders } from 'http';
import { HttpError } from './http';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A token newToken could have made: 43 characters of base64url (32 random bytes). */
export function isTokenShape(t: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(t);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

let lastExpected: { token: string; digest: Buffer } | undefined;

/** Constant time whatever the lengths: both sides are hashed to 32 bytes before comparing. */
export function tokenMatches(presented: string, expected: string): boolean {
  // The server's own token is hashed once, not on every request.
  if (lastExpected?.token !== expected) lastExpected = { token: expected, digest: digest(expected) };
  return timingSafeEqual(digest(presented), lastExpected.digest);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for 127.0.0.1, localhost or [::1], with or without a port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.trim().toLowerCase();
  let name = h;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return false;
    name = h.slice(0, end + 1);
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return false;
  } else {
    const colon = h.indexOf(':');
    if (colon >= 0) {
      name = h.slice(0, colon);
      if (!/^\d{1,5}$/.test(h.slice(colon + 1))) return false;
    }
  }
  return LOOPBACK_HOSTS.has(name);
}

/**
 * Throws 403 for a request a browser could have sent on a page's behalf: a non-loopback Host (DNS
 * rebinding) or any Origin header. Throws 401 unless `Authorization: Bearer <token>` matches.
 */
export function checkRequest(headers: IncomingHttpHeaders, token: string): void {
  if (!isLoopbackHost(headers.host)) {
    throw new HttpError(403, 'forbidden', 'Host: only loopback names (127.0.0.1, localhost, [::1]) are served', 'Host');
  }
  if (headers.origin !== undefined) {
    throw new HttpError(403, 'forbidden', 'Origin: requests from web pages are refused', 'Origin');
  }
  const auth = headers.authorization;
  const m = auth === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
  if (!m) {
    throw new HttpError(401, 'unauthorized', 'Authorization: missing bearer token (see endpoint.json)', 'Authorization', {
      'WWW-Authenticate': 'Bearer',
    });
  }
  if (!tokenMatches(m[1], token)) {
    throw new HttpError(401, 'unauthorized', 'Authorization: wrong token', 'Authorization', { 'WWW-Authenticate': 'Bearer' });
  }
}
