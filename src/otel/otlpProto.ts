// OTLP protobuf messages: the code OpenTelemetry generated from its official .proto definitions
// (shipped in @opentelemetry/otlp-proto-exporter-base), so no wire decoding is written here.
import * as protobuf from 'protobufjs';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const generated = require('@opentelemetry/otlp-proto-exporter-base/build/src/generated/root') as GeneratedRoot;

interface MessageClass {
  decode(bytes: Uint8Array): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  create(properties: unknown): unknown;
}
interface GeneratedRoot {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: MessageClass; ExportTraceServiceResponse: MessageClass } } } } };
}

// google.rpc.Status, the body OTLP/HTTP sends with an error; `details` (google.protobuf.Any) is
// left out: we never send any, and decoders skip fields they do not know.
const rpcStatusProto = `syntax = "proto3";
package google.rpc;
message Status { int32 code = 1; string message = 2; }`;

let rpcStatus: protobuf.Type | undefined;
const traceService = () => generated.opentelemetry.proto.collector.trace.v1;

/** 64-bit integers come back as long.js instances (protobufjs bundles long). */
export interface LongLike { toNumber(): number; toString(): string }

/** The decoded ExportTraceServiceRequest (protobufjs message objects, camelCase fields). */
export interface PbAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | LongLike;
  doubleValue?: number;
  arrayValue?: { values?: PbAnyValue[] } | null;
  kvlistValue?: { values?: PbKeyValue[] } | null;
  bytesValue?: Uint8Array;
  /** The name of the oneof member that is set (protobufjs virtual oneof property). */
  value?: string;
}
export interface PbKeyValue { key?: string; value?: PbAnyValue | null }
export interface PbSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  flags?: number;
  name?: string;
  kind?: number;
  startTimeUnixNano?: number | LongLike;
  endTimeUnixNano?: number | LongLike;
  attributes?: PbKeyValue[];
  events?: { name?: string; attributes?: PbKeyValue[] }[];
  status?: { code?: number; message?: string } | null;
}
export interface PbRequest {
  resourceSpans?: {
    resource?: { attributes?: PbKeyValue[] } | null;
    scopeSpans?: { scope?: { name?: string; version?: string } | null; spans?: PbSpan[] }[];
  }[];
}

/** Throws on bytes that are not an ExportTraceServiceRequest. */
export function decodeExportRequest(bytes: Uint8Array): PbRequest {
  return traceService().ExportTraceServiceRequest.decode(bytes) as PbRequest;
}

export function encodeExportResponse(rejectedSpans: number, errorMessage: string): Uint8Array {
  const t = traceService().ExportTraceServiceResponse;
  const body = rejectedSpans > 0 || errorMessage ? { partialSuccess: { rejectedSpans, errorMessage } } : {};
  return t.encode(t.create(body)).finish();
}

function rpcStatusType(): protobuf.Type {
  if (!rpcStatus) {
    const root = new protobuf.Root();
    protobuf.parse(rpcStatusProto, root, { keepCase: false });
    rpcStatus = root.lookupType('google.rpc.Status');
  }
  return rpcStatus;
}

export function encodeRpcStatus(code: number, message: string): Uint8Array {
  const t = rpcStatusType();
  return t.encode(t.create({ code, message })).finish();
}

export function decodeRpcStatus(bytes: Uint8Array): { code: number; message: string } {
  return rpcStatusType().decode(bytes) as unknown as { code: number; message: string };
}
