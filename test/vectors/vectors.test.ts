/**
 * The published vectors, checked three ways: the signer reproduces every expected value on both
 * crypto backends; the verifier rebuilds the same record from the received attributes; and an
 * independent derivation from docs/spec.md with raw @noble primitives (not Facto's code) agrees.
 * log.json is also regenerated and compared byte for byte, and its verdicts are the log verifiers'.
 */
import * as ed from '@noble/ed25519';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  canonicalize, consistencyProof, DEFAULT_CONTENT_KEYS, emptyRoot, fromHex, hashChildren, hashLeaf, inclusionProof, MemoryNodeStore, MerkleTree, openCheckpoint, openSpan,
  parseEvidenceBundle, parseVerifierKey, rootAt, rootFromLeafHashes, sealSpan, signCheckpoint, toHex, useCryptoBackend, verify, verifyBundle, verifyBundleStream, verifyConsistency,
  verifyInclusion, type EvidenceBundle, type SpanFields, type TypedValue,
} from '@facto/core';
import { decodeTraceRequest } from '@facto/collector';
import { defaultOrigin } from '../../collector/src/log/log-key.js';
import { generateLog } from './generators/log.mjs';

ed.hashes.sha512 = sha512;
const read = (name: string) => JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8'));
const vectors = read('records.json');
const signatures = read('signatures.json');
const bundles = read('bundles.json');
const log = read('log.json');
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
    expect(bundles.cases.filter((item: { ok: boolean }) => item.ok)).toHaveLength(3);
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
      if (event.errors.some((error) => /^(event: |disclosure \d+: )/.test(error))) failed.add('event:members');
      if (event.errors.some((error) => error.startsWith('record: '))) failed.add('event:record');
      else if (!event.hash) failed.add('event:hash');
      else if (!event.signature) failed.add('event:signature');
      else if (!event.inclusion) failed.add('event:inclusion');
      if (event.disclosures.some((disclosure) => !disclosure.ok)) failed.add('event:disclosure');
    }
    if (report.chains.some((chain) => !chain.ok)) failed.add('chain');
    if (report.errors.some((error) => error.startsWith('manifest'))) failed.add('manifest');
    if (report.errors.some((error) => error.startsWith('events ') || /^(top level|keys\[\d+\]|chains\[\d+\]): /.test(error))) failed.add('bundle');
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

describe('the section 11 log vectors', () => {
  const leafHashes: Uint8Array[] = log.leaves.leaf_hashes.map((hash: string) => fromHex(hash));
  const store = new MemoryNodeStore();
  store.put(new MerkleTree().append(leafHashes).nodes);
  const named = (list: { name: string }[]): [string, any][] => list.map((item) => [item.name, item]);

  it('are exactly what the generator writes', () => {
    const generated = generateLog(vectors.cases.map((item: { expected: { hash: string } }) => item.expected.hash));
    expect(`${JSON.stringify(generated, null, 2)}\n`).toBe(readFileSync(new URL('./log.json', import.meta.url), 'utf8'));
  });

  it('hash leaves, nodes and the empty tree as the log does', () => {
    for (const item of log.record_leaves) expect(toHex(hashLeaf(fromHex(item.data)))).toBe(item.leaf_hash);
    log.leaves.data.forEach((data: string, index: number) => expect(toHex(hashLeaf(fromHex(data)))).toBe(log.leaves.leaf_hashes[index]));
    expect(toHex(emptyRoot())).toBe(log.hasher.empty_root);
    for (const item of log.hasher.nodes) expect(toHex(hashChildren(fromHex(item.left), fromHex(item.right)))).toBe(item.hash);
  });

  const roots: [number, string][] = log.roots.map((item: { size: number; root: string }) => [item.size, item.root]);
  it.each(roots)('root of size %i', async (size, root) => {
    expect(toHex(rootFromLeafHashes(leafHashes.slice(0, size)))).toBe(root);
    expect(toHex(await rootAt(store, size))).toBe(root);
  });

  it.each(named(log.inclusion))('inclusion: %s', async (_name, item) => {
    const check = { leafHash: fromHex(item.leaf_hash), index: item.leaf_index, treeSize: item.tree_size, proof: item.proof.map((hash: string) => fromHex(hash)), root: fromHex(item.root) };
    expect(verifyInclusion(check)).toBe(item.valid);
    // An honest proof is the one the log serves for that leaf and size.
    if (item.valid && item.root === toHex(rootFromLeafHashes(leafHashes.slice(0, item.tree_size)))) expect((await inclusionProof(store, item.leaf_index, item.tree_size)).map(toHex)).toEqual(item.proof);
  });

  it.each(named(log.consistency))('consistency: %s', async (_name, item) => {
    const check = { size1: item.size1, size2: item.size2, proof: item.proof.map((hash: string) => fromHex(hash)), root1: fromHex(item.root1), root2: fromHex(item.root2) };
    expect(verifyConsistency(check)).toBe(item.valid);
    if (item.valid) expect((await consistencyProof(store, item.size1, item.size2)).map(toHex)).toEqual(item.proof);
  });

  const { log_key: logKey, cases: checkpointCases } = log.checkpoints;
  it('sign the first checkpoint with the log key, whose origin is the collector\'s default', () => {
    const [first] = checkpointCases;
    expect(defaultOrigin(fromHex(logKey.public_key))).toBe(logKey.default_origin);
    const signer = { name: logKey.key_name, privateKey: fromHex(logKey.private_key) };
    expect(signCheckpoint({ origin: first.checkpoint.origin, treeSize: first.checkpoint.tree_size, rootHash: fromHex(first.checkpoint.root_hash) }, signer)).toBe(first.note);
  });

  describe.each(['node', 'noble'] as const)('checkpoints on the %s backend', (backend) => {
    it.each(named(checkpointCases))('%s', (_name, item) => {
      useCryptoBackend(backend);
      const open = () => openCheckpoint(item.note, [parseVerifierKey(logKey.verifier_key)]).checkpoint;
      if (!item.ok) {
        expect(open).toThrow(new RegExp(`^${item.refused}:`));
        return;
      }
      const { origin, treeSize, rootHash, extensions } = open();
      expect({ origin, tree_size: treeSize, root_hash: toHex(rootHash), extensions }).toEqual(item.checkpoint);
    });
  });
});

