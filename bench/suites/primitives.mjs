/**
 * The primitives on both crypto paths, node:crypto (OpenSSL) and the portable @noble one: Ed25519 sign
 * and verify, SHA3-256, canonicalising a record and sealing a span. Ratios: node against noble, and
 * the record writer against the general RFC 8785 serializer.
 */
import { canonicalBytes, createNobleBackend, encodeRecord, createNodeBackend, DEFAULT_CONTENT_KEYS, generateKeyPair, keyId, sealSpan, sha3_256, useCryptoBackend, ZERO_HASH_HEX } from '@facto/core';
import { measure, row } from '../harness.mjs';

export async function run({ smoke }) {
  const seconds = smoke ? 0.05 : 0.6;
  const keys = generateKeyPair();
  const message = sha3_256(new TextEncoder().encode('facto'));
  const node = createNodeBackend();
  const noble = createNobleBackend();
  const signature = node.sign(message, keys.privateKey);
  const rows = [];
  for (const [label, operation] of [
    ['Ed25519 sign', (backend) => backend.sign(message, keys.privateKey)],
    ['Ed25519 verify (facto.v1 rule)', (backend) => backend.verify(signature, message, keys.publicKey)],
    ['SHA3-256 of 32 bytes', (backend) => backend.sha3_256(message)],
  ]) {
    const fast = measure(() => operation(node), { seconds });
    const portable = measure(() => operation(noble), { seconds: seconds / 2 });
    rows.push(row(`${label}, node:crypto`, fast, 'ops/s'), row(`${label}, @noble`, portable, 'ops/s', `node:crypto is ${(fast / portable).toFixed(1)}x`));
  }
  const span = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', parentSpanId: '', name: 'chat gpt-4o', kind: 3,
    startTimeUnixNano: '1732280000000000000', endTimeUnixNano: '1732280000250000001', status: { code: 0, message: '' }, events: [], links: [],
    attributes: [
      ['gen_ai.operation.name', { s: 'chat' }], ['gen_ai.request.model', { s: 'gpt-4o' }], ['gen_ai.usage.input_tokens', { i: '420' }],
      ['gen_ai.input.messages', { s: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'x'.repeat(400) }] }]) }],
      ['gen_ai.output.messages', { s: JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'y'.repeat(200) }] }]) }],
    ],
  };
  const chain = { factoId: 'ft-6f0e1c2d-3b4a-4c5d-8e6f-000000000000', agentId: 'bench', chainId: 'bench', seq: 0, prevHash: ZERO_HASH_HEX, keyId: keyId(keys.publicKey), dropped: 0 };
  const contentKeys = new Set(DEFAULT_CONTENT_KEYS);
  const seal = () => sealSpan({ span, chain, privateKey: keys.privateKey, contentKeys, capture: 'full' });
  const record = seal().record;
  useCryptoBackend('node');
  // The general RFC 8785 serializer against the record writer the SDK and the collector use (same bytes).
  const general = measure(() => canonicalBytes(record), { seconds });
  const byShape = measure(() => encodeRecord(record), { seconds });
  rows.push(
    row('canonical bytes of a chat record, general RFC 8785 (baseline)', general, 'ops/s'),
    row('canonical bytes of a chat record, written by its shape', byShape, 'ops/s', `${(byShape / general).toFixed(2)}x the general serializer`),
  );
  const sealNode = measure(seal, { seconds });
  useCryptoBackend('noble');
  const sealNoble = measure(seal, { seconds: seconds / 2 });
  useCryptoBackend('auto');
  rows.push(row('seal a span (commit, JCS, hash, sign), node:crypto', sealNode, 'ops/s'), row('seal a span, @noble', sealNoble, 'ops/s', `node:crypto is ${(sealNode / sealNoble).toFixed(1)}x`));
  return { title: 'crypto and record primitives, both paths', rows };
}
