// An OTLP ExportTraceServiceRequest, protobuf or JSON, turned into the spans the engine stores.
// A request that cannot be read at all throws OtlpDecodeError (400); a span that cannot be used
// (bad ids or times, too deep a value, over the request's span limit) is counted as rejected and
// the others are kept (partial success).
// Decoding is bounded in work, not only in bytes (otlpLimits.ts): what is over a limit is skipped
// unread and counted, and the decoders are generators that pause every few thousand steps, so
// decodeTraces lets the event loop run between slices of a large request.
import { randomUUID } from 'crypto';
import * as protobuf from 'protobufjs';
import { findUnstorableField } from '../core/validate';
import { iso } from '../core/time';
import type { Json, JsonObject, SpanInput, SpanStatus } from '../core/types';
import { MAX_TEXT_LENGTH } from '../core/validate';
import { genAiFields } from './genaiAttributes';
import { DEFAULT_OTLP_LIMITS, type OtlpLimits } from './otlpLimits';
import type { LongLike } from './otlpProto';

export class OtlpDecodeError extends Error {}

export interface DecodedTraces {
  spans: SpanInput[];
  /** Spans whose parent lives in another process (flags bit 9): their ancestry ends here. */
  remoteParents: Set<string>;
  rejected: number;
  /** The first few reasons spans were rejected, for partialSuccess.errorMessage. */
  problems: string[];
  /** Attributes over the limits, dropped (each span also records its own count). */
  droppedAttributes: number;
}

export const spanKey = (traceId: string, spanId: string): string => `${traceId}:${spanId}`;

/** Where a span or resource records the attributes it lost, as OpenTelemetry's non-OTLP exporters do. */
export const DROPPED_ATTRIBUTES_KEY = 'otel.dropped_attributes_count';

const MAX_PROBLEMS = 5;
const STATUS: SpanStatus[] = ['unset', 'ok', 'error'];
// Span.flags: bit 8 says whether bit 9 (parent is remote) is known.
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
/** The last millisecond of year 9999: later times have no ISO 8601 form the store can sort. */
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Steps between two pauses of a decoder. */
const STEPS_PER_PAUSE = 2048;
/** How long a slice of decoding may hold the event loop. */
const SLICE_MS = 8;

// ---- pacing ---------------------------------------------------------------------------------

/** A decoder: yields (nothing) now and then so its driver may pause it. */
type Steps<T> = Generator<void, T, void>;

/** Runs a decoder to the end at once (tests, the benchmark). */
function runAtOnce<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

interface Job {
  steps: Steps<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

// Decoders of requests that arrive together share one slice per turn of the event loop: each
// with a slice of its own, six at once held the loop six slices long.
const jobs: Job[] = [];
let pumping = false;

/** Runs a decoder in slices, letting the event loop run in between. */
function runSliced<T>(steps: Steps<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    jobs.push({ steps, resolve: resolve as (value: unknown) => void, reject });
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  });
}

/** Steps the decoders in turn for SLICE_MS in all, then yields to the event loop. */
function pump(): void {
  const t0 = performance.now();
  while (jobs.length > 0 && performance.now() - t0 < SLICE_MS) {
    const job = jobs.shift()!;
    let r: IteratorResult<void, unknown>;
    try {
      r = job.steps.next();
    } catch (e) {
      job.reject(e);
      continue;
    }
    if (r.done) job.resolve(r.value);
    else jobs.push(job);
  }
  if (jobs.length > 0) setImmediate(pump);
  else pumping = false;
}

/** A value nested deeper than the limit: the span holding it is rejected. */
class TooDeep extends Error {}

class Collector {
  readonly out: DecodedTraces = { spans: [], remoteParents: new Set(), rejected: 0, problems: [], droppedAttributes: 0 };
  private steps = 0;
  private seen = 0;
  private overLimit = 0;

  constructor(readonly limits: OtlpLimits) {}

  /** True every STEPS_PER_PAUSE calls: the decoder yields then. */
  tick(): boolean {
    if (++this.steps < STEPS_PER_PAUSE) return false;
    this.steps = 0;
    return true;
  }

  /** False once the request's span budget is spent: the span is rejected unread. */
  admit(): boolean {
    if (this.seen < this.limits.maxSpans) {
      this.seen++;
      return true;
    }
    this.overLimit++;
    this.out.rejected++;
    return false;
  }

  reject(problem: string): void {
    this.out.rejected++;
    if (this.out.problems.length < MAX_PROBLEMS) this.out.problems.push(problem);
  }

