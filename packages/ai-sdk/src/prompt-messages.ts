/**
 * The AI SDK's standardized prompt and tools, as the model receives them, in the conventions'
 * shape. The prompt keeps the order sent, system messages included (the AI SDK carries them in the
 * prompt, so they are recorded there, as @facto/openai records Chat Completions system messages).
 * Tool calls, tool results and reasoning become the conventions' parts; files become blob, uri or
 * file parts, so inline bytes are named by their hash, never carried.
 */
import { blobFromBytes, mediaPart, parseJsonText, textPart, type BlobPart, type InputMessage, type MessagePart, type ToolDefinition } from '@facto/genai';
import { isObject, objectOf, objectsOf, stringOf, type Fields } from './values.js';

export function inputMessages(prompt: unknown): InputMessage[] | undefined {
  if (!Array.isArray(prompt)) return undefined;
  return objectsOf(prompt).map((message) => {
    const role = stringOf(message.role) ?? 'user';
    const parts = typeof message.content === 'string' ? [textPart(message.content)] : objectsOf(message.content).map(promptPart);
    return { role, parts };
  });
}

export function toolDefinitions(tools: unknown): ToolDefinition[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  return objectsOf(tools).map((tool) => {
    const type = stringOf(tool.type) ?? 'function';
    const name = stringOf(tool.name) ?? stringOf(tool.id) ?? type;
    if (type !== 'function') return { type, name, ...(typeof tool.id === 'string' ? { id: tool.id } : {}) };
    return {
      type,
      name,
      ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
      ...(tool.inputSchema !== undefined ? { parameters: tool.inputSchema } : {}),
    };
  });
}

function promptPart(part: Fields): MessagePart {
  switch (part.type) {
    case 'text':
      return textPart(stringOf(part.text) ?? '');
    case 'reasoning':
      return { type: 'reasoning', content: stringOf(part.text) ?? '' };
    case 'file':
      return filePart(part.data, stringOf(part.mediaType));
    case 'tool-call':
      return toolCallPart(part);
    case 'tool-result':
      return { type: 'tool_call_response', ...idOf(part), response: toolResultValue(part.output) };
    default:
      return { type: stringOf(part.type) ?? 'unknown' };
  }
}

/** A tool call from the prompt or the model's output: `input` is JSON text in output, a value in the prompt. */
export function toolCallPart(part: Fields): MessagePart {
  return { type: 'tool_call', ...idOf(part), name: stringOf(part.toolName) ?? '', arguments: parseJsonText(part.input) };
}

/**
 * File data in either specification: v3 carries bytes, base64 text or a URL; v4 a tagged object
 * (`data`, `url`, `reference` to a file the provider holds, or `text`).
 */
export function filePart(data: unknown, mediaType: string | undefined): MessagePart {
  const unnamed: MessagePart = { type: 'file', ...(mediaType ? { mime_type: mediaType } : {}) };
  if (data instanceof Uint8Array) return blobFromBytes(data, mediaType ?? null);
  if (data instanceof URL) return mediaPart({ url: data.href, ...(mediaType ? { mimeType: mediaType } : {}) }) ?? unnamed;
  if (typeof data === 'string') return (/^data:/i.test(data) ? mediaPart({ url: data }) : mediaPart({ data, ...(mediaType ? { mimeType: mediaType } : {}) })) ?? unnamed;
  if (!isObject(data)) return unnamed;
  switch (data.type) {
    case 'data':
      return filePart(data.data, mediaType);
    case 'url':
      return filePart(data.url, mediaType);
    case 'text':
      return textBlob(stringOf(data.text) ?? '', mediaType);
    case 'reference': {
      const fileId = Object.values(objectOf(data.reference)).find((value) => typeof value === 'string');
      return typeof fileId === 'string' ? { ...unnamed, file_id: fileId } : unnamed;
    }
    default:
      return unnamed;
  }
}

function textBlob(text: string, mediaType: string | undefined): BlobPart {
  return blobFromBytes(new TextEncoder().encode(text), mediaType ?? 'text/plain');
}

/** A tool result's output as the model is sent it: the value of a text or JSON output, a denial's reason. */
function toolResultValue(output: unknown): unknown {
  const fields = objectOf(output);
  switch (fields.type) {
    case 'text':
    case 'json':
    case 'error-text':
    case 'error-json':
      return fields.value;
    case 'execution-denied':
      return { denied: true, ...(typeof fields.reason === 'string' ? { reason: fields.reason } : {}) };
    case 'content':
      return objectsOf(fields.value).map((item) => (item.type === 'text' ? textPart(stringOf(item.text) ?? '') : item));
    default:
      return output;
  }
}

function idOf(part: Fields): { id?: string } {
  return typeof part.toolCallId === 'string' ? { id: part.toolCallId } : {};
}
