/**
 * Offline verification of an evidence bundle, trusting nothing but keys: the log's verifier key
 * (C2SP vkey) and the agents' public keys. The report names exactly what failed, per event and per
 * chain, so an auditor can tell a forged signature from a missing proof from a truncated chain.
 */
import { fromHex, toHex } from '../bytes.js';
import { verifyChains, type ChainGap } from '../chain/verify-chains.js';
import { keyId as computeKeyId } from '../crypto/index.js';
import { verifyInclusion } from '../merkle/index.js';
import { hashLeaf } from '../merkle/index.js';
import { openCheckpoint, openNote, parseVerifierKey, type VerifierKey } from '../note/index.js';
import { checkDisclosure } from '../record/content.js';
import { FORMAT } from '../record/constants.js';
import { verifyRecordSignature } from '../record/open.js';
import { hashRecord, type FactoRecord } from '../record/record.js';
import { canonicalize } from '../canonicalize.js';
import { parseChainStatement, type ChainStatement } from './chain-statement.js';
import { parseExportManifest, type ExportManifest } from './export-manifest.js';
import { BUNDLE_FORMAT, type BundleEvent, type EvidenceBundle } from './types.js';

export interface TrustedKeys {
  /** The log's C2SP verifier key(s), `name+keyid+base64`. */
  readonly log: string | readonly string[];
  /** Agent public keys (raw 32 bytes, or hex) by agent id. */
  readonly agents?: Readonly<Record<string, readonly (string | Uint8Array)[]>>;
}

export interface VerifyBundleOptions {
  readonly trustedKeys: TrustedKeys;
  /** Accept agent keys carried by the bundle itself. Off by default: the bundle cannot vouch for its own keys. */
  readonly trustBundleKeys?: boolean;
}

export type KeyTrust = 'trusted' | 'bundle' | 'untrusted' | 'unknown';

export interface EventVerdict {
  readonly factoId: string;
  readonly leafIndex: number;
  readonly agentId: string;
  readonly chainId: string;
  readonly seq: number;
  readonly hash: boolean;
  readonly signature: boolean;
  readonly key: KeyTrust;
  readonly inclusion: boolean;
  readonly disclosures: readonly { readonly key: string; readonly ok: boolean }[];
  readonly ok: boolean;
  readonly errors: readonly string[];
}

export interface ChainVerdict {
  readonly agentId: string;
  readonly chainId: string;
  readonly statement: ChainStatement | null;
  readonly missing: readonly ChainGap[];
  readonly ok: boolean;
  readonly errors: readonly string[];
}

export interface BundleReport {
  readonly ok: boolean;
  readonly checkpoint: { readonly ok: boolean; readonly origin?: string; readonly treeSize?: number; readonly rootHash?: string };
  readonly events: readonly EventVerdict[];
  readonly chains: readonly ChainVerdict[];
  readonly errors: readonly string[];
}

function toKeyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? fromHex(key, 'agent public key', 32) : key;
}

function isRecord(value: unknown): value is FactoRecord {
  const record = value as FactoRecord;
  return (
    typeof value === 'object' &&
    value !== null &&
    record.format === FORMAT &&
    typeof record.facto_id === 'string' &&
    typeof record.agent_id === 'string' &&
    typeof record.chain_id === 'string' &&
    Number.isSafeInteger(record.seq) &&
    Number.isSafeInteger(record.dropped) &&
    typeof record.key_id === 'string' &&
    typeof record.prev_hash === 'string' &&
    typeof record.attributes === 'object' &&
    record.attributes !== null
  );
}

function malformed(reason: string): BundleReport {
  return { ok: false, checkpoint: { ok: false }, events: [], chains: [], errors: [reason] };
}

/**
 * Never throws on what it is given: a bundle is untrusted input, and a malformed one gets a report
 * that says so (a wrong type of trustedKeys, the caller's own input, is a TypeError).
 */
export function verifyBundle(bundle: EvidenceBundle, options: VerifyBundleOptions): BundleReport {
  if (typeof options?.trustedKeys !== 'object' || options.trustedKeys === null) throw new TypeError('verifyBundle: options.trustedKeys is required');
  try {
    return verifyWellFormedBundle(bundle, options);
  } catch (error) {
    return malformed(`malformed bundle: ${(error as Error).message}`);
  }
}

