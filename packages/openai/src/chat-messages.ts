/**
 * Chat Completions messages and tools in the conventions' shape. Inputs keep the order sent, system
 * and developer messages included (Chat Completions carries them in the history, so they are
 * recorded there, not as separate system instructions). Images, audio and files become blob, uri or
 * file parts, an audio reply its transcript and its audio (chat-audio.ts); a refusal is kept as a
 * part of its own type, since the conventions have none for it.
 */
import { mediaPart, parseJsonText, textPart, type InputMessage, type MessagePart, type OutputMessage, type ToolDefinition } from '@facto/genai';
import { audioParts } from './chat-audio.js';
import { isObject, objectOf, objectsOf, stringOf, type WireObject } from './wire.js';

export function chatInputMessages(messages: unknown): InputMessage[] | undefined {
  if (!Array.isArray(messages)) return undefined;
  return objectsOf(messages).map(chatInputMessage);
}

function chatInputMessage(message: WireObject): InputMessage {
  const role = stringOf(message.role) ?? 'user';
  if (role === 'tool' || role === 'function') {
    const id = stringOf(message.tool_call_id);
    return { role: 'tool', parts: [{ type: 'tool_call_response', ...(id ? { id } : {}), response: toolResponse(message.content) }] };
  }
  const parts = [...contentParts(message.content), ...(role === 'assistant' ? assistantExtras(message, audioParts(message.audio)) : [])];
  const name = stringOf(message.name);
  return name && role !== 'assistant' ? { role, parts, name } : { role, parts };
}

/**
 * `audio`: the parts of an audio reply, made by the caller, who knows the format the request asked
 * for (`audioParts` of the message's `audio`, or a stream's `StreamedAudio`).
 */
export function chatOutputMessage(message: unknown, finishReason: string, audio: readonly MessagePart[] = []): OutputMessage {
  const fields = objectOf(message);
  const parts: MessagePart[] = [];
  const reasoning = stringOf(fields.reasoning_content) ?? stringOf(fields.reasoning);
  if (reasoning) parts.push({ type: 'reasoning', content: reasoning });
  parts.push(...contentParts(fields.content), ...assistantExtras(fields, audio));
  return { role: stringOf(fields.role) ?? 'assistant', parts, finish_reason: finishReason };
}

export function chatToolDefinitions(tools: unknown): ToolDefinition[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  return objectsOf(tools).map((tool) => {
    const type = stringOf(tool.type) ?? 'function';
    const definition = objectOf(type === 'function' ? tool.function : tool[type]);
    const name = stringOf(definition.name) ?? stringOf(tool.name) ?? type;
    return {
      type,
      name,
      ...(definition.description !== undefined ? { description: stringOf(definition.description) ?? null } : {}),
      ...(definition.parameters !== undefined ? { parameters: definition.parameters } : {}),
    };
  });
}

/** A tool call as the conventions record it; `arguments` is the JSON the model wrote, parsed. */
export function toolCallPart(call: WireObject): MessagePart {
  const id = stringOf(call.id);
  if (call.type === 'custom') {
    const custom = objectOf(call.custom);
    return { type: 'tool_call', ...(id ? { id } : {}), name: stringOf(custom.name) ?? '', arguments: custom.input };
  }
  const fn = objectOf(call.function);
  return { type: 'tool_call', ...(id ? { id } : {}), name: stringOf(fn.name) ?? '', arguments: parseJsonText(fn.arguments) };
}

function assistantExtras(message: WireObject, audio: readonly MessagePart[]): MessagePart[] {
  const parts = [...audio];
  const refusal = stringOf(message.refusal);
  if (refusal) parts.push({ type: 'refusal', content: refusal });
  for (const call of objectsOf(message.tool_calls)) parts.push(toolCallPart(call));
  if (isObject(message.function_call)) parts.push(toolCallPart({ function: message.function_call }));
  return parts;
}

function contentParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [textPart(content)];
  return objectsOf(content).map(contentPart);
}

function contentPart(part: WireObject): MessagePart {
  switch (part.type) {
    case 'text':
      return textPart(stringOf(part.text) ?? '');
    case 'refusal':
      return { type: 'refusal', content: stringOf(part.refusal) ?? '' };
    case 'image_url':
      return mediaPart({ url: stringOf(objectOf(part.image_url).url), modality: 'image' }) ?? { ...part, type: 'image_url' };
    case 'input_audio': {
      const audio = objectOf(part.input_audio);
      const format = stringOf(audio.format);
      return mediaPart({ data: stringOf(audio.data), mimeType: format ? `audio/${format}` : undefined, modality: 'audio' }) ?? { ...part, type: 'input_audio' };
    }
    case 'file': {
      const file = objectOf(part.file);
      const data = stringOf(file.file_data);
      const source = data === undefined ? { fileId: stringOf(file.file_id) } : /^data:/i.test(data) ? { url: data } : { data };
      return mediaPart({ ...source, modality: 'document' }) ?? { ...part, type: 'file' };
    }
    default:
      return { ...part, type: stringOf(part.type) ?? 'unknown' };
  }
}

/** What a tool message carried: its JSON when it is JSON text, its text parts joined otherwise. */
function toolResponse(content: unknown): unknown {
  if (typeof content === 'string') return parseJsonText(content);
  const texts = objectsOf(content).map((part) => stringOf(part.text));
  if (texts.length > 0 && texts.every((text) => text !== undefined)) return parseJsonText(texts.join(''));
  return content;
}
