// OpenAI Node SDK with @opentelemetry/instrumentation-openai (message content on, which it sends as
// log records), against the fake model: the hand-written tool loop of openaiWeatherLoop.js.
'use strict';
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');
const { logs } = require('@opentelemetry/api-logs');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { run, startCapture, writeFixture } = require('./capture');
const { startTracing } = require('./tracing');
const { weatherLoop } = require('./openaiWeatherLoop');

async function main() {
  process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = 'true';
  const capture = await startCapture();
  const tracer = startTracing(capture.base, 'openai-sdk-weather');
  const logger = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'openai-sdk-weather' }),
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${capture.base}/v1/logs` }) })],
  });
  logs.setGlobalLoggerProvider(logger);
  registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()] });
  await weatherLoop();
  await tracer.forceFlush();
  await logger.forceFlush();
  await tracer.shutdown();
  await logger.shutdown();
  await capture.close();
  writeFixture('openai-sdk', ['openai', '@opentelemetry/instrumentation-openai'], {
    description: 'two chat completions by hand: the first asks for get_weather, the second answers; no span around them',
  }, capture.requests);
}

run(main);
