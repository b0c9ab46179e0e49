// An OTLP ExportTraceServiceRequest, protobuf or JSON, turned into the spans the engine stores.
// A request that cannot be read at all throws OtlpDecodeError (400); a span that cannot be used
// (bad ids, no start time) is counted as rejected and the others are kept (partial success).
import { setOwn } from '../core/ownKeys';
import { findUnstorableField } from '../core/validate';
import { iso } from '../core/time';
import type { Json, JsonObject, SpanInput, SpanStatus } from '../core/types';
import { genAiFields } from './genaiAttributes';
import { decodeExportRequest, type LongLike, type PbAnyValue, type PbKeyValue, type PbSpan } from './otlpProto';

export class OtlpDecodeError extends Error {}

export interface DecodedTraces {
  spans: SpanInput[];
  /** Spans whose parent lives in another process (flags bit 9): their ancestry ends here. */
  remoteParents: Set<string>;
  rejected: number;
  /** The first few reasons spans were rejected, for partialSuccess.errorMessage. */
  problems: string[];
}

export const spanKey = (traceId: string, spanId: string): string => `${traceId}:${spanId}`;

const MAX_DEPTH = 32;
const MAX_PROBLEMS = 5;
const STATUS: SpanStatus[] = ['unset', 'ok', 'error'];
// Span.flags: bit 8 says whether bit 9 (parent is remote) is known.
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

function nanosToMs(v: number | LongLike | string | undefined | null): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v / 1e6;
  if (typeof v === 'string') return Number(v) / 1e6;
  return v.toNumber() / 1e6;
}

class Collector {
  readonly out: DecodedTraces = { spans: [], remoteParents: new Set(), rejected: 0, problems: [] };

  reject(problem: string): void {
    this.out.rejected++;
    if (this.out.problems.length < MAX_PROBLEMS) this.out.problems.push(problem);
  }

  add(
    traceId: string, spanId: string, parentId: string | null, flags: number, name: string, kind: number,
    startMs: number, endMs: number, statusCode: number, statusMessage: string, attributes: JsonObject,
    exceptionMessage: string | null, resource: JsonObject, scope: string | null,
  ): void {
    if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) return this.reject(`span ${spanId || '?'}: invalid trace_id`);
    if (!/^[0-9a-f]{16}$/.test(spanId) || /^0+$/.test(spanId)) return this.reject(`span in trace ${traceId}: invalid span_id`);
    if (parentId !== null && !/^[0-9a-f]{16}$/.test(parentId)) return this.reject(`span ${spanId}: invalid parent_span_id`);
    if (!(startMs > 0) || !Number.isFinite(startMs)) return this.reject(`span ${spanId}: start_time_unix_nano missing`);
    const status = STATUS[statusCode] ?? 'unset';
    const g = genAiFields(attributes, name);
    const span: SpanInput = {
      trace_id: traceId,
      span_id: spanId,
      parent_span_id: parentId === null || /^0+$/.test(parentId) ? null : parentId,
      name,
      kind: Number.isInteger(kind) && kind >= 0 && kind <= 5 ? kind : 0,
      start_time: iso(startMs),
      end_time: endMs > 0 && Number.isFinite(endMs) ? iso(Math.max(endMs, startMs)) : null,
      status,
      status_message: statusMessage || (status === 'error' ? exceptionMessage : null),
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
    if ((flags & HAS_IS_REMOTE) !== 0 && (flags & IS_REMOTE) !== 0) this.out.remoteParents.add(spanKey(traceId, spanId));
    this.out.spans.push(span);
  }
}

// ---- protobuf ------------------------------------------------------------------------------

