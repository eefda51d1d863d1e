/**
 * The published vectors, checked three ways: the signer reproduces every expected value on both
 * crypto backends; the verifier rebuilds the same record from the received attributes; and an
 * independent derivation from docs/spec.md with raw @noble primitives (not Facto's code) agrees.
 */
import * as ed from '@noble/ed25519';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalize, DEFAULT_CONTENT_KEYS, fromHex, openSpan, sealSpan, toHex, useCryptoBackend, type SpanFields, type TypedValue } from '@facto/core';

ed.hashes.sha512 = sha512;
const vectors = JSON.parse(readFileSync(new URL('./records.json', import.meta.url), 'utf8'));
const cases: [string, any][] = vectors.cases.map((item: { name: string }) => [item.name, item]);
const privateKey = fromHex(vectors.key.private_key);

afterAll(() => void useCryptoBackend('auto'));

describe.each(['node', 'noble'] as const)('facto.v1 vectors on the %s backend', (backend) => {
  it.each(cases)('%s', (_name, item) => {
    useCryptoBackend(backend);
    const sealed = sealSpan({
      span: item.input.span as SpanFields,
      chain: item.input.chain,
      privateKey,
      publicKey: vectors.key.public_key,
      contentKeys: new Set(DEFAULT_CONTENT_KEYS),
      capture: item.input.capture,
      salt: fromHex(item.input.salt),
    });
    expect(canonicalize(sealed.record)).toBe(item.expected.canonical);
    expect(toHex(sealed.hash)).toBe(item.expected.hash);
    expect(toHex(sealed.signature)).toBe(item.expected.signature);
    expect(sealed.attributes).toEqual(item.expected.transport_attributes);

    const opened = openSpan({ ...(item.input.span as SpanFields), attributes: item.expected.received_attributes as [string, TypedValue][] });
    expect(opened.hashMatches).toBe(true);
    expect(toHex(opened.hash)).toBe(item.expected.hash);
  });
});

describe('an independent derivation from docs/spec.md', () => {
  it.each(cases)('%s', (_name, item) => {
    const prefix = new TextEncoder().encode('facto.v1.record\u0000');
    const canonical = new TextEncoder().encode(item.expected.canonical);
    const hash = sha3_256(new Uint8Array([...prefix, ...canonical]));
    expect(toHex(hash)).toBe(item.expected.hash);
    expect(ed.verify(fromHex(item.expected.signature), hash, fromHex(vectors.key.public_key), { zip215: false })).toBe(true);
    // The canonical text is exactly the record, re-serialised with sorted keys.
    expect(JSON.stringify(sortKeys(JSON.parse(item.expected.canonical)))).toBe(item.expected.canonical);
  });
});

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}
