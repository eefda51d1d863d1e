/**
 * Ingest: examine a request's spans (phase one, examine.ts, on the worker pool), then, inside the
 * sequencer lane, read what the store holds about them, decide (decide.ts, a pure function) and
 * commit the plan in one durable batch: accepted events with their Merkle leaves, link updates,
 * incidents, pinned keys, unverified spans. Only after the commit resolves does the caller answer
 * 200, and only then does the key registry learn the batch's TOFU pins; if the commit fails, nothing
 * was written, nothing is remembered, and the caller answers 503.
 *
 * Metrics about the log (accepted spans, incidents, tree size) are counted here, at the commit. What
 * a request's answer says of its spans (duplicate, rejected, unverified) is the caller's to count,
 * once it has answered: a request may still be refused after its commit and then comes back.
 */
import { chainKey, fromHex } from '@facto/core';
import type { UnsignedPolicy } from '../config.js';
import type { BatchLane, LogService } from '../log/log-service.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { selectsAny, type DecodedTraceRequest, type OtlpContentType, type SpanSelection } from '../otlp/decoded-trace-request.js';
import type { ForwardBacklog, NewForward, Store, StoredEvent } from '../store/types.js';
import { decideBatch, type IngestPlan, type RejectReason, type StoredState, type Verdict } from './decide.js';
import { createExaminePool, type ExaminePool } from './examine-pool.js';
import { examineRequest, type ExaminedRequest, type SignedSpan } from './examine.js';
import type { KeyRegistry } from './key-registry.js';

export interface IngestOutcome {
  /** Spans the request held. */
  readonly received: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly unverified: number;
  /** How many spans were rejected for each reason (only the reasons that occurred). */
  readonly rejectedByReason: Readonly<Partial<Record<RejectReason, number>>>;
  /** For OTLP partial_success: why spans were rejected, summarised. */
  readonly errorMessage: string;
  /** Per [resource][scope][span]: whether the span goes on to the downstream endpoint. */
  readonly forward: SpanSelection;
  /**
   * What became of the request's downstream copy: committed to the forward queue with its spans,
   * refused by a full queue, or none (no span goes on, or no forwarder is set).
   */
  readonly forwarding: 'queued' | 'refused' | 'none';
}

/**
 * The forward queue as the ingest service fills it (forward/forwarder.ts): a request is admitted
 * into the batch that commits its spans, so both land or neither does.
 */
export interface ForwardAdmission {
  /**
   * Takes room in the queue for a request about to be committed, returning what the batch stores
   * (Batch.forwards); undefined when it keeps none of its spans, or when the queue is full or closed
   * (then refused() counts it once the batch commits). `factoIds` names the signed spans it carries, for erasures to find it. Each
   * admitted request is then passed to committed() or released().
   */
  admit(body: Uint8Array, contentType: OtlpContentType, keep: SpanSelection, factoIds?: readonly string[]): NewForward | undefined;
  /** The batch holding these is durable: they are delivered from the store. */
  committed(forwards: readonly NewForward[]): void;
  /** The batch holding these failed: their room is free again. */
  released(forwards: readonly NewForward[]): void;
  /**
   * After a commit, the requests admit() refused (the queue was full): `dropped` were committed and
   * lose their downstream copy (counted and logged as dropped); `deferred` hold unsigned spans kept
   * nowhere else, so nothing of them was committed and the sender, answered 503, sends them again
   * (logged, not counted as dropped).
   */
  refused(dropped: number, deferred: number): void;
  /**
   * On a store other processes share: the queue's size as the store holds it, read inside this
   * commit's cross-process section just before admit() is called for the commit's requests, so the
   * bound applies to the shared queue as it is, not to this process's view of it.
   */
  storedNow(backlog: ForwardBacklog): void;
}

export interface IngestOptions {
  readonly store: Store;
  readonly log: LogService;
  readonly registry: KeyRegistry;
  readonly unsigned: UnsignedPolicy;
  readonly replayWindowSeconds: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Where request bodies are examined (worker threads); without one, in this thread. */
  readonly pool?: ExaminePool;
  /** The forward queue, when the collector passes requests on downstream. */
  readonly forwarder?: ForwardAdmission;
}

