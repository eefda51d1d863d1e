import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import type { CryptoBackend } from './crypto-backend.js';
import { generateKeyPair, getPublicKey, sign, signOffThread, verify } from './ed25519.js';
import { useCryptoBackend } from './select-backend.js';
import { createNobleBackend } from './noble-backend.js';
import { createNodeBackend } from './node-backend.js';

interface Rfc8032Vector {
  name: string;
  secretKey: string;
  publicKey: string;
  message: string;
  signature: string;
}

const { source, vectors } = JSON.parse(readFileSync(new URL('./rfc8032-vectors.json', import.meta.url), 'utf8')) as {
  source: string;
  vectors: Rfc8032Vector[];
};

const node = createNodeBackend();
const noble = createNobleBackend();
const backends: CryptoBackend[] = [node, noble];

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe('RFC 8032 section 7.1 vectors', () => {
  it('are the five published Ed25519 vectors', () => {
    expect(source).toContain('RFC 8032');
    expect(source).toContain('7.1');
    expect(vectors.map((vector) => vector.name)).toEqual(['TEST 1', 'TEST 2', 'TEST 3', 'TEST 1024', 'TEST SHA(abc)']);
    expect(fromHex(vectors[3]!.message)).toHaveLength(1023);
  });

  describe.each(backends.map((backend) => [backend.name, backend] as const))('on the %s backend', (_, backend) => {
    it.each(vectors.map((vector) => [vector.name, vector] as const))('%s: key, signature and verdict', (_, vector) => {
      const seed = fromHex(vector.secretKey);
      const message = fromHex(vector.message);
      expect(toHex(backend.getPublicKey(seed))).toBe(vector.publicKey);
      expect(toHex(backend.sign(message, seed))).toBe(vector.signature);
      expect(backend.verify(fromHex(vector.signature), message, fromHex(vector.publicKey))).toBe(true);
    });
  });

  it('pass through the public functions on the default backend', () => {
    for (const vector of vectors) {
      const seed = fromHex(vector.secretKey);
      const message = fromHex(vector.message);
      expect(toHex(getPublicKey(seed))).toBe(vector.publicKey);
      expect(toHex(sign(message, seed))).toBe(vector.signature);
      expect(verify(fromHex(vector.signature), message, fromHex(vector.publicKey))).toBe(true);
    }
  });
});