function verifyWellFormedBundle(bundle: EvidenceBundle, options: VerifyBundleOptions): BundleReport {
  const errors: string[] = [];
  if (typeof bundle !== 'object' || bundle === null || bundle.format !== BUNDLE_FORMAT || !Array.isArray(bundle.events) || !Array.isArray(bundle.chains)) {
    return malformed(`not a ${BUNDLE_FORMAT} document`);
  }
  if (!Array.isArray(bundle.keys ?? [])) return malformed('keys must be an array');
  if (typeof bundle.checkpoint !== 'string') return malformed('checkpoint must be a signed note (a string)');
  const logKeys: VerifierKey[] = [];
  for (const text of typeof options.trustedKeys.log === 'string' ? [options.trustedKeys.log] : options.trustedKeys.log) {
    try {
      logKeys.push(parseVerifierKey(text));
    } catch (error) {
      errors.push(`trusted log key unusable: ${(error as Error).message}`);
    }
  }

  let treeSize = -1;
  let root: Uint8Array | undefined;
  let origin = '';
  try {
    const opened = openCheckpoint(bundle.checkpoint, logKeys);
    treeSize = opened.checkpoint.treeSize;
    root = opened.checkpoint.rootHash;
    origin = opened.checkpoint.origin;
  } catch (error) {
    errors.push(`checkpoint: ${(error as Error).message}`);
  }
  const checkpoint = root ? { ok: true, origin, treeSize, rootHash: toHex(root) } : { ok: false };

  const trusted = new Map<string, Uint8Array[]>();
  for (const [agentId, keys] of Object.entries(options.trustedKeys.agents ?? {})) trusted.set(agentId, keys.map(toKeyBytes));
  const bundleKeys = new Map<string, { agentId: string; publicKey: Uint8Array }>();
  for (const key of bundle.keys ?? []) {
    try {
      bundleKeys.set(key.key_id, { agentId: key.agent_id, publicKey: fromHex(key.public_key, 'public_key', 32) });
    } catch {
      errors.push(`bundle key ${key.key_id}: malformed public key`);
    }
  }

  const seenLeaves = new Set<number>();
  const events = bundle.events.map((event) => {
    try {
      return verifyEvent(event, { trusted, bundleKeys, trustBundleKeys: options.trustBundleKeys ?? false, treeSize, root, seenLeaves });
    } catch (error) {
      return unreadableEvent(event, `malformed event: ${(error as Error).message}`);
    }
  });
  const chains = verifyBundleChains(bundle, events, logKeys, origin, treeSize);
  errors.push(...checkManifest(bundle, logKeys, origin, treeSize));
  const ok = errors.length === 0 && checkpoint.ok && events.every((event) => event.ok) && chains.every((chain) => chain.ok);
  return { ok, checkpoint, events, chains, errors };
}

interface EventContext {
  readonly trusted: Map<string, Uint8Array[]>;
  readonly bundleKeys: Map<string, { agentId: string; publicKey: Uint8Array }>;
  readonly trustBundleKeys: boolean;
  readonly treeSize: number;
  readonly root: Uint8Array | undefined;
  readonly seenLeaves: Set<number>;
}

function unreadableEvent(event: unknown, reason: string): EventVerdict {
  const leafIndex = typeof event === 'object' && event !== null && Number.isSafeInteger((event as BundleEvent).leaf_index) ? (event as BundleEvent).leaf_index : -1;
  return { factoId: '', leafIndex, agentId: '', chainId: '', seq: -1, hash: false, signature: false, key: 'unknown', inclusion: false, disclosures: [], ok: false, errors: [reason] };
}

