// An SDK pointed at the server by OTEL_EXPORTER_OTLP_ENDPOINT also exports metrics to /v1/metrics:
// checked like traces, answered 200 and not stored (logs are read: logs.test.ts).
import * as assert from 'assert';
import * as zlib from 'zlib';
import { OTLP_IGNORED_PATHS } from '../../../src/otel/otlpReceiver';
import { decodeRpcStatus } from '../../../src/otel/otlpProto';
import { post, startHarness, type Harness } from './support';

const PB = { 'Content-Type': 'application/x-protobuf' };
const JSON_CT = { 'Content-Type': 'application/json' };
// An export request with one empty entry in field 1 (resource_metrics).
const EXPORT_PB = Buffer.from([0x0a, 0x00]);

describe('otel: /v1/metrics', function () {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ maxBytes: 64 * 1024 });
  });
  afterEach(async () => {
    await h.close();
  });

  for (const [signal, route] of Object.entries(OTLP_IGNORED_PATHS) as ['metrics', string][]) {
    it(`${route}: 200 with an empty response in the request's encoding, nothing stored`, async () => {
      const before = h.engine.getMetrics();
      const pb = await post(h.base, EXPORT_PB, PB, undefined, 'POST', route);
      assert.strictEqual(pb.status, 200);
      assert.strictEqual(pb.headers['content-type'], 'application/x-protobuf');
      assert.strictEqual(pb.body.length, 0);
      const js = await post(h.base, zlib.gzipSync('{"resourceLogs":[]}'), { ...JSON_CT, 'Content-Encoding': 'gzip' }, undefined, 'POST', route);
      assert.strictEqual(js.status, 200);
      assert.deepStrictEqual(JSON.parse(js.body.toString('utf8')), {});
      assert.strictEqual(h.receiver.counters.ignored[signal], 2);
      assert.strictEqual(h.receiver.counters.requests, 0);
      const after = h.engine.getMetrics();
      assert.strictEqual(after.events_total, before.events_total, 'a dropped signal was written');
      assert.deepStrictEqual(await h.engine.getSpans(), []);
    });

    it(`${route}: refused like /v1/traces without the token, with a wrong method, type or size`, async () => {
      const noToken = await post(h.base, EXPORT_PB, PB, false, 'POST', route);
      assert.strictEqual(noToken.status, 401);
      assert.strictEqual(decodeRpcStatus(noToken.body).code, 16, 'UNAUTHENTICATED');
      const get = await post(h.base, '', JSON_CT, undefined, 'GET', route);
      assert.strictEqual(get.status, 405);
      assert.strictEqual(get.headers.allow, 'POST');
      assert.strictEqual((await post(h.base, 'x', { 'Content-Type': 'text/plain' }, undefined, 'POST', route)).status, 415);
      assert.strictEqual((await post(h.base, Buffer.alloc(65 * 1024), PB, undefined, 'POST', route)).status, 413);
      assert.strictEqual(h.receiver.counters.ignored[signal], 0);
    });
  }
});
