// What one OTLP export may cost: work bounded by counts, not only bytes (a few KB of gzip that
// inflate to millions of empty attributes), decoding that leaves the event loop free, and bad
// spans rejected one by one with the rest of the batch stored.
import * as assert from 'assert';
import { monitorEventLoopDelay } from 'perf_hooks';
import * as zlib from 'zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeJsonTraces, decodeProtobufTraces, DROPPED_ATTRIBUTES_KEY, maxJsonPerSpan } from '../../../src/otel/otlpDecode';
import { DEFAULT_OTLP_LIMITS, otlpLimitsFromEnv } from '../../../src/otel/otlpLimits';
import { request } from '../server/support';
import { runSpans, toJson, toProtobuf } from './scenario';
import { post, startHarness, TOKEN, type Harness, type RawAnswer } from './support';

const PB = { 'Content-Type': 'application/x-protobuf' };
const JSON_CT = { 'Content-Type': 'application/json' };
const API = '/api/jarvis/context';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A length-delimited protobuf field. */
function field(fieldNo: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((fieldNo << 3) | 2), varint(payload.length), payload]);
}

/** ExportTraceServiceRequest with one span holding `count` empty attributes (2 bytes each). */
function attributeBomb(count: number, spanId: string): Buffer {
  const start = Buffer.alloc(9);
  start[0] = (7 << 3) | 1; // start_time_unix_nano, fixed64
  start.writeBigUInt64LE(BigInt(Date.parse('2025-06-01T10:00:00Z')) * 1_000_000n, 1);
  const empties = Buffer.alloc(count * 2);
  for (let i = 0; i < empties.length; i += 2) empties[i] = (9 << 3) | 2; // attributes, length 0
  const span = Buffer.concat([
    field(1, Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex')), field(2, Buffer.from(spanId, 'hex')),
    field(5, Buffer.from('bomb')), start, empties,
  ]);
  return field(1, field(2, field(2, span)));
}

function partialOf(body: Buffer): { rejected: number; message: string } {
  const p = (ProtobufTraceSerializer.deserializeResponse(body) as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: string } }).partialSuccess;
  return { rejected: Number(p?.rejectedSpans ?? 0), message: p?.errorMessage ?? '' };
}

interface OtlpJson { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] }
const spansOf = (json: OtlpJson): Record<string, unknown>[] => json.resourceSpans[0].scopeSpans[0].spans;