function verifyEvent(event: BundleEvent, context: EventContext): EventVerdict {
  const errors: string[] = [];
  if (typeof event !== 'object' || event === null) return unreadableEvent(event, 'event is not an object');
  const record = event.record;
  if (!isRecord(record)) return unreadableEvent(event, 'record is not a facto.v1 record');
  if (!Array.isArray(event.inclusion_proof) || !Array.isArray(event.disclosures ?? [])) return unreadableEvent(event, 'inclusion_proof and disclosures must be arrays');
  let hash: Uint8Array | undefined;
  try {
    hash = hashRecord(record);
  } catch (error) {
    errors.push(`record cannot be canonicalised: ${(error as Error).message}`);
  }
  const hashOk = hash !== undefined && hash.length === 32 && event.hash === toHex(hash);
  if (hash && !hashOk) errors.push('hash: the record does not hash to the stated hash (record altered)');

  let signatureOk = false;
  let key: KeyTrust = 'unknown';
  const candidates = (context.trusted.get(record.agent_id) ?? []).filter((publicKey) => computeKeyId(publicKey) === record.key_id);
  if (candidates.length > 0) key = 'trusted';
  else if (context.trusted.has(record.agent_id)) key = 'untrusted';
  const carried = context.bundleKeys.get(record.key_id);
  if (candidates.length === 0 && carried && carried.agentId === record.agent_id && computeKeyId(carried.publicKey) === record.key_id) {
    if (context.trustBundleKeys) {
      candidates.push(carried.publicKey);
      key = 'bundle';
    }
  }
  if (hash) {
    let signature: Uint8Array | undefined;
    try {
      signature = fromHex(event.signature, 'signature', 64);
    } catch {
      errors.push('signature: malformed');
    }
    signatureOk = signature !== undefined && candidates.some((publicKey) => verifyRecordSignature(hash!, signature!, publicKey));
    if (signature && candidates.length > 0 && !signatureOk) errors.push('signature: does not verify under the agent key');
  }
  if (candidates.length === 0) errors.push(`key: no trusted key ${record.key_id} for agent "${record.agent_id}"`);

  let inclusion = false;
  if (context.seenLeaves.has(event.leaf_index)) errors.push(`leaf ${event.leaf_index} appears twice`);
  context.seenLeaves.add(event.leaf_index);
  if (context.root && hash) {
    try {
      inclusion =
        Number.isSafeInteger(event.leaf_index) &&
        verifyInclusion({ leafHash: hashLeaf(hash), index: event.leaf_index, treeSize: context.treeSize, proof: event.inclusion_proof.map((item) => fromHex(item, 'proof', 32)), root: context.root });
    } catch {
      inclusion = false;
    }
    if (!inclusion) errors.push(`inclusion: no valid proof that leaf ${event.leaf_index} is in the checkpointed tree`);
  }

  const disclosures = (event.disclosures ?? []).map((disclosure) => {
    const committed: unknown = typeof disclosure?.key === 'string' ? record.attributes[disclosure.key] : undefined;
    const ok = typeof committed === 'object' && committed !== null && 'c' in committed && typeof committed.c === 'string' && checkDisclosure(disclosure, committed.c);
    if (!ok) errors.push(`disclosure "${disclosure.key}": does not match its commitment`);
    return { key: disclosure.key, ok };
  });

  const ok = hashOk && signatureOk && inclusion && errors.length === 0;
  return { factoId: record.facto_id, leafIndex: event.leaf_index, agentId: record.agent_id, chainId: record.chain_id, seq: record.seq, hash: hashOk, signature: signatureOk, key, inclusion, disclosures, ok, errors };
}

/** The manifest must be signed by the log and list exactly the chains, counts and events the bundle holds. */
function checkManifest(bundle: EvidenceBundle, logKeys: VerifierKey[], origin: string, treeSize: number): string[] {
  if (typeof bundle.manifest !== 'string') return ['no export manifest: a chain removed together with its statement could not be detected'];
  let manifest: ExportManifest;
  try {
    manifest = parseExportManifest(openNote(bundle.manifest, logKeys).text);
  } catch (error) {
    return [`manifest: ${(error as Error).message}`];
  }
  const errors: string[] = [];
  if (manifest.origin !== origin) errors.push('manifest: from another log');
  if (manifest.treeSize !== treeSize) errors.push(`manifest: made at tree size ${manifest.treeSize}, the checkpoint is at ${treeSize}`);
  if (canonicalize(manifest.query) !== canonicalize(bundle.query ?? {})) errors.push('manifest: the bundle\'s query differs from the signed one');
  if (manifest.events !== bundle.events.length) errors.push(`manifest: lists ${manifest.events} events, the bundle holds ${bundle.events.length}`);
  const held = new Map<string, Set<number>>();
  for (const event of bundle.events) {
    const record = event?.record;
    if (!isRecord(record)) continue;
    const key = JSON.stringify([record.agent_id, record.chain_id]);
    held.set(key, (held.get(key) ?? new Set()).add(record.seq));
  }
  const listed = new Set<string>();
  for (const chain of manifest.chains) {
    const key = JSON.stringify([chain.agentId, chain.chainId]);
    listed.add(key);
    const count = held.get(key)?.size ?? 0;
    if (count !== chain.count) errors.push(`manifest: chain ${chain.agentId}/${chain.chainId} should hold ${chain.count} events, the bundle holds ${count}`);
  }
  for (const key of held.keys()) if (!listed.has(key)) errors.push(`manifest: the bundle holds chain ${key} that the manifest does not list`);
  return errors;
}