/** A group commit holds at most this many spans (unless one request alone holds more). */
const MAX_GROUP_SPANS = 20_000;

interface Waiting {
  readonly examined: ExaminedRequest;
  /** The request as received, for the forward queue (absent for requests decoded by the caller). */
  readonly received?: { readonly body: Uint8Array; readonly contentType: OtlpContentType };
  readonly resolve: (outcome: IngestOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/** How each reason reads in a partial_success message. */
const REASON_TEXT: Readonly<Record<RejectReason, string>> = {
  unsigned: 'unsigned span (collector runs with --unsigned reject)',
  malformed_record: 'malformed_record',
  hash_mismatch: 'hash_mismatch',
  bad_signature: 'bad_signature',
  unknown_key: 'unknown_key',
  revoked_key: 'revoked_key',
  key_not_valid: 'key_not_valid',
  agent_mismatch: 'agent_mismatch',
  duplicate_id: 'duplicate_id (the facto_id names another record)',
  fork: 'fork',
};

export class IngestService {
  readonly #options: IngestOptions;
  readonly #pool: ExaminePool;
  readonly #waiting: Waiting[] = [];
  #committing = false;

  constructor(options: IngestOptions) {
    this.#options = options;
    this.#pool = options.pool ?? createExaminePool({ size: 0, logger: options.logger });
  }

  /** An OTLP request body as received: examined on the pool, then sequenced and committed. */
  async ingestBody(body: Uint8Array, contentType: OtlpContentType): Promise<IngestOutcome> {
    const stopVerify = this.#options.metrics.verifySeconds.startTimer();
    const examined = await this.#pool.examine(body, contentType);
    stopVerify();
    return this.#sequence(examined, { body, contentType });
  }

  /** A request already decoded (tests, in-process callers): examined in this thread. */
  async ingest(request: DecodedTraceRequest): Promise<IngestOutcome> {
    const stopVerify = this.#options.metrics.verifySeconds.startTimer();
    const examined = examineRequest(request);
    stopVerify();
    return this.#sequence(examined);
  }

  /**
   * Queues an examined request for the next group commit and resolves when the group is durable.
   * Requests that arrive while a commit is in flight wait and go together in the next one: one
   * decision over their spans in arrival order, one transaction, one fsync for all of them.
   */
  #sequence(examined: ExaminedRequest, received?: Waiting['received']): Promise<IngestOutcome> {
    this.#options.metrics.batchSpans.observe(examined.spans.length);
    // Nothing to verify or store: no durable commit.
    if (examined.spans.length === 0) return Promise.resolve(summarise(examined, []));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ examined, ...(received === undefined ? {} : { received }), resolve, reject });
      this.#commitNext();
    });
  }

  #commitNext(): void {
    if (this.#committing || this.#waiting.length === 0) return;
    this.#committing = true;
    const group: Waiting[] = [];
    let spans = 0;
    while (this.#waiting.length > 0 && (group.length === 0 || spans + this.#waiting[0]!.examined.spans.length <= MAX_GROUP_SPANS)) {
      const next = this.#waiting.shift()!;
      group.push(next);
      spans += next.examined.spans.length;
    }
    this.#commitGroup(group)
      .then(
        (outcomes) => group.forEach((waiting, position) => waiting.resolve(outcomes[position]!)),
        (error: unknown) => {
          for (const waiting of group) waiting.reject(error);
        },
      )
      .finally(() => {
        this.#committing = false;
        this.#commitNext();
      });
  }

  /**
   * Decides and commits the spans of several requests as one batch, with the forward queue's copy of
   * each request that keeps a span for downstream; resolves with their outcomes, in order.
   *
   * A request whose copy the full queue refuses while it holds unsigned spans under --unsigned
   * forward (kept nowhere else) is answered 503, and the sender sends it again: none of it may be
   * committed then. Its signed spans, committed, would come back as duplicates, which are not
   * forwarded, so their downstream copy was lost without a count. Such requests are taken out and the
   * rest decided again (a pure function; its verdicts may change, a span of the same batch no longer
   * being a duplicate, so the queue is asked again too), until none is refused that way.
   */
  async #commitGroup(group: readonly Waiting[]): Promise<readonly IngestOutcome[]> {
    const { metrics, registry, log, store, unsigned, forwarder } = this.#options;
    let plan: IngestPlan | undefined;
    let outcomes: IngestOutcome[] = [];
    let forwards: NewForward[] = [];
    const deferred = new Map<Waiting, IngestOutcome>();
    const stopCommit = metrics.commitSeconds.startTimer();
    try {
      await log.commit(async (firstLeafIndex, lane) => {
        const stored = await readStoredState(store, group.flatMap((waiting) => waiting.examined.spans.filter((span): span is SignedSpan => span.kind === 'signed')));
        for (;;) {
          const deciding = group.filter((waiting) => !deferred.has(waiting));
          const candidates = deciding.flatMap((waiting) => waiting.examined.spans);
          plan = decideBatch({ candidates, stored, keys: registry.view(), trust: registry.mode, unsigned, replayWindowMillis: this.#options.replayWindowSeconds * 1000, now: Date.now(), firstLeafIndex });
          ({ outcomes, forwards } = await this.#outcomes(deciding, plan.verdicts, lane));
          const refusedNow = deciding.filter((_, index) => unsigned === 'forward' && outcomes[index]!.forwarding === 'refused' && outcomes[index]!.unverified > 0);
          if (refusedNow.length === 0) break;
          // Released here, so an error in the next round does not release them again.
          forwarder?.released(forwards);
          forwards = [];
          // Nothing of it is committed: the sender sends it all again.
          for (const waiting of refusedNow) deferred.set(waiting, { ...outcomes[deciding.indexOf(waiting)]!, accepted: 0 });
        }
        outcomes = mergeOutcomes(group, deferred, outcomes);
        const { events, linkUpdates, incidents, pins, unverified } = plan!;
        return { events, logEntries: [], leaves: events.map((event) => fromHex(event.hash, 'hash', 32)), linkUpdates, incidents, keys: pins, unverified, erasures: [], forwards };
      });
    } catch (error) {
      forwarder?.released(forwards);
      throw error;
    } finally {
      stopCommit();
    }
    forwarder?.committed(forwards);
    const refused = outcomes.filter((outcome) => outcome.forwarding === 'refused');
    // The ingest route answers 503 to the deferred ones (checkForwarded); the others keep their 200.
    if (refused.length > 0) forwarder?.refused(refused.length - deferred.size, deferred.size);
    // Committed: from here on the plan is the truth.
    const committed = plan!;
    registry.applyPins(committed.pins);
    metrics.treeSize.set(log.treeSize);
    metrics.spansAccepted.inc(committed.events.length);
    for (const incident of committed.incidents) metrics.incidents.inc({ kind: incident.kind });
    return outcomes;
  }

  /** Each request's outcome from its spans' verdicts, and the forward queue's entries for them (admitted here). */
  async #outcomes(group: readonly Waiting[], verdicts: readonly Verdict[], lane: BatchLane): Promise<{ outcomes: IngestOutcome[]; forwards: NewForward[] }> {
    const { forwarder } = this.#options;
    const forwards: NewForward[] = [];
    let offset = 0;
    const summaries = group.map(({ examined }) => {
      const outcome = summarise(examined, verdicts.slice(offset, offset + examined.spans.length));
      offset += examined.spans.length;
      return outcome;
    });
    if (forwarder === undefined) return { outcomes: summaries, forwards };
    const forwarding = (index: number) => group[index]!.received !== undefined && selectsAny(summaries[index]!.forward);
    // A shared queue is measured where it is, once per commit that adds to it.
    if (lane.sharedForwardBacklog !== undefined && summaries.some((_, index) => forwarding(index))) {
      forwarder.storedNow(await lane.sharedForwardBacklog());
    }
    const outcomes = group.map(({ examined, received }, index) => {
      const outcome = summaries[index]!;
      if (received === undefined || !forwarding(index)) return outcome;
      // Every span of the body that names a facto_id, forwarded or not (a retry's duplicates stay in
      // the body as received): an erasure of one must reach this queued copy too.
      const named = examined.spans.flatMap((span) => (span.kind === 'signed' ? [span.factoId] : span.kind === 'unreadable' && span.subject.factoId !== null ? [span.subject.factoId] : []));
      const factoIds = [...new Set(named)];
      const admitted = forwarder.admit(received.body, received.contentType, outcome.forward, factoIds);
      if (admitted === undefined) return { ...outcome, forwarding: 'refused' as const };
      forwards.push(admitted);
      return { ...outcome, forwarding: 'queued' as const };
    });
    return { outcomes, forwards };
  }
}

