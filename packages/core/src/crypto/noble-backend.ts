/**
 * The portable backend: @noble/ed25519 and @noble/hashes, pure JavaScript, for browsers, Deno, edge
 * runtimes and any Node without node:crypto. noble's synchronous Ed25519 API needs a SHA-512 to be
 * supplied; it is wired here rather than at module load so the package stays free of import-time
 * side effects.
 */
import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { assertBytes } from '../bytes.js';
import type { CryptoBackend } from './crypto-backend.js';
import { KEY_LENGTH, isTorsionFreeEncoding, passesSharedChecks } from './verification-rule.js';

export function createNobleBackend(): CryptoBackend {
  ed.hashes.sha512 = sha512;
  return {
    name: 'noble',
    sha3_256: (data) => sha3_256(data),
    sha256: (data) => sha256(data),
    getPublicKey(privateKey) {
      assertBytes(privateKey, 'privateKey', KEY_LENGTH);
      return ed.getPublicKey(privateKey);
    },
    sign(message, privateKey) {
      assertBytes(message, 'message');
      assertBytes(privateKey, 'privateKey', KEY_LENGTH);
      return ed.sign(message, privateKey);
    },
    verify(signature, message, publicKey) {
      assertBytes(signature, 'signature');
      assertBytes(message, 'message');
      assertBytes(publicKey, 'publicKey');
      if (!passesSharedChecks(signature, publicKey)) return false;
      // noble's equation is cofactored; with A already torsion-free, a torsion-free R makes it
      // equivalent to the cofactorless equation OpenSSL checks.
      if (!isTorsionFreeEncoding(signature.subarray(0, KEY_LENGTH))) return false;
      try {
        return ed.verify(signature, message, publicKey, { zip215: false });
      } catch {
        return false;
      }
    },
  };
}
