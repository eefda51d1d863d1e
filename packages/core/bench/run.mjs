/**
 * npm run bench -w @facto/core: ops/s for canonicalize, SHA3-256, Ed25519 sign and verify on both
 * backends (node:crypto and @noble), a full record seal, Merkle append, and proof generation in a
 * tree of one million leaves. Uses the built dist/.
 */
import {
  canonicalize, consistencyProof, createNobleBackend, createNodeBackend, DEFAULT_CONTENT_KEYS, generateKeyPair, hashLeaf,
  inclusionProof, keyId, MemoryNodeStore, MerkleTree, sealSpan, sha3_256, ZERO_HASH_HEX,
} from '../dist/index.js';
import { measure, measureAsync, report } from '../../../bench/harness.mjs';

const keys = generateKeyPair();
const message = sha3_256(new TextEncoder().encode('facto'));
const node = createNodeBackend();
const noble = createNobleBackend();
const signature = node.sign(message, keys.privateKey);

const span = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', parentSpanId: '', name: 'chat gpt-4o', kind: 3,
  startTimeUnixNano: '1732280000000000000', endTimeUnixNano: '1732280000250000001', status: { code: 0, message: '' },
  attributes: [
    ['gen_ai.operation.name', { s: 'chat' }], ['gen_ai.request.model', { s: 'gpt-4o' }], ['gen_ai.usage.input_tokens', { i: '420' }],
    ['gen_ai.usage.output_tokens', { i: '96' }], ['gen_ai.request.temperature', { d: 0.2 }], ['server.address', { s: 'api.openai.com' }],
    ['gen_ai.input.messages', { s: JSON.stringify([{ role: 'user', content: 'x'.repeat(400) }]) }],
    ['gen_ai.output.messages', { s: JSON.stringify([{ role: 'assistant', content: 'y'.repeat(200) }]) }],
  ],
  events: [], links: [],
};
const chain = { factoId: 'ft-6f0e1c2d-3b4a-4c5d-8e6f-000000000000', agentId: 'bench', chainId: 'bench', seq: 0, prevHash: ZERO_HASH_HEX, keyId: keyId(keys.publicKey), dropped: 0 };
const record = sealSpan({ span, chain, privateKey: keys.privateKey, contentKeys: new Set(DEFAULT_CONTENT_KEYS), capture: 'full' }).record;
const contentKeys = new Set(DEFAULT_CONTENT_KEYS);

const nodeSign = measure('sign (node:crypto)', () => node.sign(message, keys.privateKey));
const nobleSign = measure('sign (@noble)', () => noble.sign(message, keys.privateKey), { seconds: 0.5 });
const nodeVerify = measure('verify (node:crypto)', () => node.verify(signature, message, keys.publicKey));
const nobleVerify = measure('verify (@noble)', () => noble.verify(signature, message, keys.publicKey), { seconds: 0.5 });
const nodeSha3 = measure('sha3-256 32 B (node:crypto)', () => node.sha3_256(message));
const nobleSha3 = measure('sha3-256 32 B (@noble)', () => noble.sha3_256(message));
nobleSign.ratio = `node is ${(nodeSign.opsPerSecond / nobleSign.opsPerSecond).toFixed(1)}x faster`;
nobleVerify.ratio = `node is ${(nodeVerify.opsPerSecond / nobleVerify.opsPerSecond).toFixed(1)}x faster`;
nobleSha3.ratio = `node is ${(nodeSha3.opsPerSecond / nobleSha3.opsPerSecond).toFixed(1)}x faster`;
report('crypto (both backends, same machine, same run)', [nodeSign, nobleSign, nodeVerify, nobleVerify, nodeSha3, nobleSha3]);

report('record (a chat span with 8 attributes, two committed)', [
  measure('canonicalize record', () => canonicalize(record)),
  measure('seal span (commit + JCS + hash + sign)', () => sealSpan({ span, chain, privateKey: keys.privateKey, contentKeys, capture: 'full' })),
]);

const LEAVES = 1_000_000;
const store = new MemoryNodeStore();
const tree = new MerkleTree();
const leafData = new Uint8Array(32);
const start = performance.now();
for (let offset = 0; offset < LEAVES; offset += 1000) {
  const batch = [];
  for (let index = 0; index < 1000; index++) {
    new DataView(leafData.buffer).setUint32(0, offset + index);
    batch.push(hashLeaf(leafData));
  }
  store.put(tree.append(batch).nodes);
}
const appendSeconds = (performance.now() - start) / 1000;
const appendRow = { name: `append (hashLeaf + append + store), to ${LEAVES.toLocaleString('en-US')} leaves`, opsPerSecond: LEAVES / appendSeconds, microseconds: (appendSeconds * 1e6) / LEAVES };
const inclusion = await measureAsync('inclusion proof at 1M leaves', (index) => inclusionProof(store, (index * 7919) % LEAVES, LEAVES), { iterations: 2000 });
const consistency = await measureAsync('consistency proof at 1M leaves', (index) => consistencyProof(store, 1 + ((index * 7919) % (LEAVES - 1)), LEAVES), { iterations: 2000 });
report('Merkle log (SHA3-256, in-memory node store)', [appendRow, inclusion, consistency]);
