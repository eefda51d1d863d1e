/**
 * Ed25519 note keys as c2sp.org/signed-note names them: a key ID (the first four bytes of
 * SHA-256(name || 0x0A || 0x01 || public key)) and the verifier key text `<name>+<hex8>+<base64(0x01 || key)>`
 * that golang.org/x/mod/sumdb/note, Sunlight and Tessera exchange. Only signature type 0x01 is supported.
 */
import { assertBytes, concatBytes, equalBytes, toBase64, toHex, utf8 } from '../bytes.js';
import { FactoError } from '../errors.js';
import { sha256 } from './crypto-adapter.js';
import { SIGNATURE_TYPE_ED25519, decodeCanonicalBase64, keyNameProblem } from './note-syntax.js';

/** A trusted Ed25519 note key. `keyId` must match `name` and `publicKey`; `parseVerifierKey` guarantees it. */
export interface VerifierKey {
  readonly name: string;
  /** 4 bytes. */
  readonly keyId: Uint8Array;
  /** 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

/** Signs a note: the key name that will appear on the signature line and a 32-byte Ed25519 private key (seed). */
export interface NoteSigner {
  readonly name: string;
  readonly privateKey: Uint8Array;
}

const KEY_ID_HEX = /^[0-9a-f]{8}$/;

export function assertKeyName(name: unknown, label = 'key name'): asserts name is string {
  if (typeof name !== 'string') throw new TypeError(`${label} must be a string`);
  const problem = keyNameProblem(name);
  if (problem !== undefined) throw new FactoError('key_format', `${label} ${JSON.stringify(name)} ${problem}`);
}

export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  assertKeyName(name);
  assertBytes(publicKey, 'publicKey', 32);
  const digest = sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, SIGNATURE_TYPE_ED25519), publicKey));
  return digest.slice(0, 4);
}

export function encodeVerifierKey(name: string, publicKey: Uint8Array): string {
  const keyId = noteKeyId(name, publicKey);
  return `${name}+${toHex(keyId)}+${toBase64(concatBytes(Uint8Array.of(SIGNATURE_TYPE_ED25519), publicKey))}`;
}

/**
 * Parses `<name>+<hex8>+<base64>`. Stricter than Go in two spellings only: the key ID must be lowercase
 * hex and the base64 canonical, which is what every encoder writes.
 */
export function parseVerifierKey(text: string): VerifierKey {
  if (typeof text !== 'string') throw new TypeError('verifier key must be a string');
  const fail = (reason: string) => new FactoError('key_format', `verifier key ${JSON.stringify(text)}: ${reason}`);
  const firstPlus = text.indexOf('+');
  const secondPlus = firstPlus < 0 ? -1 : text.indexOf('+', firstPlus + 1);
  if (secondPlus < 0) throw fail('expected <name>+<key id>+<base64 key>');
  const name = text.slice(0, firstPlus);
  const keyIdHex = text.slice(firstPlus + 1, secondPlus);
  const encodedKey = text.slice(secondPlus + 1);
  const nameProblem = keyNameProblem(name);
  if (nameProblem !== undefined) throw fail(`name ${nameProblem}`);
  if (!KEY_ID_HEX.test(keyIdHex)) throw fail('key id must be 8 lowercase hex digits');
  const keyBytes = decodeCanonicalBase64(encodedKey);
  if (keyBytes === undefined) throw fail('key must be canonical standard base64');
  if (keyBytes[0] !== SIGNATURE_TYPE_ED25519) {
    throw fail(`unsupported signature type ${keyBytes.length === 0 ? '(none)' : `0x${toHex(keyBytes.subarray(0, 1))}`}, only 0x01 (Ed25519)`);
  }
  if (keyBytes.length !== 33) throw fail(`Ed25519 key must be 32 bytes, got ${keyBytes.length - 1}`);
  const publicKey = keyBytes.slice(1);
  const keyId = noteKeyId(name, publicKey);
  if (toHex(keyId) !== keyIdHex) throw fail(`key id ${keyIdHex} does not match the name and key (expected ${toHex(keyId)})`);
  return { name, keyId, publicKey };
}

/** Checks a caller-built VerifierKey so that a wrong keyId cannot make a signature look unknown. */
export function assertVerifierKey(key: VerifierKey, label: string): void {
  if (typeof key !== 'object' || key === null) throw new TypeError(`${label} must be a VerifierKey object`);
  assertKeyName(key.name, `${label}.name`);
  assertBytes(key.keyId, `${label}.keyId`, 4);
  assertBytes(key.publicKey, `${label}.publicKey`, 32);
  if (!equalBytes(key.keyId, noteKeyId(key.name, key.publicKey))) {
    throw new FactoError('key_format', `${label}: keyId ${toHex(key.keyId)} does not match its name and public key`);
  }
}