  finish(): DecodedTraces {
    if (this.overLimit > 0) this.out.problems.unshift(`${this.overLimit} span(s) over the limit of ${this.limits.maxSpans} per request`);
    return this.out;
  }

  add(s: RawSpan, resource: JsonObject, scope: string | null): void {
    const { traceId, spanId, parentId, name } = s;
    if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) return this.reject(`span ${spanId || '?'}: invalid trace_id`);
    if (!/^[0-9a-f]{16}$/.test(spanId) || /^0+$/.test(spanId)) return this.reject(`span in trace ${traceId}: invalid span_id`);
    if (parentId !== null && !/^[0-9a-f]{16}$/.test(parentId)) return this.reject(`span ${spanId}: invalid parent_span_id`);
    if (typeof name !== 'string') return this.reject(`span ${spanId}: name must be a string`);
    if (name.length > MAX_TEXT_LENGTH) return this.reject(`span ${spanId}: name longer than ${MAX_TEXT_LENGTH} characters`);
    const start = s.startMs;
    if (start === 0) return this.reject(`span ${spanId}: start_time_unix_nano missing`);
    if (!(start > 0 && start <= MAX_TIME_MS)) return this.reject(`span ${spanId}: start_time_unix_nano out of range (1970 to 9999)`);
    const end = s.endMs;
    if (end !== 0 && !(end > 0 && end <= MAX_TIME_MS)) return this.reject(`span ${spanId}: end_time_unix_nano out of range (1970 to 9999)`);
    const attributes = s.attributes.result();
    this.out.droppedAttributes += s.attributes.dropped;
    const status = STATUS[s.statusCode] ?? 'unset';
    const g = genAiFields(attributes, name, scope);
    const span: SpanInput = {
      trace_id: traceId,
      span_id: spanId,
      parent_span_id: parentId === null || /^0+$/.test(parentId) ? null : parentId,
      name,
      kind: Number.isInteger(s.kind) && s.kind >= 0 && s.kind <= 5 ? s.kind : 0,
      start_time: iso(start),
      // An end before the start is a clock step: the span is kept, zero long.
      end_time: end === 0 ? null : iso(Math.max(end, start)),
      status,
      status_message: truncate(s.statusMessage, this.limits) || (status === 'error' ? s.exception : null),
      operation: g.operation,
      agent_id: g.agent_id,
      agent_name: g.agent_name,
      conversation_id: g.conversation_id,
      task_id: null,
      tool_name: g.tool_name,
      model: g.model,
      input_tokens: g.input_tokens,
      output_tokens: g.output_tokens,
      attributes,
      resource,
      scope,
    };
    // One span PostgreSQL could not store is set aside (partial success), not the whole export.
    const unstorable = findUnstorableField('', span);
    if (unstorable) return this.reject(`span ${spanId}: ${unstorable.field}: ${unstorable.problem}`);
    if ((s.flags & HAS_IS_REMOTE) !== 0 && (s.flags & IS_REMOTE) !== 0) this.out.remoteParents.add(spanKey(traceId, spanId));
    this.out.spans.push(span);
  }
}

interface RawSpan {
  traceId: string;
  spanId: string;
  parentId: string | null;
  flags: number;
  name: unknown;
  kind: number;
  /** 0 when absent, NaN when unreadable. */
  startMs: number;
  endMs: number;
  statusCode: number;
  statusMessage: string;
  attributes: Attributes;
  exception: string | null;
}

/** Attributes of one span, resource or event, up to the limit; the others only counted. */
class Attributes {
  private readonly kept = new Map<string, Json>();
  /** Dropped here; the sender's own count is kept apart. */
  dropped = 0;
  private senderDropped = 0;

  constructor(private readonly max: number) {}

  get full(): boolean {
    return this.kept.size >= this.max;
  }

  set(key: string, value: Json): void {
    if (key === '' || (this.kept.size >= this.max && !this.kept.has(key))) this.dropped++;
    else this.kept.set(key, value);
  }

  /** The sender's own dropped count is added to ours. */
  addDropped(n: unknown): void {
    if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) this.senderDropped += n;
  }

  /** A plain object (fromEntries: a "__proto__" key stays an ordinary key). */
  result(): JsonObject {
    const o = Object.fromEntries(this.kept) as JsonObject;
    if (this.dropped + this.senderDropped > 0) o[DROPPED_ATTRIBUTES_KEY] = this.dropped + this.senderDropped;
    return o;
  }
}

/** Elements an array or kvlist value may still hold: the owner's attribute limit, nested ones included. */
interface ValueBudget { left: number }

