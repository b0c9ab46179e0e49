// POST /v1/traces, OTLP/HTTP: protobuf or JSON, optionally gzip. Answers as the OTLP
// specification says (the request's content type; google.rpc.Status bodies on errors), and 200
// only once the spans and what they map to are durable.
import type { IncomingMessage, ServerResponse } from 'http';
import * as zlib from 'zlib';
import type { ContextEngineApi } from '../core/engineApi';
import { EngineClosedError, PersistenceError, ValidationError } from '../core/errors';
import { errorText } from '../core/errorText';
import { silentLogger, type Logger } from '../core/ports';
import { SerialQueue } from '../core/serialQueue';
import type { BatchEvent, JsonObject, SpanInput } from '../core/types';
import { checkRequest } from '../server/auth';
import { HttpError, readRawBody } from '../server/http';
import type { ServerMount } from '../server/server';
import { mapSpans, taskIdForTrace } from './genaiMapping';
import { decodeTraces, OtlpDecodeError, spanKey, type DecodedTraces } from './otlpDecode';
import { attributesFromEvents, decodeJsonLogs, decodeProtobufLogs, type DecodedLogs } from './otlpLogs';
import { otlpLimitsFromEnv, type OtlpLimits } from './otlpLimits';
import { encodeExportResponse, encodeRpcStatus } from './otlpProto';

export const OTLP_TRACES_PATH = '/v1/traces';
/** Per request, on the wire and again after decompression. */
export const DEFAULT_OTLP_MAX_BYTES = 16 * 1024 * 1024;
const KNOWN_SPANS_LIMIT = 10_000;
export const OTLP_LOGS_PATH = '/v1/logs';
/** Logs are parsed in one go (no slicing as for traces): a smaller body keeps the event loop free. */
export const DEFAULT_OTLP_LOGS_MAX_BYTES = 4 * 1024 * 1024;
/** Spans whose log content arrived before them, waiting (oldest dropped first). */
const PENDING_LOG_SPANS = 10_000;
export const DEFAULT_RUN_QUIET_MS = 5 * 60_000;
/** Runs watched for quiet at once (the oldest forgotten first: they stay in progress). */
const OPEN_RUNS_WATCHED = 10_000;

type Encoding = 'protobuf' | 'json';
const CONTENT_TYPES: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

// google.rpc.Code values for the Status body.
const RPC = { invalidArgument: 3, unauthenticated: 16, permissionDenied: 7, unavailable: 14, resourceExhausted: 8, internal: 13, unimplemented: 12 };

export interface OtlpReceiverOptions {
  engine: ContextEngineApi;
  /**
   * The server's bearer token (exporters send it through OTEL_EXPORTER_OTLP_HEADERS); a function
   * when the server settles it only as it starts.
   */
  token: string | (() => string);
  maxBytes?: number;
  /**
   * A run whose root span never arrives (its process died, or the root lives elsewhere) is
   * completed after this long without a span of it, saying so. Default 5 minutes; 0: never.
   */
  runQuietMs?: number;
  /** What one request may hold (otlpLimits.ts); default: the defaults overridden by JARVIS_OTLP_* variables. */
  limits?: Partial<OtlpLimits>;
  logger?: Logger;
}

export interface OtlpCounters {
  requests: number;
  spans: number;
  rejected: number;
  /** Attributes over the limits, dropped. */
  droppedAttributes: number;
  /** Metrics exports answered 200 and dropped. */
  ignored: Record<IgnoredSignal, number>;
  /** Log exports read, and the GenAI events in them that named a span. */
  logRequests: number;
  logEvents: number;
}

export type IgnoredSignal = 'metrics';
export const OTLP_IGNORED_PATHS: Record<IgnoredSignal, string> = { metrics: '/v1/metrics' };

