/**
 * An offline stand-in for the OpenAI API, for the examples: a local HTTP server that answers
 * /v1/chat/completions the way the real API does (JSON, or server-sent events when asked to stream,
 * with usage when asked for it). Its "model" is a script: asked about an order, it calls the
 * lookup_order tool; given the tool's result, it answers from it.
 */
import { createServer } from 'node:http';

const MODEL = 'gpt-4o-mini-2024-07-18';
const usage = (prompt, completion) => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: 0 } });

function decide(messages) {
  const last = messages.at(-1);
  if (last?.role === 'tool') {
    const order = JSON.parse(last.content);
    return { content: `Order ${order.order} ${order.status} with ${order.carrier}; it arrives on ${order.eta}.`, finish_reason: 'stop' };
  }
  const order = /\b(\d{3,})\b/.exec(String(last?.content ?? ''))?.[1] ?? '0';
  const toolCall = { id: `call_lookup_${order}`, type: 'function', function: { name: 'lookup_order', arguments: JSON.stringify({ order: Number(order) }) } };
  return { content: null, tool_calls: [toolCall], finish_reason: 'tool_calls' };
}

function reply(body, response) {
  const { content, tool_calls, finish_reason } = decide(body.messages);
  const id = `chatcmpl-demo-${body.messages.length}`;
  const tokens = usage(20 * body.messages.length, content ? content.split(' ').length : 12);
  if (!body.stream) {
    const message = { role: 'assistant', content, refusal: null, ...(tool_calls ? { tool_calls } : {}) };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id, object: 'chat.completion', created: 1_764_000_000, model: MODEL, choices: [{ index: 0, message, finish_reason }], usage: tokens }));
    return;
  }
  const chunk = (choices, extra = {}) => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_764_000_000, model: MODEL, choices, ...extra })}\n\n`;
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
  for (const word of (content ?? '').split(/(?<= )/)) if (word) response.write(chunk([{ index: 0, delta: { content: word }, finish_reason: null }]));
  for (const [index, call] of (tool_calls ?? []).entries()) {
    // A tool call streams as the real API sends it: id and name first, the arguments in pieces.
    const { name, arguments: args } = call.function;
    const half = Math.floor(args.length / 2);
    response.write(chunk([{ index: 0, delta: { tool_calls: [{ index, id: call.id, type: 'function', function: { name, arguments: '' } }] }, finish_reason: null }]));
    for (const piece of [args.slice(0, half), args.slice(half)]) response.write(chunk([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: piece } }] }, finish_reason: null }]));
  }
  response.write(chunk([{ index: 0, delta: {}, finish_reason }]));
  if (body.stream_options?.include_usage) response.write(chunk([], { usage: tokens }));
  response.end('data: [DONE]\n\n');
}

/** Starts the fake model on 127.0.0.1 and an ephemeral port; `url` is the client's baseURL. */
export async function startFakeOpenAIModel() {
  const server = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      if (request.url !== '/v1/chat/completions') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `not in this demo: ${request.url}`, type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
      reply(JSON.parse(text), response);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
