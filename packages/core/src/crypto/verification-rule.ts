/**
 * The Ed25519 verification rule of facto.v1, and the checks both backends share to enforce it.
 * Ed25519 libraries disagree at the edges (cofactored or cofactorless equation, canonical encodings,
 * small-order keys), so one signature can be valid to one verifier and invalid to another. An
 * evidence log cannot afford that: the agent (node:crypto), the collector and a browser verifier
 * (noble) must reach the same verdict on every input. This module pins the verdict down.
 *
 * THE RULE. A signature `signature = R || S` on `message` under `publicKey = A` is valid if and only if
 *   (a) `signature` is 64 bytes and S, read as a little-endian integer, is below
 *       L = 2^252 + 27742317777372353535851937790883648493 (the prime order of the base point B);
 *   (b) `publicKey` is 32 bytes and A is a canonical encoding (y < p = 2^255 - 19, and the sign bit is
 *       clear when x = 0), decodes to a point on the curve, is not of small order ([8]A is not the
 *       identity), and is torsion-free ([L]A is the identity, so A lies in the prime-order subgroup);
 *   (c) R is a canonical encoding of a curve point (the decoding conditions of (b); R may have any
 *       order so far, even be the identity);
 *   (d) [S]B = R + [k]A, with k = SHA-512(R || A || message) read little-endian and reduced mod L
 *       (the cofactorless equation, RFC 8032 section 5.1.7 without the factor 8).
 * Under (b), (d) forces R into the prime-order subgroup, so a signature whose R carries a torsion
 * component is invalid; equivalently, the rule is the cofactored equation [8][S]B = [8]R + [8][k]A
 * plus "R is torsion-free". The rule is RFC 8032 strict decoding plus a prime-order public key.
 *
 * HOW EACH PATH GETS THERE (measured against OpenSSL 3.0.19 in Node 20.20 and @noble/ed25519 3.2.0).
 * OpenSSL rejects S >= L, rejects non-canonical R (it compares R byte for byte with its own encoding
 * of [S]B - [k]A) and checks the cofactorless equation; but it accepts small-order, mixed-order and
 * non-canonical public keys. noble with `{ zip215: false }` rejects S >= L, non-canonical A and R and
 * small-order A; but it checks the cofactored equation, so it accepts a mixed-order A (when k is a
 * multiple of the torsion order) and an R with a torsion component. Hence:
 *   - both paths run `isAcceptablePublicKey` (rule b), cached per key, and `hasCanonicalS` (rule a,
 *     so the verdict does not hang on one OpenSSL version's S check);
 *   - the noble path also requires `isTorsionFreeEncoding(R)`, turning its cofactored equation into
 *     the cofactorless one.
 */
import * as ed from '@noble/ed25519';
import { toHex } from '../bytes.js';
import { BoundedCache } from './bounded-cache.js';

export const SIGNATURE_LENGTH = 64;
export const KEY_LENGTH = 32;
/** L, the order of the Ed25519 base point. */
export const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

// A verdict costs two scalar multiplications in pure JS (about a millisecond); a collector sees the
// same few keys again and again, and a bound keeps a flood of fresh keys from growing memory.
const publicKeyVerdicts = new BoundedCache<boolean>(1024);

/** L as 32 little-endian bytes, as S is encoded. */
const GROUP_ORDER_LE = (() => {
  const bytes = new Uint8Array(KEY_LENGTH);
  let rest = GROUP_ORDER;
  for (let index = 0; index < KEY_LENGTH; index++, rest >>= 8n) bytes[index] = Number(rest & 0xffn);
  return bytes;
})();

/**
 * Rule (a), on a signature already known to be 64 bytes: S < L. Compared byte by byte from the most
 * significant end, without BigInt: it runs on every verification, and building S as a BigInt made
 * 64 of them.
 */
export function hasCanonicalS(signature: Uint8Array): boolean {
  for (let index = KEY_LENGTH - 1; index >= 0; index--) {
    const byte = signature[KEY_LENGTH + index]!;
    const bound = GROUP_ORDER_LE[index]!;
    if (byte !== bound) return byte < bound;
  }
  return false;
}

/** Rule (b): the public key is 32 bytes, canonical, on the curve, not small order, torsion-free. */
export function isAcceptablePublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== KEY_LENGTH) return false;
  const cacheKey = toHex(publicKey);
  const cached = publicKeyVerdicts.get(cacheKey);
  if (cached !== undefined) return cached;
  const point = decodeStrict(publicKey);
  const verdict = point !== undefined && !point.isSmallOrder() && point.isTorsionFree();
  publicKeyVerdicts.set(cacheKey, verdict);
  return verdict;
}

/** Rule (c) plus "R is torsion-free", which the noble path needs to match the cofactorless equation. */
export function isTorsionFreeEncoding(encoded: Uint8Array): boolean {
  const point = decodeStrict(encoded);
  return point !== undefined && point.isTorsionFree();
}

/** The checks every backend runs before its own equation check: rules (a) and (b). */
export function passesSharedChecks(signature: Uint8Array, publicKey: Uint8Array): boolean {
  return signature.length === SIGNATURE_LENGTH && hasCanonicalS(signature) && isAcceptablePublicKey(publicKey);
}

// noble's non-ZIP-215 decoding is RFC 8032 section 5.1.3 to the letter: y < p, x recoverable, and
// no "negative zero" x. It throws on anything else; a throw here is simply a failed check.
function decodeStrict(encoded: Uint8Array): ed.Point | undefined {
  if (encoded.length !== KEY_LENGTH) return undefined;
  try {
    return ed.Point.fromBytes(encoded, false);
  } catch {
    return undefined;
  }
}
