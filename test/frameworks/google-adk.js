// Google ADK JS with its native OpenTelemetry spans (scope gcp.vertex.agent), a coordinator that
// transfers to a weather agent, which calls get_weather; the model is a fake Gemini (a BaseLlm
// answering from the request's offered tools), named as Gemini so its price can be looked up.
'use strict';
const { run, startCapture, writeFixture } = require('./capture');
const { startTracing } = require('./tracing');

async function main() {
  const capture = await startCapture();
  const provider = startTracing(capture.base, 'adk-weather');
  const adk = require('@google/adk');
  const { z } = require('zod');

  const answered = req => {
    const names = new Set();
    for (const c of req.contents) for (const p of c.parts ?? []) if (p.functionResponse) names.add(p.functionResponse.name);
    return names;
  };
  class FakeGemini extends adk.BaseLlm {
    async *generateContentAsync(req) {
      const offered = new Set(Object.keys(req.toolsDict ?? {}));
      const done = answered(req);
      let part = { text: 'Paris is sunny.' };
      if (offered.has('transfer_to_agent') && !done.has('transfer_to_agent') && offered.has('transfer_to_agent') && !offered.has('get_weather')) {
        part = { functionCall: { id: 'fc_transfer', name: 'transfer_to_agent', args: { agentName: 'weather_agent' } } };
      } else if (offered.has('get_weather') && !done.has('get_weather')) {
        part = { functionCall: { id: 'fc_weather', name: 'get_weather', args: { city: 'Paris' } } };
      }
      const prompt = JSON.stringify(req.contents).length >> 2;
      yield {
        content: { role: 'model', parts: [part] },
        usageMetadata: { promptTokenCount: prompt, candidatesTokenCount: 10, totalTokenCount: prompt + 10 },
        finishReason: 'STOP',
      };
    }
    async connect() {
      throw new Error('not supported');
    }
  }
  const model = new FakeGemini({ model: 'gemini-2.5-flash' });
  const getWeather = new adk.FunctionTool({
    name: 'get_weather', description: 'The weather in a city', parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, weather: 'sunny' }),
  });
  const weather = new adk.LlmAgent({ name: 'weather_agent', description: 'Answers weather questions', model, instruction: 'Answer weather questions.', tools: [getWeather] });
  const coordinator = new adk.LlmAgent({ name: 'coordinator', description: 'Routes questions', model, instruction: 'Route the question.', subAgents: [weather] });
  const runner = new adk.InMemoryRunner({ agent: coordinator, appName: 'weather-app' });
  const texts = [];
  for await (const event of runner.runEphemeral({ userId: 'user-1', newMessage: { role: 'user', parts: [{ text: 'What is the weather in Paris?' }] } })) {
    for (const p of event.content?.parts ?? []) if (p.text) texts.push(p.text);
  }
  await provider.forceFlush();
  await provider.shutdown();
  await capture.close();
  writeFixture('google-adk', ['@google/adk'], {
    description: 'coordinator transfers to weather_agent (transfer_to_agent), which calls get_weather and answers; fake Gemini model',
    answer: texts.join(' '),
  }, capture.requests);
}

run(main);
