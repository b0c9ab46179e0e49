// A database URL's password must never reach a log, endpoint.json, an error message or GET /team.
// One helper says what may be shown of a URL, one removes secrets from any text.

/** The URL with its password replaced by `***` (and the user kept); unparseable: a placeholder. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    // Another scheme may carry the password anywhere in it: nothing of it is shown.
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return '(a database URL that is not postgres:// or postgresql://)';
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|key|token/i.test(key) && !/^ssl(mode|rootcert)$/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    return '(a database URL that does not parse)';
  }
}

/** The secrets hidden in a URL: its password, raw and percent-decoded, and the URL itself. */
export function urlSecrets(url: string): string[] {
  const out = new Set<string>();
  try {
    const u = new URL(url);
    if (u.password) {
      out.add(u.password);
      try {
        out.add(decodeURIComponent(u.password));
      } catch { /* a malformed escape: the raw form is enough */ }
    }
    for (const [key, value] of u.searchParams) if (/pass|secret|key|token/i.test(key) && value) out.add(value);
  } catch {
    // Unparseable: the password cannot be told apart; the whole URL is the secret.
    const m = /:\/\/[^:/@]*:([^@]*)@/.exec(url);
    if (m?.[1]) out.add(m[1]);
  }
  if (url) out.add(url);
  return [...out].filter(s => s.length > 0).sort((a, b) => b.length - a.length);
}

/** `text` with every secret replaced: the URL by its redacted form, any other secret by `***`. */
export function redactText(text: string, url: string | undefined): string {
  if (!url) return text;
  let out = text;
  for (const s of urlSecrets(url)) out = out.split(s).join(s === url ? redactUrl(url) : '***');
  return out;
}
