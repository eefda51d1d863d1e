/**
 * Test support: a small in-memory log with signed spans of one or more chains, and an evidence
 * bundle exported from it exactly as docs/spec.md section 13 describes.
 */
import { toHex } from '../bytes.js';
import { formatChainStatement } from '../bundle/chain-statement.js';
import { formatExportManifest } from '../bundle/export-manifest.js';
import { BUNDLE_FORMAT, type EvidenceBundle } from '../bundle/types.js';
import { generateKeyPair, keyId } from '../crypto/index.js';
import { hashLeaf, inclusionProof, MemoryNodeStore, MerkleTree } from '../merkle/index.js';
import { encodeVerifierKey, signCheckpoint, signNote } from '../note/index.js';
import { ZERO_HASH_HEX, DEFAULT_CONTENT_KEYS } from '../record/constants.js';
import { openSpan } from '../record/open.js';
import { sealSpan } from '../record/seal.js';
import { receivedSpan, spanFixture } from './span-fixture.js';

export interface LogFixture {
  readonly bundle: EvidenceBundle;
  readonly logKey: string;
  readonly agentKeys: Record<string, Uint8Array[]>;
}

export async function bundleFixture(chains: Record<string, number> = { 'session-1': 4 }): Promise<LogFixture> {
  const agent = generateKeyPair();
  const log = generateKeyPair();
  const origin = 'facto.test/log';
  const tree = new MerkleTree();
  const store = new MemoryNodeStore();
  const events: Omit<EvidenceBundle['events'][number], 'inclusion_proof'>[] = [];
  let counter = 0;
  for (const [chainId, length] of Object.entries(chains)) {
    let prevHash = ZERO_HASH_HEX;
    for (let seq = 0; seq < length; seq++) {
      const span = spanFixture({ spanId: (++counter).toString(16).padStart(16, '0') });
      const sealed = sealSpan({
        span,
        chain: { factoId: `ft-00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`, agentId: 'agent-1', chainId, seq, prevHash, keyId: keyId(agent.publicKey), dropped: 0 },
        privateKey: agent.privateKey,
        contentKeys: new Set(DEFAULT_CONTENT_KEYS),
        capture: 'full',
      });
      const opened = openSpan(receivedSpan(span, sealed));
      prevHash = toHex(sealed.hash);
      store.put(tree.append([hashLeaf(sealed.hash)]).nodes);
      events.push({ leaf_index: events.length, record: sealed.record, hash: prevHash, signature: toHex(sealed.signature), disclosures: opened.disclosures });
    }
  }
  const signer = { name: origin, privateKey: log.privateKey };
  const checkpoint = signCheckpoint({ origin, treeSize: tree.size, rootHash: tree.root() }, signer);
  const withProofs = await Promise.all(events.map(async (event) => ({ ...event, inclusion_proof: (await inclusionProof(store, event.leaf_index, tree.size)).map(toHex) })));
  const statements = Object.keys(chains).map((chainId) => {
    const mine = withProofs.filter((event) => event.record.chain_id === chainId);
    const last = mine[mine.length - 1]!;
    const text = formatChainStatement({ origin, agentId: 'agent-1', chainId, firstSeq: 0, lastSeq: last.record.seq, count: mine.length, headSeq: last.record.seq, headHash: last.hash, treeSize: tree.size });
    return { agent_id: 'agent-1', chain_id: chainId, statement: signNote(text, [signer]) };
  });
  const manifest = signNote(
    formatExportManifest({
      origin,
      treeSize: tree.size,
      query: { agent_id: 'agent-1' },
      events: withProofs.length,
      chains: Object.entries(chains).map(([chainId, length]) => ({ agentId: 'agent-1', chainId, count: length })),
    }),
    [signer],
  );
  return {
    bundle: {
      format: BUNDLE_FORMAT,
      log_key: encodeVerifierKey(origin, log.publicKey),
      checkpoint,
      keys: [{ agent_id: 'agent-1', key_id: keyId(agent.publicKey), public_key: toHex(agent.publicKey) }],
      events: withProofs,
      chains: statements,
      manifest,
      query: { agent_id: 'agent-1' },
    },
    logKey: encodeVerifierKey(origin, log.publicKey),
    agentKeys: { 'agent-1': [agent.publicKey] },
  };
}
