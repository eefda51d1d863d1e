/**
 * The collector's storage contract. Every driver (SQLite embedded, PostgreSQL at scale) implements
 * `Store` and passes the shared conformance suite (`runStoreConformance` in ./conformance.ts).
 *
 * The log's write path is one call, `commitBatch`, which must be atomic and durable when it
 * resolves: the spans, their Merkle leaves and nodes, the new tree size, link updates, incidents and
 * key records of one OTLP request land together or not at all. Only after it resolves does the
 * collector answer 200. A single sequencer (one process, or the holder of the leader lock) calls it,
 * so drivers may assume no concurrent commitBatch; they must still refuse a batch whose
 * `expectedTreeSize` is not the stored size (a compare-and-swap on the tree head), which catches a
 * second sequencer or a retried commit.
 */
import type { NodeId } from '@facto/core';

/** How a span's chain link stands, as far as this log knows. */
export type LinkStatus =
  | 'genesis' // seq 0, prev_hash all zeros
  | 'linked' // predecessor present and prev_hash matches
  | 'pending' // predecessor not (yet) received
  | 'gap_declared' // predecessor missing, covered by the signer's dropped counter
  | 'gap_undeclared' // predecessor still missing after the grace period and not declared: a deletion
  | 'bad_link'; // predecessor present, prev_hash does not match

export interface StoredEvent {
  /** Merkle leaf index; events are numbered by the log. */
  readonly leafIndex: number;
  readonly factoId: string;
  readonly agentId: string;
  readonly chainId: string;
  readonly seq: number;
  /** Record hash, lowercase hex (also the Merkle leaf data). */
  readonly hash: string;
  readonly prevHash: string;
  readonly keyId: string;
  /** Ed25519 signature, lowercase hex. */
  readonly signature: string;
  readonly dropped: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly name: string;
  /** facto.action_type, or the span name's GenAI operation, or ''. */
  readonly actionType: string;
  /** From the record. */
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  /** Milliseconds since the epoch when the collector committed it. */
  readonly receivedAt: number;
  /** The facto.v1 record as canonical JSON text (RFC 8785), exactly the bytes that were hashed after the domain prefix. */
  readonly recordJson: string;
  /** JSON: { resource: AttributePairs, scope: { name, version } } as received, not signed. */
  readonly contextJson: string;
  /** JSON array of ContentDisclosure ({ key, value, salt }); '[]' after erasure or when none travelled. */
  readonly disclosuresJson: string;
  /** Hex span salt as received, or null (none travelled, or erased). */
  readonly salt: string | null;
  readonly linkStatus: LinkStatus;
  /** Leaf index of the erasure entry that removed its content, or null. */
  readonly erasedBy: number | null;
}

export type IncidentKind =
  | 'bad_signature'
  | 'hash_mismatch'
  | 'content_mismatch'
  | 'unknown_key'
  | 'revoked_key'
  | 'key_not_valid'
  | 'agent_mismatch'
  | 'fork'
  | 'replay'
  | 'bad_link'
  | 'undeclared_gap'
  | 'malformed_record'
  | 'duplicate_id';

export interface Incident {
  readonly id: number;
  readonly kind: IncidentKind;
  readonly agentId: string | null;
  readonly chainId: string | null;
  readonly seq: number | null;
  readonly factoId: string | null;
  /** Human-readable reason. */
  readonly detail: string;
  /** JSON evidence (the offending record, signature, the conflicting hash...), capped in size by ingest. */
  readonly evidenceJson: string;
  /** When it was first seen. */
  readonly createdAt: number;
  /** How many times the same finding was made (same fingerprint); the evidence is the first one's. */
  readonly count: number;
  /** When it was last seen. */
  readonly lastSeenAt: number;
}

export interface NewIncident extends Omit<Incident, 'id' | 'count' | 'lastSeenAt'> {
  /**
   * Identifies the finding (kind, subject, reason): an incident whose fingerprint is already stored
   * raises that incident's count and lastSeenAt instead of adding a row.
   */
  readonly fingerprint: string;
}

/** A key the registry knows. Times are milliseconds since the epoch. */
export interface AgentKey {
  readonly agentId: string;
  readonly keyId: string;
  /** Raw 32-byte Ed25519 public key, lowercase hex. */
  readonly publicKey: string;
  readonly notBefore: number | null;
  readonly notAfter: number | null;
  readonly revokedAt: number | null;
  readonly source: 'config' | 'admin' | 'tofu';
  readonly createdAt: number;
}