function truncate(s: string, limits: OtlpLimits): string {
  return s.length > limits.maxValueLength ? s.slice(0, limits.maxValueLength) : s;
}

function exceptionText(name: string, key: string, value: Json, current: string | null): string | null {
  if (name !== 'exception' || typeof value !== 'string') return current;
  // exception.message wins over exception.type.
  if (key === 'exception.message') return value;
  if (key === 'exception.type' && current === null) return value;
  return current;
}

// ---- protobuf ------------------------------------------------------------------------------
// Read field by field with protobufjs's Reader (the generated decoder would build every one of a
// request's 8 million empty attributes before anything could count them).

type Reader = protobuf.Reader;
const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 };

function checkWire(tag: number, wire: number): void {
  if ((tag & 7) !== wire) throw new Error(`field ${tag >>> 3}: wire type ${tag & 7}, expected ${wire}`);
}

/** The end of the length-delimited field at the reader's position. */
function subEnd(r: Reader, tag: number): number {
  checkWire(tag, WIRE.bytes);
  const end = r.uint32() + r.pos;
  if (end > r.len) throw new Error(`field ${tag >>> 3}: length past the end`);
  return end;
}

function skipField(r: Reader, tag: number): void {
  if (tag >>> 3 === 0) throw new Error('field number 0');
  r.skipType(tag & 7);
}

function atEnd(r: Reader, end: number): void {
  if (r.pos !== end) throw new Error('a field runs past the end of its message');
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Unsigned fixed64 nanoseconds as milliseconds. */
function fixed64Ms(r: Reader, tag: number): number {
  checkWire(tag, WIRE.fixed64);
  const lo = r.fixed32();
  const hi = r.fixed32();
  return (hi * 4294967296 + lo) / 1e6;
}

function pbInt(v: number | LongLike): Json {
  if (typeof v === 'number') return v;
  const asNum = v.toNumber();
  return Number.isSafeInteger(asNum) ? asNum : v.toString();
}

function pbValue(r: Reader, end: number, depth: number, budget: ValueBudget, limits: OtlpLimits): Json {
  let out: Json = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: checkWire(tag, WIRE.bytes); out = truncate(r.string(), limits); break;
      case 2: checkWire(tag, WIRE.varint); out = r.bool(); break;
      case 3: checkWire(tag, WIRE.varint); out = pbInt(r.int64() as unknown as number | LongLike); break;
      case 4: {
        checkWire(tag, WIRE.fixed64);
        const d = r.double();
        out = Number.isFinite(d) ? d : String(d);
        break;
      }
      case 5: out = pbList(r, subEnd(r, tag), depth + 1, budget, limits, false); break;
      case 6: out = pbList(r, subEnd(r, tag), depth + 1, budget, limits, true); break;
      case 7: {
        const b = r.bytes();
        out = Buffer.from(b.buffer, b.byteOffset, Math.min(b.byteLength, limits.maxValueLength)).toString('base64');
        break;
      }
      default: skipField(r, tag);
    }
  }
  atEnd(r, end);
  return out;
}

/** ArrayValue or KeyValueList (both: field 1, repeated); elements past the budget are skipped unread. */
function pbList(r: Reader, end: number, depth: number, budget: ValueBudget, limits: OtlpLimits, kv: boolean): Json {
  if (depth > limits.maxDepth) throw new TooDeep(`an attribute value is nested deeper than ${limits.maxDepth} levels`);
  const arr: Json[] = [];
  const obj = new Map<string, Json>();
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 !== 1) {
      skipField(r, tag);
      continue;
    }
    const e = subEnd(r, tag);
    if (budget.left <= 0) {
      r.pos = e;
      continue;
    }
    budget.left--;
    if (!kv) {
      arr.push(pbValue(r, e, depth, budget, limits));
      continue;
    }
    const [key, value] = pbKeyValue(r, e, depth, budget, limits);
    if (key !== '') obj.set(key, value);
  }
  atEnd(r, end);
  return kv ? (Object.fromEntries(obj) as JsonObject) : arr;
}

function pbKeyValue(r: Reader, end: number, depth: number, budget: ValueBudget, limits: OtlpLimits): [string, Json] {
  const [key, from, to] = pbKeyAndValue(r, end);
  if (from < 0) return [key, null];
  r.pos = from;
  const value = pbValue(r, to, depth, budget, limits);
  r.pos = end;
  return [key, value];
}