describe('the log vectors, derived from docs/spec.md section 11 with raw @noble primitives', () => {
  const bytes = (...parts: (Uint8Array | number[])[]) => new Uint8Array(parts.flatMap((part) => [...part]));
  const leafHash = (data: Uint8Array) => sha3_256(bytes([0x00], data));
  const nodeHash = (left: Uint8Array, right: Uint8Array) => sha3_256(bytes([0x01], left, right));
  // RFC 9162 section 2.1.1: k is the largest power of two smaller than n.
  const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));
  const mth = (leaves: Uint8Array[]): Uint8Array => {
    if (leaves.length === 0) return sha3_256(new Uint8Array(0));
    if (leaves.length === 1) return leaves[0]!;
    const k = split(leaves.length);
    return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
  };
  // PATH (RFC 9162 section 2.1.3.1) and PROOF / SUBPROOF (section 2.1.4.1).
  const path = (m: number, leaves: Uint8Array[]): Uint8Array[] => {
    if (leaves.length === 1) return [];
    const k = split(leaves.length);
    return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
  };
  const subproof = (m: number, leaves: Uint8Array[], whole: boolean): Uint8Array[] => {
    if (m === leaves.length) return whole ? [] : [mth(leaves)];
    const k = split(leaves.length);
    return m <= k ? [...subproof(m, leaves.slice(0, k), whole), mth(leaves.slice(k))] : [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
  };
  const data = log.leaves.data.map((hex: string) => fromHex(hex));
  const leaves: Uint8Array[] = data.map(leafHash);
  const hexes = (list: Uint8Array[]) => list.map(toHex);

  it('leaf data, leaf and node hashes, roots', () => {
    data.forEach((item: Uint8Array, index: number) => expect(toHex(item)).toBe(toHex(sha3_256(new TextEncoder().encode(String(index))))));
    expect(hexes(leaves)).toEqual(log.leaves.leaf_hashes);
    for (const item of log.record_leaves) expect(toHex(leafHash(fromHex(item.data)))).toBe(item.leaf_hash);
    expect(toHex(sha3_256(new Uint8Array(0)))).toBe(log.hasher.empty_root);
    for (const item of log.hasher.nodes) expect(toHex(nodeHash(fromHex(item.left), fromHex(item.right)))).toBe(item.hash);
    for (const item of log.roots) expect(toHex(mth(leaves.slice(0, item.size)))).toBe(item.root);
  });

  it('every honest proof is PATH or PROOF of RFC 9162, with section 11\'s empty proofs for size 0 and equal sizes', () => {
    for (const item of log.inclusion.filter((entry: { valid: boolean }) => entry.valid)) {
      const tree = leaves.slice(0, item.tree_size);
      if (item.root === toHex(mth(tree))) expect(hexes(path(item.leaf_index, tree))).toEqual(item.proof);
    }
    for (const item of log.consistency.filter((entry: { valid: boolean }) => entry.valid)) {
      const tree = leaves.slice(0, item.size2);
      expect(toHex(mth(tree))).toBe(item.root2);
      expect(toHex(mth(leaves.slice(0, item.size1)))).toBe(item.root1);
      expect(hexes(item.size1 === 0 || item.size1 === item.size2 ? [] : subproof(item.size1, tree, true))).toEqual(item.proof);
    }
  });

  it('the first checkpoint: its text, the note key, and the Ed25519 signature over the text', () => {
    const { log_key: key, cases: [first] } = log.checkpoints;
    const publicKey = fromHex(key.public_key);
    const b64 = (value: Uint8Array) => Buffer.from(value).toString('base64');
    expect(toHex(ed.getPublicKey(fromHex(key.private_key)))).toBe(key.public_key);
    expect(key.default_origin).toBe(`facto.local/${toHex(sha256(publicKey)).slice(0, 8)}`);
    const keyHash = sha256(bytes(new TextEncoder().encode(key.key_name), [0x0a, 0x01], publicKey)).slice(0, 4);
    expect(toHex(keyHash)).toBe(key.key_hash);
    expect(key.verifier_key).toBe(`${key.key_name}+${key.key_hash}+${b64(bytes([0x01], publicKey))}`);
    expect(first.body).toBe(`${first.checkpoint.origin}\n${first.checkpoint.tree_size}\n${b64(mth(leaves.slice(0, first.checkpoint.tree_size)))}\n`);
    const signature = fromHex(first.signature.ed25519);
    expect(first.signature.line).toBe(`\u2014 ${key.key_name} ${b64(bytes(keyHash, signature))}`);
    expect(first.note).toBe(`${first.body}\n${first.signature.line}\n`);
    expect(ed.verify(signature, new TextEncoder().encode(first.body), publicKey, { zip215: false })).toBe(true);
  });
});

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}
