// OpenAI Node SDK with OpenLLMetry's @traceloop/instrumentation-openai (content traced, its
// default), against the fake model: the hand-written tool loop of openaiWeatherLoop.js.
'use strict';
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { OpenAIInstrumentation } = require('@traceloop/instrumentation-openai');
const { run, startCapture, writeFixture } = require('./capture');
const { startTracing } = require('./tracing');
const { weatherLoop } = require('./openaiWeatherLoop');

async function main() {
  const capture = await startCapture();
  const tracer = startTracing(capture.base, 'openai-sdk-traceloop-weather');
  registerInstrumentations({ instrumentations: [new OpenAIInstrumentation({ traceContent: true })] });
  await weatherLoop();
  await tracer.forceFlush();
  await tracer.shutdown();
  await capture.close();
  writeFixture('openai-sdk-traceloop', ['openai', '@traceloop/instrumentation-openai'], {
    description: 'two chat completions by hand: the first asks for get_weather, the second answers; no span around them',
  }, capture.requests);
}

run(main);
