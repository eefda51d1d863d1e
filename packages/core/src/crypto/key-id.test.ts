import { sha3_256 as nobleSha3 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../bytes.js';
import { generateKeyPair } from './ed25519.js';
import { keyId } from './key-id.js';

// The public key of RFC 8032 section 7.1 TEST 1, and its key id (computed once, kept as a regression
// vector for docs/spec.md; Python's hashlib.sha3_256 gives the same).
const publicKey = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const expectedKeyId = '62561d116b8846e086365b653f6c64f1';

describe('keyId', () => {
  it('is the first 16 bytes of SHA3-256("facto.v1.key" || 0x00 || publicKey), in lowercase hex', () => {
    const independent = toHex(nobleSha3(concatBytes(utf8('facto.v1.key'), Uint8Array.of(0), publicKey)).subarray(0, 16));
    expect(keyId(publicKey)).toBe(independent);
    expect(keyId(publicKey)).toBe(expectedKeyId);
  });

  it('is 32 lowercase hex digits and differs between keys', () => {
    const first = keyId(generateKeyPair().publicKey);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(keyId(generateKeyPair().publicKey)).not.toBe(first);
  });

  it('throws TypeError / RangeError for a wrong type or length', () => {
    expect(() => keyId('d75a' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => keyId(publicKey.subarray(1))).toThrow(RangeError);
  });
});