function hex(b: Uint8Array | undefined): string {
  if (!b || b.length === 0) return '';
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function pbValue(v: PbAnyValue | null | undefined, depth: number): Json {
  if (!v || depth > MAX_DEPTH) return null;
  switch (v.value) {
    case 'stringValue': return v.stringValue ?? '';
    case 'boolValue': return v.boolValue ?? false;
    case 'intValue': {
      const n = v.intValue;
      if (typeof n === 'number') return n;
      if (n === undefined) return 0;
      const asNum = n.toNumber();
      return Number.isSafeInteger(asNum) ? asNum : n.toString();
    }
    case 'doubleValue': {
      const d = v.doubleValue ?? 0;
      return Number.isFinite(d) ? d : String(d);
    }
    case 'arrayValue': return (v.arrayValue?.values ?? []).map(x => pbValue(x, depth + 1));
    case 'kvlistValue': return pbAttributes(v.kvlistValue?.values, depth + 1);
    case 'bytesValue': return v.bytesValue ? Buffer.from(v.bytesValue).toString('base64') : '';
    default: return null;
  }
}

function pbAttributes(kvs: PbKeyValue[] | undefined, depth = 0): JsonObject {
  const o: JsonObject = {};
  if (!kvs) return o;
  for (const kv of kvs) if (kv.key) setOwn(o, kv.key, pbValue(kv.value, depth));
  return o;
}

function exceptionOf(events: { name?: string; attributes?: PbKeyValue[] }[] | undefined): string | null {
  for (const e of events ?? []) {
    if (e.name !== 'exception') continue;
    const a = pbAttributes(e.attributes);
    const m = a['exception.message'] ?? a['exception.type'];
    if (typeof m === 'string') return m;
  }
  return null;
}

export function decodeProtobufTraces(body: Uint8Array): DecodedTraces {
  let req;
  try {
    req = decodeExportRequest(body);
  } catch (e) {
    throw new OtlpDecodeError(`malformed protobuf ExportTraceServiceRequest (${(e as Error).message})`);
  }
  const c = new Collector();
  for (const rs of req.resourceSpans ?? []) {
    const resource = pbAttributes(rs.resource?.attributes ?? undefined);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = ss.scope?.name || null;
      for (const s of ss.spans ?? []) addPbSpan(c, s, resource, scope);
    }
  }
  return c.out;
}

