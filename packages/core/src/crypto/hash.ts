/**
 * The two digests Facto needs: SHA3-256 for record hashes, chains and key ids, and SHA-256 for C2SP
 * signed-note key ids. Both run on the selected backend (node:crypto's createHash when present,
 * @noble/hashes otherwise) and return a fresh 32-byte Uint8Array.
 */
import { assertBytes, concatBytes } from '../bytes.js';
import { getCryptoBackend } from './select-backend.js';

export function sha3_256(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data');
  return getCryptoBackend().sha3_256(data);
}

// The domain-separated hashes of the format (docs/spec.md) hash a prefix, sometimes a salt, and a
// text. Writing them into one buffer that is kept between calls, the text encoded in place, saves
// encoding the text into an array of its own and copying everything into another: about a fifth of
// opening a span, measured. The kept buffer is sized for the worst case (3 bytes per UTF-16 unit) and
// never grows past SCRATCH_LIMIT; a longer message is encoded at its exact size instead. The used
// part is zeroed after each hash, so content does not linger in it.
const SCRATCH_LIMIT = 64 * 1024;
const encoder = new TextEncoder();
let scratch = new Uint8Array(4096);

/** SHA3-256 of the parts concatenated, each string as its UTF-8 bytes. */
export function sha3_256Of(...parts: readonly (Uint8Array | string)[]): Uint8Array {
  let bound = 0;
  for (const part of parts) bound += typeof part === 'string' ? part.length * 3 : (assertBytes(part, 'data'), part.length);
  if (bound > SCRATCH_LIMIT) return sha3_256(concatBytes(...parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : part))));
  if (bound > scratch.length) scratch = new Uint8Array(Math.min(SCRATCH_LIMIT, Math.max(bound, scratch.length * 2)));
  let length = 0;
  for (const part of parts) {
    if (typeof part === 'string') length += encoder.encodeInto(part, scratch.subarray(length)).written;
    else {
      scratch.set(part, length);
      length += part.length;
    }
  }
  try {
    return getCryptoBackend().sha3_256(scratch.subarray(0, length));
  } finally {
    scratch.fill(0, 0, length);
  }
}

export function sha256(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data');
  return getCryptoBackend().sha256(data);
}