describe('otel: limits on one export', function () {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /**
   * Sends `copies` of `body` at once while a good export and GET /status go on beside it; measures the longest block
   * of the event loop and the RSS growth. Before it, a decision is written over REST: it must
   * still be there after.
   */
  async function underLoad(harness: Harness, body: Buffer, headers: Record<string, string>, copies = 1): Promise<RawAnswer[]> {
    const base = harness.base;
    const decision = await request(base, `${API}/decisions`, TOKEN, {
      method: 'POST', body: { decision_type: 'plan', context: 'before the bomb', decision: 'd', reasoning: 'r' },
    });
    assert.strictEqual(decision.status, 201);
    const rss0 = process.memoryUsage().rss;
    let rssMax = rss0;
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    let answered = false;
    let statusesBefore = 0;
    const bomb = Promise.all(Array.from({ length: copies }, () => post(base, body, headers))).finally(() => {
      answered = true;
    });
    const good = post(base, Buffer.from(toProtobuf(runSpans({ conversationId: 'beside' }).spans)), PB);
    const statuses = (async () => {
      while (!answered) {
        const s = await request(base, `${API}/status`, TOKEN);
        assert.strictEqual(s.status, 200);
        if (!answered) statusesBefore++;
        rssMax = Math.max(rssMax, process.memoryUsage().rss);
      }
    })();
    const [r, g] = await Promise.all([bomb, good, statuses]);
    delay.disable();

    // Measured directly, not as wall time. Alone the longest block is 30 to 50 ms, GC included
    // (decoding runs in 8 ms slices); before the limits it was 3 to 10 s. The bound leaves room
    // for a loaded 2-core machine that deschedules the process.
    const blockedMs = delay.max / 1e6;
    assert.ok(blockedMs < 1000, `event loop blocked ${blockedMs.toFixed(0)} ms`);
    assert.ok(statusesBefore >= 1, 'GET /status was answered while the export was decoded');
    assert.ok(rssMax - rss0 < 300 * 1024 * 1024, `RSS grew ${((rssMax - rss0) / 2 ** 20).toFixed(0)} MB`);
    assert.strictEqual(g.status, 200);
    assert.strictEqual((await harness.engine.getSpans({ conversation_id: 'beside', limit: 100 })).length, runSpans().spans.length);
    const decisions = await harness.engine.getDecisions();
    assert.strictEqual(decisions.filter(d => d.context === 'before the bomb').length, 1, 'the decision written before is still there');
    return r;
  }

  it('8 million empty attributes in 16 KB of gzip, three at once: counted, not built; the event loop stays free and nothing else is lost', async function () {
    this.timeout(120_000);
    h = await startHarness();
    const raw = attributeBomb(8_000_000, 'b7ad6b7169203331');
    assert.ok(raw.length > 15_000_000 && raw.length <= 16 * 1024 * 1024, `${raw.length} bytes`);
    const gz = zlib.gzipSync(raw, { level: 9 });
    assert.ok(gz.length < 40_000, `${gz.length} bytes of gzip`);

    // Three at once: the decoders share the event loop's slices rather than each taking its own.
    const answers = await underLoad(h, gz, { ...PB, 'Content-Encoding': 'gzip' }, 3);
    for (const r of answers) {
      assert.strictEqual(r.status, 200, r.body.toString());
      // Full success with a warning, as the OTLP specification allows: rejected 0, a message.
      const partial = partialOf(r.body);
      assert.strictEqual(partial.rejected, 0);
      assert.match(partial.message, /8000000 attribute\(s\) dropped/);
    }
    const bombSpan = (await h.engine.getSpans({ limit: 100 })).find(s => s.span_id === 'b7ad6b7169203331');
    assert.ok(bombSpan, 'the span itself is kept');
    assert.deepStrictEqual(bombSpan.attributes, { [DROPPED_ATTRIBUTES_KEY]: 8_000_000 });
    assert.strictEqual(h.receiver.counters.droppedAttributes, 3 * 8_000_000);
  });

  it('the same in OTLP/JSON: the oversized span is rejected unparsed, the others of the batch stored', async function () {
    this.timeout(120_000);
    h = await startHarness();
    const { spans, traceId } = runSpans();
    const json = toJson(spans);
    const bomb = `{"traceId":"${traceId}","spanId":"b7ad6b7169203331","name":"bomb","startTimeUnixNano":"1748772000000000000",`
      + `"attributes":[${'{},'.repeat(5_000_000)}{}]}`;
    const body = json.replace('"spans":[', `"spans":[${bomb},`);
    assert.ok(body.length > 15_000_000 && body.length <= 16 * 1024 * 1024, `${body.length} bytes`);
    const gz = zlib.gzipSync(body, { level: 9 });

    const [r] = await underLoad(h, gz, { ...JSON_CT, 'Content-Encoding': 'gzip' });
    assert.strictEqual(r.status, 200, r.body.toString());
    const partial = JSON.parse(r.body.toString('utf8')).partialSuccess;
    assert.strictEqual(partial.rejectedSpans, '1');
    assert.match(partial.errorMessage, new RegExp(`more than ${maxJsonPerSpan(DEFAULT_OTLP_LIMITS)} JSON objects and arrays`));
    assert.strictEqual((await h.engine.getSpans({ trace_id: traceId, limit: 100 })).length, spans.length);
  });

  it('a start time of 1e300 in OTLP/JSON rejects that span only: 200, partialSuccess, the rest stored', async () => {
    h = await startHarness();
    const { spans, traceId } = runSpans();
    const json = JSON.parse(toJson(spans)) as OtlpJson;
    const bad = spansOf(json)[1];
    bad.startTimeUnixNano = 1e300;
    const r = await post(h.base, JSON.stringify(json), JSON_CT);
    assert.strictEqual(r.status, 200, r.body.toString());
    const body = JSON.parse(r.body.toString('utf8'));
    assert.strictEqual(body.partialSuccess.rejectedSpans, '1');
    assert.match(body.partialSuccess.errorMessage, new RegExp(`span ${bad.spanId}: start_time_unix_nano out of range`));
    // (GET /spans is in API.md but not served yet: read back through the engine.)
    const ids = (await h.engine.getSpans({ trace_id: traceId, limit: 100 })).map(s => s.span_id).sort();
    const expected = spansOf(json).map(s => String(s.spanId)).filter(id => id !== bad.spanId).sort();
    assert.deepStrictEqual(ids, expected);
  });

  it('rejects each span with a bad time, id or name and keeps the others; never a 500', async () => {
    h = await startHarness();
    const { spans } = runSpans();
    const json = JSON.parse(toJson(spans)) as OtlpJson;
    const list = spansOf(json);
    const cases: [string, (s: Record<string, unknown>) => void, RegExp][] = [
      ['end 1e300', s => { s.endTimeUnixNano = 1e300; }, /end_time_unix_nano out of range/],
      ['negative start', s => { s.startTimeUnixNano = -5; }, /start_time_unix_nano out of range/],
      ['start after 9999', s => { s.startTimeUnixNano = 3e20; }, /start_time_unix_nano out of range/],
      ['start not a number', s => { s.startTimeUnixNano = 'soon'; }, /start_time_unix_nano out of range/],
      ['short trace id', s => { s.traceId = 'abcd'; }, /invalid trace_id/],
      ['long span id', s => { s.spanId = '00112233445566778899'; }, /invalid span_id/],
      ['name not a string', s => { s.name = { a: 1 }; }, /name must be a string/],
    ];
    cases.forEach(([, spoil], i) => spoil(list[i]));
    const r = await post(h.base, JSON.stringify(json), JSON_CT);
    assert.strictEqual(r.status, 200, r.body.toString());
    const body = JSON.parse(r.body.toString('utf8'));
    assert.strictEqual(body.partialSuccess.rejectedSpans, String(cases.length));
    // The message names the first few.
    for (const [what, , re] of cases.slice(0, 4)) assert.match(body.partialSuccess.errorMessage, re, what);
    assert.strictEqual((await h.engine.getSpans({ limit: 100 })).length, spans.length - cases.length);
    // The decoder names every one of them.
    const d = decodeJsonTraces(JSON.stringify(json));
    assert.strictEqual(d.rejected, cases.length);
  });

  it('an end before the start is kept, zero long', () => {
    const json = JSON.parse(toJson(runSpans().spans)) as OtlpJson;
    const s = spansOf(json)[0];
    s.endTimeUnixNano = String(BigInt(String(s.startTimeUnixNano)) - 1_000_000_000n);
    const d = decodeJsonTraces(JSON.stringify(json));
    assert.strictEqual(d.rejected, 0);
    assert.strictEqual(d.spans[0].end_time, d.spans[0].start_time);
  });

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`keeps ${DEFAULT_OTLP_LIMITS.maxAttributes} of a span's 1,000 attributes and records the 872 dropped (${encoding})`, async () => {
      h = await startHarness();
      const { spans } = runSpans();
      const wide = spans[0] as ReadableSpan & { attributes: Record<string, unknown> };
      const own = Object.keys(wide.attributes).length;
      for (let i = own; i < 1000; i++) wide.attributes[`extra.${i}`] = i;
      const body = encoding === 'protobuf' ? Buffer.from(toProtobuf(spans)) : toJson(spans);
      const r = await post(h.base, body, encoding === 'protobuf' ? PB : JSON_CT);
      assert.strictEqual(r.status, 200);
      const partial = encoding === 'protobuf' ? partialOf(r.body) : (() => {
        const p = JSON.parse(r.body.toString('utf8')).partialSuccess;
        return { rejected: Number(p.rejectedSpans), message: p.errorMessage as string };
      })();
      assert.strictEqual(partial.rejected, 0);
      assert.match(partial.message, /872 attribute\(s\) dropped/);
      const stored = (await h.engine.getSpans({ limit: 100 })).find(s => s.span_id === wide.spanContext().spanId)!;
      const keys = Object.keys(stored.attributes).filter(k => k !== DROPPED_ATTRIBUTES_KEY);
      assert.strictEqual(keys.length, DEFAULT_OTLP_LIMITS.maxAttributes);
      assert.strictEqual(stored.attributes[DROPPED_ATTRIBUTES_KEY], 872);
      // The first ones are kept: the GenAI attributes the mapping reads come first.
      for (const k of Object.keys(wide.attributes).slice(0, own)) assert.ok(k in stored.attributes, k);
      assert.strictEqual((await h.engine.getSpans({ limit: 100 })).length, spans.length);
    });
  }

  it('spans over the per-request limit are rejected unread, the first ones stored', async () => {
    h = await startHarness({ limits: { maxSpans: 5 } });
    const { spans } = runSpans();
    assert.ok(spans.length > 5);
    const r = await post(h.base, Buffer.from(toProtobuf(spans)), PB);
    assert.strictEqual(r.status, 200);
    const partial = partialOf(r.body);
    assert.strictEqual(partial.rejected, spans.length - 5);
    assert.match(partial.message, new RegExp(`${spans.length - 5} span\\(s\\) over the limit of 5 per request`));
    assert.strictEqual((await h.engine.getSpans({ limit: 100 })).length, 5);
  });

  it('a value nested deeper than the limit rejects its span (protobuf and JSON); in a resource, the request', () => {
    const deep = (levels: number): Record<string, unknown> => {
      let v: Record<string, unknown> = { stringValue: 'leaf' };
      for (let i = 0; i < levels; i++) v = { arrayValue: { values: [v] } };
      return v;
    };
    const json = JSON.parse(toJson(runSpans().spans)) as OtlpJson;
    const list = spansOf(json);
    (list[0].attributes as unknown[]).push({ key: 'deep', value: deep(DEFAULT_OTLP_LIMITS.maxDepth + 1) });
    (list[1].attributes as unknown[]).push({ key: 'ok', value: deep(DEFAULT_OTLP_LIMITS.maxDepth) });
    const d = decodeJsonTraces(JSON.stringify(json));
    assert.strictEqual(d.rejected, 1);
    assert.match(d.problems[0], /nested deeper than 16 levels/);
    assert.strictEqual(d.spans.length, list.length - 1);

    // The same request as protobuf, through the generated encoder.
    const { spans } = runSpans();
    const pbDeep = (levels: number): unknown => (levels === 0 ? 'leaf' : [pbDeep(levels - 1)]);
    (spans[0] as unknown as { attributes: Record<string, unknown> }).attributes.deep = pbDeep(DEFAULT_OTLP_LIMITS.maxDepth + 1);
    const p = decodeProtobufTraces(toProtobuf(spans));
    assert.strictEqual(p.rejected, 1);
    assert.match(p.problems[0], /nested deeper than 16 levels/);

    const resourceAttrs = (json.resourceSpans[0] as unknown as { resource: { attributes: unknown[] } }).resource.attributes;
    resourceAttrs.push({ key: 'deep', value: deep(20) });
    assert.throws(() => decodeJsonTraces(JSON.stringify(json)), /resource: an attribute value is nested deeper/);
    // Far deeper JSON is refused before JSON.parse builds it.
    resourceAttrs.push({ key: 'deeper', value: deep(1000) });
    assert.throws(() => decodeJsonTraces(JSON.stringify(json)), /JSON nested deeper than 76 levels/);
  });

  it('a failed span without a message takes its exception\'s, from the events within the limit only', () => {
    const { spans } = runSpans();
    const failed = spans.find(s => s.name === 'execute_tool fetch_page') as unknown as {
      status: { code: number; message?: string }; events: { name: string; attributes: Record<string, unknown>; time: [number, number] }[];
    };
    failed.status = { code: 2 };
    const at = failed.events[0].time;
    failed.events.unshift({ name: 'retry', attributes: { attempt: 1 }, time: at });
    failed.events.push({ name: 'exception', attributes: { 'exception.type': 'Later' }, time: at });
    const messageOf = (d: { spans: { name: string; status_message: string | null }[] }): string | null =>
      d.spans.find(s => s.name === 'execute_tool fetch_page')!.status_message;
    for (const decode of [(l = DEFAULT_OTLP_LIMITS) => decodeProtobufTraces(toProtobuf(spans), l), (l = DEFAULT_OTLP_LIMITS) => decodeJsonTraces(toJson(spans), l)]) {
      assert.strictEqual(messageOf(decode()), 'timeout after 30 s');
      assert.strictEqual(messageOf(decode({ ...DEFAULT_OTLP_LIMITS, maxEvents: 1 })), null, 'the exception is the second event');
    }
  });

  it('OTLP/JSON cut into spans reads the same: brackets and escaped quotes in strings, escaped keys', () => {
    const { spans } = runSpans();
    const json = JSON.parse(toJson(spans)) as OtlpJson;
    (spansOf(json)[0].attributes as unknown[]).push({ key: 'tricky "}]{[\\', value: { stringValue: '\\"]}], "spans": [{' } });
    const plain = JSON.stringify(json);
    const expected = decodeJsonTraces(plain);
    assert.strictEqual(expected.spans.length, spans.length);
    assert.strictEqual(expected.spans[0].attributes['tricky "}]{[\\'], '\\"]}], "spans": [{');
    // A key spelled with an escape is not seen by the cutting scan: those spans are parsed with the rest.
    const escapedKey = plain.replace('"spans":', '"sp\\u0061ns":');
    assert.deepStrictEqual(decodeJsonTraces(escapedKey).spans, expected.spans);
  });

  it('reads its limits from the environment, ignoring values that are not positive integers', () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
    const l = otlpLimitsFromEnv({ JARVIS_OTLP_MAX_SPANS: '100', JARVIS_OTLP_MAX_ATTRIBUTES: '0', JARVIS_OTLP_MAX_DEPTH: 'x' }, logger as never);
    assert.deepStrictEqual(l, { ...DEFAULT_OTLP_LIMITS, maxSpans: 100 });
    assert.strictEqual(warnings.length, 2);
  });
});