function addPbSpan(c: Collector, s: PbSpan, resource: JsonObject, scope: string | null): void {
  const parent = hex(s.parentSpanId);
  c.add(
    hex(s.traceId), hex(s.spanId), parent === '' ? null : parent, s.flags ?? 0, s.name ?? '', s.kind ?? 0,
    nanosToMs(s.startTimeUnixNano), nanosToMs(s.endTimeUnixNano), s.status?.code ?? 0, s.status?.message ?? '',
    pbAttributes(s.attributes), exceptionOf(s.events), resource, scope,
  );
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

function jsonNanos(v: unknown): number {
  if (typeof v === 'number') return v / 1e6;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return Number(v) / 1e6;
  return v === undefined || v === null ? 0 : NaN;
}

function jsonValue(v: unknown, depth: number): Json {
  if (!isObj(v) || depth > MAX_DEPTH) return null;
  const sv = field(v, 'stringValue', 'string_value');
  if (typeof sv === 'string') return sv;
  const bv = field(v, 'boolValue', 'bool_value');
  if (typeof bv === 'boolean') return bv;
  const iv = field(v, 'intValue', 'int_value');
  if (typeof iv === 'number') return iv;
  if (typeof iv === 'string' && /^-?\d+$/.test(iv)) return Number.isSafeInteger(Number(iv)) ? Number(iv) : iv;
  const dv = field(v, 'doubleValue', 'double_value');
  if (typeof dv === 'number') return dv;
  if (typeof dv === 'string') return Number.isFinite(Number(dv)) ? Number(dv) : dv;
  const av = field(v, 'arrayValue', 'array_value');
  if (isObj(av)) return Array.isArray(av.values) ? av.values.map(x => jsonValue(x, depth + 1)) : [];
  const kv = field(v, 'kvlistValue', 'kvlist_value');
  if (isObj(kv)) return jsonAttributes(kv.values, depth + 1);
  const bytes = field(v, 'bytesValue', 'bytes_value');
  if (typeof bytes === 'string') return bytes;
  return null;
}

function jsonAttributes(kvs: unknown, depth = 0): JsonObject {
  const o: JsonObject = {};
  if (!Array.isArray(kvs)) return o;
  for (const kv of kvs) if (isObj(kv) && typeof kv.key === 'string' && kv.key !== '') setOwn(o, kv.key, jsonValue(kv.value, depth));
  return o;
}

/** Hex as OTLP/JSON says; base64 (the generic protobuf JSON mapping, sent by some old exporters) too. */
function jsonId(v: unknown): string {
  if (typeof v !== 'string') return '';
  if (/^[0-9a-fA-F]*$/.test(v)) return v.toLowerCase();
  if ((v.length === 24 || v.length === 12) && /^[A-Za-z0-9+/]+={0,2}$/.test(v)) return Buffer.from(v, 'base64').toString('hex');
  return v;
}

export function decodeJsonTraces(text: string): DecodedTraces {
  let req: unknown;
  try {
    req = JSON.parse(text);
  } catch (e) {
    throw new OtlpDecodeError(`malformed JSON (${(e as Error).message})`);
  }
  if (!isObj(req)) throw new OtlpDecodeError('body: must be an ExportTraceServiceRequest object');
  const rss = field(req, 'resourceSpans', 'resource_spans');
  if (rss !== undefined && !Array.isArray(rss)) throw new OtlpDecodeError('resourceSpans: must be an array');
  const c = new Collector();
  for (const rs of (rss as unknown[] | undefined) ?? []) {
    if (!isObj(rs)) throw new OtlpDecodeError('resourceSpans: entries must be objects');
    const resource = isObj(rs.resource) ? jsonAttributes(rs.resource.attributes) : {};
    const sss = field(rs, 'scopeSpans', 'scope_spans');
    if (sss !== undefined && !Array.isArray(sss)) throw new OtlpDecodeError('scopeSpans: must be an array');
    for (const ss of (sss as unknown[] | undefined) ?? []) {
      if (!isObj(ss)) throw new OtlpDecodeError('scopeSpans: entries must be objects');
      const scope = isObj(ss.scope) && typeof ss.scope.name === 'string' && ss.scope.name !== '' ? ss.scope.name : null;
      if (ss.spans !== undefined && !Array.isArray(ss.spans)) throw new OtlpDecodeError('spans: must be an array');
      for (const s of (ss.spans as unknown[] | undefined) ?? []) {
        if (!isObj(s)) {
          c.reject('span: not an object');
          continue;
        }
        const status = isObj(s.status) ? s.status : {};
        const parent = jsonId(field(s, 'parentSpanId', 'parent_span_id'));
        let exception: string | null = null;
        if (Array.isArray(s.events)) {
          for (const e of s.events) {
            if (!isObj(e) || e.name !== 'exception') continue;
            const a = jsonAttributes(e.attributes);
            const m = a['exception.message'] ?? a['exception.type'];
            if (typeof m === 'string') exception = m;
          }
        }
        const flags = s.flags;
        c.add(
          jsonId(field(s, 'traceId', 'trace_id')), jsonId(field(s, 'spanId', 'span_id')), parent === '' ? null : parent,
          typeof flags === 'number' ? flags : 0, typeof s.name === 'string' ? s.name : '', jsonEnum(s.kind, KIND_NAMES),
          jsonNanos(field(s, 'startTimeUnixNano', 'start_time_unix_nano')), jsonNanos(field(s, 'endTimeUnixNano', 'end_time_unix_nano')),
          jsonEnum(status.code, STATUS_NAMES), typeof status.message === 'string' ? status.message : '',
          jsonAttributes(s.attributes), exception, resource, scope,
        );
      }
    }
  }
  return c.out;
}
