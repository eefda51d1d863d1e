/**
 * The facto.v1 verification rule at its edges. Each case is built with noble's point arithmetic and
 * checked on both backends, which must agree; where a raw library (OpenSSL alone, or noble alone)
 * would answer differently, that is asserted too, as the reason the extra checks exist.
 */
import * as nodeCrypto from 'node:crypto';
import * as ed from '@noble/ed25519';
import fc from 'fast-check';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../bytes.js';
import { wrapSpki } from './der.js';
import { createNobleBackend } from './noble-backend.js';
import { createNodeBackend } from './node-backend.js';
import { GROUP_ORDER as L, hasCanonicalS, isAcceptablePublicKey } from './verification-rule.js';

const node = createNodeBackend();
const noble = createNobleBackend();
const P = 2n ** 255n - 19n;
const { Point } = ed;

const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const { scalar: a, pointBytes: publicKey, point: A } = ed.utils.getExtendedPublicKey(seed);
const message = utf8('facto edge case');

const toBytesLE = (value: bigint): Uint8Array => {
  const bytes = new Uint8Array(32);
  for (let index = 0; index < 32; index++, value >>= 8n) bytes[index] = Number(value & 0xffn);
  return bytes;
};
const fromBytesLE = (bytes: Uint8Array): bigint => bytes.reduceRight((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
const modL = (value: bigint) => ((value % L) + L) % L;
const challenge = (encodedR: Uint8Array, encodedA: Uint8Array) => modL(fromBytesLE(sha512(concatBytes(encodedR, encodedA, message))));

/** R || (r + k·a mod L): the signer's equation, with R chosen freely (it need not be [r]B). */
function signWith(encodedR: Uint8Array, r: bigint, encodedA: Uint8Array = publicKey, secret: bigint = a): Uint8Array {
  return concatBytes(encodedR, toBytesLE(modL(r + challenge(encodedR, encodedA) * secret)));
}

const verdicts = (signature: Uint8Array, key: Uint8Array = publicKey) => [
  node.verify(signature, message, key),
  noble.verify(signature, message, key),
];
const rawOpenSsl = (signature: Uint8Array, key: Uint8Array) =>
  nodeCrypto.verify(null, message, nodeCrypto.createPublicKey({ key: Buffer.from(wrapSpki(key)), format: 'der', type: 'spki' }), signature);
const rawNoble = (signature: Uint8Array, key: Uint8Array, zip215 = false) => ed.verify(signature, message, key, { zip215 });

// A point of order 8 (one of the eight well-known small-order encodings); its multiples are the
// whole torsion subgroup.
const T8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
const torsion = Array.from({ length: 8 }, (_, index) => (index === 0 ? Point.ZERO : T8.multiply(BigInt(index))));
const orderOf = (point: ed.Point) => [1n, 2n, 4n, 8n].find((order) => (order === 1n ? point.is0() : point.multiply(order, false).is0()))!;

/** The first r whose signature under `encodedA` has k a multiple of `order`, so k·T vanishes. */
function findNonce(encodedA: Uint8Array, order: bigint): bigint {
  for (let r = 1n; ; r++) if (challenge(Point.BASE.multiply(r).toBytes(), encodedA) % order === 0n) return r;
}

describe('the torsion subgroup used below', () => {
  it('has eight distinct small-order points with orders 1, 2, 4, 4, 8, 8, 8, 8', () => {
    expect(new Set(torsion.map((point) => point.toHex())).size).toBe(8);
    expect(torsion.every((point) => point.isSmallOrder())).toBe(true);
    expect(torsion.map(orderOf).sort()).toEqual([1n, 2n, 4n, 4n, 8n, 8n, 8n, 8n]);
  });
});

describe('rule (a): S < L', () => {
  const valid = signWith(Point.BASE.multiply(7n).toBytes(), 7n);
  const S = fromBytesLE(valid.subarray(32));
  const withS = (value: bigint) => concatBytes(valid.subarray(0, 32), toBytesLE(value));

  it('accepts the honest signature', () => {
    expect(verdicts(valid)).toEqual([true, true]);
  });

  it.each([
    ['S + L (same S mod L)', S + L],
    ['S = L', L],
    ['S = L + 1', L + 1n],
    ['S = 2^253 + S', 2n ** 253n + S],
    ['S = 2^256 - 1', 2n ** 256n - 1n],
  ])('rejects %s on both paths', (_, value) => {
    expect(hasCanonicalS(withS(value))).toBe(false);
    expect(verdicts(withS(value))).toEqual([false, false]);
  });

  it('treats L - 1 as canonical', () => {
    expect(hasCanonicalS(withS(L - 1n))).toBe(true);
  });

  it('agrees with S < L read as an integer, for any S and for S next to L in every byte', () => {
    const asInteger = (signature: Uint8Array) => fromBytesLE(signature.subarray(32)) < L;
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (s) => {
      const signature = concatBytes(valid.subarray(0, 32), s);
      return hasCanonicalS(signature) === asInteger(signature);
    }));
    // L plus or minus a power of 256 changes one byte of L (and may borrow or carry into the next).
    for (let position = 0n; position < 32n; position++) {
      for (const value of [L - 256n ** position, L + 256n ** position]) {
        if (value < 0n || value >= 2n ** 256n) continue;
        expect(hasCanonicalS(withS(value)), `L ${value < L ? '-' : '+'} 256^${position}`).toBe(value < L);
      }
    }
  });
});