/** A non-span log entry: an erasure, signed by the collector. */
export interface LogEntry {
  readonly leafIndex: number;
  readonly kind: 'erasure';
  /** Entry hash, lowercase hex (the Merkle leaf data). */
  readonly hash: string;
  /** Canonical JSON of the entry. */
  readonly entryJson: string;
  /** Collector's signature over the hash, hex. */
  readonly signature: string;
  readonly createdAt: number;
}

export interface UnverifiedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly name: string;
  readonly spanJson: string;
  readonly receivedAt: number;
}

export interface StoredNode {
  readonly level: number;
  readonly index: number;
  /** 32 bytes. */
  readonly hash: Uint8Array;
}

/** An event as a batch writes it. */
export interface NewEvent extends StoredEvent {
  /**
   * events.body exactly as the SQLite store would encode it from this event's fields, prepared on an
   * examination worker (ingest/examine.ts) so the sequencer thread does not compress. Other stores ignore it.
   */
  readonly preparedBody?: Uint8Array;
}

export interface Batch {
  /** The tree size this batch was sequenced against; commit fails with StoreConflictError otherwise. */
  readonly expectedTreeSize: number;
  /** Tree size after the batch. Equals expectedTreeSize + events.length + logEntries.length. */
  readonly newTreeSize: number;
  /** Leaf indices are expectedTreeSize, expectedTreeSize + 1, ... across events and logEntries. */
  readonly events: readonly NewEvent[];
  readonly logEntries: readonly LogEntry[];
  /** Every Merkle node the append completed (level 0 included). */
  readonly nodes: readonly StoredNode[];
  /** Earlier events whose link status this batch resolves (their predecessor arrived). */
  readonly linkUpdates: readonly { readonly factoId: string; readonly linkStatus: LinkStatus }[];
  readonly incidents: readonly NewIncident[];
  readonly keys: readonly AgentKey[];
  readonly unverified: readonly UnverifiedSpan[];
  /** Events whose content (disclosures and salt) this batch erases; erasedBy is the erasure entry's leaf index. */
  readonly erasures: readonly { readonly factoId: string; readonly erasedBy: number }[];
  /**
   * Requests to pass on downstream (the forward queue), stored with the spans they carry so that a
   * request acknowledged is a request that will be forwarded, across a crash too. Absent: none.
   */
  readonly forwards?: readonly NewForward[];
  /** Queued requests rewritten or removed because they carry content this batch erases. Absent: none. */
  readonly forwardEdits?: readonly ForwardEdit[];
}

/** An OTLP request waiting to be forwarded downstream (forward/forwarder.ts), as a batch writes it. */
export interface NewForward {
  /** How `body` is encoded: OTLP/protobuf or OTLP/JSON. */
  readonly encoding: 'protobuf' | 'json';
  /** The request as received, decompressed. */
  readonly body: Uint8Array;
  /**
   * Which of its spans go on: JSON of the SpanSelection, one array per resource, of one array per
   * scope, of booleans per span. Null when every span does, the common case, and the body goes on as it is.
   */
  readonly keepJson: string | null;
  /** Milliseconds since the epoch when the collector acknowledged it. */
  readonly queuedAt: number;
  /** The facto_ids its spans name, forwarded or not: an erasure of one rewrites the request (Batch.forwardEdits). */
  readonly factoIds: readonly string[];
}

/** A queued request rewritten (its body without erased spans) or, with `replacement` null, taken off the queue. */
export interface ForwardEdit {
  readonly id: number;
  readonly replacement: Pick<NewForward, 'body' | 'keepJson' | 'factoIds'> | null;
}

/** A queued request as read back: `id` orders the queue (oldest first) and names it for deleteForwards. */
export interface QueuedForward extends NewForward {
  readonly id: number;
}

export interface ForwardBacklog {
  readonly requests: number;
  /** The bodies' bytes. */
  readonly bytes: number;
}

export interface EventQuery {
  readonly agentId?: string;
  readonly chainId?: string;
  readonly actionType?: string;
  /** receivedAt bounds, milliseconds, inclusive. */
  readonly since?: number;
  readonly until?: number;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  /** Opaque to callers: the leafIndex to continue after (exclusive). */
  readonly afterLeafIndex?: number;
}

/**
 * A page of one chain's events in a seq range, in (seq, leafIndex) order: what an export reads to
 * close the holes a time window cut in a chain's range, however many seqs between are absent.
 */
export interface ChainRangeQuery {
  readonly agentId: string;
  readonly chainId: string;
  /** Seq bounds, inclusive. */
  readonly fromSeq: number;
  readonly toSeq: number;
  /** Only events received outside this window (before `since` or after `until`, milliseconds); every event when absent. */
  readonly receivedOutside?: { readonly since?: number; readonly until?: number };
  readonly limit: number;
  /** Continue after this event of the previous page (exclusive), in (seq, leafIndex) order. */
  readonly after?: { readonly seq: number; readonly leafIndex: number };
}

