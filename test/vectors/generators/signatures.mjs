/**
 * Signature vectors for the verification rule of docs/spec.md section 9: one valid signature and the
 * edge cases Ed25519 libraries disagree on, each crafted with noble's point arithmetic over the
 * record hash of the first record vector, with the verdict every facto.v1 verifier MUST reach. The
 * crafted cases are facts about the curve (the eight small-order points are those listed in the
 * ZIP 215 and "Taming the many EdDSAs" test sets); nothing here depends on Facto's own code.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, fromHex, toHex } from '@facto/core';

ed.hashes.sha512 = sha512;
const { Point } = ed;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;

const toBytesLE = (value) => {
  const bytes = new Uint8Array(32);
  for (let index = 0; index < 32; index++, value >>= 8n) bytes[index] = Number(value & 0xffn);
  return bytes;
};
const fromBytesLE = (bytes) => bytes.reduceRight((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
const modL = (value) => ((value % L) + L) % L;

export function generateSignatures(agentPrivateKey, message) {
  const { scalar: a, pointBytes: publicKey, point: A } = ed.utils.getExtendedPublicKey(agentPrivateKey);
  const challenge = (encodedR, encodedA) => modL(fromBytesLE(sha512(concatBytes(encodedR, encodedA, message))));
  /** R || (r + k·a mod L), with R chosen freely. */
  const signWith = (encodedR, r, encodedA = publicKey, secret = a) => concatBytes(encodedR, toBytesLE(modL(r + challenge(encodedR, encodedA) * secret)));
  const T8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
  const orderOf = (point) => [1n, 2n, 4n, 8n].find((order) => (order === 1n ? point.is0() : point.multiply(order, false).is0()));
  const nonceFor = (encodedA, order) => {
    for (let r = 1n; ; r++) if (challenge(Point.BASE.multiply(r).toBytes(), encodedA) % order === 0n) return r;
  };

  const honest = ed.sign(message, agentPrivateKey);
  const S = fromBytesLE(honest.subarray(32));
  const identity = Point.ZERO;
  const smallOrderKey = identity.toBytes();
  const smallNonce = nonceFor(smallOrderKey, 1n);
  const mixed = A.add(T8);
  const mixedNonce = nonceFor(mixed.toBytes(), orderOf(T8));
  const nonCanonicalKey = toBytesLE(P + 1n); // the identity, encoded with y = p + 1
  const nonCanonicalKeyNonce = nonceFor(nonCanonicalKey, 1n);

  const cases = [
    { name: 'the honest signature', public_key: publicKey, signature: honest, valid: true, rule: 'all' },
    { name: 'S + L: the same signature with a non-canonical S', public_key: publicKey, signature: concatBytes(honest.subarray(0, 32), toBytesLE(S + L)), valid: false, rule: '1 (S < L)' },
    { name: 'small-order public key (the identity), with a signature that satisfies the equation', public_key: smallOrderKey, signature: concatBytes(Point.BASE.multiply(smallNonce).toBytes(), toBytesLE(smallNonce)), valid: false, rule: '2 (A not of small order)' },
    { name: 'mixed-order public key A + T (T of order 8), with a signature that satisfies the equation', public_key: mixed.toBytes(), signature: signWith(Point.BASE.multiply(mixedNonce).toBytes(), mixedNonce, mixed.toBytes()), valid: false, rule: '2 (A torsion-free)' },
    { name: 'non-canonical encoding of the public key (y = p + 1)', public_key: nonCanonicalKey, signature: concatBytes(Point.BASE.multiply(nonCanonicalKeyNonce).toBytes(), toBytesLE(nonCanonicalKeyNonce)), valid: false, rule: '2 (A canonical)' },
    { name: 'R with a torsion component (valid only under the cofactored equation)', public_key: publicKey, signature: signWith(Point.BASE.multiply(12345n).add(T8).toBytes(), 12345n), valid: false, rule: '3 (R torsion-free)' },
    { name: 'non-canonical encoding of R (the identity with y = p + 1)', public_key: publicKey, signature: signWith(toBytesLE(P + 1n), 0n), valid: false, rule: '3 (R canonical)' },
    { name: 'a signature by another key', public_key: publicKey, signature: ed.sign(message, fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb')), valid: false, rule: '4 (the equation)' },
  ];
  return {
    description: 'Ed25519 verification vectors for docs/spec.md section 9. message is the 32-byte record hash of the first record vector; a verifier MUST return valid for each case.',
    generator: 'test/vectors/generate.mjs',
    checked_by: 'test/vectors/vectors.test.ts',
    message: toHex(message),
    cases: cases.map((item) => ({ name: item.name, rule: item.rule, public_key: toHex(item.public_key), signature: toHex(item.signature), valid: item.valid })),
  };
}