describe('rule (b): the public key', () => {
  it.each(torsion.map((point) => [point.toHex(), point] as const))('rejects small-order key %s on both paths', (encoded, point) => {
    const key = fromHex(encoded);
    const r = findNonce(key, orderOf(point));
    // R = [r]B, S = r satisfies the cofactorless equation whenever k·A vanishes.
    const signature = concatBytes(Point.BASE.multiply(r).toBytes(), toBytesLE(r));
    expect(isAcceptablePublicKey(key)).toBe(false);
    expect(verdicts(signature, key)).toEqual([false, false]);
    // OpenSSL on its own accepts it; noble on its own (strict mode) rejects small-order keys.
    expect(rawOpenSsl(signature, key)).toBe(true);
    expect(rawNoble(signature, key)).toBe(false);
  });

  it.each(torsion.slice(1).map((point) => [point.toHex(), point] as const))(
    'rejects the mixed-order key A + %s on both paths',
    (_, point) => {
      const mixed = A.add(point).toBytes();
      const r = findNonce(mixed, orderOf(point));
      const signature = signWith(Point.BASE.multiply(r).toBytes(), r, mixed);
      expect(isAcceptablePublicKey(mixed)).toBe(false);
      expect(verdicts(signature, mixed)).toEqual([false, false]);
      // Both raw libraries accept this one: the torsion-free check on A is what rejects it.
      expect(rawOpenSsl(signature, mixed)).toBe(true);
      expect(rawNoble(signature, mixed)).toBe(true);
    },
  );

  it.each([
    ['identity as y = p + 1', toBytesLE(P + 1n), 1n],
    ['identity as y = p + 1 with the sign bit', toBytesLE(P + 1n + 2n ** 255n), 1n],
    ['identity with the sign bit set (x = 0)', fromHex('0100000000000000000000000000000000000000000000000000000000000080'), 1n],
    ['order-2 point with the sign bit set (x = 0)', toBytesLE(P - 1n + 2n ** 255n), 2n],
  ])('rejects the non-canonical key encoding %s on both paths', (_, key, order) => {
    const r = findNonce(key, order);
    const signature = concatBytes(Point.BASE.multiply(r).toBytes(), toBytesLE(r));
    expect(isAcceptablePublicKey(key)).toBe(false);
    expect(verdicts(signature, key)).toEqual([false, false]);
    // OpenSSL reduces y mod p and ignores the x = 0 sign bit, so for it this is the identity key.
    expect(rawOpenSsl(signature, key)).toBe(true);
  });

  it('rejects a non-canonical encoding y = p + 3 of a curve point', () => {
    const key = toBytesLE(P + 3n);
    expect(() => Point.fromBytes(key, true)).not.toThrow();
    expect(isAcceptablePublicKey(key)).toBe(false);
    expect(verdicts(signWith(Point.BASE.multiply(5n).toBytes(), 5n), key)).toEqual([false, false]);
  });

  it('rejects bytes that are not a curve point', () => {
    const key = toBytesLE(2n);
    expect(() => Point.fromBytes(key, true)).toThrow();
    expect(verdicts(signWith(Point.BASE.multiply(5n).toBytes(), 5n), key)).toEqual([false, false]);
  });
});

describe('rules (c) and (d): R', () => {
  it.each(torsion.slice(1).map((point) => [point.toHex(), point] as const))(
    'rejects R + %s (valid under the cofactored equation only) on both paths',
    (_, point) => {
      const signature = signWith(Point.BASE.multiply(12345n).add(point).toBytes(), 12345n);
      expect(verdicts(signature)).toEqual([false, false]);
      expect(rawOpenSsl(signature, publicKey)).toBe(false);
      expect(rawNoble(signature, publicKey)).toBe(true);
    },
  );

  it.each(torsion.slice(1).map((point) => [point.toHex(), point] as const))('rejects R = %s itself on both paths', (encoded) => {
    const signature = signWith(fromHex(encoded), 0n);
    expect(verdicts(signature)).toEqual([false, false]);
    expect(rawNoble(signature, publicKey)).toBe(true);
  });

  it('accepts R = identity with S = k·a on both paths, since the identity is torsion-free', () => {
    expect(verdicts(signWith(Point.ZERO.toBytes(), 0n))).toEqual([true, true]);
  });

  it.each([
    ['identity as y = p + 1', toBytesLE(P + 1n)],
    ['identity with the sign bit set (x = 0)', fromHex('0100000000000000000000000000000000000000000000000000000000000080')],
  ])('rejects the non-canonical R encoding %s on both paths', (_, encodedR) => {
    const signature = signWith(encodedR, 0n);
    expect(verdicts(signature)).toEqual([false, false]);
    expect(rawOpenSsl(signature, publicKey)).toBe(false);
    // Lenient (ZIP-215) decoding would take it: it is a real signature on a non-canonical R.
    expect(rawNoble(signature, publicKey, true)).toBe(true);
  });

  it('rejects an R that is not a curve point on both paths', () => {
    expect(verdicts(signWith(toBytesLE(2n), 0n))).toEqual([false, false]);
  });
});

describe('public-key verdict cache', () => {
  it('returns the same verdict when asked again', () => {
    const small = fromHex(toHex(T8.toBytes()));
    expect(isAcceptablePublicKey(publicKey)).toBe(true);
    expect(isAcceptablePublicKey(publicKey)).toBe(true);
    expect(isAcceptablePublicKey(small)).toBe(false);
    expect(isAcceptablePublicKey(small)).toBe(false);
  });
});