class OtlpError extends Error {
  constructor(readonly status: number, readonly rpcCode: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function rpcCodeFor(status: number): number {
  if (status === 401) return RPC.unauthenticated;
  if (status === 403) return RPC.permissionDenied;
  if (status === 413) return RPC.resourceExhausted;
  if (status === 503) return RPC.unavailable;
  if (status >= 500) return RPC.internal;
  return RPC.invalidArgument;
}

function mediaType(header: string | undefined): Encoding | undefined {
  const t = (header ?? '').split(';', 1)[0].trim().toLowerCase();
  // application/protobuf is what some exporters send for the same thing.
  if (t === CONTENT_TYPES.protobuf || t === 'application/protobuf') return 'protobuf';
  if (t === CONTENT_TYPES.json) return 'json';
  return undefined;
}

function tooLarge(max: number): OtlpError {
  return new OtlpError(413, RPC.resourceExhausted, `body larger than the limit of ${max} bytes`, { Connection: 'close' });
}

function readRaw(req: IncomingMessage, max: number): Promise<Buffer> {
  return readRawBody(req, max, () => tooLarge(max));
}

/** Inflates with a ceiling on the output, so a small zip bomb is refused instead of filling memory. */
function gunzip(body: Buffer, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zlib.gunzip(body, { maxOutputLength: max }, (err, out) => {
      if (!err) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) reject(tooLarge(max));
      else reject(new OtlpError(400, RPC.invalidArgument, `body: not valid gzip (${err.message})`));
    });
  });
}

