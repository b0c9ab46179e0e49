// A fake model behind the OpenAI chat completions API on 127.0.0.1: when tools are offered, the
// script says which to call (by default: once, before any tool result); otherwise it answers in
// text. Usage is counted from the message lengths, deterministically.
'use strict';
const http = require('http');

function answer(body, script) {
  const messages = body.messages || [];
  const tools = body.tools || [];
  const model = body.model || 'gpt-4o-mini';
  const input = JSON.stringify(messages).length >> 2;
  const wanted = script.toolCalls && tools.length > 0 ? script.toolCalls(body, answered(body)) : null;
  const message = wanted
    ? { role: 'assistant', content: null, tool_calls: wanted.map((c, i) => ({ id: c.id ?? `call_${i + 1}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })) }
    : { role: 'assistant', content: script.text ? script.text(body) : 'Done.' };
  const output = JSON.stringify(message).length >> 2;
  return {
    id: `chatcmpl-${input}-${output}`, object: 'chat.completion', created: 1_765_000_000, model,
    choices: [{ index: 0, message, finish_reason: wanted ? 'tool_calls' : 'stop', logprobs: null }],
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
  };
}

/** Names of the tools whose results the conversation already holds. */
function answered(body) {
  const names = new Map();
  for (const m of body.messages || []) for (const c of m.tool_calls || []) names.set(c.id, c.function && c.function.name);
  return new Set((body.messages || []).filter(m => m.role === 'tool').map(m => names.get(m.tool_call_id)));
}

/** The default script: call these tools once, before any tool result. */
const once = calls => (body, done) => (done.size === 0 ? calls : null);

function sse(res, completion) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  const c = completion.choices[0];
  const delta = c.message.tool_calls
    ? { role: 'assistant', tool_calls: c.message.tool_calls.map((t, index) => ({ index, ...t })) }
    : { role: 'assistant', content: c.message.content };
  const chunk = (choices, usage) => `data: ${JSON.stringify({ id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model, choices, usage })}\n\n`;
  res.write(chunk([{ index: 0, delta, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: c.finish_reason }]));
  res.write(chunk([], completion.usage));
  res.end('data: [DONE]\n\n');
}

/** script: { toolCalls?(body, answeredToolNames) => [{ name, arguments, id? }] | null, text?(body) => string } */
async function startFakeOpenAI(script) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const completion = answer(body, script);
      if (body.stream) return sse(res, completion);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(completion));
    });
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  return { baseURL: `http://127.0.0.1:${server.address().port}/v1`, close: () => new Promise(r => server.close(r)) };
}

module.exports = { startFakeOpenAI, once };
