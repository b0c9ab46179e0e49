// Genkit and its built-in spans (genkit:* attributes), exported by the user's own tracer provider
// (Genkit's NodeSDK uses older OpenTelemetry packages than the capture's exporter); a fake model
// defined in Genkit asks for get_weather once, then answers, inside a flow and then bare.
'use strict';
const { run, startCapture, writeFixture } = require('./capture');
const { startTracing } = require('./tracing');

async function main() {
  const capture = await startCapture();
  const provider = startTracing(capture.base, 'genkit-weather');
  const { disableGenkitOTelInitialization } = require('genkit/tracing');
  disableGenkitOTelInitialization();
  const { genkit, z } = require('genkit');
  const ai = genkit({});
  // Asks for get_weather until the conversation holds its result, then answers.
  const model = ai.defineModel({ name: 'fake/gpt-4o-mini', label: 'fake', supports: { tools: true, multiturn: true } }, async req => {
    if (req.messages.at(-1).role !== 'tool') {
      return {
        message: { role: 'model', content: [{ toolRequest: { name: 'get_weather', ref: 'call_1', input: { city: 'Paris' } } }] },
        finishReason: 'stop',
        usage: { inputTokens: 120, outputTokens: 20 },
      };
    }
    return { message: { role: 'model', content: [{ text: 'Paris is sunny.' }] }, finishReason: 'stop', usage: { inputTokens: 160, outputTokens: 8 } };
  });
  const getWeather = ai.defineTool({
    name: 'get_weather', description: 'The weather in a city', inputSchema: z.object({ city: z.string() }), outputSchema: z.object({ city: z.string(), weather: z.string() }),
  }, async ({ city }) => ({ city, weather: 'sunny' }));
  const weatherFlow = ai.defineFlow({ name: 'weatherFlow', inputSchema: z.string(), outputSchema: z.string() }, async question => {
    const r = await ai.generate({ model, prompt: question, tools: [getWeather] });
    return r.text;
  });
  const answer = await weatherFlow('What is the weather in Paris?');
  // And generate called bare, as often, outside any flow.
  await ai.generate({ model, prompt: 'And the weather in Paris now?', tools: [getWeather] });
  await provider.forceFlush();
  await provider.shutdown();
  await capture.close();
  writeFixture('genkit', ['genkit'], {
    description: 'flow weatherFlow: generate with a fake Genkit model that asks for get_weather once, then answers; then the same generate outside any flow',
    answer,
  }, capture.requests);
}

run(main);
