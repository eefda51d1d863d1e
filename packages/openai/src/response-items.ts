/**
 * Responses API items in the conventions' shape. Input is a string or a list of items; each item
 * becomes one message in the order sent (a `function_call` is the assistant's tool call, a
 * `function_call_output` the tool's answer). The output list of one response is one assistant
 * message. Items of types the conventions have no part for (built-in tool calls such as
 * `web_search_call`) are kept whole as parts of their own type, inline media in them made blobs.
 */
import { mediaPart, parseJsonText, textPart, type InputMessage, type MessagePart, type ToolDefinition } from '@facto/genai';
import { objectOf, objectsOf, stringOf, type WireObject } from './wire.js';

export function responsesInputMessages(input: unknown): InputMessage[] | undefined {
  if (typeof input === 'string') return [{ role: 'user', parts: [textPart(input)] }];
  if (!Array.isArray(input)) return undefined;
  return objectsOf(input).map(inputItem);
}

/** The parts of a response's output items, in order. */
export function responsesOutputParts(output: unknown): MessagePart[] {
  return objectsOf(output).flatMap(itemParts);
}

export function responsesToolDefinitions(tools: unknown): ToolDefinition[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  return objectsOf(tools).map((tool) => {
    const type = stringOf(tool.type) ?? 'function';
    if (type !== 'function') return { ...tool, type, name: stringOf(tool.name) ?? type };
    return {
      type,
      name: stringOf(tool.name) ?? '',
      ...(tool.description !== undefined ? { description: stringOf(tool.description) ?? null } : {}),
      ...(tool.parameters !== undefined ? { parameters: tool.parameters } : {}),
    };
  });
}

function inputItem(item: WireObject): InputMessage {
  const type = stringOf(item.type) ?? 'message';
  if (type === 'message') return { role: stringOf(item.role) ?? 'user', parts: contentParts(item.content) };
  if (type === 'function_call_output' || type === 'custom_tool_call_output') {
    const id = stringOf(item.call_id);
    return { role: 'tool', parts: [{ type: 'tool_call_response', ...(id ? { id } : {}), response: parseJsonText(item.output) }] };
  }
  return { role: 'assistant', parts: itemParts(item) };
}

function itemParts(item: WireObject): MessagePart[] {
  switch (item.type) {
    case 'message':
      return contentParts(item.content);
    case 'function_call':
      return [toolCall(item, parseJsonText(item.arguments))];
    case 'custom_tool_call':
      return [toolCall(item, item.input)];
    case 'reasoning': {
      const texts = [...objectsOf(item.summary), ...objectsOf(item.content)].map((part) => stringOf(part.text)).filter((text) => text !== undefined);
      return texts.map((content) => ({ type: 'reasoning', content }));
    }
    default:
      return [{ ...item, type: stringOf(item.type) ?? 'unknown' }];
  }
}

function toolCall(item: WireObject, args: unknown): MessagePart {
  const id = stringOf(item.call_id);
  return { type: 'tool_call', ...(id ? { id } : {}), name: stringOf(item.name) ?? '', arguments: args };
}

function contentParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [textPart(content)];
  return objectsOf(content).map(contentPart);
}

function contentPart(part: WireObject): MessagePart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return textPart(stringOf(part.text) ?? '');
    case 'refusal':
      return { type: 'refusal', content: stringOf(part.refusal) ?? '' };
    case 'input_image':
      return mediaPart({ url: stringOf(part.image_url), fileId: stringOf(part.file_id), modality: 'image' }) ?? { ...part, type: 'input_image' };
    case 'input_file': {
      const data = stringOf(part.file_data);
      const source = data === undefined ? { url: stringOf(part.file_url), fileId: stringOf(part.file_id) } : /^data:/i.test(data) ? { url: data } : { data };
      return mediaPart({ ...source, modality: 'document' }) ?? { ...part, type: 'input_file' };
    }
    case 'input_audio': {
      const audio = objectOf(part.input_audio);
      const format = stringOf(audio.format);
      return mediaPart({ data: stringOf(audio.data), mimeType: format ? `audio/${format}` : undefined, modality: 'audio' }) ?? { ...part, type: 'input_audio' };
    }
    default:
      return { ...part, type: stringOf(part.type) ?? 'unknown' };
  }
}
