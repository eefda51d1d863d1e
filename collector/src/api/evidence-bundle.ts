/**
 * Streams an evidence bundle (docs/spec.md section 13): a checkpoint signed now, the selected events
 * with their inclusion proofs against it, the agent keys they were signed with, one signed chain
 * statement per chain (which makes a bundle with the newest events of a chain removed fail to
 * verify), the erasure entries naming its events, and the signed export manifest.
 *
 * The bundle is written while it is read, a page of events at a time, so an export of any size holds
 * one page in memory plus a few bits per seq of each chain (chain-tally.ts): the members that depend
 * on every event (keys, statements, erasures, manifest) come after `events`, which JSON allows.
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
  type BundleKey,
  type ErasureEntry,
} from '@facto/core';
import type { CollectorContext } from '../context.js';
import type { ChainSummary, StoredEvent } from '../store/types.js';
import { ChainTallies, type ChainTally } from './chain-tally.js';
import { filtersToQuery, type EventFilters } from './event-filters.js';

/** Events read from the store, and written out, at a time. */
const DEFAULT_PAGE_SIZE = 500;

export interface EvidenceBundleStream {
  /** The tree size of the checkpoint every proof in the bundle refers to. */
  readonly treeSize: number;
  /** Stored events of the chains the export can touch: an upper bound on its events, for progress. */
  readonly estimatedEvents: number;
  /** The bundle's JSON text, UTF-8. */
  readonly chunks: AsyncIterable<Uint8Array>;
}

export interface EvidenceBundleOptions {
  readonly pageSize?: number;
}

/**
 * Signs the checkpoint and reads the chain summaries first, so that what can fail early fails before
 * a status line is sent; the events follow as the returned stream is read.
 */
export async function openEvidenceBundle(context: CollectorContext, filters: EventFilters, options: EvidenceBundleOptions = {}): Promise<EvidenceBundleStream> {
  const checkpoint = await context.log.checkpoint();
  const summaries = (await context.store.listChains(filters.agentId)).filter((summary) => filters.chainId === undefined || summary.chainId === filters.chainId);
  const estimatedEvents = summaries.reduce((total, summary) => total + summary.count, 0);
  const writer = new BundleWriter(context, filters, checkpoint.treeSize, new Map(summaries.map((summary) => [chainKey(summary.agentId, summary.chainId), summary])), options.pageSize ?? DEFAULT_PAGE_SIZE);
  return { treeSize: checkpoint.treeSize, estimatedEvents, chunks: encode(writer.write(checkpoint.note)) };
}

async function* encode(parts: AsyncIterable<string>): AsyncIterable<Uint8Array> {
  for await (const part of parts) yield Buffer.from(part, 'utf8');
}

class BundleWriter {
  readonly #tallies = new ChainTallies();
  readonly #keyIds = new Set<string>();
  readonly #erasureLeaves = new Set<number>();
  #events = 0;

  constructor(
    readonly context: CollectorContext,
    readonly filters: EventFilters,
    readonly treeSize: number,
    readonly summaries: ReadonlyMap<string, ChainSummary>,
    readonly pageSize: number,
  ) {}

