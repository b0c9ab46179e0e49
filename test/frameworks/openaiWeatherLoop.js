// The bare OpenAI SDK scenario both OpenAI instrumentations record: a tool loop written by hand,
// as users of the bare SDK do; the fake model asks for get_weather once, then answers. Load the
// instrumentation first: this requires openai.
'use strict';
const { startFakeOpenAI, once } = require('./fakeOpenAI');

async function weatherLoop() {
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
  await fake.close();
}

module.exports = { weatherLoop };
