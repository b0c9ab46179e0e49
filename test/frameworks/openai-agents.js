// OpenAI Agents JS with the OpenInference tracing processor, against the fake model (chat
// completions): a triage agent hands off to a weather agent, which calls get_weather and answers.
'use strict';
const { run, startCapture, writeFixture } = require('./capture');
const { startTracing } = require('./tracing');
const { startFakeOpenAI } = require('./fakeOpenAI');

async function main() {
  const capture = await startCapture();
  const provider = startTracing(capture.base, 'openai-agents-weather');
  const agents = require('@openai/agents');
  const { OpenAIAgentsInstrumentation } = require('@arizeai/openinference-instrumentation-openai-agents');
  new OpenAIAgentsInstrumentation({ tracerProvider: provider }).manuallyInstrument(agents);
  const { OpenAI } = require('openai');
  const { z } = require('zod');
  const fake = await startFakeOpenAI({
    toolCalls: (body, done) => {
      const offered = new Set(body.tools.map(t => t.function.name));
      if (offered.has('transfer_to_weather_agent') && !done.has('transfer_to_weather_agent')) return [{ id: 'call_handoff', name: 'transfer_to_weather_agent', arguments: {} }];
      if (offered.has('get_weather') && !done.has('get_weather')) return [{ id: 'call_weather', name: 'get_weather', arguments: { city: 'Paris' } }];
      return null;
    },
    text: () => 'Paris is sunny.',
  });
  agents.setDefaultOpenAIClient(new OpenAI({ baseURL: fake.baseURL, apiKey: 'fake' }));
  agents.setOpenAIAPI('chat_completions');
  const getWeather = agents.tool({
    name: 'get_weather', description: 'The weather in a city', parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => JSON.stringify({ city, weather: 'sunny' }),
  });
  const weather = new agents.Agent({ name: 'weather_agent', instructions: 'Answer weather questions.', model: 'gpt-4o-mini', tools: [getWeather] });
  const triage = new agents.Agent({ name: 'triage_agent', instructions: 'Route the question.', model: 'gpt-4o-mini', handoffs: [weather] });
  const result = await agents.run(triage, 'What is the weather in Paris?');
  await agents.getGlobalTraceProvider().forceFlush();
  await provider.forceFlush();
  await provider.shutdown();
  await fake.close();
  await capture.close();
  writeFixture('openai-agents', ['@openai/agents', '@arizeai/openinference-instrumentation-openai-agents'], {
    description: 'triage_agent hands off to weather_agent, which calls get_weather and answers',
    answer: result.finalOutput,
  }, capture.requests);
}

run(main);