  async *write(checkpointNote: string): AsyncIterable<string> {
    const { context, filters } = this;
    const query = filtersToQuery(filters);
    yield `{"format":${JSON.stringify(BUNDLE_FORMAT)},"log_key":${JSON.stringify(context.log.key.verifierKey)},"checkpoint":${JSON.stringify(checkpointNote)},"query":${JSON.stringify(query)},"events":[`;
    for await (const page of this.#selected()) yield await this.#eventsText(page);
    if (filters.since !== undefined || filters.until !== undefined) {
      for (const tally of [...this.#tallies.values()]) for await (const page of this.#missingFrom(tally)) yield await this.#eventsText(page);
    }
    const keys = await this.#keys();
    const chains = await this.#statements();
    const erasures = await this.#erasures();
    const manifest = context.log.signNote(
      formatExportManifest({
        origin: context.log.key.origin,
        treeSize: this.treeSize,
        query,
        events: this.#events,
        erasures: erasures.length,
        chains: [...this.#tallies.values()].map((tally) => ({ agentId: tally.agentId, chainId: tally.chainId, count: tally.seqs.count })),
      }),
    );
    yield `\n],"keys":${JSON.stringify(keys)},"chains":${JSON.stringify(chains)}${erasures.length > 0 ? `,"erasures":${JSON.stringify(erasures)}` : ''},"manifest":${JSON.stringify(manifest)}}\n`;
  }

  /** The events matching the filters inside the checkpoint, in log order, a page at a time. */
  async *#selected(): AsyncIterable<StoredEvent[]> {
    const { agentId, chainId, since, until } = this.filters;
    let afterLeafIndex: number | undefined;
    for (;;) {
      const page = await this.context.store.queryEvents({ agentId, chainId, since, until, order: 'asc', limit: this.pageSize, afterLeafIndex });
      const inside = page.filter((event) => event.leafIndex < this.treeSize);
      if (inside.length > 0) yield inside;
      // Ascending: once one event is past the checkpoint, all later ones are.
      if (page.length < this.pageSize || inside.length < page.length) return;
      afterLeafIndex = page[page.length - 1]!.leafIndex;
    }
  }

  /**
   * Stored events of the chain that the time window missed, between its first and last selected seq
   * (from 0 without `since`), read by seq range: a long run of seqs the signer declared dropped costs
   * nothing, and no run is too long to look through.
   */
  async *#missingFrom(tally: ChainTally): AsyncIterable<StoredEvent[]> {
    const { since, until } = this.filters;
    const range = { agentId: tally.agentId, chainId: tally.chainId, fromSeq: since === undefined ? 0 : tally.firstSeq, toSeq: tally.lastSeq, receivedOutside: { since, until } };
    let after: { seq: number; leafIndex: number } | undefined;
    for (;;) {
      const page = await this.context.store.listChainRange({ ...range, limit: this.pageSize, after });
      const inside = page.filter((event) => event.leafIndex < this.treeSize);
      if (inside.length > 0) yield inside;
      if (page.length < this.pageSize) return;
      const last = page[page.length - 1]!;
      after = { seq: last.seq, leafIndex: last.leafIndex };
    }
  }

  async #eventsText(events: readonly StoredEvent[]): Promise<string> {
    const lines: string[] = [];
    for (const event of events) {
      const proof = await this.context.log.inclusionProof(event.leafIndex, this.treeSize);
      // Parsed and written again rather than spliced: what the store holds cannot break the bundle's JSON.
      const line = JSON.stringify({
        leaf_index: event.leafIndex,
        record: JSON.parse(event.recordJson),
        hash: event.hash,
        signature: event.signature,
        inclusion_proof: proof.map(toHex),
        disclosures: JSON.parse(event.disclosuresJson),
      });
      // One event per line: a reader can count them as they arrive.
      lines.push(`${this.#events === 0 ? '' : ','}\n${line}`);
      this.#events++;
      this.#tallies.add(event);
      this.#keyIds.add(event.keyId);
      if (event.erasedBy !== null && event.erasedBy < this.treeSize) this.#erasureLeaves.add(event.erasedBy);
    }
    return lines.join('');
  }

  async #keys(): Promise<BundleKey[]> {
    const keys = await this.context.store.listKeys();
    return keys.filter((key) => this.#keyIds.has(key.keyId)).map((key) => ({ agent_id: key.agentId, key_id: key.keyId, public_key: key.publicKey }));
  }

  async #statements(): Promise<BundleChain[]> {
    const statements: BundleChain[] = [];
    for (const tally of this.#tallies.values()) {
      const head = await this.#headAt(tally);
      const text = formatChainStatement({
        origin: this.context.log.key.origin,
        agentId: tally.agentId,
        chainId: tally.chainId,
        firstSeq: tally.firstSeq,
        lastSeq: tally.lastSeq,
        count: tally.seqs.count,
        headSeq: head.seq,
        headHash: head.hash,
        treeSize: this.treeSize,
      });
      statements.push({ agent_id: tally.agentId, chain_id: tally.chainId, statement: this.context.log.signNote(text) });
    }
    return statements;
  }

  /** The chain's head (highest seq) as of the checkpoint, ignoring anything committed after it. */
  async #headAt(tally: ChainTally): Promise<{ seq: number; hash: string }> {
    const { store } = this.context;
    const summary = this.summaries.get(chainKey(tally.agentId, tally.chainId));
    if (summary !== undefined) {
      const atHead = (await store.getChainEvents(tally.agentId, tally.chainId, [summary.headSeq])).find((event) => event.leafIndex < this.treeSize);
      if (atHead !== undefined) return { seq: atHead.seq, hash: atHead.hash };
    }
    // Rare: the chain grew between the checkpoint and now. Walk its older events once, a page at a time.
    let head: StoredEvent | undefined;
    let afterLeafIndex = this.treeSize;
    for (;;) {
      const page = await store.queryEvents({ agentId: tally.agentId, chainId: tally.chainId, order: 'desc', limit: this.pageSize, afterLeafIndex });
      for (const event of page) if (head === undefined || event.seq > head.seq) head = event;
      if (page.length < this.pageSize) break;
      afterLeafIndex = page[page.length - 1]!.leafIndex;
    }
    return { seq: head!.seq, hash: head!.hash };
  }

  /** The erasure entries that name events of the export, so a verifier can tell erased from withheld content. */
  async #erasures(): Promise<BundleErasure[]> {
    const erasures: BundleErasure[] = [];
    for (const leafIndex of [...this.#erasureLeaves].sort((left, right) => left - right)) {
      const entry = await this.context.store.getLogEntry(leafIndex);
      if (entry === null || entry.kind !== 'erasure') continue;
      const proof = await this.context.log.inclusionProof(leafIndex, this.treeSize);
      erasures.push({ leaf_index: leafIndex, entry: JSON.parse(entry.entryJson) as ErasureEntry, hash: entry.hash, signature: entry.signature, inclusion_proof: proof.map(toHex) });
    }
    return erasures;
  }
}