export interface ChainLink {
  readonly seq: number;
  /** Lowercase hex. */
  readonly hash: string;
  readonly prevHash: string;
  readonly dropped: number;
  /** An erasure entry blanked its content. */
  readonly erased: boolean;
}

export interface ChainSummary {
  readonly agentId: string;
  readonly chainId: string;
  readonly count: number;
  readonly headSeq: number;
  readonly headHash: string;
}

export interface Checkpoint {
  readonly treeSize: number;
  /** Root hash, lowercase hex. */
  readonly rootHash: string;
  /** The signed note text (C2SP tlog-checkpoint). */
  readonly note: string;
  readonly createdAt: number;
}

export interface Store {
  /** Creates or migrates the schema. Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;

  // The log
  treeSize(): Promise<number>;
  getNodes(ids: readonly NodeId[]): Promise<Uint8Array[]>;
  commitBatch(batch: Batch): Promise<void>;

  // Events
  getEvent(factoId: string): Promise<StoredEvent | null>;
  getEventsByHash(hashes: readonly string[]): Promise<StoredEvent[]>;
  getEventsByFactoId(factoIds: readonly string[]): Promise<StoredEvent[]>;
  /** Events of one chain at the given seq values (several per seq where forked). */
  getChainEvents(agentId: string, chainId: string, seqs: readonly number[]): Promise<StoredEvent[]>;
  /** A page of a chain's events in a seq range (see ChainRangeQuery). */
  listChainRange(query: ChainRangeQuery): Promise<StoredEvent[]>;
  /** Every event of a chain, ascending seq. */
  listChain(agentId: string, chainId: string): Promise<StoredEvent[]>;
  /**
   * What a chain verdict needs of every event of a chain (ascending seq, then leaf index): its links,
   * without building whole events. A chain can hold millions of events, and one agent can make it so:
   * stores read it in pages and let other work run between them.
   */
  listChainLinks(agentId: string, chainId: string): Promise<ChainLink[]>;
  listChains(agentId?: string): Promise<ChainSummary[]>;
  queryEvents(query: EventQuery): Promise<StoredEvent[]>;
  /** Events still waiting for their predecessor, received before the given time, oldest first. */
  listPendingEvents(receivedBefore: number, limit: number): Promise<StoredEvent[]>;
  getLogEntry(leafIndex: number): Promise<LogEntry | null>;

  // Keys
  listKeys(agentId?: string): Promise<AgentKey[]>;
  putKey(key: AgentKey): Promise<void>;
  revokeKey(agentId: string, keyId: string, revokedAt: number): Promise<boolean>;

  // Incidents
  listIncidents(query: { kind?: IncidentKind; agentId?: string; limit: number; afterId?: number }): Promise<Incident[]>;
  countIncidents(): Promise<Record<string, number>>;

  // Unsigned spans kept as unverified
  countUnverified(): Promise<number>;

  // The forward queue (Batch.forwards): requests to pass on downstream, until delivered or given up
  /** Up to `limit` queued requests with an id above `afterId` (0: from the start), oldest first. */
  listForwards(afterId: number, limit: number): Promise<QueuedForward[]>;
  /** The same ids listForwards would answer, without reading a body: delivery reads each request when it sends it. */
  listForwardIds(afterId: number, limit: number): Promise<number[]>;
  /** One queued request as it is now (an erasure may have rewritten it), or null when it is not queued. */
  getForward(id: number): Promise<QueuedForward | null>;
  /** Takes delivered (or given-up) requests off the queue, answering what it removed; an id not queued is ignored. */
  deleteForwards(ids: readonly number[]): Promise<ForwardBacklog>;
  /** The queued requests that carry any of these signed spans, oldest first. */
  listForwardsHolding(factoIds: readonly string[]): Promise<QueuedForward[]>;
  forwardBacklog(): Promise<ForwardBacklog>;

  // Checkpoints (compare-and-swap head: a checkpoint never goes backwards)
  /**
   * Stores `checkpoint` if the newest stored checkpoint is still `expectedLatest` (null: none), the
   * one its signer checked before deciding it; otherwise StoreConflictError and nothing is written,
   * like commitBatch's expectedTreeSize. So a checkpoint decided on a stale read (a sequencer section
   * whose lock was lost) never lands after another one. The same checkpoint stored again is a retry
   * and accepted; one at a smaller tree size than the newest, or another one at its size, is refused.
   */
  putCheckpoint(checkpoint: Checkpoint, expectedLatest: Checkpoint | null): Promise<void>;
  getCheckpoint(treeSize: number): Promise<Checkpoint | null>;
  latestCheckpoint(): Promise<Checkpoint | null>;
}
