// POST /v1/logs: where GenAI instrumentations put message content (gen_ai.user.message,
// gen_ai.choice, gen_ai.tool.message events, or the newer inference details event). Only log
// records that name a span and a GenAI event are read; their content becomes the span's
// gen_ai.input.messages / gen_ai.output.messages, so a model call's tool choice is known by name.
import * as protobuf from 'protobufjs';
import type { Json, JsonObject } from '../core/types';
import { findUnstorableField } from '../core/validate';
import { isObj, parsed } from './conventions/read';
import { jsonAnyValue, jsonHexId, OtlpDecodeError, protobufAnyValue, protobufField as pb, spanKey } from './otlpDecode';
import type { OtlpLimits } from './otlpLimits';

export interface GenAiLogEvent {
  trace_id: string;
  span_id: string;
  event: string;
  body: Json;
  attributes: JsonObject;
}

export interface DecodedLogs {
  events: GenAiLogEvent[];
  /** Records read past (no span, not a GenAI event, or over the limit). */
  skipped: number;
}

const ID = { trace: /^[0-9a-f]{32}$/, span: /^[0-9a-f]{16}$/ };
const isGenAiEvent = (name: string): boolean => name.startsWith('gen_ai.');

// ---- protobuf: ExportLogsServiceRequest { ResourceLogs resource_logs = 1 { ScopeLogs scope_logs = 2 { LogRecord log_records = 2 } } }

export function decodeProtobufLogs(body: Uint8Array, limits: OtlpLimits): DecodedLogs {
  const out: DecodedLogs = { events: [], skipped: 0 };
  const r = protobuf.Reader.create(body);
  try {
    nested(r, r.len, 1, e1 => nested(r, e1, 2, e2 => nested(r, e2, 2, e3 => pbRecord(r, e3, limits, out))));
  } catch (e) {
    throw new OtlpDecodeError(`body: not a valid ExportLogsServiceRequest (${e instanceof Error ? e.message : String(e)})`);
  }
  return out;
}

/** Calls `each` for every occurrence of one length-delimited field; skips the others. */
function nested(r: protobuf.Reader, end: number, field: number, each: (end: number) => void): void {
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 !== field) {
      pb.skipField(r, tag);
      continue;
    }
    const e = pb.subEnd(r, tag);
    each(e);
    r.pos = e;
  }
  pb.atEnd(r, end);
}

function pbRecord(r: protobuf.Reader, end: number, limits: OtlpLimits, out: DecodedLogs): void {
  let traceId = '';
  let spanId = '';
  let event = '';
  // Body and attributes are read only once the record is known to be wanted: kept as positions.
  let bodyAt: [number, number] | null = null;
  const attrsAt: [number, number][] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 5: { const e = pb.subEnd(r, tag); bodyAt = [r.pos, e]; r.pos = e; break; }
      case 6: { const e = pb.subEnd(r, tag); if (attrsAt.length < limits.maxAttributes) attrsAt.push([r.pos, e]); r.pos = e; break; }
      case 9: pb.checkWire(tag, pb.WIRE.bytes); traceId = pb.hex(r.bytes()); break;
      case 10: pb.checkWire(tag, pb.WIRE.bytes); spanId = pb.hex(r.bytes()); break;
      case 12: pb.checkWire(tag, pb.WIRE.bytes); event = r.string(); break;
      default: pb.skipField(r, tag);
    }
  }
  pb.atEnd(r, end);
  const attributes: JsonObject = {};
  for (const [from, to] of attrsAt) {
    r.pos = from;
    let key = '';
    let value: Json = null;
    while (r.pos < to) {
      const tag = r.uint32();
      if (tag >>> 3 === 1) { pb.checkWire(tag, pb.WIRE.bytes); key = r.string(); }
      else if (tag >>> 3 === 2) { const e = pb.subEnd(r, tag); value = protobufAnyValue(r, e, limits); r.pos = e; }
      else pb.skipField(r, tag);
    }
    if (key !== '') attributes[key] = value;
  }
  if (!event && typeof attributes['event.name'] === 'string') event = attributes['event.name'] as string;
  if (!wanted(traceId, spanId, event, out, limits)) return;
  let body: Json = null;
  if (bodyAt) {
    r.pos = bodyAt[0];
    body = protobufAnyValue(r, bodyAt[1], limits);
  }
  r.pos = end;
  keep(out, { trace_id: traceId, span_id: spanId, event, body, attributes });
}

/** An event the store could not hold (a NUL, a lone surrogate) is read past, as a span would be rejected. */
function keep(out: DecodedLogs, e: GenAiLogEvent): void {
  if (findUnstorableField('', e.body) || findUnstorableField('', e.attributes)) out.skipped++;
  else out.events.push(e);
}

function wanted(traceId: string, spanId: string, event: string, out: DecodedLogs, limits: OtlpLimits): boolean {
  if (!ID.trace.test(traceId) || !ID.span.test(spanId) || /^0+$/.test(spanId) || !isGenAiEvent(event) || event.length > 256 || out.events.length >= limits.maxSpans) {
    out.skipped++;
    return false;
  }
  return true;
}