/** One repeated KeyValue field into `into`, or only counted when it is full. */
function pbAttribute(r: Reader, tag: number, into: Attributes, limits: OtlpLimits): void {
  const end = subEnd(r, tag);
  if (into.full) {
    into.dropped++;
    r.pos = end;
    return;
  }
  const [key, value] = pbKeyValue(r, end, 0, { left: limits.maxAttributes }, limits);
  into.set(key, value);
}

export function decodeProtobufTraces(body: Uint8Array, limits: OtlpLimits = DEFAULT_OTLP_LIMITS): DecodedTraces {
  return runAtOnce(protobufSteps(body, limits));
}

function* protobufSteps(body: Uint8Array, limits: OtlpLimits): Steps<DecodedTraces> {
  const c = new Collector(limits);
  try {
    const r = protobuf.Reader.create(body);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === 1) yield* pbResourceSpans(r, subEnd(r, tag), c);
      else skipField(r, tag);
      if (c.tick()) yield;
    }
  } catch (e) {
    if (e instanceof OtlpDecodeError) throw e;
    throw new OtlpDecodeError(`malformed protobuf ExportTraceServiceRequest (${(e as Error).message})`);
  }
  return c.finish();
}

/**
 * Where the last occurrence of field `field` (length-delimited) starts in [r.pos, end), or -1;
 * the reader is left at `end`. A resource or scope may follow its spans on the wire.
 */
function* findField(r: Reader, end: number, field: number, c: Collector): Steps<number> {
  let at = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === field) {
      at = r.pos;
      subEnd(r, tag);
      r.pos = at;
    }
    skipField(r, tag);
    if (c.tick()) yield;
  }
  atEnd(r, end);
  return at;
}

/**
 * ResourceSpans and ScopeSpans: field 1 (the resource, the scope) is read first wherever it
 * stands, then each field 2 (scope spans, spans) with it.
 */
function* pbGroup<H>(
  r: Reader, end: number, c: Collector, head: (end: number) => Steps<H>, none: H, child: (end: number, head: H) => Steps<void>,
): Steps<void> {
  const start = r.pos;
  const at = yield* findField(r, end, 1, c);
  let h = none;
  if (at >= 0) {
    r.pos = at;
    h = yield* head(subEnd(r, 1 << 3 | WIRE.bytes));
  }
  r.pos = start;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 2) yield* child(subEnd(r, tag), h);
    else skipField(r, tag);
    if (c.tick()) yield;
  }
  atEnd(r, end);
}

function pbResourceSpans(r: Reader, end: number, c: Collector): Steps<void> {
  return pbGroup<JsonObject>(r, end, c, e => pbResource(r, e, c), {}, (e, resource) => pbScopeSpans(r, e, c, resource));
}

function* pbResource(r: Reader, end: number, c: Collector): Steps<JsonObject> {
  const attrs = new Attributes(c.limits.maxAttributes);
  try {
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === 1) pbAttribute(r, tag, attrs, c.limits);
      else if (tag >>> 3 === 2 && (tag & 7) === WIRE.varint) attrs.addDropped(r.uint32());
      else skipField(r, tag);
      if (c.tick()) yield;
    }
  } catch (e) {
    if (e instanceof TooDeep) throw new OtlpDecodeError(`resource: ${e.message}`);
    throw e;
  }
  atEnd(r, end);
  c.out.droppedAttributes += attrs.dropped;
  return attrs.result();
}

function pbScopeSpans(r: Reader, end: number, c: Collector, resource: JsonObject): Steps<void> {
  return pbGroup<string | null>(r, end, c, e => pbScopeName(r, e, c), null, function* (e, scope) {
    if (c.admit()) yield* pbSpan(r, e, c, resource, scope);
    else r.pos = e;
  });
}

/** InstrumentationScope.name; its attributes are not kept. */
function* pbScopeName(r: Reader, end: number, c: Collector): Steps<string | null> {
  let name = '';
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) {
      checkWire(tag, WIRE.bytes);
      name = truncate(r.string(), c.limits);
    } else skipField(r, tag);
    if (c.tick()) yield;
  }
  atEnd(r, end);
  return name || null;
}

