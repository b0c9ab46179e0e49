// The environment that points an OpenTelemetry SDK at Jarvis Context's OTLP receiver, for VS Code's
// integrated terminals and for `jarvis-context env`.

export const OTEL_ENV = {
  endpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  headers: 'OTEL_EXPORTER_OTLP_HEADERS',
  protocol: 'OTEL_EXPORTER_OTLP_PROTOCOL',
  semconv: 'OTEL_SEMCONV_STABILITY_OPT_IN',
} as const;

/**
 * `serverUrl` is the REST API's URL (…/api/jarvis/context); OTLP exporters take the origin and add
 * /v1/traces themselves. The header value is percent-encoded, as the OTLP exporter configuration
 * specifies for OTEL_EXPORTER_OTLP_HEADERS (W3C Baggage syntax: the space in "Bearer x" is %20).
 * The protocol is pinned to http/protobuf because some SDKs (Python's) default to gRPC, which
 * this server does not speak.
 */
export function otelEnvironment(serverUrl: string, token: string): Record<string, string> {
  return {
    [OTEL_ENV.endpoint]: new URL(serverUrl).origin,
    [OTEL_ENV.headers]: `Authorization=${encodeURIComponent(`Bearer ${token}`)}`,
    [OTEL_ENV.protocol]: 'http/protobuf',
    // GenAI instrumentations emit the current conventions (gen_ai.provider.name, ...) with this.
    [OTEL_ENV.semconv]: 'gen_ai_latest_experimental',
  };
}

/** `export NAME='value'` lines for a POSIX shell. */
export function shellExports(env: Record<string, string>): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}\n`).join('');
}
