/**
 * The crypto layer's public API: digests, Ed25519 under the facto.v1 verification rule, key id, key
 * import and export, and the backend switch. Everything else in this folder is internal.
 */
export type { CryptoBackend, CryptoBackendName } from './crypto-backend.js';
export { generateKeyPair, getPublicKey, sign, signOffThread, verify, type Ed25519KeyPair } from './ed25519.js';
export { sha256, sha3_256, sha3_256Of } from './hash.js';
export { parsePrivateKey, parsePublicKey, privateKeyToPem, publicKeyToPem } from './key-format.js';
export { keyId } from './key-id.js';
export { createNobleBackend } from './noble-backend.js';
export { createNodeBackend } from './node-backend.js';
export { getCryptoBackend, useCryptoBackend, type CryptoBackendChoice } from './select-backend.js';
