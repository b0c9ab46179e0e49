// What /v1/traces refuses, and how: the OTLP status codes, a google.rpc.Status body in the
// request's encoding, nothing stored, and the server still serving afterwards.
import * as assert from 'assert';
import * as zlib from 'zlib';
import { decodeRpcStatus } from '../../../src/otel/otlpProto';
import { runSpans, toJson, toProtobuf } from './scenario';
import { exporter, exportSpans, post, startHarness, type Harness } from './support';

const PB = { 'Content-Type': 'application/x-protobuf' };
const JSON_CT = { 'Content-Type': 'application/json' };

function pbStatus(body: Buffer): { code: number; message: string } {
  return decodeRpcStatus(body);
}

describe('otel: /v1/traces refusals', function () {
  let h: Harness;
  const LIMIT = 256 * 1024;
  beforeEach(async () => {
    h = await startHarness({ maxBytes: LIMIT });
  });
  afterEach(async () => {
    // Whatever was refused, the server still takes a good export, and only that is stored.
    const { spans } = runSpans();
    assert.strictEqual((await exportSpans(exporter(h.base, 'protobuf'), spans)).code, 0);
    assert.strictEqual((await h.engine.getSpans()).length, spans.length);
    await h.close();
  });

  it('400 for malformed protobuf, with a protobuf Status', async () => {
    const good = Buffer.from(toProtobuf(runSpans().spans));
    for (const body of [Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), good.subarray(0, good.length - 5), Buffer.from('{"resourceSpans":[]}x')]) {
      const r = await post(h.base, body, PB);
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.headers['content-type'], 'application/x-protobuf');
      const st = pbStatus(r.body);
      assert.strictEqual(st.code, 3, 'INVALID_ARGUMENT');
      assert.match(st.message, /malformed protobuf/);
    }
    assert.deepStrictEqual(await h.engine.getSpans(), []);
  });

  it('400 for malformed JSON, with a JSON Status', async () => {
    for (const body of ['{"resourceSpans": [', '[]', '{"resourceSpans": 5}', '']) {
      const r = await post(h.base, body, JSON_CT);
      assert.strictEqual(r.status, 400, body);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const st = JSON.parse(r.body.toString('utf8'));
      assert.strictEqual(st.code, 3);
      assert.ok(st.message.length > 0);
    }
    assert.deepStrictEqual(await h.engine.getSpans(), []);
  });

  it('400 for a body that is not gzip though it says so', async () => {
    const r = await post(h.base, Buffer.from(toProtobuf(runSpans().spans)), { ...PB, 'Content-Encoding': 'gzip' });
    assert.strictEqual(r.status, 400);
    assert.match(pbStatus(r.body).message, /gzip/);
  });

  it('415 for a content type or encoding it does not speak', async () => {
    const json = toJson(runSpans().spans);
    const cases: Record<string, string>[] = [{ 'Content-Type': 'text/plain' }, {}, { 'Content-Type': 'application/grpc' }, { ...JSON_CT, 'Content-Encoding': 'br' }];
    for (const headers of cases) {
      const r = await post(h.base, json, headers);
      assert.strictEqual(r.status, 415, JSON.stringify(headers));
    }
    assert.deepStrictEqual(await h.engine.getSpans(), []);
  });

  it('401 without the token or with a wrong one, 405 for other methods', async () => {
    const body = Buffer.from(toProtobuf(runSpans().spans));
    const none = await post(h.base, body, PB, false);
    assert.strictEqual(none.status, 401);
    assert.strictEqual(pbStatus(none.body).code, 16, 'UNAUTHENTICATED');
    const wrong = await post(h.base, body, PB, 'nope');
    assert.strictEqual(wrong.status, 401);
    const viaExporter = await exportSpans(exporter(h.base, 'json', 'none', 'nope'), runSpans().spans);
    assert.notStrictEqual(viaExporter.code, 0);
    const get = await post(h.base, '', {}, undefined, 'GET');
    assert.strictEqual(get.status, 405);
    assert.strictEqual(get.headers.allow, 'POST');
    assert.deepStrictEqual(await h.engine.getSpans(), []);
  });

  it('413 over the size limit, before and after decompression (zip bomb)', async () => {
    const big = Buffer.alloc(LIMIT + 1, 0x20);
    const over = await post(h.base, big, JSON_CT);
    assert.strictEqual(over.status, 413);
    // 64 MiB of zeros gzips to about 64 KiB: under the limit on the wire, far over it inflated.
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024));
    assert.ok(bomb.length < LIMIT);
    const r = await post(h.base, bomb, { ...PB, 'Content-Encoding': 'gzip' });
    assert.strictEqual(r.status, 413);
    assert.strictEqual(pbStatus(r.body).code, 8, 'RESOURCE_EXHAUSTED');
    assert.deepStrictEqual(await h.engine.getSpans(), []);
  });
});
