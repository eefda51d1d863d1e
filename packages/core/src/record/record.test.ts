import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../canonicalize.js';
import { generateKeyPair, keyId, verify } from '../crypto/index.js';
import { toHex } from '../bytes.js';
import { receivedSpan, spanFixture } from '../test-helpers/span-fixture.js';
import { ATTR, DEFAULT_CONTENT_KEYS, ZERO_HASH_HEX } from './constants.js';
import { checkDisclosure } from './content.js';
import { openSpan } from './open.js';
import { createRecord, hashRecord, type ChainFields } from './record.js';
import { sealSpan, type ContentCapture } from './seal.js';
import { normalizeAttributeValue, toTypedValue } from './typed-value.js';
import type { SpanFields } from './types.js';

const keys = generateKeyPair();
const chain: ChainFields = {
  factoId: 'ft-3f1c2a9e-8d4b-4c6f-9a1e-2b3c4d5e6f70',
  agentId: 'agent-payments',
  chainId: 'session-1',
  seq: 0,
  prevHash: ZERO_HASH_HEX,
  keyId: keyId(keys.publicKey),
  dropped: 0,
};
const contentKeys = new Set(DEFAULT_CONTENT_KEYS);

function seal(span: SpanFields = spanFixture(), capture: ContentCapture = 'full') {
  return sealSpan({ span, chain, privateKey: keys.privateKey, contentKeys, capture, publicKey: toHex(keys.publicKey) });
}

