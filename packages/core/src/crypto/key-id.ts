/**
 * Facto's key id: a short, stable name for a public key, carried in every signed span
 * (`facto.key_id`) so the collector can find the key without trying each registered one. It is the
 * lowercase hex of the first 16 bytes of SHA3-256("facto.v1.key" || 0x00 || publicKey); the domain
 * prefix keeps it from colliding with any other SHA3-256 of the same 32 bytes.
 */
import { assertBytes, concatBytes, toHex, utf8 } from '../bytes.js';
import { sha3_256 } from './hash.js';
import { KEY_LENGTH } from './verification-rule.js';

const KEY_ID_DOMAIN = concatBytes(utf8('facto.v1.key'), Uint8Array.of(0));
const KEY_ID_BYTES = 16;

export function keyId(publicKey: Uint8Array): string {
  assertBytes(publicKey, 'publicKey', KEY_LENGTH);
  return toHex(sha3_256(concatBytes(KEY_ID_DOMAIN, publicKey)).subarray(0, KEY_ID_BYTES));
}