// ---- JSON -----------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const list = (o: unknown, camel: string, snake: string): unknown[] => {
  if (!isObj(o)) return [];
  const v = (o as Obj)[camel] ?? (o as Obj)[snake];
  return Array.isArray(v) ? v : [];
};

export function decodeJsonLogs(text: string, limits: OtlpLimits): DecodedLogs {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new OtlpDecodeError(`body: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObj(root)) throw new OtlpDecodeError('body: not an ExportLogsServiceRequest object');
  const out: DecodedLogs = { events: [], skipped: 0 };
  for (const rl of list(root, 'resourceLogs', 'resource_logs')) {
    for (const sl of list(rl, 'scopeLogs', 'scope_logs')) {
      for (const rec of list(sl, 'logRecords', 'log_records')) {
        if (!isObj(rec)) continue;
        const o = rec as Obj;
        const attributes: JsonObject = {};
        for (const kv of list(o, 'attributes', 'attributes').slice(0, limits.maxAttributes)) {
          if (isObj(kv) && typeof kv.key === 'string' && kv.key !== '') attributes[kv.key] = safe(() => jsonAnyValue(kv.value, limits));
        }
        const named = o.eventName ?? o.event_name;
        const event = typeof named === 'string' && named ? named : typeof attributes['event.name'] === 'string' ? (attributes['event.name'] as string) : '';
        const traceId = jsonHexId(o.traceId ?? o.trace_id);
        const spanId = jsonHexId(o.spanId ?? o.span_id);
        if (!wanted(traceId, spanId, event, out, limits)) continue;
        keep(out, { trace_id: traceId, span_id: spanId, event, body: safe(() => jsonAnyValue(o.body, limits)), attributes });
      }
    }
  }
  return out;
}

/** A value nested too deep is left out, not the whole request. */
function safe(read: () => Json): Json {
  try {
    return read();
  } catch {
    return null;
  }
}

// ---- events into span attributes ----------------------------------------------------------------

/** Messages kept per span: the conversation's end, which the model call answered. */
export const MAX_LOGGED_MESSAGES = 64;

const ROLE: Record<string, string> = {
  'gen_ai.system.message': 'system', 'gen_ai.user.message': 'user', 'gen_ai.assistant.message': 'assistant', 'gen_ai.tool.message': 'tool',
};

/** OpenAI-style tool_calls ([{ id, function: { name, arguments } }]) as GenAI tool_call parts. */
function toolCallParts(calls: Json | undefined): JsonObject[] {
  const out: JsonObject[] = [];
  for (const c of Array.isArray(calls) ? calls : []) {
    if (!isObj(c)) continue;
    const fn = isObj(c.function) ? c.function : c;
    if (typeof fn.name !== 'string') continue;
    out.push({ type: 'tool_call', id: typeof c.id === 'string' ? c.id : null, name: fn.name, arguments: parsed(fn.arguments) ?? null });
  }
  return out;
}

function messageParts(m: JsonObject): JsonObject[] {
  const parts: JsonObject[] = [];
  if (typeof m.content === 'string' && m.content !== '') parts.push({ type: 'text', content: m.content });
  parts.push(...toolCallParts(m.tool_calls));
  return parts;
}

/**
 * The span attributes a span's log events stand for: gen_ai.input.messages (system, user,
 * assistant and tool messages in order) and gen_ai.output.messages (the choices); the newer
 * single event carries both as attributes already.
 */
export function attributesFromEvents(events: readonly GenAiLogEvent[]): Map<string, JsonObject> {
  const bySpan = new Map<string, { input: Json[]; output: Json[]; direct: JsonObject }>();
  for (const e of events) {
    const key = spanKey(e.trace_id, e.span_id);
    let acc = bySpan.get(key);
    if (!acc) bySpan.set(key, (acc = { input: [], output: [], direct: {} }));
    const body = isObj(e.body) ? e.body : {};
    const role = ROLE[e.event];
    if (role) {
      const m: JsonObject = { role, parts: messageParts(body) };
      if (role === 'tool') m.parts = [{ type: 'tool_call_response', id: typeof body.id === 'string' ? body.id : null, response: body.content ?? null }];
      acc.input.push(m);
    } else if (e.event === 'gen_ai.choice') {
      const msg = isObj(body.message) ? body.message : {};
      acc.output.push({ role: 'assistant', parts: messageParts(msg), finish_reason: typeof body.finish_reason === 'string' ? body.finish_reason : null });
    } else {
      for (const k of ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions']) {
        if (e.attributes[k] !== undefined) acc.direct[k] = e.attributes[k];
      }
    }
  }
  const out = new Map<string, JsonObject>();
  for (const [key, acc] of bySpan) {
    const attrs: JsonObject = { ...acc.direct };
    if (acc.input.length && attrs['gen_ai.input.messages'] === undefined) attrs['gen_ai.input.messages'] = acc.input.slice(-MAX_LOGGED_MESSAGES);
    if (acc.output.length && attrs['gen_ai.output.messages'] === undefined) attrs['gen_ai.output.messages'] = acc.output.slice(0, MAX_LOGGED_MESSAGES);
    if (Object.keys(attrs).length) out.set(key, attrs);
  }
  return out;
}