/** The group's outcomes in its order: the decided requests' from `decided`, in order, the deferred ones' as they were refused. */
function mergeOutcomes(group: readonly Waiting[], deferred: ReadonlyMap<Waiting, IngestOutcome>, decided: readonly IngestOutcome[]): IngestOutcome[] {
  let next = 0;
  return group.map((waiting) => deferred.get(waiting) ?? decided[next++]!);
}

/** One request's outcome from its spans' verdicts: counts, the partial_success message, what goes downstream. */
function summarise(request: ExaminedRequest, verdicts: readonly Verdict[]): IngestOutcome {
  const forward = request.layout.map((scopes) => scopes.map((count) => new Array<boolean>(count).fill(false)));
  const candidates = request.spans;
  let accepted = 0;
  let duplicates = 0;
  let rejected = 0;
  let unverified = 0;
  const reasons = new Map<RejectReason, number>();
  verdicts.forEach((verdict, index) => {
    const [resource, scope, span] = candidates[index]!.position;
    if (verdict.kind === 'accepted') {
      accepted++;
      forward[resource]![scope]![span] = true;
    } else if (verdict.kind === 'duplicate') duplicates++;
    else if (verdict.kind === 'unverified') {
      unverified++;
      forward[resource]![scope]![span] = true;
    } else {
      rejected++;
      reasons.set(verdict.reason, (reasons.get(verdict.reason) ?? 0) + 1);
    }
  });
  const errorMessage = [...reasons].map(([reason, count]) => `${count} rejected: ${REASON_TEXT[reason]}`).join('; ');
  return { received: candidates.length, accepted, duplicates, rejected, unverified, rejectedByReason: Object.fromEntries(reasons), errorMessage, forward, forwarding: 'none' };
}