function send(res: ServerResponse, status: number, enc: Encoding, body: Uint8Array | string, headers: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  res.writeHead(status, {
    'Content-Type': CONTENT_TYPES[enc],
    'Content-Length': String(bytes.length),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(bytes);
}

function sendStatus(res: ServerResponse, enc: Encoding, e: OtlpError): void {
  const body = enc === 'protobuf' ? encodeRpcStatus(e.rpcCode, e.message) : JSON.stringify({ code: e.rpcCode, message: e.message });
  send(res, e.status, enc, body, e.headers);
}

/**
 * Receives OTLP trace exports for one engine. Requests are mapped and written one at a time: a
 * batch's mapping reads the spans earlier batches of the same trace stored, so two batches of one
 * trace must not be mapped side by side. Writes are still durable before each 200.
 */
export class OtlpTraceReceiver {
  readonly counters: OtlpCounters = { requests: 0, spans: 0, rejected: 0, droppedAttributes: 0, ignored: { metrics: 0 }, logRequests: 0, logEvents: 0 };
  /** Log content of spans not stored yet, by trace:span (insertion order: oldest first). */
  private readonly pendingLogs = new Map<string, JsonObject>();
  /** Runs in progress: trace id → when a span of it last arrived (ms). */
  private readonly openRuns = new Map<string, number>();
  private quietTimer: NodeJS.Timeout | undefined;
  private readonly runQuietMs: number;
  private readonly queue = new SerialQueue();
  private readonly maxBytes: number;
  readonly limits: OtlpLimits;
  private readonly logger: Logger;
  /** Told the events each export stored, once durable (the server's debug sessions: a span is never held). */
  onEventsWritten: ((events: BatchEvent[]) => void) | undefined;

  constructor(private readonly options: OtlpReceiverOptions) {
    this.maxBytes = options.maxBytes ?? DEFAULT_OTLP_MAX_BYTES;
    this.runQuietMs = options.runQuietMs ?? DEFAULT_RUN_QUIET_MS;
    this.logger = options.logger ?? silentLogger;
    this.limits = { ...otlpLimitsFromEnv(process.env, this.logger), ...options.limits };
  }

  /** Answers the request completely (also its errors); never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const enc = mediaType(req.headers['content-type']) ?? 'json';
    try {
      const encoding = this.checkExport(req, OTLP_TRACES_PATH);
      let body = await readRaw(req, this.maxBytes);
      if (encoding === 'gzip') body = await gunzip(body, this.maxBytes);
      const decoded = await this.decode(enc, body);
      await this.queue.run(() => this.store(decoded));
      this.counters.requests++;
      this.counters.spans += decoded.spans.length;
      this.counters.rejected += decoded.rejected;
      this.counters.droppedAttributes += decoded.droppedAttributes;
      const message = this.partialMessage(decoded);
      const answer = enc === 'protobuf'
        ? encodeExportResponse(decoded.rejected, message)
        : JSON.stringify(message ? { partialSuccess: { rejectedSpans: String(decoded.rejected), errorMessage: message } } : {});
      send(res, 200, enc, answer);
    } catch (e) {
      this.fail(req, res, enc, e);
    }
  }

  /**
   * POST /v1/logs: GenAI events become their span's message attributes, now if the span is stored,
   * else when it arrives. Other log records are read past.
   */
  async handleLogs(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const enc = mediaType(req.headers['content-type']) ?? 'json';
    try {
      const encoding = this.checkExport(req, OTLP_LOGS_PATH);
      const max = Math.min(this.maxBytes, DEFAULT_OTLP_LOGS_MAX_BYTES);
      let body = await readRawBody(req, max, () => tooLarge(max));
      if (encoding === 'gzip') body = await gunzip(body, max);
      const decoded = this.decodeLogs(enc, body);
      await this.queue.run(() => this.attachLogs(decoded));
      this.counters.logRequests++;
      this.counters.logEvents += decoded.events.length;
      send(res, 200, enc, enc === 'protobuf' ? new Uint8Array(0) : '{}');
    } catch (e) {
      this.fail(req, res, enc, e);
    }
  }

  private decodeLogs(enc: Encoding, body: Buffer): DecodedLogs {
    try {
      return enc === 'protobuf' ? decodeProtobufLogs(body, this.limits) : decodeJsonLogs(body.toString('utf8'), this.limits);
    } catch (e) {
      if (e instanceof OtlpDecodeError) throw new OtlpError(400, RPC.invalidArgument, e.message);
      throw e;
    }
  }

  /** Stored spans get their content and are mapped again (new events only); the others wait. */
  private async attachLogs(decoded: DecodedLogs): Promise<void> {
    const bySpan = attributesFromEvents(decoded.events);
    if (bySpan.size === 0) return;
    const traces = new Set<string>();
    for (const e of decoded.events) traces.add(e.trace_id);
    const updated: SpanInput[] = [];
    const known: SpanInput[] = [];
    for (const traceId of traces) {
      const stored = await this.options.engine.getSpans({ trace_id: traceId, limit: KNOWN_SPANS_LIMIT, live_only: true });
      for (const s of stored) {
        const extra = bySpan.get(spanKey(s.trace_id, s.span_id));
        if (!extra) {
          known.push(s);
          continue;
        }
        bySpan.delete(spanKey(s.trace_id, s.span_id));
        updated.push({ ...s, attributes: withMissing(s.attributes, extra) });
      }
    }
    for (const [key, extra] of bySpan) {
      this.pendingLogs.set(key, withMissing(this.pendingLogs.get(key) ?? {}, extra));
      if (this.pendingLogs.size > PENDING_LOG_SPANS) this.pendingLogs.delete(this.pendingLogs.keys().next().value as string);
    }
    if (updated.length === 0) return;
    const mapped = mapSpans(updated, { known });
    await this.options.engine.writeSpans(mapped.spans, mapped.events);
  }

  /**
   * Metrics: an SDK pointed here by OTEL_EXPORTER_OTLP_ENDPOINT sends them too. They are
   * checked like traces, then answered 200 and dropped, so the orchestrator's console is not
   * filled with export errors for a signal nobody asked Jarvis Context to keep.
   */
  async handleIgnored(signal: IgnoredSignal, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const enc = mediaType(req.headers['content-type']) ?? 'json';
    try {
      this.checkExport(req, OTLP_IGNORED_PATHS[signal]);
      await readRaw(req, this.maxBytes);
      if (this.counters.ignored[signal]++ === 0) this.logger.info(`[otlp] ${signal} exports are accepted and dropped: Jarvis Context keeps traces and GenAI log events only`);
      // An empty Export<Signal>ServiceResponse: full success, nothing to report.
      send(res, 200, enc, enc === 'protobuf' ? new Uint8Array(0) : '{}');
    } catch (e) {
      this.fail(req, res, enc, e);
    }
  }

  /** Answers an error as OTLP says, in the request's encoding. */
  private fail(req: IncomingMessage, res: ServerResponse, enc: Encoding, e: unknown): void {
    const err = this.toOtlpError(e);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    (err.status >= 500 ? this.logger.warn : this.logger.debug).call(this.logger, `[otlp] ${req.method} ${req.url}: ${err.status} ${err.message}`);
    sendStatus(res, enc, err);
    if (err.status === 413) this.discardRest(req);
  }

  /** Method, token, content type and encoding of an export; returns the content encoding. */
  private checkExport(req: IncomingMessage, route: string): 'identity' | 'gzip' {
    if (req.method !== 'POST') throw new OtlpError(405, RPC.unimplemented, `${req.method} is not allowed on ${route}; use POST`, { Allow: 'POST' });
    try {
      const token = this.options.token;
      checkRequest(req.headers, typeof token === 'string' ? token : token());
    } catch (e) {
      if (e instanceof HttpError) throw new OtlpError(e.status, rpcCodeFor(e.status), e.message, e.headers);
      throw e;
    }
    if (mediaType(req.headers['content-type']) === undefined) {
      throw new OtlpError(415, RPC.invalidArgument, `Content-Type: ${req.headers['content-type'] ?? '(none)'} is not supported; send application/x-protobuf or application/json`);
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== '') {
      throw new OtlpError(415, RPC.invalidArgument, `Content-Encoding: ${encoding} is not supported; send gzip or none`);
    }
    return encoding === 'gzip' ? 'gzip' : 'identity';
  }

  /**
   * partialSuccess.errorMessage: why spans were rejected, and, as the OTLP specification allows
   * with rejected_spans 0, a warning that attributes were dropped. Empty: full success.
   */
  private partialMessage(decoded: DecodedTraces): string {
    const parts: string[] = [];
    if (decoded.rejected > 0) parts.push(`${decoded.rejected} span(s) rejected: ${decoded.problems.join('; ')}`);
    if (decoded.droppedAttributes > 0) {
      parts.push(`${decoded.droppedAttributes} attribute(s) dropped (empty keys, or over the limit of ${this.limits.maxAttributes} per span or resource)`);
    }
    return parts.join('. ');
  }

  private async decode(enc: Encoding, body: Buffer): Promise<DecodedTraces> {
    try {
      return await decodeTraces(enc, body, this.limits);
    } catch (e) {
      if (e instanceof OtlpDecodeError) throw new OtlpError(400, RPC.invalidArgument, e.message);
      throw e;
    }
  }

  private async store(decoded: DecodedTraces): Promise<void> {
    if (decoded.spans.length === 0) return;
    const engine = this.options.engine;
    if (this.pendingLogs.size > 0) {
      for (const s of decoded.spans) {
        const key = spanKey(s.trace_id, s.span_id);
        const extra = this.pendingLogs.get(key);
        if (!extra) continue;
        this.pendingLogs.delete(key);
        s.attributes = withMissing(s.attributes, extra);
      }
    }
    const known = await this.knownSpans(decoded);
    const mapped = mapSpans(decoded.spans, { known, remoteParents: decoded.remoteParents });
    await engine.writeSpans(mapped.spans, mapped.events);
    if (mapped.events.length) this.onEventsWritten?.(mapped.events);
    this.watchRuns(decoded.spans);
  }

  /** Runs still in progress after this batch are watched for quiet; ended ones are not. */
  private watchRuns(spans: readonly SpanInput[]): void {
    if (this.runQuietMs <= 0) return;
    const now = Date.now();
    const seen = new Set<string>();
    for (const s of spans) {
      if (seen.has(s.trace_id)) continue;
      seen.add(s.trace_id);
      const task = this.options.engine.getTask(taskIdForTrace(s.trace_id));
      this.openRuns.delete(s.trace_id);
      if (task?.status === 'in_progress') this.openRuns.set(s.trace_id, now);
    }
    while (this.openRuns.size > OPEN_RUNS_WATCHED) this.openRuns.delete(this.openRuns.keys().next().value as string);
    this.scheduleQuietCheck();
  }

  private scheduleQuietCheck(): void {
    if (this.quietTimer || this.openRuns.size === 0) return;
    // Unref'd: watching runs must not keep a process alive.
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      this.closeQuietRuns().then(() => this.scheduleQuietCheck(), e => {
        this.openRuns.clear();
        this.logger.warn(`[otlp] could not end quiet runs: ${errorText(e)}`);
      });
    }, Math.max(1_000, Math.min(this.runQuietMs / 4, 60_000)));
    this.quietTimer.unref();
  }

  /**
   * Completes the runs in progress that no span has reached for the quiet period, saying so in the
   * task's metadata (a later span of the run takes it back to in progress). Returns how many.
   */
  async closeQuietRuns(now = Date.now()): Promise<number> {
    const events: BatchEvent[] = [];
    for (const [traceId, last] of this.openRuns) {
      if (now - last < this.runQuietMs) continue;
      this.openRuns.delete(traceId);
      const taskId = taskIdForTrace(traceId);
      if (this.options.engine.getTask(taskId)?.status !== 'in_progress') continue;
      events.push({
        type: 'task', event_id: `otel:${traceId}:quiet:${last}`, task_id: taskId, status: 'completed', percentage: 100,
        metadata: { ended_by: 'quiet', ended_note: `no span for ${Math.round(this.runQuietMs / 1000)} s; the run's root span never arrived` },
      });
    }
    if (events.length > 0) await this.queue.run(() => this.options.engine.writeBatch(events));
    return events.length;
  }

  /** Stops watching runs (the server closes). */
  dispose(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    this.openRuns.clear();
  }

  /**
   * The stored spans of the batch's traces, read only when the mapping needs them: a span whose
   * parent is not in the batch, or a trace whose task already exists (its progress counts them).
   */
  private async knownSpans(decoded: DecodedTraces): Promise<SpanInput[]> {
    const inBatch = new Set(decoded.spans.map(s => spanKey(s.trace_id, s.span_id)));
    const traces = new Set<string>();
    // Asked once per trace, not once per span: a miss goes to SQLite every time.
    const hasTask = new Map<string, boolean>();
    for (const s of decoded.spans) {
      if (traces.has(s.trace_id)) continue;
      const orphan = s.parent_span_id !== null && !inBatch.has(spanKey(s.trace_id, s.parent_span_id))
        && !decoded.remoteParents.has(spanKey(s.trace_id, s.span_id));
      let known = hasTask.get(s.trace_id);
      if (!orphan && known === undefined) {
        known = this.options.engine.getTask(taskIdForTrace(s.trace_id)) !== undefined;
        hasTask.set(s.trace_id, known);
      }
      if (orphan || known) traces.add(s.trace_id);
    }
    const out: SpanInput[] = [];
    for (const traceId of traces) {
      // Parents arrive within seconds of their children: the live database is enough, and the
      // archive (on disk) is not opened on every export.
      const stored = await this.options.engine.getSpans({ trace_id: traceId, limit: KNOWN_SPANS_LIMIT, live_only: true });
      for (const s of stored) if (!inBatch.has(spanKey(s.trace_id, s.span_id))) out.push(s);
    }
    return out;
  }

  private toOtlpError(e: unknown): OtlpError {
    if (e instanceof OtlpError) return e;
    if (e instanceof ValidationError) return new OtlpError(400, RPC.invalidArgument, e.message);
    if (e instanceof PersistenceError || e instanceof EngineClosedError) {
      // Retryable by the OTLP rules: the exporter sends the batch again.
      return new OtlpError(503, RPC.unavailable, `The store cannot write: ${e.message}. Nothing was stored.`, { 'Retry-After': '1' });
    }
    this.logger.error(e instanceof Error ? e : new Error(String(e)));
    return new OtlpError(500, RPC.internal, `Internal error: ${errorText(e)}`);
  }

  /** After a 413, read and drop a bounded amount so the client gets to read the answer, then cut it off. */
  private discardRest(req: IncomingMessage): void {
    let dropped = 0;
    req.on('data', (c: Buffer) => {
      dropped += c.length;
      if (dropped > this.maxBytes) req.socket.destroy();
    });
    req.resume();
    const timer = setTimeout(() => req.socket.destroy(), 5_000);
    timer.unref();
    req.socket.once('close', () => clearTimeout(timer));
  }
}

