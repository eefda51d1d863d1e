/**
 * The conventions' JSON shapes for content (semantic-conventions-genai `gen-ai-input-messages.json`,
 * `gen-ai-output-messages.json`, `gen-ai-tool-definitions.json`): a message is a role and a list of
 * typed parts; an output message also carries its finish reason. Integrations convert their
 * framework's messages into these; the span helpers serialise them, one JSON string per attribute.
 */

export type Modality = 'image' | 'video' | 'audio' | 'document';

export interface TextPart {
  readonly type: 'text';
  readonly content: string;
}

export interface ToolCallPart {
  readonly type: 'tool_call';
  readonly id?: string;
  readonly name: string;
  /** Parsed JSON when the provider sent JSON text, else the text as sent. */
  readonly arguments?: unknown;
}

export interface ToolCallResponsePart {
  readonly type: 'tool_call_response';
  readonly id?: string;
  readonly response: unknown;
}

export interface ReasoningPart {
  readonly type: 'reasoning';
  readonly content: string;
}

/**
 * Inline binary data, recorded by size and SHA-256 instead of its bytes. The conventions' BlobPart
 * carries `content` (the base64 bytes); Facto replaces it with `size` and `sha256`, which identify
 * the exact bytes without putting megabytes of base64 into a signed record.
 */
export interface BlobPart {
  readonly type: 'blob';
  readonly mime_type: string | null;
  readonly modality?: Modality | string;
  /** Decoded size in bytes. */
  readonly size: number;
  /** Lowercase hex SHA-256 of the decoded bytes. */
  readonly sha256: string;
}

export interface UriPart {
  readonly type: 'uri';
  readonly mime_type?: string;
  readonly modality?: Modality | string;
  readonly uri: string;
}

export interface FilePart {
  readonly type: 'file';
  readonly mime_type?: string;
  readonly modality?: Modality | string;
  readonly file_id: string;
}

/** Any other part type (the conventions allow custom ones, e.g. a refusal or a provider's item). */
export interface GenericPart {
  readonly type: string;
  readonly [key: string]: unknown;
}

export type MessagePart = TextPart | ToolCallPart | ToolCallResponsePart | ReasoningPart | BlobPart | UriPart | FilePart | GenericPart;

export interface InputMessage {
  /** `system`, `user`, `assistant`, `tool`, or the provider's own role name. */
  readonly role: string;
  readonly parts: readonly MessagePart[];
  readonly name?: string;
}

export interface OutputMessage extends InputMessage {
  readonly finish_reason: string;
}

export interface ToolDefinition {
  /** `function`, or a provider's built-in tool type. */
  readonly type: string;
  readonly name: string;
  readonly description?: string | null;
  /** JSON Schema of the parameters. */
  readonly parameters?: unknown;
  readonly [key: string]: unknown;
}

export function textPart(content: string): TextPart {
  return { type: 'text', content };
}

/** Tool arguments and results often arrive as JSON text: record the JSON itself when it parses. */
export function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
