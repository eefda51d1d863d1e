/**
 * Builds an evidence bundle (docs/spec.md section 13): a checkpoint signed now, the selected events
 * with their inclusion proofs against it, the agent keys they were signed with, and one signed chain
 * statement per chain, which makes a bundle with the newest events of a chain removed fail to verify.
 *
 * Events committed after the checkpoint are left out (no proof against it exists). Within each chain
 * the stored events between the first and last selected seq are added when a time window cut through
 * them (events can arrive out of seq order), so a chain's range in the bundle has no holes the log
 * does not have.
 */
import {
  BUNDLE_FORMAT,
  chainKey,
  formatChainStatement,
  formatExportManifest,
  toHex,
  type BundleChain,
  type BundleErasure,
  type BundleEvent,
  type BundleKey,
  type ContentDisclosure,
  type ErasureEntry,
  type EvidenceBundle,
  type FactoRecord,
} from '@facto/core';
import type { CollectorContext } from '../context.js';
import type { StoredEvent } from '../store/types.js';
import { filtersToQuery, type EventFilters } from './event-filters.js';
import { badRequest } from './query-parameters.js';

/** The most events one bundle holds; a larger export must be narrowed (by chain or time). */
export const MAX_BUNDLE_EVENTS = 10_000;
/** The most missing seqs of one chain looked up to complete its range. */
const MAX_FILL_LOOKUP = 100_000;

function tooMany(maxEvents: number): Error {
  return badRequest(`the export would hold more than ${maxEvents} events; narrow it with agent_id, chain_id, since or until`);
}

/** Groups events by chain, each group sorted by seq. */
function byChain(events: readonly StoredEvent[]): Map<string, StoredEvent[]> {
  const chains = new Map<string, StoredEvent[]>();
  for (const event of events) {
    const key = chainKey(event.agentId, event.chainId);
    chains.set(key, [...(chains.get(key) ?? []), event]);
  }
  for (const list of chains.values()) list.sort((left, right) => left.seq - right.seq || left.leafIndex - right.leafIndex);
  return chains;
}

/**
 * Stored events of each chain that the selection missed: between the chain's first and last selected
 * seq, and, when the export has no `since` (a chain from its start), from seq 0.
 */
async function fillChainRanges(context: CollectorContext, selected: StoredEvent[], treeSize: number, fromStart: boolean): Promise<StoredEvent[]> {
  const added: StoredEvent[] = [];
  for (const events of byChain(selected).values()) {
    const present = new Set(events.map((event) => event.seq));
    const first = fromStart ? 0 : events[0]!.seq;
    const last = events[events.length - 1]!.seq;
    // A long run of seqs the signer declared dropped is not stored anyway: not worth a lookup.
    if (last - first + 1 - present.size > MAX_FILL_LOOKUP) continue;
    const missing: number[] = [];
    for (let seq = first; seq <= last; seq++) if (!present.has(seq)) missing.push(seq);
    if (missing.length === 0) continue;
    const found = await context.store.getChainEvents(events[0]!.agentId, events[0]!.chainId, missing);
    added.push(...found.filter((event) => event.leafIndex < treeSize));
  }
  return added;
}

/** The chain's head (highest seq) as of the checkpoint, ignoring anything committed after it. */
async function headAt(context: CollectorContext, agentId: string, chainId: string, treeSize: number): Promise<{ seq: number; hash: string }> {
  const [summary] = await context.store.listChains(agentId).then((chains) => chains.filter((chain) => chain.chainId === chainId));
  if (summary !== undefined) {
    const atHead = await context.store.getChainEvents(agentId, chainId, [summary.headSeq]);
    const first = atHead.find((event) => event.leafIndex < treeSize);
    if (first !== undefined) return { seq: first.seq, hash: first.hash };
  }
  // Rare: the chain grew between the checkpoint and now. Walk it once to find the head it had.
  const before = (await context.store.listChain(agentId, chainId)).filter((event) => event.leafIndex < treeSize);
  const head = before.reduce((best, event) => (event.seq > best.seq ? event : best), before[0]!);
  return { seq: head.seq, hash: head.hash };
}