function* pbSpan(r: Reader, end: number, c: Collector, resource: JsonObject, scope: string | null): Steps<void> {
  const limits = c.limits;
  const s: RawSpan = {
    traceId: '', spanId: '', parentId: null, flags: 0, name: '', kind: 0, startMs: 0, endMs: 0, statusCode: 0, statusMessage: '',
    attributes: new Attributes(limits.maxAttributes), exception: null,
  };
  let events = 0;
  try {
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case 1: checkWire(tag, WIRE.bytes); s.traceId = hex(r.bytes()); break;
        case 2: checkWire(tag, WIRE.bytes); s.spanId = hex(r.bytes()); break;
        case 4: {
          checkWire(tag, WIRE.bytes);
          const p = hex(r.bytes());
          s.parentId = p === '' ? null : p;
          break;
        }
        case 5: checkWire(tag, WIRE.bytes); s.name = r.string(); break;
        case 6: checkWire(tag, WIRE.varint); s.kind = r.int32(); break;
        case 7: s.startMs = fixed64Ms(r, tag); break;
        case 8: s.endMs = fixed64Ms(r, tag); break;
        case 9: pbAttribute(r, tag, s.attributes, limits); break;
        case 10: checkWire(tag, WIRE.varint); s.attributes.addDropped(r.uint32()); break;
        case 11: {
          const e = subEnd(r, tag);
          if (events++ < limits.maxEvents) s.exception = yield* pbEvent(r, e, c, s.exception);
          else r.pos = e;
          break;
        }
        case 15: pbStatus(r, subEnd(r, tag), s); break;
        case 16: checkWire(tag, WIRE.fixed32); s.flags = r.fixed32(); break;
        default: skipField(r, tag);
      }
      if (c.tick()) yield;
    }
    atEnd(r, end);
  } catch (e) {
    if (!(e instanceof TooDeep)) throw e;
    r.pos = end;
    return c.reject(`span ${s.spanId || '?'}: ${e.message}`);
  }
  c.add(s, resource, scope);
}

/** An event matters only as an exception's message; other attribute values are skipped unread. */
function* pbEvent(r: Reader, end: number, c: Collector, exception: string | null): Steps<string | null> {
  let name = '';
  // Exception attributes of the event, by key: where their value lies.
  const found: [string, number, number][] = [];
  let attributes = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 2) {
      checkWire(tag, WIRE.bytes);
      name = r.string();
    } else if (tag >>> 3 === 3) {
      const e = subEnd(r, tag);
      if (attributes++ < c.limits.maxAttributes) {
        const kv = pbKeyAndValue(r, e);
        if (EXCEPTION_KEYS.includes(kv[0])) found.push(kv);
      }
      r.pos = e;
    } else skipField(r, tag);
    if (c.tick()) yield;
  }
  atEnd(r, end);
  let out = exception;
  for (const [key, from, to] of found) {
    if (name !== 'exception' || from < 0) continue;
    r.pos = from;
    out = exceptionText(name, key, pbValue(r, to, 0, { left: 0 }, c.limits), out);
  }
  r.pos = end;
  return out;
}

const EXCEPTION_KEYS = ['exception.message', 'exception.type'];

/** A KeyValue's key and where its value lies (-1: none), the value left unread. */
function pbKeyAndValue(r: Reader, end: number): [string, number, number] {
  let key = '';
  let from = -1;
  let to = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) {
      checkWire(tag, WIRE.bytes);
      key = r.string();
    } else if (tag >>> 3 === 2) {
      to = subEnd(r, tag);
      from = r.pos;
      r.pos = to;
    } else skipField(r, tag);
  }
  atEnd(r, end);
  return [key, from, to];
}

function pbStatus(r: Reader, end: number, s: RawSpan): void {
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 2) {
      checkWire(tag, WIRE.bytes);
      s.statusMessage = r.string();
    } else if (tag >>> 3 === 3) {
      checkWire(tag, WIRE.varint);
      s.statusCode = r.int32();
    } else skipField(r, tag);
  }
  atEnd(r, end);
}

// ---- JSON (OTLP/JSON: lowerCamelCase keys, hex ids, integer enums, 64-bit ints as numbers or strings)

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** lowerCamelCase as the spec says; the proto field name is accepted too, as protobuf JSON parsers do. */
const field = (o: Obj, camel: string, snake: string): unknown => (o[camel] !== undefined ? o[camel] : o[snake]);

const KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0, SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2, SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5,
};
const STATUS_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

function jsonEnum(v: unknown, names: Record<string, number>): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return names[v] ?? (/^\d+$/.test(v) ? Number(v) : -1);
  return 0;
}

/** Milliseconds; 0 when absent, NaN when not a non-negative integer of nanoseconds. */
function jsonNanos(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v >= 0 ? v / 1e6 : NaN;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return Number(v) / 1e6;
  return NaN;
}

