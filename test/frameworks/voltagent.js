// VoltAgent 2 with its own OpenTelemetry spans (VoltAgentObservability, an OTLP/JSON span
// processor added), a supervisor delegating to a weather sub-agent that calls get_weather; both on
// the fake model through @ai-sdk/openai.
'use strict';
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { run, startCapture, writeFixture } = require('./capture');
const { startFakeOpenAI } = require('./fakeOpenAI');

async function main() {
  const capture = await startCapture();
  const { Agent, VoltAgentObservability, createTool } = require('@voltagent/core');
  const { createOpenAI } = require('@ai-sdk/openai');
  const { z } = require('zod');
  const fake = await startFakeOpenAI({
    toolCalls: (body, done) => {
      const offered = new Set(body.tools.map(t => t.function.name));
      if (offered.has('delegate_task') && !done.has('delegate_task')) return [{ id: 'call_delegate', name: 'delegate_task', arguments: { task: 'Weather in Paris?', targetAgents: ['weather_agent'], context: {} } }];
      if (offered.has('get_weather') && !done.has('get_weather')) return [{ id: 'call_weather', name: 'get_weather', arguments: { city: 'Paris' } }];
      return null;
    },
    text: () => 'Paris is sunny.',
  });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${capture.base}/v1/traces` }));
  const observability = new VoltAgentObservability({ serviceName: 'voltagent-weather', spanProcessors: [processor] });
  const model = createOpenAI({ baseURL: fake.baseURL, apiKey: 'fake' }).chat('gpt-4o-mini');
  const getWeather = createTool({
    name: 'get_weather', description: 'The weather in a city', parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, weather: 'sunny' }),
  });
  const weather = new Agent({ name: 'weather_agent', instructions: 'Answer weather questions.', model, tools: [getWeather], observability });
  const supervisor = new Agent({ name: 'supervisor', instructions: 'Delegate weather questions.', model, subAgents: [weather], observability });
  const result = await supervisor.generateText('What is the weather in Paris?');
  await observability.forceFlush();
  await processor.forceFlush();
  await observability.shutdown();
  await fake.close();
  await capture.close();
  writeFixture('voltagent', ['@voltagent/core'], {
    description: 'supervisor delegates to weather_agent (delegate_task), which calls get_weather and answers',
    answer: result.text,
  }, capture.requests);
}

run(main);
