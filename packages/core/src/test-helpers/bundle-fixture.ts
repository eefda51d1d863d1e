/**
 * Test support: a small in-memory log of signed spans (and erasure entries), and evidence bundles
 * exported from it exactly as docs/spec.md section 13 describes, so tests can make the cases a
 * verifier must judge: drops the signer declared, records lost on the way, erased content, partial
 * (time-window) exports.
 */
import { toHex } from '../bytes.js';
import { formatChainStatement } from '../bundle/chain-statement.js';
import { formatExportManifest } from '../bundle/export-manifest.js';
import { BUNDLE_FORMAT, type BundleErasure, type BundleEvent, type EvidenceBundle } from '../bundle/types.js';
import { generateKeyPair, keyId, sign, type Ed25519KeyPair } from '../crypto/index.js';
import { createErasureEntry, signErasureEntry } from '../erasure/erasure-entry.js';
import { hashLeaf, inclusionProof, MemoryNodeStore, MerkleTree } from '../merkle/index.js';
import { encodeVerifierKey, noteKeyId, signCheckpoint, signNote } from '../note/index.js';
import { DEFAULT_CONTENT_KEYS, ZERO_HASH_HEX } from '../record/constants.js';
import { openSpan } from '../record/open.js';
import { hashRecord, type FactoRecord } from '../record/record.js';
import { sealSpan } from '../record/seal.js';
import { receivedSpan, spanFixture } from './span-fixture.js';

export interface LogFixture {
  readonly bundle: EvidenceBundle;
  readonly logKey: string;
  readonly agentKeys: Record<string, Uint8Array[]>;
}

const ORIGIN = 'facto.test/log';
const AGENT = 'agent-1';

/** A log being written: the agent signs, some records never reach the log, the log may erase content. */
export class TestLog {
  readonly agent: Ed25519KeyPair = generateKeyPair();
  readonly log: Ed25519KeyPair = generateKeyPair();
  readonly #tree = new MerkleTree();
  readonly #store = new MemoryNodeStore();
  readonly #events: Omit<BundleEvent, 'inclusion_proof'>[] = [];
  readonly #erasures: Omit<BundleErasure, 'inclusion_proof'>[] = [];
  readonly #heads = new Map<string, { seq: number; prevHash: string; dropped: number }>();
  #serial = 0;

  get logKey(): string {
    return encodeVerifierKey(ORIGIN, this.log.publicKey);
  }

