import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex, utf8 } from '../bytes.js';
import { sha256, sha3_256, sha3_256Of } from './hash.js';
import { createNobleBackend } from './noble-backend.js';
import { createNodeBackend } from './node-backend.js';

// SHA3-256: FIPS 202 example values (NIST "Examples with Intermediate Values"). SHA-256: the FIPS
// 180-2 appendix B.1 example ("abc") and the well-known digest of the empty string.
const knownAnswers = [
  { name: 'SHA3-256 of ""', digest: sha3_256, input: '', expected: 'a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a' },
  { name: 'SHA3-256 of "abc"', digest: sha3_256, input: 'abc', expected: '3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532' },
  { name: 'SHA-256 of ""', digest: sha256, input: '', expected: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  { name: 'SHA-256 of "abc"', digest: sha256, input: 'abc', expected: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
];

const backends = [createNodeBackend(), createNobleBackend()];

describe('digests', () => {
  it.each(knownAnswers.map((answer) => [answer.name, answer] as const))('%s on the default backend', (_, answer) => {
    expect(toHex(answer.digest(utf8(answer.input)))).toBe(answer.expected);
  });

  it.each(backends.map((backend) => [backend.name, backend] as const))('known answers on the %s backend', (_, backend) => {
    for (const answer of knownAnswers) {
      const digest = answer.digest === sha3_256 ? backend.sha3_256 : backend.sha256;
      expect(toHex(digest(utf8(answer.input))), answer.name).toBe(answer.expected);
    }
  });

  it('node and noble agree on random input, and return plain 32-byte Uint8Arrays', () => {
    const [node, noble] = backends as [(typeof backends)[0], (typeof backends)[0]];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        const digests = [node.sha3_256(data), noble.sha3_256(data), node.sha256(data), noble.sha256(data)];
        expect(digests[0]).toEqual(digests[1]);
        expect(digests[2]).toEqual(digests[3]);
        for (const digest of digests) {
          expect(digest.constructor).toBe(Uint8Array);
          expect(digest).toHaveLength(32);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('throws TypeError for input that is not bytes', () => {
    expect(() => sha3_256('abc' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => sha256([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('sha3_256Of', () => {
  // Strings of single UTF-16 code units, lone surrogates included (UTF-8 writes them as U+FFFD).
  const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 40 });
  const part = fc.oneof(anyText, fc.uint8Array({ maxLength: 40 }));
  const concatenated = (parts: readonly (Uint8Array | string)[]) => concatBytes(...parts.map((item) => (typeof item === 'string' ? utf8(item) : item)));

  it('hashes the parts concatenated, strings as UTF-8, whatever came before', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 5 }), (parts) => {
        expect(sha3_256Of(...parts)).toEqual(sha3_256(concatenated(parts)));
      }),
      { numRuns: 500 },
    );
  });

  it('hashes messages beyond its kept buffer, and short ones correctly after them', () => {
    const salt = new Uint8Array(32).fill(7);
    for (const length of [5_000, 70_000, 300_000, 10]) {
      const text = 'é'.repeat(length);
      expect(sha3_256Of(salt, text)).toEqual(sha3_256(concatenated([salt, text])));
    }
  });

  it('refuses a part that is neither bytes nor a string', () => {
    expect(() => sha3_256Of([1, 2] as unknown as Uint8Array)).toThrow(/data/);
  });
});
