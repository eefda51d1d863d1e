/**
 * Ed25519 for Facto: key generation, signing and the facto.v1 verification rule, all synchronous and
 * all on the selected backend. Private keys are the 32-byte RFC 8032 seed; public keys the 32-byte
 * encoded point; signatures 64 bytes. Wrong argument types throw TypeError and wrong key lengths in
 * signing throw RangeError, as noble does; verification never throws on bytes, it answers false.
 */
import { getCryptoBackend } from './select-backend.js';
import { KEY_LENGTH } from './verification-rule.js';

export interface Ed25519KeyPair {
  /** The 32-byte seed. */
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A fresh key pair from the platform CSPRNG (Web Crypto's getRandomValues, present in every target runtime). */
export function generateKeyPair(): Ed25519KeyPair {
  const privateKey = crypto.getRandomValues(new Uint8Array(KEY_LENGTH));
  return { privateKey, publicKey: getCryptoBackend().getPublicKey(privateKey) };
}

export function getPublicKey(privateKey: Uint8Array): Uint8Array {
  return getCryptoBackend().getPublicKey(privateKey);
}

export function sign(message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return getCryptoBackend().sign(message, privateKey);
}

/**
 * sign(), off the calling thread where the backend can: node:crypto signs on libuv's thread pool,
 * so a caller that signs many messages at once (a batch about to be exported) keeps its own thread
 * for other work; the noble backend signs here, synchronously, and resolves. The same deterministic
 * signature either way. Rejects where sign would throw.
 */
export function signOffThread(message: Uint8Array, privateKey: Uint8Array): Promise<Uint8Array> {
  const backend = getCryptoBackend();
  if (backend.signOffThread !== undefined) return backend.signOffThread(message, privateKey);
  try {
    return Promise.resolve(backend.sign(message, privateKey));
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/** True only under the rule documented in verification-rule.ts. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return getCryptoBackend().verify(signature, message, publicKey);
}