describe('sealSpan and openSpan', () => {
  it('round-trips: the verifier rebuilds the same record, hash and a valid signature', () => {
    const span = spanFixture();
    const sealed = seal(span);
    const opened = openSpan(receivedSpan(span, sealed));
    expect(canonicalize(opened.record)).toBe(canonicalize(sealed.record));
    expect(opened.hashMatches).toBe(true);
    expect(toHex(opened.hash)).toBe(sealed.attributes[ATTR.hash]);
    expect(verify(opened.signature, opened.hash, keys.publicKey)).toBe(true);
    expect(opened.contentMismatches).toEqual([]);
    expect(opened.disclosures.map((disclosure) => disclosure.key).sort()).toEqual(['gen_ai.input.messages', 'gen_ai.output.messages']);
  });

  it('puts commitments, never content values, into the record', () => {
    const sealed = seal();
    const text = canonicalize(sealed.record);
    expect(text).not.toContain('Transfer 100 EUR');
    expect(sealed.record.attributes['gen_ai.input.messages']).toEqual({ c: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(sealed.record.attributes['gen_ai.request.model']).toEqual({ s: 'gpt-4o' });
    for (const key of Object.keys(ATTR)) expect(sealed.record.attributes).not.toHaveProperty(ATTR[key as keyof typeof ATTR]);
  });

  it('survives erasure: without value and salt the record, hash and signature are unchanged', () => {
    const span = spanFixture();
    const sealed = seal(span);
    const received = receivedSpan(span, sealed);
    const erased = { ...received, attributes: received.attributes.filter(([key]) => key !== ATTR.salt && !contentKeys.has(key)) };
    const opened = openSpan(erased);
    expect(opened.hashMatches).toBe(true);
    expect(toHex(opened.hash)).toBe(toHex(sealed.hash));
    expect(opened.disclosures).toEqual([]);
  });

  it('reports a content value changed in transit without failing the record', () => {
    const span = spanFixture();
    const received = receivedSpan(span, seal(span));
    const altered = {
      ...received,
      attributes: received.attributes.map(([key, value]) => (key === 'gen_ai.output.messages' ? ([key, { s: 'I refused.' }] as const) : ([key, value] as const))),
    };
    const opened = openSpan(altered);
    expect(opened.hashMatches).toBe(true);
    expect(opened.contentMismatches).toEqual(['gen_ai.output.messages']);
  });

  it('capture "hashes" sends commitments only and "none" leaves content out of the record', () => {
    const span = spanFixture();
    const hashes = seal(span, 'hashes');
    expect([...hashes.removeKeys].sort()).toEqual(['gen_ai.input.messages', 'gen_ai.output.messages']);
    expect(hashes.attributes[ATTR.salt]).toBeUndefined();
    const openedHashes = openSpan(receivedSpan(span, hashes));
    expect(openedHashes.hashMatches).toBe(true);
    expect(openedHashes.disclosures).toEqual([]);

    const none = seal(span, 'none');
    expect(none.record.attributes).not.toHaveProperty('gen_ai.input.messages');
    expect(none.attributes[ATTR.contentKeys]).toBeUndefined();
    expect(openSpan(receivedSpan(span, none)).hashMatches).toBe(true);
  });

  it('gives each key its own salt, so one disclosure opens one commitment only', () => {
    const span = spanFixture();
    const opened = openSpan(receivedSpan(span, seal(span)));
    const [first, second] = opened.disclosures;
    expect(first!.salt).not.toBe(second!.salt);
    expect(checkDisclosure(first!, (opened.record.attributes[first!.key] as { c: string }).c)).toBe(true);
    expect(checkDisclosure({ ...first!, key: second!.key }, (opened.record.attributes[second!.key] as { c: string }).c)).toBe(false);
  });

  it('detects a change to any signed field', () => {
    const span = spanFixture();
    const sealed = seal(span);
    const received = receivedSpan(span, sealed);
    const changes: Partial<SpanFields>[] = [
      { name: 'chat gpt-4o-mini' },
      { kind: 2 },
      { endTimeUnixNano: '1732280000123456790' },
      { status: { code: 2, message: '' } },
      { parentSpanId: 'b7ad6b7169203332' },
      { events: [] },
      { attributes: received.attributes.map(([key, value]) => (key === 'gen_ai.usage.input_tokens' ? ([key, { d: 42.5 }] as const) : ([key, value] as const))) },
      { attributes: received.attributes.map(([key, value]) => (key === 'gen_ai.usage.input_tokens' ? ([key, { s: '42' }] as const) : ([key, value] as const))) },
      { attributes: received.attributes.map(([key, value]) => (key === ATTR.seq ? ([key, { i: '1' }] as const) : ([key, value] as const))) },
    ];
    for (const change of changes) {
      const opened = openSpan({ ...received, ...change });
      expect(opened.hashMatches, JSON.stringify(change).slice(0, 80)).toBe(false);
      expect(verify(opened.signature, opened.hash, keys.publicKey)).toBe(false);
    }
  });

  it('detects every single-byte change to the canonical record bytes', () => {
    const record = seal().record;
    const bytes = new TextEncoder().encode(canonicalize(record));
    const original = toHex(hashRecord(record));
    let checked = 0;
    for (let index = 0; index < bytes.length; index++) {
      const changed = bytes.slice();
      changed[index] = changed[index]! ^ 0x01;
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(changed));
      } catch {
        continue; // no longer JSON at all: a verifier cannot even read it
      }
      checked++;
      let hash: string | undefined;
      try {
        hash = toHex(hashRecord(parsed as typeof record));
      } catch {
        continue; // not canonicalisable: refused
      }
      expect(hash).not.toBe(original);
    }
    expect(checked).toBeGreaterThan(bytes.length / 2);
  });

  it('refuses duplicate attribute keys, bad ids and bad times', () => {
    expect(() => createRecord(spanFixture({ attributes: [['a', { s: '1' }], ['a', { s: '2' }]] }), chain)).toThrow(/duplicate attribute key/);
    expect(() => createRecord(spanFixture({ traceId: 'ABC' }), chain)).toThrow(/trace_id/);
    expect(() => createRecord(spanFixture({ startTimeUnixNano: '01' }), chain)).toThrow(/start_time_unix_nano/);
    expect(() => createRecord(spanFixture({ startTimeUnixNano: '18446744073709551616' }), chain)).toThrow(/start_time_unix_nano/);
    expect(() => createRecord(spanFixture(), { ...chain, prevHash: 'zz' })).toThrow(/prev_hash/);
    expect(() => createRecord(spanFixture({ attributes: [['x', { d: Number.NaN }]] }), chain)).toThrow(/finite/);
    expect(() => createRecord(spanFixture({ attributes: [['x', { i: '9223372036854775808' }]] }), chain)).toThrow(/int64/);
  });

  it('treats "__proto__" as an ordinary attribute key', () => {
    const record = createRecord(spanFixture({ attributes: [['__proto__', { s: 'x' }]] }), chain);
    expect(Object.keys(record.attributes)).toContain('__proto__');
    expect(canonicalize(record)).toContain('"__proto__":{"s":"x"}');
  });

  it('seals arbitrary attribute values that survive the round trip', () => {
    const scalar = fc.oneof(fc.string(), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }).filter((key) => !key.startsWith('facto.')), fc.oneof(scalar, fc.array(scalar))), (attributes) => {
        const pairs = Object.entries(attributes).map(([key, value]) => [key, value] as const);
        const span = spanFixture({ attributes: pairs.map(([key, value]) => [key, toTypedForTest(value)] as const) });
        const sealed = seal(span);
        const opened = openSpan(receivedSpan(span, sealed));
        return opened.hashMatches && verify(opened.signature, opened.hash, keys.publicKey);
      }),
      { numRuns: 200 },
    );
  });
});

/** As the SDK does: normalise, then type with the exporter's rule. */
function toTypedForTest(value: unknown) {
  return toTypedValue(normalizeAttributeValue(value));
}

describe('generateSalt', () => {
  it('never hands out the same salt twice, across pool refills', async () => {
    const { generateSalt } = await import('./content.js');
    const seen = new Set<string>();
    for (let index = 0; index < 1000; index++) seen.add(toHex(generateSalt()));
    expect(seen.size).toBe(1000);
    expect([...seen].every((salt) => salt.length === 64 && salt !== '0'.repeat(64))).toBe(true);
  });
});
