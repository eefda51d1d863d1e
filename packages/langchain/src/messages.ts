/**
 * LangChain messages in the conventions' shape. Content is read through LangChain's own standard
 * content blocks (`message.contentBlocks`), which already translate each provider's format (OpenAI
 * image_url parts, Anthropic thinking blocks, base64 sources) into one vocabulary: text, reasoning,
 * image, audio, video, file. Tool calls come from the message's parsed `tool_calls`, a tool result
 * from the tool message. Inline media becomes a blob part named by size and SHA-256. A message this
 * module cannot read through blocks falls back to its raw content, so nothing is dropped silently.
 */
import { mediaPart, parseJsonText, textPart, type InputMessage, type MessagePart, type OutputMessage } from '@facto/genai';
import { fieldsOf, firstString, isFields, listOf, stringOf, type Fields } from './values.js';

const ROLES: Readonly<Record<string, string>> = { human: 'user', ai: 'assistant', system: 'system', tool: 'tool', function: 'tool', developer: 'system' };

export function inputMessages(messages: unknown): InputMessage[] {
  return listOf(messages).filter(isFields).map(inputMessage);
}

export function inputMessage(message: Fields): InputMessage {
  const role = roleOf(message);
  if (role === 'tool') {
    const id = stringOf(message.tool_call_id);
    return { role, parts: [{ type: 'tool_call_response', ...(id ? { id } : {}), response: toolResponse(message.content) }] };
  }
  const parts = [...contentParts(message), ...(role === 'assistant' ? toolCallParts(message) : [])];
  const name = stringOf(message.name);
  return name && role !== 'assistant' ? { role, parts, name } : { role, parts };
}

/** One model answer as an output message: its reasoning, text and media, then its tool calls. */
export function outputMessage(message: unknown, finishReason: string): OutputMessage {
  const fields = fieldsOf(message);
  return { role: 'assistant', parts: [...contentParts(fields), ...toolCallParts(fields)], finish_reason: finishReason };
}

/** The model's tool calls, parsed (LangChain gives `args` as an object already). */
export function toolCallsOf(message: unknown): Fields[] {
  return listOf(fieldsOf(message).tool_calls).filter(isFields);
}

/** What a tool run returned: a tool message's content (as the JSON it holds when it is JSON text), or the value itself. */
export function toolResponse(content: unknown): unknown {
  if (typeof content === 'string') return parseJsonText(content);
  const blocks = listOf(content).filter(isFields);
  if (blocks.length > 0 && blocks.every((block) => block.type === 'text' && typeof block.text === 'string')) {
    return parseJsonText(blocks.map((block) => block.text as string).join(''));
  }
  return content;
}

function roleOf(message: Fields): string {
  const type = stringOf(message.type);
  // A generic ChatMessage (type `generic`) carries its own role.
  return (type !== undefined ? ROLES[type] : undefined) ?? firstString(message.role, type) ?? 'user';
}

function toolCallParts(message: Fields): MessagePart[] {
  return toolCallsOf(message).map((call) => {
    const id = stringOf(call.id);
    return { type: 'tool_call', ...(id ? { id } : {}), name: stringOf(call.name) ?? '', arguments: call.args };
  });
}

function contentParts(message: Fields): MessagePart[] {
  const blocks = safeCall(() => message.contentBlocks);
  const parts = Array.isArray(blocks) ? blocks.filter(isFields).flatMap(blockPart) : rawContentParts(message.content);
  const reasoning = stringOf(fieldsOf(message.additional_kwargs).reasoning_content);
  if (reasoning && !parts.some((part) => part.type === 'reasoning')) parts.unshift({ type: 'reasoning', content: reasoning });
  return parts;
}

function blockPart(block: Fields): MessagePart[] {
  switch (block.type) {
    case 'text':
      // An empty text block is how LangChain spells "no text" next to tool calls.
      return typeof block.text === 'string' && block.text !== '' ? [textPart(block.text)] : [];
    case 'reasoning':
      return typeof block.reasoning === 'string' ? [{ type: 'reasoning', content: block.reasoning }] : [];
    case 'tool_call':
    case 'tool_call_chunk':
      // Recorded from the message's parsed tool_calls, once.
      return [];
    case 'image':
    case 'audio':
    case 'video':
    case 'file': {
      const part = mediaPart({
        data: stringOf(block.data),
        url: stringOf(block.url),
        fileId: stringOf(block.fileId),
        mimeType: stringOf(block.mimeType),
        modality: block.type === 'file' ? 'document' : block.type,
      });
      return [part ?? { ...block, type: block.type }];
    }
    default:
      return [{ ...block, type: stringOf(block.type) ?? 'unknown' }];
  }
}

function rawContentParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return content === '' ? [] : [textPart(content)];
  return listOf(content)
    .filter(isFields)
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? textPart(part.text) : { ...part, type: stringOf(part.type) ?? 'unknown' }));
}

function safeCall(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return undefined;
  }
}
