// The LangGraph scenario both LangChain instrumentations record: a ReAct agent graph with
// ChatOpenAI against the fake model; the model asks for get_weather, the tool node runs it, the
// model answers. `instrument(provider)` installs the instrumentation under test.
'use strict';
const { startCapture, writeFixture } = require('./capture');
const { startTracing } = require('./tracing');
const { startFakeOpenAI, once } = require('./fakeOpenAI');

async function recordLangGraph(name, packages, instrument) {
  const capture = await startCapture();
  const provider = startTracing(capture.base, 'langgraph-weather');
  instrument(provider);
  const { ChatOpenAI } = require('@langchain/openai');
  const { tool } = require('@langchain/core/tools');
  const { createReactAgent } = require('@langchain/langgraph/prebuilt');
  const { z } = require('zod');
  const fake = await startFakeOpenAI({
    toolCalls: once([{ name: 'get_weather', arguments: { city: 'Paris' } }]),
    text: () => 'Paris is sunny.',
  });
  const getWeather = tool(async ({ city }) => JSON.stringify({ city, weather: 'sunny' }), {
    name: 'get_weather', description: 'The weather in a city', schema: z.object({ city: z.string() }),
  });
  const model = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'fake', configuration: { baseURL: fake.baseURL } });
  const agent = createReactAgent({ llm: model, tools: [getWeather], name: 'weather_agent' });
  const result = await agent.invoke({ messages: [{ role: 'user', content: 'What is the weather in Paris?' }] }, { configurable: { thread_id: 'thread-1' } });
  await provider.forceFlush();
  await provider.shutdown();
  await fake.close();
  await capture.close();
  writeFixture(name, ['@langchain/langgraph', '@langchain/core', ...packages], {
    description: 'createReactAgent weather_agent: agent node asks for get_weather, tools node runs it, agent node answers',
    answer: result.messages[result.messages.length - 1].content,
  }, capture.requests);
}

module.exports = { recordLangGraph };