describe('node and noble backends agree', () => {
  it('on keys, signatures and verdicts for 200 random keys and messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, message, otherMessage) => {
          const publicKey = node.getPublicKey(seed);
          expect(noble.getPublicKey(seed)).toEqual(publicKey);
          const signature = node.sign(message, seed);
          expect(noble.sign(message, seed)).toEqual(signature);
          expect(node.verify(signature, message, publicKey)).toBe(true);
          expect(noble.verify(signature, message, publicKey)).toBe(true);
          const sameMessage = toHex(message) === toHex(otherMessage);
          expect(node.verify(signature, otherMessage, publicKey)).toBe(sameMessage);
          expect(noble.verify(signature, otherMessage, publicKey)).toBe(sameMessage);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([vectors[1]!, vectors[2]!].map((vector) => [vector.name, vector] as const))(
    '%s: every single-bit flip of signature, message and public key is rejected by both',
    (_, vector) => {
      const signature = fromHex(vector.signature);
      const message = fromHex(vector.message);
      const publicKey = fromHex(vector.publicKey);
      const verdicts = (candidate: [Uint8Array, Uint8Array, Uint8Array]) =>
        backends.map((backend) => backend.verify(...candidate));
      for (let bit = 0; bit < signature.length * 8; bit++) {
        expect(verdicts([flipBit(signature, bit), message, publicKey]), `signature bit ${bit}`).toEqual([false, false]);
      }
      for (let bit = 0; bit < message.length * 8; bit++) {
        expect(verdicts([signature, flipBit(message, bit), publicKey]), `message bit ${bit}`).toEqual([false, false]);
      }
      for (let bit = 0; bit < publicKey.length * 8; bit++) {
        expect(verdicts([signature, message, flipBit(publicKey, bit)]), `public key bit ${bit}`).toEqual([false, false]);
      }
    },
  );
});

describe('arguments', () => {
  const { privateKey, publicKey } = generateKeyPair();
  const message = Uint8Array.of(1, 2, 3);
  const signature = sign(message, privateKey);

  it('generateKeyPair returns a fresh 32-byte seed and its public key', () => {
    expect(privateKey).toHaveLength(32);
    expect(publicKey).toEqual(getPublicKey(privateKey));
    expect(generateKeyPair().privateKey).not.toEqual(privateKey);
    expect(verify(signature, message, publicKey)).toBe(true);
  });

  it.each(backends.map((backend) => [backend.name, backend] as const))(
    '%s: sign and getPublicKey throw TypeError on wrong types and RangeError on wrong key lengths',
    (_, backend) => {
      expect(() => backend.sign('abc' as unknown as Uint8Array, privateKey)).toThrow(TypeError);
      expect(() => backend.sign(message, [...privateKey] as unknown as Uint8Array)).toThrow(TypeError);
      expect(() => backend.sign(message, privateKey.subarray(0, 31))).toThrow(RangeError);
      expect(() => backend.sign(message, new Uint8Array(64))).toThrow(RangeError);
      expect(() => backend.getPublicKey(new Uint8Array(33))).toThrow(RangeError);
      expect(() => backend.getPublicKey(null as unknown as Uint8Array)).toThrow(TypeError);
    },
  );

  it.each(backends.map((backend) => [backend.name, backend] as const))(
    '%s: verify throws only on wrong types and answers false for wrong lengths or junk',
    (_, backend) => {
      expect(() => backend.verify('00' as unknown as Uint8Array, message, publicKey)).toThrow(TypeError);
      expect(() => backend.verify(signature, undefined as unknown as Uint8Array, publicKey)).toThrow(TypeError);
      expect(() => backend.verify(signature, message, {} as unknown as Uint8Array)).toThrow(TypeError);
      expect(backend.verify(signature.subarray(0, 63), message, publicKey)).toBe(false);
      expect(backend.verify(new Uint8Array(65), message, publicKey)).toBe(false);
      expect(backend.verify(signature, message, publicKey.subarray(0, 31))).toBe(false);
      expect(backend.verify(signature, message, new Uint8Array(33))).toBe(false);
      expect(backend.verify(new Uint8Array(64), message, publicKey)).toBe(false);
      expect(backend.verify(new Uint8Array(64).fill(0xff), message, new Uint8Array(32).fill(0xff))).toBe(false);
      expect(backend.verify(signature, message, new Uint8Array(32))).toBe(false);
    },
  );
});

describe('signOffThread', () => {
  it('gives the RFC 8032 signatures on the node backend, which signs on the thread pool', async () => {
    for (const vector of vectors) {
      expect(toHex(await node.signOffThread!(fromHex(vector.message), fromHex(vector.secretKey))), vector.name).toBe(vector.signature);
    }
  });

  it('gives what sign gives on whichever backend is selected, the noble one (which has no thread) included', async () => {
    const { privateKey } = generateKeyPair();
    const message = new Uint8Array(32).fill(9);
    for (const backend of ['node', 'noble'] as const) {
      useCryptoBackend(backend);
      try {
        expect(toHex(await signOffThread(message, privateKey)), backend).toBe(toHex(node.sign(message, privateKey)));
      } finally {
        useCryptoBackend('auto');
      }
    }
    expect(noble.signOffThread).toBeUndefined();
  });

  it('rejects, rather than throws, where sign throws', async () => {
    const wrongLength = new Uint8Array(31);
    for (const backend of ['node', 'noble'] as const) {
      useCryptoBackend(backend);
      try {
        const pending = signOffThread(new Uint8Array(32), wrongLength);
        await expect(pending, backend).rejects.toThrow(RangeError);
      } finally {
        useCryptoBackend('auto');
      }
    }
  });
});
