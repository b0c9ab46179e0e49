// How much of one OTLP export the receiver decodes. The body's byte cap does not bound the work:
// 16 MB of protobuf holds 8 million empty attributes. These limits are counted while decoding, so
// what is over them is skipped, never built. Defaults follow the OpenTelemetry SDK's span limits.
import { envNumber } from '../core/envNumber';
import type { Logger } from '../core/ports';

export interface OtlpLimits {
  /** Spans decoded per request; the rest are rejected (partialSuccess). */
  maxSpans: number;
  /** Attributes kept per span (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT); also per resource and per event. */
  maxAttributes: number;
  /** Events read per span (OTEL_SPAN_EVENT_COUNT_LIMIT); events only feed the exception message. */
  maxEvents: number;
  /** Characters kept of a string attribute value (OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT). */
  maxValueLength: number;
  /** Levels of arrays and kvlists in one attribute value; deeper rejects the span. */
  maxDepth: number;
}

export const DEFAULT_OTLP_LIMITS: Readonly<OtlpLimits> = {
  maxSpans: 20_000,
  maxAttributes: 128,
  maxEvents: 128,
  maxValueLength: 1_048_576,
  maxDepth: 16,
};

/** The environment variable of each limit (README, "OpenTelemetry"). */
export const OTLP_LIMIT_ENV: Record<keyof OtlpLimits, string> = {
  maxSpans: 'JARVIS_OTLP_MAX_SPANS',
  maxAttributes: 'JARVIS_OTLP_MAX_ATTRIBUTES',
  maxEvents: 'JARVIS_OTLP_MAX_EVENTS',
  maxValueLength: 'JARVIS_OTLP_MAX_VALUE_LENGTH',
  maxDepth: 'JARVIS_OTLP_MAX_DEPTH',
};

/** The defaults, overridden by the environment; a value that is not a positive integer is ignored with a warning. */
export function otlpLimitsFromEnv(env: NodeJS.ProcessEnv, logger?: Logger): OtlpLimits {
  const out: OtlpLimits = { ...DEFAULT_OTLP_LIMITS };
  for (const key of Object.keys(OTLP_LIMIT_ENV) as (keyof OtlpLimits)[]) {
    const n = envNumber(env, OTLP_LIMIT_ENV[key], logger);
    if (n === undefined) continue;
    if (Number.isInteger(n) && n >= 1) out[key] = n;
    else logger?.warn(`[config] ignoring ${OTLP_LIMIT_ENV[key]}=${n}: not a positive integer`);
  }
  return out;
}
