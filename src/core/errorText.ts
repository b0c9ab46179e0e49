// What a thrown value says, for a message or a log line. Anything may be thrown, not only Errors.

/** One line: the message, led by the errno code when it has one and does not say it already. */
export function errorText(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown } | null | undefined;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const code = typeof err?.code === 'string' ? err.code : undefined;
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

/** The error with its stack, for a log. */
export function errorWithStack(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return errorText(e);
}
