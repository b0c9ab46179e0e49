// A span PostgreSQL could not store (NUL or a lone surrogate in an attribute's value or key) is
// set aside as a rejected span of a partial success; the rest of the export is stored.
import * as assert from 'assert';
import { post, startHarness, type Harness } from './support';

const TRACE = '0123456789abcdef0123456789abcdef';
/** A span as OTLP/JSON writes it, with one attribute given as raw JSON text. */
const span = (spanId: string, name: string, attribute: string) =>
  `{"traceId":"${TRACE}","spanId":"${spanId}","name":"${name}","kind":1,"startTimeUnixNano":"1764000000000000000",` +
  `"endTimeUnixNano":"1764000001000000000","attributes":[${attribute}]}`;

describe('otel: spans that cannot be stored everywhere', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('are rejected one by one, naming the place; the good span is stored as sent', async () => {
    const body = `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"s"},"spans":[${[
      span('0123456789abcdef', 'good', '{"key":"note","value":{"stringValue":"fine \\ud83d\\ude00 \\u0001"}}'),
      span('1123456789abcdef', 'lone', '{"key":"note","value":{"stringValue":"x\\ud800"}}'),
      span('2123456789abcdef', 'nul key', '{"key":"k\\u0000","value":{"intValue":"1"}}'),
    ].join(',')}]}]}]}`;
    const r = await post(h.base, body, { 'Content-Type': 'application/json' });
    assert.strictEqual(r.status, 200, r.body.toString());
    const answer = JSON.parse(r.body.toString('utf8'));
    assert.strictEqual(answer.partialSuccess.rejectedSpans, '2');
    assert.strictEqual(answer.partialSuccess.errorMessage,
      '2 span(s) rejected: span 1123456789abcdef: attributes.note: lone surrogate at index 1; ' +
      'span 2123456789abcdef: attributes["k\\u0000"]: key has a NUL (U+0000) at index 1');
    const stored = await h.engine.getSpans();
    assert.deepStrictEqual(stored.map(s => s.name), ['good']);
    assert.strictEqual(stored[0].attributes.note, 'fine 😀 \u0001');
  });
});
