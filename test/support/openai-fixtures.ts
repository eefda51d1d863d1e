/**
 * OpenAI wire payloads for the fake server, shaped as the API sends them (chat.completion objects,
 * chat.completion.chunk streams with tool-call deltas and the final usage chunk, Responses API
 * objects and their named stream events, embedding lists), with the values each test asserts.
 */

export const usage = { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49, prompt_tokens_details: { cached_tokens: 30 }, completion_tokens_details: { reasoning_tokens: 3 } };

export function chatCompletion(options: { id?: string; model?: string; content?: string | null; toolCalls?: { id: string; name: string; arguments: string }[]; finishReason?: string; withUsage?: boolean } = {}) {
  const { id = 'chatcmpl-plain', model = 'gpt-4o-mini-2024-07-18', content = 'Order 1042 ships today.', toolCalls, finishReason = toolCalls ? 'tool_calls' : 'stop', withUsage = true } = options;
  return {
    id,
    object: 'chat.completion',
    created: 1_764_000_000,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          ...(toolCalls ? { tool_calls: toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) } : {}),
        },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    ...(withUsage ? { usage } : {}),
  };
}

const chunkBase = { id: 'chatcmpl-stream', object: 'chat.completion.chunk', created: 1_764_000_000, model: 'gpt-4o-mini-2024-07-18' };

/** A streamed answer in pieces; with `usage`, the final `choices: []` chunk include_usage adds. */
export function chatTextChunks(pieces: readonly string[], options: { usage?: boolean; finishReason?: string | null } = {}) {
  const { finishReason = 'stop' } = options;
  return [
    { ...chunkBase, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ...pieces.map((content) => ({ ...chunkBase, choices: [{ index: 0, delta: { content }, finish_reason: null }] })),
    ...(finishReason ? [{ ...chunkBase, choices: [{ index: 0, delta: {}, finish_reason: finishReason }] }] : []),
    ...(options.usage ? [{ ...chunkBase, choices: [], usage }] : []),
  ];
}

/** Two parallel tool calls, their argument JSON split across deltas and interleaved by index. */
export function chatToolCallChunks() {
  const delta = (tool_calls: unknown[]) => ({ ...chunkBase, choices: [{ index: 0, delta: { tool_calls }, finish_reason: null }] });
  return [
    { ...chunkBase, choices: [{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }] },
    delta([{ index: 0, id: 'call_lookup', type: 'function', function: { name: 'lookup_order', arguments: '' } }]),
    delta([{ index: 0, function: { arguments: '{"order":' } }]),
    delta([{ index: 1, id: 'call_weather', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }]),
    delta([{ index: 0, function: { arguments: '1042}' } }]),
    delta([{ index: 1, function: { arguments: '"Lisbon"}' } }]),
    { ...chunkBase, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
    { ...chunkBase, choices: [], usage },
  ];
}

export const responseUsage = { input_tokens: 55, input_tokens_details: { cached_tokens: 0 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 4 }, total_tokens: 64 };

export function responseObject(options: { id?: string; status?: string; text?: string; functionCall?: { call_id: string; name: string; arguments: string } } = {}) {
  const { id = 'resp_plain', status = 'completed', text = 'Refund approved.', functionCall } = options;
  const output: unknown[] = [
    { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Within the 30-day window.' }] },
    { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] },
  ];
  if (functionCall) output.push({ type: 'function_call', id: 'fc_1', status: 'completed', ...functionCall });
  return {
    id,
    object: 'response',
    created_at: 1_764_000_000,
    status,
    model: 'gpt-4.1-2025-04-14',
    output,
    usage: responseUsage,
    error: null,
    incomplete_details: null,
    instructions: null,
    tools: [],
    parallel_tool_calls: true,
    text: { format: { type: 'text' } },
  };
}

/** The named events of a streamed response, as the API sends them. */
export function responseEvents(final = responseObject({ id: 'resp_stream' })) {
  const started = { ...final, status: 'in_progress', output: [], usage: null };
  const message = final.output.find((item) => (item as { type: string }).type === 'message') as { content: { text: string }[] };
  const text = message.content[0]!.text;
  const half = Math.floor(text.length / 2);
  return [
    { type: 'response.created', sequence_number: 0, response: started },
    { type: 'response.in_progress', sequence_number: 1, response: started },
    { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { ...message, content: [] } },
    { type: 'response.content_part.added', sequence_number: 2, item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } },
    { type: 'response.output_text.delta', sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: text.slice(0, half) },
    { type: 'response.output_text.delta', sequence_number: 4, item_id: 'msg_1', output_index: 0, content_index: 0, delta: text.slice(half) },
    { type: 'response.output_text.done', sequence_number: 5, item_id: 'msg_1', output_index: 0, content_index: 0, text },
    { type: 'response.output_item.done', sequence_number: 6, output_index: 0, item: message },
    { type: 'response.completed', sequence_number: 7, response: final },
  ];
}

export function embeddingList(vectors = 2) {
  return {
    object: 'list',
    data: Array.from({ length: vectors }, (_, index) => ({ object: 'embedding', index, embedding: [0.25, -0.5, 0.125] })),
    model: 'text-embedding-3-small',
    usage: { prompt_tokens: 8, total_tokens: 8 },
  };
}

/**
 * An Azure OpenAI stream: it opens with a prompt-filter chunk whose id, model and object are empty
 * strings and whose choices are empty; the response's own id and model come in the chunks after.
 */
export function azureChatChunks(pieces: readonly string[]) {
  const promptFilter = {
    id: '',
    object: '',
    created: 0,
    model: '',
    choices: [],
    prompt_filter_results: [{ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' }, self_harm: { filtered: false, severity: 'safe' } } }],
  };
  const azure = { id: 'chatcmpl-azure', model: 'gpt-4o-2024-11-20' };
  return [promptFilter, ...chatTextChunks(pieces).map((chunk) => ({ ...chunk, ...azure }))];
}

/** A gpt-4o-audio-preview reply: `content` null, the answer in `message.audio` (base64 `data`). */
export function audioCompletion(options: { id: string; data: Buffer; transcript: string }) {
  const reply = chatCompletion({ id: 'chatcmpl-audio', model: 'gpt-4o-audio-preview-2024-12-17', content: null });
  const message = { ...reply.choices[0]!.message, audio: { id: options.id, expires_at: 1_764_003_600, data: options.data.toString('base64'), transcript: options.transcript } };
  return { ...reply, choices: [{ ...reply.choices[0]!, message }] };
}

/**
 * A streamed audio reply: the audio id with the first transcript piece, the rest of the transcript,
 * then the pcm16 data, each piece base64 of its own (padded, so the pieces do not join as text),
 * then `expires_at`, and the finish.
 */
export function audioChunks(options: { id: string; transcript: readonly string[]; data: readonly Buffer[] }) {
  const base = { ...chunkBase, id: 'chatcmpl-audio-stream', model: 'gpt-4o-audio-preview-2024-12-17' };
  const delta = (value: Record<string, unknown>, finish_reason: string | null = null) => ({ ...base, choices: [{ index: 0, delta: value, finish_reason }] });
  const [first = '', ...rest] = options.transcript;
  return [
    delta({ role: 'assistant', content: null, refusal: null, audio: { id: options.id, transcript: first } }),
    ...rest.map((transcript) => delta({ audio: { transcript } })),
    ...options.data.map((piece) => delta({ audio: { data: piece.toString('base64') } })),
    delta({ audio: { expires_at: 1_764_003_600 } }),
    delta({}, 'stop'),
  ];
}
