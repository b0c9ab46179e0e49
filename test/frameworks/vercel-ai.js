// Vercel AI SDK with its built-in telemetry (experimental_telemetry) and a mock model that asks
// for two tools, then answers.
'use strict';
const { generateText, tool, stepCountIs } = require('ai');
const { MockLanguageModelV3 } = require('ai/test');
const { z } = require('zod');
const { run, startCapture, writeFixture } = require('./capture');
const { startTracing } = require('./tracing');

const usage = (input, output) => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

async function main() {
  const capture = await startCapture();
  const provider = startTracing(capture.base, 'vercel-ai-weather');
  const model = new MockLanguageModelV3({
    provider: 'openai.chat',
    modelId: 'gpt-4o-mini',
    doGenerate: [
      {
        content: [
          { type: 'tool-call', toolCallId: 'call_1', toolName: 'getWeather', input: JSON.stringify({ city: 'Paris' }) },
          { type: 'tool-call', toolCallId: 'call_2', toolName: 'getWeather', input: JSON.stringify({ city: 'Oslo' }) },
        ],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: usage(120, 40),
        warnings: [],
      },
      {
        content: [{ type: 'text', text: 'Paris is sunny, Oslo is snowing.' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usage(200, 12),
        warnings: [],
      },
    ],
  });
  const result = await generateText({
    model,
    prompt: 'What is the weather in Paris and Oslo?',
    tools: {
      getWeather: tool({
        description: 'The weather in a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => ({ city, weather: city === 'Paris' ? 'sunny' : 'snow' }),
      }),
    },
    stopWhen: stepCountIs(5),
    experimental_telemetry: { isEnabled: true, functionId: 'weather-agent', metadata: { session: 's-1' } },
  });
  await provider.forceFlush();
  await provider.shutdown();
  await capture.close();
  writeFixture('vercel-ai', ['ai'], {
    description: 'generateText with functionId weather-agent: one model call asking for getWeather twice, the tools, a final answer',
    answer: result.text,
  }, capture.requests);
}

run(main);
