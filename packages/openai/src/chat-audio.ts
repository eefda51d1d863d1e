/**
 * Audio replies of Chat Completions (`modalities: ['text', 'audio']`, gpt-4o-audio-preview and the
 * like). The answer is in `message.audio` (`id`, base64 `data`, `transcript`, `expires_at`), its
 * `content` null; a later turn sends the reply back as `{ role: 'assistant', audio: { id } }`.
 * The transcript is what the model said, so it is a text part. The audio is a blob part, named by
 * size and SHA-256 like any inline media, carrying OpenAI's audio `id`; audio known only by its id
 * (the later turn, or a stream that ended before its bytes) is an `{ type: 'audio', id }` part, so a
 * reference can be matched to the reply it names.
 */
import { blobFromBytes, textPart, type MessagePart } from '@facto/genai';
import { isObject, nonEmptyStringOf, objectOf, stringOf, type WireObject } from './wire.js';

/** The MIME type of the audio a request asked for (`audio.format`), spelled as input audio is. */
export function audioMimeType(body: WireObject): string | undefined {
  const format = stringOf(objectOf(body.audio).format);
  return format ? `audio/${format}` : undefined;
}

/** The parts of a message's `audio`: none when there is none. */
export function audioParts(audio: unknown, mimeType?: string): MessagePart[] {
  if (!isObject(audio)) return [];
  const data = stringOf(audio.data);
  return partsOf(nonEmptyStringOf(audio.id), stringOf(audio.transcript) ?? '', data === undefined ? undefined : [bytesOf(data)], mimeType);
}

/**
 * A streamed audio reply, from the `delta.audio` of its chunks: the id once, the transcript and the
 * base64 data in pieces. Each data piece is base64 of its own, so each is decoded on its own. The
 * bytes are kept only for the blob's size and hash, and only when content is recorded.
 */
export class StreamedAudio {
  readonly #keepBytes: boolean;
  readonly #bytes: Uint8Array[] = [];
  #id: string | undefined;
  #transcript = '';

  constructor(keepBytes: boolean) {
    this.#keepBytes = keepBytes;
  }

  add(delta: WireObject): void {
    this.#id ??= nonEmptyStringOf(delta.id);
    this.#transcript += stringOf(delta.transcript) ?? '';
    const data = stringOf(delta.data);
    if (data && this.#keepBytes) this.#bytes.push(bytesOf(data));
  }

  parts(mimeType?: string): MessagePart[] {
    return partsOf(this.#id, this.#transcript, this.#bytes.length > 0 ? this.#bytes : undefined, mimeType);
  }
}

function partsOf(id: string | undefined, transcript: string, bytes: readonly Uint8Array[] | undefined, mimeType: string | undefined): MessagePart[] {
  const parts: MessagePart[] = [];
  if (transcript) parts.push(textPart(transcript));
  const named = id ? { id } : {};
  if (bytes) parts.push({ ...blobFromBytes(concat(bytes), mimeType ?? null, 'audio'), ...named });
  else if (id) parts.push({ type: 'audio', id });
  return parts;
}

/** Standard or URL-safe base64; text that does not decode is hashed as the text it is, as @facto/genai's blobs do. */
function bytesOf(base64: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(base64.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return new TextEncoder().encode(base64);
  }
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const whole = new Uint8Array(pieces.reduce((size, piece) => size + piece.byteLength, 0));
  let offset = 0;
  for (const piece of pieces) {
    whole.set(piece, offset);
    offset += piece.byteLength;
  }
  return whole;
}