function jsonValue(v: unknown, depth: number, budget: ValueBudget, limits: OtlpLimits): Json {
  if (!isObj(v)) return null;
  const sv = field(v, 'stringValue', 'string_value');
  if (typeof sv === 'string') return truncate(sv, limits);
  const bv = field(v, 'boolValue', 'bool_value');
  if (typeof bv === 'boolean') return bv;
  const iv = field(v, 'intValue', 'int_value');
  if (typeof iv === 'number') return iv;
  if (typeof iv === 'string' && /^-?\d+$/.test(iv)) return Number.isSafeInteger(Number(iv)) ? Number(iv) : iv;
  const dv = field(v, 'doubleValue', 'double_value');
  if (typeof dv === 'number') return dv;
  if (typeof dv === 'string') return Number.isFinite(Number(dv)) ? Number(dv) : dv;
  const av = field(v, 'arrayValue', 'array_value');
  if (isObj(av)) return jsonList(av.values, depth + 1, budget, limits, false);
  const kv = field(v, 'kvlistValue', 'kvlist_value');
  if (isObj(kv)) return jsonList(kv.values, depth + 1, budget, limits, true);
  const bytes = field(v, 'bytesValue', 'bytes_value');
  if (typeof bytes === 'string') return truncate(bytes, limits);
  return null;
}

function jsonList(values: unknown, depth: number, budget: ValueBudget, limits: OtlpLimits, kv: boolean): Json {
  if (depth > limits.maxDepth) throw new TooDeep(`an attribute value is nested deeper than ${limits.maxDepth} levels`);
  const list = Array.isArray(values) ? values : [];
  const n = Math.min(list.length, Math.max(budget.left, 0));
  budget.left -= n;
  if (!kv) return list.slice(0, n).map(x => jsonValue(x, depth, budget, limits));
  const obj = new Map<string, Json>();
  for (let i = 0; i < n; i++) {
    const e = list[i];
    if (isObj(e) && typeof e.key === 'string' && e.key !== '') obj.set(e.key, jsonValue(e.value, depth, budget, limits));
  }
  return Object.fromEntries(obj) as JsonObject;
}

function* jsonAttributes(kvs: unknown, into: Attributes, c: Collector): Steps<void> {
  if (!Array.isArray(kvs)) return;
  for (const kv of kvs) {
    if (into.full) into.dropped++;
    else if (isObj(kv) && typeof kv.key === 'string') into.set(kv.key, jsonValue(kv.value, 0, { left: c.limits.maxAttributes }, c.limits));
    else into.dropped++;
    if (c.tick()) yield;
  }
}

/** Hex as OTLP/JSON says; base64 (the generic protobuf JSON mapping, sent by some old exporters) too. */
function jsonId(v: unknown): string {
  if (typeof v !== 'string') return '';
  if (/^[0-9a-fA-F]*$/.test(v)) return v.toLowerCase();
  if ((v.length === 24 || v.length === 12) && /^[A-Za-z0-9+/]+={0,2}$/.test(v)) return Buffer.from(v, 'base64').toString('hex');
  return v;
}

export function decodeJsonTraces(text: string, limits: OtlpLimits = DEFAULT_OTLP_LIMITS): DecodedTraces {
  return runAtOnce(jsonSteps(text, limits));
}

function* jsonSteps(text: string, limits: OtlpLimits): Steps<DecodedTraces> {
  const split = yield* splitJson(text, limits);
  const req = parseJson(split.skeleton);
  if (!isObj(req)) throw new OtlpDecodeError('body: must be an ExportTraceServiceRequest object');
  const rss = field(req, 'resourceSpans', 'resource_spans');
  if (rss !== undefined && !Array.isArray(rss)) throw new OtlpDecodeError('resourceSpans: must be an array');
  const c = new Collector(limits);
  for (const rs of (rss as unknown[] | undefined) ?? []) {
    if (!isObj(rs)) throw new OtlpDecodeError('resourceSpans: entries must be objects');
    const resourceAttrs = new Attributes(limits.maxAttributes);
    if (isObj(rs.resource)) {
      try {
        yield* jsonAttributes(rs.resource.attributes, resourceAttrs, c);
      } catch (e) {
        if (e instanceof TooDeep) throw new OtlpDecodeError(`resource: ${e.message}`);
        throw e;
      }
      resourceAttrs.addDropped(field(rs.resource, 'droppedAttributesCount', 'dropped_attributes_count'));
    }
    c.out.droppedAttributes += resourceAttrs.dropped;
    const resource = resourceAttrs.result();
    const sss = field(rs, 'scopeSpans', 'scope_spans');
    if (sss !== undefined && !Array.isArray(sss)) throw new OtlpDecodeError('scopeSpans: must be an array');
    for (const ss of (sss as unknown[] | undefined) ?? []) {
      if (!isObj(ss)) throw new OtlpDecodeError('scopeSpans: entries must be objects');
      const scope = isObj(ss.scope) && typeof ss.scope.name === 'string' && ss.scope.name !== '' ? truncate(ss.scope.name, limits) : null;
      if (ss.spans !== undefined && !Array.isArray(ss.spans)) throw new OtlpDecodeError('spans: must be an array');
      for (const item of (ss.spans as unknown[] | undefined) ?? []) {
        if (!c.admit()) continue;
        const s = spanOf(item, split, text, limits);
        if (typeof s === 'string') c.reject(s);
        else yield* jsonSpan(s, c, resource, scope);
        // After every span: parsing one may take a few ms.
        yield;
      }
    }
  }
  return c.finish();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OtlpDecodeError(`malformed JSON (${(e as Error).message})`);
  }
}

