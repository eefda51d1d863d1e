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
import { canonicalize, DEFAULT_CONTENT_KEYS, fromHex, openSpan, parseEvidenceBundle, sealSpan, toHex, useCryptoBackend, verify, verifyBundle, verifyBundleStream, type EvidenceBundle, type SpanFields, type TypedValue } from '@facto/core';
import { decodeTraceRequest } from '@facto/collector';

ed.hashes.sha512 = sha512;
const read = (name: string) => JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8'));
const vectors = read('records.json');
const signatures = read('signatures.json');
const bundles = read('bundles.json');
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

describe('the OTLP bodies a verifier receives (section 3.1)', () => {
  it.each(cases.flatMap(([name, item]) => [[`${name}, OTLP/JSON`, 'json', item], [`${name}, OTLP/protobuf`, 'protobuf', item]] as const))('%s', (_name, encoding, item) => {
    const body = encoding === 'json' ? new TextEncoder().encode(JSON.stringify(item.expected.otlp_json)) : fromHex(item.expected.otlp_protobuf_hex);
    const [span] = decodeTraceRequest(body, encoding).resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(span!.attributes).toEqual(item.expected.received_attributes);
    const opened = openSpan(span!);
    expect(canonicalize(opened.record)).toBe(item.expected.canonical);
    expect(toHex(opened.hash)).toBe(item.expected.hash);
    expect(toHex(opened.signature)).toBe(item.expected.signature);
  });
});

describe.each(['node', 'noble'] as const)('the section 9 signature vectors on the %s backend', (backend) => {
  const signatureCases: [string, any][] = signatures.cases.map((item: { name: string }) => [item.name, item]);
  it.each(signatureCases)('%s', (_name, item) => {
    useCryptoBackend(backend);
    expect(verify(fromHex(item.signature), fromHex(signatures.message), fromHex(item.public_key))).toBe(item.valid);
  });
});

describe('the section 13 bundle vectors', () => {
  const trustedKeys = bundles.trusted_keys;
  it('hold one valid case per positive verdict and one tampered copy per kind', () => {
    expect(bundles.cases.filter((item: { ok: boolean }) => item.ok)).toHaveLength(2);
    expect(bundles.cases.filter((item: { ok: boolean }) => !item.ok).length).toBeGreaterThanOrEqual(12);
  });
  const bundleCases: [string, any][] = bundles.cases.map((item: { name: string }) => [item.name, item]);
  it.each(bundleCases)('%s', (_name, item) => {
    let bundle: EvidenceBundle | undefined;
    try {
      bundle = item.bundle_text === undefined ? (item.bundle as EvidenceBundle) : parseEvidenceBundle(item.bundle_text);
    } catch {
      bundle = undefined;
    }
    const report = bundle === undefined ? undefined : verifyBundle(bundle, { trustedKeys });
    expect(report?.ok ?? false, JSON.stringify(report?.errors)).toBe(item.ok);
    if (report === undefined) return;
    // The failing checks are the ones the vector names.
    const failed = new Set<string>();
    if (!report.checkpoint.ok) failed.add('checkpoint');
    for (const event of report.events) {
      if (event.errors.some((error) => error.startsWith('record is not'))) failed.add('event:record');
      else if (!event.hash) failed.add('event:hash');
      else if (!event.signature) failed.add('event:signature');
      else if (!event.inclusion) failed.add('event:inclusion');
      if (event.disclosures.some((disclosure) => !disclosure.ok)) failed.add('event:disclosure');
    }
    if (report.chains.some((chain) => !chain.ok)) failed.add('chain');
    if (report.errors.some((error) => error.startsWith('manifest'))) failed.add('manifest');
    if (report.errors.some((error) => error.startsWith('events '))) failed.add('bundle');
    if (report.errors.some((error) => error.startsWith('erasure '))) failed.add('erasures');
    if (report.checkpoint.ok) expect([...failed].sort()).toEqual([...item.fails].sort());
    else expect(failed.has('checkpoint')).toBe(true);
  });

  const parsedCases = bundleCases.filter(([, item]) => item.bundle !== undefined);
  it.each(parsedCases)('the streaming verifier reaches the same verdict and errors: %s', async (_name, item) => {
    const whole = verifyBundle(item.bundle as EvidenceBundle, { trustedKeys });
    const bytes = new TextEncoder().encode(JSON.stringify(item.bundle));
    const streamed = await verifyBundleStream({ open: async function* () { yield bytes; } }, { trustedKeys });
    expect(streamed.ok).toBe(item.ok);
    expect(streamed.errors).toEqual(whole.errors);
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