/** The attributes with those of `extra` they do not have yet (a span's own attributes win). */
function withMissing(attributes: JsonObject, extra: JsonObject): JsonObject {
  const out: JsonObject = { ...attributes };
  for (const k of Object.keys(extra)) if (out[k] === undefined) out[k] = extra[k];
  return out;
}

/** POST /v1/traces as a mount of the REST server (`JarvisServer.start({ mounts: [...] })`). */
export function otlpTracesMount(options: OtlpReceiverOptions): ServerMount & { receiver: OtlpTraceReceiver } {
  const receiver = new OtlpTraceReceiver(options);
  return {
    path: OTLP_TRACES_PATH, receiver, handle: (req, res) => receiver.handle(req, res),
    onEventsWritten: listener => (receiver.onEventsWritten = listener),
  };
}

/** What the server mounts for OTLP: traces kept, GenAI log events attached to their spans, metrics accepted and dropped. */
export function otlpMounts(options: OtlpReceiverOptions): [ServerMount & { receiver: OtlpTraceReceiver }, ...ServerMount[]] {
  const traces = otlpTracesMount(options);
  const logs: ServerMount = { path: OTLP_LOGS_PATH, handle: (req, res) => traces.receiver.handleLogs(req, res) };
  const ignored = (Object.keys(OTLP_IGNORED_PATHS) as IgnoredSignal[]).map((signal): ServerMount => ({
    path: OTLP_IGNORED_PATHS[signal],
    handle: (req, res) => traces.receiver.handleIgnored(signal, req, res),
  }));
  return [traces, logs, ...ignored];
}