/** A span of the request, parsed now from its own text; a string: why it is rejected. */
function spanOf(item: unknown, split: JsonSplit, text: string, limits: OtlpLimits): Obj | string {
  if (typeof item === 'string' && item.startsWith(split.nonce)) {
    const at = split.spans[Number(item.slice(split.nonce.length))];
    if (at.big) return `span: more than ${maxJsonPerSpan(limits)} JSON objects and arrays`;
    item = parseJson(text.slice(at.start, at.end));
  }
  return isObj(item) ? item : 'span: not an object';
}

function* jsonSpan(s: Obj, c: Collector, resource: JsonObject, scope: string | null): Steps<void> {
  const limits = c.limits;
  const status = isObj(s.status) ? s.status : {};
  const parent = jsonId(field(s, 'parentSpanId', 'parent_span_id'));
  const spanId = jsonId(field(s, 'spanId', 'span_id'));
  const attributes = new Attributes(limits.maxAttributes);
  let exception: string | null = null;
  try {
    yield* jsonAttributes(s.attributes, attributes, c);
    if (Array.isArray(s.events)) {
      for (const e of s.events.slice(0, limits.maxEvents)) {
        if (!isObj(e) || e.name !== 'exception' || !Array.isArray(e.attributes)) continue;
        for (const kv of e.attributes.slice(0, limits.maxAttributes)) {
          if (!isObj(kv) || typeof kv.key !== 'string') continue;
          exception = exceptionText('exception', kv.key, jsonValue(kv.value, 0, { left: limits.maxAttributes }, limits), exception);
        }
      }
    }
  } catch (e) {
    if (!(e instanceof TooDeep)) throw e;
    return c.reject(`span ${spanId || '?'}: ${e.message}`);
  }
  attributes.addDropped(field(s, 'droppedAttributesCount', 'dropped_attributes_count'));
  const flags = s.flags;
  c.add({
    traceId: jsonId(field(s, 'traceId', 'trace_id')), spanId, parentId: parent === '' ? null : parent,
    flags: typeof flags === 'number' ? flags : 0, name: s.name === undefined ? '' : s.name, kind: jsonEnum(s.kind, KIND_NAMES),
    startMs: jsonNanos(field(s, 'startTimeUnixNano', 'start_time_unix_nano')), endMs: jsonNanos(field(s, 'endTimeUnixNano', 'end_time_unix_nano')),
    statusCode: jsonEnum(status.code, STATUS_NAMES), statusMessage: typeof status.message === 'string' ? status.message : '',
    attributes, exception,
  }, resource, scope);
}

/** Objects and arrays a request may hold outside its spans (resources, scopes, the lists). */
export const MAX_JSON_OUTSIDE_SPANS = 65_536;

/** Objects and arrays one span may hold in OTLP/JSON; more rejects the span unparsed. */
export function maxJsonPerSpan(limits: OtlpLimits): number {
  return limits.maxAttributes * 64;
}

interface JsonSplit {
  /** The request with each span replaced by a placeholder string: `${nonce}${index}`. */
  skeleton: string;
  nonce: string;
  /** Each span's text range; `big` when over maxJsonPerSpan (never parsed). */
  spans: { start: number; end: number; big: boolean }[];
}

const SPAN_PATH = [
  undefined, ['resourceSpans', 'resource_spans'], undefined, ['scopeSpans', 'scope_spans'], undefined, ['spans'],
];

/**
 * One pass over the text, in slices, before JSON.parse builds anything: nesting and size are
 * checked, and each span's text is cut out, so that JSON.parse only ever runs on one span or on
 * what is left around the spans, both bounded.
 */
