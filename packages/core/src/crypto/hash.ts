/**
 * The two digests Facto needs: SHA3-256 for record hashes, chains and key ids, and SHA-256 for C2SP
 * signed-note key ids. Both run on the selected backend (node:crypto's createHash when present,
 * @noble/hashes otherwise) and return a fresh 32-byte Uint8Array.
 */
import { assertBytes } from '../bytes.js';
import { getCryptoBackend } from './select-backend.js';

export function sha3_256(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data');
  return getCryptoBackend().sha3_256(data);
}

export function sha256(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data');
  return getCryptoBackend().sha256(data);
}
