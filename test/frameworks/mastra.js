// Mastra with its own OpenTelemetry exporter (@mastra/otel-exporter, OTLP/JSON), an agent on the
// fake model through @ai-sdk/openai: it calls get_weather, then answers.
'use strict';
const { run, startCapture, writeFixture } = require('./capture');
const { startFakeOpenAI, once } = require('./fakeOpenAI');

async function main() {
  const capture = await startCapture();
  const { Mastra } = require('@mastra/core/mastra');
  const { Agent } = require('@mastra/core/agent');
  const { createTool } = require('@mastra/core/tools');
  const { Observability } = require('@mastra/observability');
  const { OtelExporter } = require('@mastra/otel-exporter');
  const { createOpenAI } = require('@ai-sdk/openai');
  const { z } = require('zod');
  const fake = await startFakeOpenAI({
    toolCalls: once([{ name: 'get_weather', arguments: { city: 'Paris' } }]),
    text: () => 'Paris is sunny.',
  });
  const getWeather = createTool({
    id: 'get_weather', description: 'The weather in a city', inputSchema: z.object({ city: z.string() }),
    execute: async input => ({ city: (input.context ?? input).city, weather: 'sunny' }),
  });
  const agent = new Agent({
    id: 'weather-agent', name: 'Weather Agent', instructions: 'Answer weather questions.',
    model: createOpenAI({ baseURL: fake.baseURL, apiKey: 'fake' }).chat('gpt-4o-mini'),
    tools: { get_weather: getWeather },
  });
  const exporter = new OtelExporter({ provider: { custom: { endpoint: `${capture.base}/v1/traces`, protocol: 'http/json' } } });
  const mastra = new Mastra({
    agents: { weatherAgent: agent },
    observability: new Observability({ configs: { otel: { serviceName: 'mastra-weather', exporters: [exporter] } } }),
  });
  const result = await mastra.getAgent('weatherAgent').generate('What is the weather in Paris?', { maxSteps: 3 });
  await mastra.shutdown?.();
  await exporter.shutdown?.();
  await fake.close();
  await capture.close();
  writeFixture('mastra', ['@mastra/core', '@mastra/otel-exporter', '@mastra/observability'], {
    description: 'agent Weather Agent (id weather-agent): one model call asking for get_weather, the tool, a final answer',
    answer: result.text,
  }, capture.requests);
}

run(main);
