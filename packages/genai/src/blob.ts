/**
 * Inline media (base64 images, audio, files, `data:` URLs) becomes a blob part that names the bytes
 * by size and SHA-256 instead of carrying them: a signed record stays small (a single image can be
 * megabytes of base64, past collector and backend limits), and the hash still identifies exactly
 * what the model was sent. SHA-256 runs synchronously: node:crypto where the runtime has it (found at
 * run time, so this module loads in browsers and edge runtimes too), @noble/hashes otherwise.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { BlobPart, FilePart, Modality, UriPart } from './messages.js';

interface NodeHash {
  update(data: Uint8Array): NodeHash;
  digest(encoding: 'hex'): string;
}
type CreateHash = (algorithm: string) => NodeHash;

const nodeCreateHash: CreateHash | undefined = (() => {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const crypto = process?.getBuiltinModule?.('node:crypto') as { createHash?: CreateHash } | undefined;
  return crypto?.createHash;
})();

/** Lowercase hex SHA-256. `portable` forces the @noble path (tests compare the two). */
export function sha256Hex(bytes: Uint8Array, backend: 'auto' | 'portable' = 'auto'): string {
  if (backend === 'auto' && nodeCreateHash) return nodeCreateHash('sha256').update(bytes).digest('hex');
  return bytesToHex(nobleSha256(bytes));
}

const encoder = new TextEncoder();

/** Standard or URL-safe base64 to bytes; undefined when the text is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const standard = text.replace(/[\s]/g, '').replace(/-/g, '+').replace(/_/g, '/');
  let binary: string;
  try {
    binary = atob(standard);
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

export function modalityOf(mimeType: string | null | undefined): Modality | undefined {
  if (!mimeType) return undefined;
  const major = mimeType.split('/')[0]!.toLowerCase();
  if (major === 'image' || major === 'audio' || major === 'video') return major;
  return 'document';
}

export function blobFromBytes(bytes: Uint8Array, mimeType: string | null, modality: Modality | string | undefined = modalityOf(mimeType)): BlobPart {
  const blob: BlobPart = { type: 'blob', mime_type: mimeType, size: bytes.byteLength, sha256: sha256Hex(bytes) };
  return modality ? { ...blob, modality } : blob;
}

/** Base64 text that does not decode is hashed as the text it is, so it is still replaced, never kept. */
export function blobFromBase64(base64: string, mimeType: string | null, modality?: Modality | string): BlobPart {
  return blobFromBytes(decodeBase64(base64) ?? encoder.encode(base64), mimeType, modality ?? modalityOf(mimeType));
}

/** RFC 2397 `data:[<mediatype>][;base64],<data>`; undefined for anything else. */
export function blobFromDataUrl(url: string, modality?: Modality | string): BlobPart | undefined {
  if (!/^data:/i.test(url)) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const [mimeType, ...parameters] = url.slice(5, comma).split(';');
  const payload = url.slice(comma + 1);
  const mime = mimeType ? mimeType.trim().toLowerCase() : null;
  if (parameters.some((parameter) => parameter.trim().toLowerCase() === 'base64')) return blobFromBase64(payload, mime, modality);
  let text: string;
  try {
    text = decodeURIComponent(payload);
  } catch {
    text = payload;
  }
  return blobFromBytes(encoder.encode(text), mime, modality ?? modalityOf(mime));
}

// Long runs of base64 in content are binary payloads (an image a tool returned, say): below this
// length a string is more likely a token or an id, and is left alone. A run is standard or URL-safe
// base64, padded or not, and may be wrapped in lines (MIME's 76 columns, PEM's 64).
const LONG_BASE64_MIN_LENGTH = 1024;
const BASE64_RUN = /(?:[A-Za-z0-9+/_-]{60,}={0,2}\r?\n)+[A-Za-z0-9+/_-]*={0,2}|[A-Za-z0-9+/_-]+={0,2}/g;

/**
 * Whether a run of base64 characters is a binary payload rather than text that happens to use the
 * alphabet: long, and as varied as encoded bytes are. Encoded bytes use both cases and digits and
 * far more than 16 symbols; a DNA sequence (ACGT) or a hex dump (16 symbols) uses neither.
 */
function isPayloadRun(run: string): boolean {
  const symbols = run.replace(/[\r\n=]/g, '');
  if (symbols.length < LONG_BASE64_MIN_LENGTH || symbols.length % 4 === 1) return false;
  if (!/[A-Z]/.test(symbols) || !/[a-z]/.test(symbols) || !/[0-9]/.test(symbols)) return false;
  const seen = new Set<string>();
  for (let index = 0; index < symbols.length && seen.size <= 16; index++) seen.add(symbols[index]!);
  return seen.size > 16;
}

/** The whole text is one base64 payload (see isPayloadRun), possibly wrapped in lines. */
export function looksLikeBase64Payload(text: string): boolean {
  if (text.length < LONG_BASE64_MIN_LENGTH) return false;
  const trimmed = text.trim();
  BASE64_RUN.lastIndex = 0;
  const match = BASE64_RUN.exec(trimmed);
  return match !== null && match.index === 0 && match[0].length === trimmed.length && isPayloadRun(trimmed);
}

/**
 * Text with every long base64 payload inside it named instead of carried: each becomes
 * `[blob size=N sha256=HEX]` (N decoded bytes), so a message that pastes an image after a sentence
 * keeps its sentence and loses its bytes; undefined when there is none.
 */
export function withBase64RunsNamed(text: string): string | undefined {
  if (text.length < LONG_BASE64_MIN_LENGTH) return undefined;
  let named = false;
  const result = text.replace(BASE64_RUN, (run) => {
    if (!isPayloadRun(run)) return run;
    named = true;
    const blob = blobFromBase64(run, null);
    return `[blob size=${blob.size} sha256=${blob.sha256}]`;
  });
  return named ? result : undefined;
}

export interface MediaSource {
  /** An http(s) URL (kept as a uri part) or a data: URL (made a blob). */
  readonly url?: string;
  /** Raw base64 bytes. */
  readonly data?: string;
  /** A file uploaded to the provider beforehand. */
  readonly fileId?: string;
  readonly mimeType?: string;
  readonly modality?: Modality | string;
}

/** The part for one piece of media as a provider's request carries it. */
export function mediaPart(source: MediaSource): BlobPart | UriPart | FilePart | undefined {
  const modality = source.modality ?? modalityOf(source.mimeType);
  if (typeof source.data === 'string') return blobFromBase64(source.data, source.mimeType ?? null, modality);
  if (typeof source.url === 'string') {
    const blob = blobFromDataUrl(source.url, modality);
    if (blob) return blob;
    return { type: 'uri', uri: source.url, ...optional(source.mimeType, modality) };
  }
  if (typeof source.fileId === 'string') return { type: 'file', file_id: source.fileId, ...optional(source.mimeType, modality) };
  return undefined;
}

function optional(mimeType: string | undefined, modality: string | undefined): { mime_type?: string; modality?: string } {
  return { ...(mimeType ? { mime_type: mimeType } : {}), ...(modality ? { modality } : {}) };
}
