/**
 * The one place the note module reaches for Ed25519 and SHA-256, so that note code never names a crypto
 * library or backend: signatures follow facto.v1's verification rule on whichever backend is selected.
 */
export { getPublicKey, sha256, sign, verify } from '../crypto/index.js';
