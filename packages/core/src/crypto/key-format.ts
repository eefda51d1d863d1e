/**
 * Reading and writing Ed25519 keys. Keys are written as raw 32 bytes, base64 or hex of those bytes
 * (see bytes.ts), or PEM: PKCS#8 "PRIVATE KEY" for the seed, SPKI "PUBLIC KEY" for the public key,
 * in the fixed RFC 8410 DER shapes that OpenSSL, Node and Go also produce. Parsing accepts any of
 * these, so a key can be pasted from wherever it came from, and rejects everything else with a
 * FactoError('key_format') that says what was expected. No message ever includes key bytes.
 */
import { assertBytes, fromBase64, fromHex } from '../bytes.js';
import { FactoError } from '../errors.js';
import { unwrapPkcs8Seed, unwrapSpki, wrapPkcs8Seed, wrapSpki } from './der.js';
import { decodePem, encodePem } from './pem.js';
import { KEY_LENGTH, isAcceptablePublicKey } from './verification-rule.js';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

interface KeyKind {
  what: 'private key' | 'public key';
  pemLabel: string;
  expected: string;
  unwrap(der: Uint8Array): Uint8Array | undefined;
}

const PRIVATE_KEY: KeyKind = {
  what: 'private key',
  pemLabel: 'PRIVATE KEY',
  expected:
    'a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), base64 or 64 hex digits of the 32-byte Ed25519 seed, or the 32 raw bytes',
  unwrap: unwrapPkcs8Seed,
};

const PUBLIC_KEY: KeyKind = {
  what: 'public key',
  pemLabel: 'PUBLIC KEY',
  expected:
    'an SPKI PEM ("-----BEGIN PUBLIC KEY-----"), base64 or 64 hex digits of the 32-byte Ed25519 public key, or the 32 raw bytes',
  unwrap: unwrapSpki,
};

export function privateKeyToPem(privateKey: Uint8Array): string {
  assertBytes(privateKey, 'privateKey', KEY_LENGTH);
  return encodePem(PRIVATE_KEY.pemLabel, wrapPkcs8Seed(privateKey));
}

export function publicKeyToPem(publicKey: Uint8Array): string {
  assertBytes(publicKey, 'publicKey', KEY_LENGTH);
  return encodePem(PUBLIC_KEY.pemLabel, wrapSpki(publicKey));
}

/** The 32-byte seed from a PKCS#8 PEM, base64, hex or raw bytes. */
export function parsePrivateKey(input: string | Uint8Array): Uint8Array {
  return parseKey(input, PRIVATE_KEY);
}

/**
 * The 32-byte public key from an SPKI PEM, base64, hex or raw bytes. A key that could never verify
 * under the facto.v1 rule (not a canonical point of prime order) is refused here, so a bad key is
 * caught when it is registered rather than as a stream of failed signatures later.
 */
export function parsePublicKey(input: string | Uint8Array): Uint8Array {
  const publicKey = parseKey(input, PUBLIC_KEY);
  if (!isAcceptablePublicKey(publicKey)) {
    throw new FactoError(
      'key_format',
      'public key is not a usable Ed25519 key: it must be the canonical encoding of a curve point ' +
        'of prime order (not small or mixed order)',
    );
  }
  return publicKey;
}

function parseKey(input: string | Uint8Array, kind: KeyKind): Uint8Array {
  if (input instanceof Uint8Array) {
    if (input.length === KEY_LENGTH) return input.slice();
    throw formatError(kind, `got ${input.length} raw bytes`);
  }
  if (typeof input !== 'string') throw new TypeError(`${kind.what} must be a string or a Uint8Array`);
  const text = input.trim();
  if (text.startsWith('-----')) {
    const key = kind.unwrap(decodePem(text, kind.pemLabel, kind.what));
    if (key === undefined) throw formatError(kind, `the PEM does not hold an Ed25519 key in the RFC 8410 form`);
    return key;
  }
  if (HEX_KEY.test(text)) return fromHex(text.toLowerCase(), kind.what, KEY_LENGTH);
  if (BASE64_KEY.test(text)) return fromBase64(text, kind.what, KEY_LENGTH);
  throw formatError(kind, `got a ${text.length}-character string in none of these forms`);
}

function formatError(kind: KeyKind, detail: string): FactoError {
  return new FactoError('key_format', `${kind.what} must be ${kind.expected}; ${detail}`);
}