function* splitJson(text: string, limits: OtlpLimits): Steps<JsonSplit> {
  // The request's own levels down to an event attribute's value, then 4 per kvlist level.
  const maxNesting = 12 + 4 * limits.maxDepth;
  const perSpan = maxJsonPerSpan(limits);
  const nonce = `\u0000${randomUUID()}:`;
  const spans: JsonSplit['spans'] = [];
  const parts: string[] = [];
  // Per open container: whether an object, and the key it sits under (arrays inherit none).
  const isObject: boolean[] = [];
  const keyOf: (string | undefined)[] = [];
  const lastKey: (string | undefined)[] = [];
  let depth = 0;
  let outside = 0;
  let expectKey = false;
  let spanStart = -1;
  let spanContainers = 0;
  let copied = 0;
  const chunk = 1 << 16;
  let i = 0;
  while (i < text.length) {
    const to = Math.min(text.length, i + chunk);
    for (; i < to; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        // Most of OTLP/JSON is strings: jump to the closing quote (one not escaped).
        let j = i;
        do {
          j = text.indexOf('"', j + 1);
          if (j < 0) j = text.length;
        } while (j < text.length && escaped(text, j));
        // Keys matter only on the way down to a span.
        if (expectKey && spanStart < 0) lastKey[depth - 1] = text.slice(i + 1, j);
        expectKey = false;
        i = j;
      } else if (ch === 0x7b || ch === 0x5b) {
        if (depth >= maxNesting) throw new OtlpDecodeError(`JSON nested deeper than ${maxNesting} levels (attribute values: ${limits.maxDepth})`);
        const obj = ch === 0x7b;
        keyOf[depth] = depth > 0 && isObject[depth - 1] ? lastKey[depth - 1] : undefined;
        isObject[depth] = obj;
        lastKey[depth] = undefined;
        depth++;
        expectKey = obj;
        if (spanStart >= 0) spanContainers++;
        else if (obj && depth === 7 && isSpanPath(isObject, keyOf)) {
          spanStart = i;
          spanContainers = 1;
        } else if (++outside > MAX_JSON_OUTSIDE_SPANS) {
          throw new OtlpDecodeError(`more than ${MAX_JSON_OUTSIDE_SPANS} JSON objects and arrays outside spans; send smaller batches`);
        }
      } else if (ch === 0x7d || ch === 0x5d) {
        depth--;
        expectKey = false;
        if (depth === 6 && spanStart >= 0) {
          parts.push(text.slice(copied, spanStart), JSON.stringify(`${nonce}${spans.length}`));
          spans.push({ start: spanStart, end: i + 1, big: spanContainers > perSpan });
          copied = i + 1;
          spanStart = -1;
        }
        if (depth < 0) throw new OtlpDecodeError('malformed JSON (unbalanced brackets)');
      } else if (ch === 0x2c && depth > 0 && isObject[depth - 1]) expectKey = true;
    }
    yield;
  }
  parts.push(text.slice(copied));
  return { skeleton: parts.join(''), nonce, spans };
}

/** Whether the character at `at` follows an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && text.charCodeAt(k) === 0x5c) k--;
  return (at - 1 - k) % 2 === 1;
}

/** An object at depth 7 that is an element of resourceSpans[].scopeSpans[].spans[]. */
function isSpanPath(isObject: boolean[], keyOf: (string | undefined)[]): boolean {
  for (let d = 0; d < 6; d++) {
    if (isObject[d] !== (d % 2 === 0)) return false;
    const names = SPAN_PATH[d];
    if (names && !names.includes(keyOf[d] as string)) return false;
  }
  return true;
}

/** Decodes in slices, letting the event loop run between them. */
export function decodeTraces(encoding: 'protobuf' | 'json', body: Buffer, limits: OtlpLimits): Promise<DecodedTraces> {
  return runSliced(encoding === 'protobuf' ? protobufSteps(body, limits) : jsonSteps(body.toString('utf8'), limits));
}

// ---- shared with the logs decoder (otlpLogs.ts) --------------------------------------------------

/** An AnyValue within the limits of one attribute (budget, depth, length); throws on too deep a value. */
export function protobufAnyValue(r: Reader, end: number, limits: OtlpLimits): Json {
  return pbValue(r, end, 0, { left: limits.maxAttributes }, limits);
}

export function jsonAnyValue(v: unknown, limits: OtlpLimits): Json {
  return jsonValue(v, 0, { left: limits.maxAttributes }, limits);
}

export const protobufField = { subEnd, skipField, checkWire, atEnd, hex, WIRE };
export { jsonId as jsonHexId };