  /**
   * Signs the chain's next record; `logged: false` loses it on the way, `dropped` says the signer
   * dropped it. `alter` changes the record before it is hashed and signed, as a signer that does not
   * follow docs/spec.md section 4 would: the record is then signed, logged and proven like any other.
   */
  sign(chainId: string, options: { logged?: boolean; dropped?: boolean; alter?: (record: Record<string, unknown>) => void } = {}): void {
    const head = this.#heads.get(chainId) ?? { seq: 0, prevHash: ZERO_HASH_HEX, dropped: 0 };
    const span = spanFixture({ spanId: (++this.#serial).toString(16).padStart(16, '0') });
    const sealed = sealSpan({
      span,
      chain: { factoId: `ft-00000000-0000-4000-8000-${this.#serial.toString(16).padStart(12, '0')}`, agentId: AGENT, chainId, seq: head.seq, prevHash: head.prevHash, keyId: keyId(this.agent.publicKey), dropped: head.dropped },
      privateKey: this.agent.privateKey,
      contentKeys: new Set(DEFAULT_CONTENT_KEYS),
      capture: 'full',
    });
    let { record, hash, signature } = sealed;
    if (options.alter !== undefined) {
      const altered = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
      options.alter(altered);
      record = altered as unknown as FactoRecord;
      hash = hashRecord(record);
      signature = sign(hash, this.agent.privateKey);
    }
    this.#heads.set(chainId, { seq: head.seq + 1, prevHash: toHex(hash), dropped: head.dropped + (options.dropped ? 1 : 0) });
    if (options.dropped || options.logged === false) return;
    const opened = openSpan(receivedSpan(span, sealed));
    this.#append(hash);
    this.#events.push({ leaf_index: this.#tree.size - 1, record, hash: toHex(hash), signature: toHex(signature), disclosures: opened.disclosures });
  }

  /** Appends a signed erasure entry naming these events, and deletes their disclosures, as the collector does. */
  erase(factoIds: readonly string[]): void {
    const entry = createErasureEntry({ factoIds, reason: 'test erasure', erasedAt: 1_767_225_600_000, logKeyId: toHex(noteKeyId(ORIGIN, this.log.publicKey)) });
    const signed = signErasureEntry(entry, this.log.privateKey);
    this.#append(signed.hash);
    this.#erasures.push({ leaf_index: this.#tree.size - 1, entry, hash: toHex(signed.hash), signature: toHex(signed.signature) });
    for (const [index, event] of this.#events.entries()) if (factoIds.includes(event.record.facto_id)) this.#events[index] = { ...event, disclosures: [] };
  }

  get factoIds(): string[] {
    return this.#events.map((event) => event.record.facto_id);
  }

  /** Exports the logged events of the agent matching `select` (default all) with `query` as the signed query. */
  async export(options: { select?: (event: BundleEvent['record']) => boolean; query?: Record<string, string> } = {}): Promise<EvidenceBundle> {
    const signer = { name: ORIGIN, privateKey: this.log.privateKey };
    const treeSize = this.#tree.size;
    const prove = async (leaf: number) => (await inclusionProof(this.#store, leaf, treeSize)).map(toHex);
    const events = await Promise.all(this.#events.filter((event) => (options.select ?? (() => true))(event.record)).map(async (event) => ({ ...event, inclusion_proof: await prove(event.leaf_index) })));
    const ids = new Set(events.map((event) => event.record.facto_id));
    const erasures = await Promise.all(this.#erasures.filter((erasure) => erasure.entry.facto_ids.some((id) => ids.has(id))).map(async (erasure) => ({ ...erasure, inclusion_proof: await prove(erasure.leaf_index) })));
    const chainIds = [...new Set(events.map((event) => event.record.chain_id))];
    const statements = chainIds.map((chainId) => {
      const mine = events.filter((event) => event.record.chain_id === chainId).sort((left, right) => left.record.seq - right.record.seq);
      const logged = this.#events.filter((event) => event.record.chain_id === chainId);
      const head = logged.reduce((best, event) => (event.record.seq > best.record.seq ? event : best));
      const text = formatChainStatement({ origin: ORIGIN, agentId: AGENT, chainId, firstSeq: mine[0]!.record.seq, lastSeq: mine.at(-1)!.record.seq, count: mine.length, headSeq: head.record.seq, headHash: head.hash, treeSize });
      return { agent_id: AGENT, chain_id: chainId, statement: signNote(text, [signer]) };
    });
    const query = options.query ?? { agent_id: AGENT };
    const manifest = signNote(
      formatExportManifest({
        origin: ORIGIN,
        treeSize,
        query,
        events: events.length,
        erasures: erasures.length,
        chains: chainIds.map((chainId) => ({ agentId: AGENT, chainId, count: events.filter((event) => event.record.chain_id === chainId).length })),
      }),
      [signer],
    );
    return {
      format: BUNDLE_FORMAT,
      log_key: this.logKey,
      checkpoint: signCheckpoint({ origin: ORIGIN, treeSize, rootHash: this.#tree.root() }, signer),
      keys: [{ agent_id: AGENT, key_id: keyId(this.agent.publicKey), public_key: toHex(this.agent.publicKey) }],
      events,
      chains: statements,
      ...(erasures.length > 0 ? { erasures } : {}),
      manifest,
      query,
    };
  }

  #append(hash: Uint8Array): void {
    this.#store.put(this.#tree.append([hashLeaf(hash)]).nodes);
  }
}

/** A log with whole chains of the given lengths, and its full export. */
export async function bundleFixture(chains: Record<string, number> = { 'session-1': 4 }): Promise<LogFixture> {
  const log = new TestLog();
  for (const [chainId, length] of Object.entries(chains)) for (let seq = 0; seq < length; seq++) log.sign(chainId);
  return { bundle: await log.export(), logKey: log.logKey, agentKeys: { [AGENT]: [log.agent.publicKey] } };
}