/** Everything the decision needs from the store: events with the same hash or id, and chain neighbours. */
async function readStoredState(store: Store, signed: readonly SignedSpan[]): Promise<StoredState> {
  const byFactoId = new Map((await store.getEventsByFactoId(signed.map((span) => span.factoId))).map((event) => [event.factoId, event]));
  // A stored event with a span's hash holds the span's record, and so its facto_id (unique in the
  // store): the facto_id read above has found it. A read by hash besides cost a second lookup per
  // span, in an index of random keys whose pages a large log does not keep in cache.
  const hashes = new Set(signed.map((span) => span.hash));
  const byHash = new Map<string, StoredEvent>();
  for (const event of byFactoId.values()) if (hashes.has(event.hash)) byHash.set(event.hash, event);
  const wanted = new Map<string, { agentId: string; chainId: string; seqs: Set<number> }>();
  for (const span of signed) {
    const key = chainKey(span.agentId, span.chainId);
    const entry = wanted.get(key) ?? { agentId: span.agentId, chainId: span.chainId, seqs: new Set<number>() };
    for (const seq of [span.seq - 1, span.seq, span.seq + 1]) if (seq >= 0) entry.seqs.add(seq);
    wanted.set(key, entry);
  }
  const chains = new Map<string, Map<number, StoredEvent[]>>();
  for (const [key, { agentId, chainId, seqs }] of wanted) {
    const bySeq = new Map<number, StoredEvent[]>();
    for (const event of await store.getChainEvents(agentId, chainId, [...seqs])) bySeq.set(event.seq, [...(bySeq.get(event.seq) ?? []), event]);
    chains.set(key, bySeq);
  }
  return { byHash, byFactoId, chains };
}
