// Reading request bodies within a size limit and writing JSON answers and errors.
import type { IncomingMessage, ServerResponse } from 'http';
import type { Json } from '../core/types';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export type ErrorCode =
  | 'invalid_json'
  | 'invalid_field'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'store_unavailable'
  | 'team_unavailable'
  | 'internal_error';

/** An answer other than 2xx; `field` names the offending input when there is one. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function fieldError(field: string, problem: string): HttpError {
  return new HttpError(400, 'invalid_field', `${field}: ${problem}`, field);
}

/**
 * The whole body as a string, refusing (413) as soon as it passes `maxBytes`, whether or not a
 * Content-Length was sent: the limit is checked while streaming, nothing unbounded is buffered.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return (await readRawBody(req, maxBytes, () => tooLarge(maxBytes))).toString('utf8');
}

/** The body's bytes, refused with `tooLargeError()` past `maxBytes` (OTLP answers in its own error shape). */
export function readRawBody(req: IncomingMessage, maxBytes: number, tooLargeError: () => Error): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(tooLargeError());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        finish(tooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    const onError = (err: Error): void => finish(err);
    const onAborted = (): void => finish(new Error('request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'payload_too_large', `body: larger than the limit of ${maxBytes} bytes`, 'body', {
    Connection: 'close',
  });
}

const MAX_DEPTH = 64;

/**
 * Parses a JSON body. An empty body is `undefined`. Numbers JSON.parse turns into Infinity and
 * nesting deeper than 64 levels are refused here, so the store only ever holds JSON it can write back.
 */
export function parseJson(text: string): Json | undefined {
  if (text.trim() === '') return undefined;
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (e) {
    throw new HttpError(400, 'invalid_json', `body: malformed JSON (${(e as Error).message})`, 'body');
  }
  checkJson(value, 'body', 0);
  return value;
}

function checkJson(value: Json, where: string, depth: number): void {
  if (depth > MAX_DEPTH) throw fieldError(where, `nested deeper than ${MAX_DEPTH} levels`);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw fieldError(where, 'number out of range');
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJson(value[i], where, depth + 1);
  } else if (value !== null && typeof value === 'object') {
    for (const k of Object.keys(value)) checkJson(value[k], where, depth + 1);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  const bytes = Buffer.byteLength(text);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(bytes),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

/** 204: no body, so no Content-Type or Content-Length either. */
export function sendEmpty(res: ServerResponse, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(204, { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end();
}

export function sendError(res: ServerResponse, err: HttpError): void {
  const error: { code: string; message: string; field?: string } = { code: err.code, message: err.message };
  if (err.field !== undefined) error.field = err.field;
  sendJson(res, err.status, { error }, err.headers);
}

/** The Jarvis-Client header clients send ("python pid=4242 orchestrator.py"), if any. */
export function clientName(req: IncomingMessage): string | undefined {
  const v = req.headers['jarvis-client'];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}
