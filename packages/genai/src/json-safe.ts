/**
 * Turns recorded content into a value JSON.stringify accepts and that carries no inline binary:
 * `data:` URLs and strings that are one long base64 payload become blob parts, payloads inside
 * longer text (or inside a text part) are named in it as `[blob size=N sha256=HEX]`, byte arrays become blob parts,
 * bigints become decimal strings, a repeated reference (a cycle) becomes "[Circular]". Content comes
 * from the agent's own objects (tool results, framework messages), so nothing about its shape is
 * assumed, and nothing here throws on a shape JSON cannot carry.
 */
import { blobFromBase64, blobFromBytes, blobFromDataUrl, looksLikeBase64Payload, withBase64RunsNamed } from './blob.js';

export function toJsonSafe(value: unknown): unknown {
  return convert(value, new WeakSet<object>());
}

function convert(value: unknown, path: WeakSet<object>): unknown {
  if (typeof value === 'string') return convertString(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return blobFromBytes(value, null);
  if (value instanceof ArrayBuffer) return blobFromBytes(new Uint8Array(value), null);
  if (ArrayBuffer.isView(value)) return blobFromBytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), null);
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return convert(withJson.toJSON(), path);
  if (path.has(value)) return '[Circular]';
  path.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => convert(item, path));
    const result: Record<string, unknown> = {};
    // A text part's strings stay strings: a payload inside them is named in the text, so the part
    // keeps the conventions' shape ({ type: 'text', content: string }).
    const textPart = (value as { type?: unknown }).type === 'text';
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      result[key] = textPart && typeof item === 'string' ? (withBase64RunsNamed(item) ?? item) : convert(item, path);
    }
    return result;
  } finally {
    // Only the current path counts: the same object twice side by side is not a cycle.
    path.delete(value);
  }
}

function convertString(text: string): unknown {
  if (text.length > 5 && (text.charCodeAt(0) | 0x20) === 0x64 /* d or D */) {
    const blob = blobFromDataUrl(text);
    if (blob) return blob;
  }
  if (looksLikeBase64Payload(text)) return blobFromBase64(text, null);
  return withBase64RunsNamed(text) ?? text;
}
