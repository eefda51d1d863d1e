/**
 * The two fixed DER shapes of an Ed25519 key (RFC 8410): a PKCS#8 PrivateKeyInfo holding the 32-byte
 * seed, and a SubjectPublicKeyInfo holding the 32-byte public key. Both are a constant prefix followed
 * by the key bytes, so wrapping and unwrapping is byte concatenation and comparison; no ASN.1 parser
 * is needed, and none of it depends on node:crypto.
 */
import { concatBytes, equalBytes, fromHex } from '../bytes.js';

/** SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } } */
const PKCS8_SEED_PREFIX = fromHex('302e020100300506032b657004220420');
/** SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits, 32 bytes) } */
const SPKI_PREFIX = fromHex('302a300506032b6570032100');
const KEY_LENGTH = 32;

export function wrapPkcs8Seed(seed: Uint8Array): Uint8Array {
  return concatBytes(PKCS8_SEED_PREFIX, seed);
}

export function wrapSpki(publicKey: Uint8Array): Uint8Array {
  return concatBytes(SPKI_PREFIX, publicKey);
}

/** The seed inside a PKCS#8 Ed25519 DER, or undefined when the DER is anything else. */
export function unwrapPkcs8Seed(der: Uint8Array): Uint8Array | undefined {
  return unwrap(der, PKCS8_SEED_PREFIX);
}

/** The public key inside an SPKI Ed25519 DER, or undefined when the DER is anything else. */
export function unwrapSpki(der: Uint8Array): Uint8Array | undefined {
  return unwrap(der, SPKI_PREFIX);
}

function unwrap(der: Uint8Array, prefix: Uint8Array): Uint8Array | undefined {
  if (der.length !== prefix.length + KEY_LENGTH) return undefined;
  if (!equalBytes(der.subarray(0, prefix.length), prefix)) return undefined;
  return der.slice(prefix.length);
}
