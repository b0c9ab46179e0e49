// A real engine in a temp folder behind the real REST server on 127.0.0.1, serving /v1/traces
// through the OTLP mount, and the SDK's OTLP exporters pointed at it.
import * as http from 'http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ContextEngine } from '../../../src/core/engine';
import type { OtlpLimits } from '../../../src/otel/otlpLimits';
import { otlpMounts, OTLP_TRACES_PATH, type OtlpTraceReceiver } from '../../../src/otel/otlpReceiver';
import { JarvisServer } from '../../../src/server/server';
import { openEngine, tempDir } from '../server/support';

export { openEngine, tempDir };

export const TOKEN = 'test-token-0123456789';

export interface Harness {
  engine: ContextEngine;
  receiver: OtlpTraceReceiver;
  /** http://127.0.0.1:<port> — what OTEL_EXPORTER_OTLP_ENDPOINT would be. */
  base: string;
  /** Content-Type and Content-Encoding of each request, to check what the exporters really sent. */
  seen: { type: string; encoding: string }[];
  close(): Promise<void>;
}

export async function startHarness(opts: { maxBytes?: number; folder?: string; limits?: Partial<OtlpLimits> } = {}): Promise<Harness> {
  const engine = await openEngine(opts.folder ?? tempDir('jarvis-otel-'));
  const [mount, ...others] = otlpMounts({ engine, token: TOKEN, maxBytes: opts.maxBytes, limits: opts.limits });
  const seen: Harness['seen'] = [];
  const server = await JarvisServer.start({
    engine, port: 0, token: TOKEN, writeEndpointFile: false,
    mounts: [{
      path: mount.path,
      handle: (req, res) => {
        seen.push({ type: req.headers['content-type'] ?? '', encoding: req.headers['content-encoding'] ?? '' });
        return mount.handle(req, res);
      },
    }, ...others],
  });
  return {
    engine, receiver: mount.receiver, base: `http://127.0.0.1:${server.port}`, seen,
    close: async () => {
      await server.close();
      await engine.close();
    },
  };
}

export type Encoding = 'protobuf' | 'json';

export function exporter(base: string, encoding: Encoding, compression: 'gzip' | 'none' = 'none', token = TOKEN): SpanExporter {
  const config = { url: `${base}${OTLP_TRACES_PATH}`, headers: { Authorization: `Bearer ${token}` }, compression } as const;
  // The config's compression is an enum of string values ('gzip' | 'none').
  return encoding === 'protobuf' ? new ProtoExporter(config as never) : new JsonExporter(config as never);
}

/** ExportResultCode.SUCCESS is 0, FAILED 1. */
export interface ExportOutcome { code: number; error?: Error }

export function exportSpans(exp: SpanExporter, spans: ReadableSpan[]): Promise<ExportOutcome> {
  return new Promise(resolve => exp.export(spans, resolve));
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request a well-behaved exporter would not send. */
export function post(
  base: string, body: Buffer | string, headers: Record<string, string>, token: string | false = TOKEN, method = 'POST',
  route = OTLP_TRACES_PATH,
): Promise<RawAnswer> {
  const h: Record<string, string> = { ...headers };
  if (token !== false) h.Authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${route}`, { method, headers: h }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
