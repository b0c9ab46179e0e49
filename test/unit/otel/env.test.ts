// The OTEL_* variables set for terminals: an SDK configured only by them reaches /v1/traces with
// the token (checked with the JS exporter reading the variables itself).
import * as assert from 'assert';
import { OTEL_ENV, otelEnvironment, shellExports } from '../../../src/otel/otelEnv';
import { runSpans } from './scenario';
import { exportSpans, startHarness, TOKEN } from './support';

describe('otel: environment for exporters', () => {
  it('points at the server origin with a percent-encoded bearer header', () => {
    const env = otelEnvironment('http://127.0.0.1:4321/api/jarvis/context', 'abc-_DEF');
    assert.deepStrictEqual(env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4321',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc-_DEF',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SEMCONV_STABILITY_OPT_IN: 'gen_ai_latest_experimental',
    });
    assert.strictEqual(shellExports({ A: "it's" }), "export A='it'\\''s'\n");
  });

  it('is all an SDK exporter needs to deliver spans', async () => {
    const h = await startHarness();
    const saved = { ...process.env };
    try {
      Object.assign(process.env, otelEnvironment(`${h.base}/api/jarvis/context`, TOKEN));
      // Loaded after the variables are set; configured by nothing else.
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      const { spans } = runSpans();
      const r = await exportSpans(new OTLPTraceExporter(), spans);
      assert.strictEqual(r.code, 0, String(r.error));
      assert.strictEqual((await h.engine.getSpans()).length, spans.length);
      assert.ok(process.env[OTEL_ENV.headers]!.includes('%20'));
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      await h.close();
    }
  });
});