async function chainStatements(context: CollectorContext, events: readonly StoredEvent[], treeSize: number): Promise<BundleChain[]> {
  const statements: BundleChain[] = [];
  for (const chain of byChain(events).values()) {
    const { agentId, chainId } = chain[0]!;
    const head = await headAt(context, agentId, chainId, treeSize);
    const text = formatChainStatement({
      origin: context.log.key.origin,
      agentId,
      chainId,
      firstSeq: chain[0]!.seq,
      lastSeq: chain[chain.length - 1]!.seq,
      count: new Set(chain.map((event) => event.seq)).size,
      headSeq: head.seq,
      headHash: head.hash,
      treeSize,
    });
    statements.push({ agent_id: agentId, chain_id: chainId, statement: context.log.signNote(text) });
  }
  return statements;
}

/** The erasure entries that name events of the export, so a verifier can tell erased from withheld content. */
async function erasureEntries(context: CollectorContext, events: readonly StoredEvent[], treeSize: number): Promise<BundleErasure[]> {
  const leaves = [...new Set(events.flatMap((event) => (event.erasedBy !== null && event.erasedBy < treeSize ? [event.erasedBy] : [])))].sort((left, right) => left - right);
  const erasures: BundleErasure[] = [];
  for (const leafIndex of leaves) {
    const entry = await context.store.getLogEntry(leafIndex);
    if (entry === null || entry.kind !== 'erasure') continue;
    const proof = await context.log.inclusionProof(leafIndex, treeSize);
    erasures.push({ leaf_index: leafIndex, entry: JSON.parse(entry.entryJson) as ErasureEntry, hash: entry.hash, signature: entry.signature, inclusion_proof: proof.map(toHex) });
  }
  return erasures;
}

async function bundleKeys(context: CollectorContext, events: readonly StoredEvent[]): Promise<BundleKey[]> {
  const used = new Set(events.map((event) => event.keyId));
  const keys = await context.store.listKeys();
  return keys.filter((key) => used.has(key.keyId)).map((key) => ({ agent_id: key.agentId, key_id: key.keyId, public_key: key.publicKey }));
}

/** The bundle and the tree size of the checkpoint it was built against. */
export async function buildEvidenceBundle(context: CollectorContext, filters: EventFilters, maxEvents = MAX_BUNDLE_EVENTS): Promise<{ bundle: EvidenceBundle; treeSize: number }> {
  const checkpoint = await context.log.checkpoint();
  const treeSize = checkpoint.treeSize;
  // One more than the cap tells an export that fits from one that does not.
  const found = await context.store.queryEvents({ ...filters, order: 'asc', limit: maxEvents + 1 });
  if (found.length > maxEvents) throw tooMany(maxEvents);
  const selected = found.filter((event) => event.leafIndex < treeSize);
  const events = [...selected, ...(await fillChainRanges(context, selected, treeSize, filters.since === undefined))].sort((left, right) => left.leafIndex - right.leafIndex);
  if (events.length > maxEvents) throw tooMany(maxEvents);
  const erasures = await erasureEntries(context, events, treeSize);

  const bundleEvents: BundleEvent[] = [];
  for (const event of events) {
    const proof = await context.log.inclusionProof(event.leafIndex, treeSize);
    bundleEvents.push({
      leaf_index: event.leafIndex,
      record: JSON.parse(event.recordJson) as FactoRecord,
      hash: event.hash,
      signature: event.signature,
      inclusion_proof: proof.map(toHex),
      disclosures: JSON.parse(event.disclosuresJson) as ContentDisclosure[],
    });
  }
  const query = filtersToQuery(filters);
  const counts = new Map<string, { agentId: string; chainId: string; seqs: Set<number> }>();
  for (const event of events) {
    const key = chainKey(event.agentId, event.chainId);
    const entry = counts.get(key) ?? { agentId: event.agentId, chainId: event.chainId, seqs: new Set<number>() };
    counts.set(key, { ...entry, seqs: entry.seqs.add(event.seq) });
  }
  const manifest = context.log.signNote(
    formatExportManifest({
      origin: context.log.key.origin,
      treeSize,
      query,
      events: events.length,
      erasures: erasures.length,
      chains: [...counts.values()].map(({ agentId, chainId, seqs }) => ({ agentId, chainId, count: seqs.size })),
    }),
  );
  const bundle: EvidenceBundle = {
    format: BUNDLE_FORMAT,
    log_key: context.log.key.verifierKey,
    checkpoint: checkpoint.note,
    keys: await bundleKeys(context, events),
    events: bundleEvents,
    chains: await chainStatements(context, events, treeSize),
    ...(erasures.length > 0 ? { erasures } : {}),
    manifest,
    query,
  };
  return { bundle, treeSize };
}
