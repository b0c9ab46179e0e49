// OpenAI Node SDK with @opentelemetry/instrumentation-openai (message content on, which it sends as
// log records), against the fake model: a tool loop written by hand, as users of the bare SDK do.
'use strict';
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');
const { logs } = require('@opentelemetry/api-logs');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { run, startCapture, writeFixture } = require('./capture');
const { startTracing } = require('./tracing');
const { startFakeOpenAI, once } = require('./fakeOpenAI');

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
  const { OpenAI } = require('openai');
  const fake = await startFakeOpenAI({
    toolCalls: once([{ name: 'get_weather', arguments: { city: 'Paris' } }]),
    text: () => 'Paris is sunny.',
  });
  const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'fake' });
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
  const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
  for (let i = 0; i < 3; i++) {
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
    const m = r.choices[0].message;
    messages.push(m);
    if (!m.tool_calls) break;
    for (const c of m.tool_calls) messages.push({ role: 'tool', tool_call_id: c.id, content: JSON.stringify({ city: 'Paris', weather: 'sunny' }) });
  }
  await tracer.forceFlush();
  await logger.forceFlush();
  await tracer.shutdown();
  await logger.shutdown();
  await fake.close();
  await capture.close();
  writeFixture('openai-sdk', ['openai', '@opentelemetry/instrumentation-openai'], {
    description: 'two chat completions by hand: the first asks for get_weather, the second answers; no span around them',
  }, capture.requests);
}

run(main);