function verifyBundleChains(bundle: EvidenceBundle, events: readonly EventVerdict[], logKeys: VerifierKey[], origin: string, treeSize: number): ChainVerdict[] {
  const statements = new Map<string, { statement: ChainStatement | null; errors: string[] }>();
  for (const chain of bundle.chains) {
    if (typeof chain !== 'object' || chain === null) continue;
    const key = JSON.stringify([chain.agent_id, chain.chain_id]);
    const errors: string[] = [];
    let statement: ChainStatement | null = null;
    try {
      statement = parseChainStatement(openNote(chain.statement, logKeys).text);
      if (statement.agentId !== chain.agent_id || statement.chainId !== chain.chain_id) errors.push('statement names another chain');
      if (statement.origin !== origin) errors.push('statement is from another log');
      if (statement.treeSize !== treeSize) errors.push(`statement was made at tree size ${statement.treeSize}, the checkpoint is at ${treeSize}`);
    } catch (error) {
      errors.push(`statement: ${(error as Error).message}`);
    }
    statements.set(key, { statement, errors });
  }

  const byChain = new Map<string, { agentId: string; chainId: string; entries: { seq: number; hash: string; prevHash: string; dropped: number }[] }>();
  bundle.events.forEach((event, index) => {
    if (!events[index]!.hash) return;
    if (typeof event.hash !== 'string') return;
    const record = event.record;
    const key = JSON.stringify([record.agent_id, record.chain_id]);
    const chain = byChain.get(key) ?? { agentId: record.agent_id, chainId: record.chain_id, entries: [] };
    chain.entries.push({ seq: record.seq, hash: event.hash, prevHash: record.prev_hash, dropped: record.dropped });
    byChain.set(key, chain);
  });

  const verdicts: ChainVerdict[] = [];
  for (const [key, chain] of byChain) {
    const found = statements.get(key);
    const errors = [...(found?.errors ?? ['no chain statement: a removed tail could not be detected'])];
    const statement = found?.statement ?? null;
    const [report] = verifyChains(chain.entries.map((entry) => ({ ...entry, agentId: chain.agentId, chainId: chain.chainId })));
    const first = statement?.firstSeq ?? 0;
    const inRange = report!.gaps.filter((gap) => gap.toSeq >= first);
    const missing = inRange.filter((gap) => !gap.declared);
    if (report!.forks.length > 0) errors.push(`fork at seq ${report!.forks.map((fork) => fork.seq).join(', ')}`);
    if (report!.badLinks.length > 0) errors.push(`broken link at seq ${report!.badLinks.map((link) => link.seq).join(', ')}`);
    for (const gap of missing) errors.push(`events ${gap.fromSeq}..${gap.toSeq} are missing and were not declared dropped`);
    if (statement) {
      const seqs = chain.entries.map((entry) => entry.seq);
      const lowest = Math.min(...seqs);
      const highest = Math.max(...seqs);
      if (lowest !== statement.firstSeq) errors.push(`the statement's range starts at seq ${statement.firstSeq}, the bundle at ${lowest}`);
      if (highest !== statement.lastSeq) errors.push(`the statement's range ends at seq ${statement.lastSeq}, the bundle at ${highest} (events removed from the end)`);
      if (new Set(seqs).size !== statement.count) errors.push(`the statement counts ${statement.count} events, the bundle holds ${new Set(seqs).size}`);
      const head = chain.entries.find((entry) => entry.seq === statement.headSeq);
      if (head && head.hash !== statement.headHash) errors.push('the head event differs from the signed head');
    }
    verdicts.push({ agentId: chain.agentId, chainId: chain.chainId, statement, missing, ok: errors.length === 0, errors });
  }
  // A statement whose chain has no event left in the bundle: every one of them was removed.
  for (const [key, { statement, errors }] of statements) {
    if (byChain.has(key)) continue;
    const [agentId, chainId] = JSON.parse(key) as [string, string];
    const found = [...errors, statement ? `the statement covers ${statement.count} events of this chain, the bundle holds none` : 'chain statement without events'];
    verdicts.push({ agentId, chainId, statement, missing: [], ok: false, errors: found });
  }
  return verdicts;
}

