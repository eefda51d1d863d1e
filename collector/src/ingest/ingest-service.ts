/**
 * Ingest: examine a request's spans (phase one, candidates.ts, outside the lane), then, inside the
 * sequencer lane, read what the store holds about them, decide (decide.ts, a pure function) and
 * commit the plan in one durable batch: accepted events with their Merkle leaves, link updates,
 * incidents, pinned keys, unverified spans. Only after the commit resolves does the caller answer
 * 200, and only then does the key registry learn the batch's TOFU pins; if the commit fails, nothing
 * was written, nothing is remembered, and the caller answers 503.
 */
import { chainKey, fromHex } from '@facto/core';
import type { UnsignedPolicy } from '../config.js';
import type { LogService } from '../log/log-service.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { DecodedTraceRequest, SpanSelection } from '../otlp/decoded-trace-request.js';
import type { Store, StoredEvent } from '../store/types.js';
import { examineRequest, type Candidate, type SignedCandidate } from './candidates.js';
import { decideBatch, type IngestPlan, type RejectReason, type StoredState } from './decide.js';
import type { KeyRegistry } from './key-registry.js';

export interface IngestOutcome {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly unverified: number;
  /** For OTLP partial_success: why spans were rejected, summarised. */
  readonly errorMessage: string;
  /** Per [resource][scope][span]: whether the span goes on to the downstream endpoint. */
  readonly forward: SpanSelection;
}

export interface IngestOptions {
  readonly store: Store;
  readonly log: LogService;
  readonly registry: KeyRegistry;
  readonly unsigned: UnsignedPolicy;
  readonly replayWindowSeconds: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
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

  constructor(options: IngestOptions) {
    this.#options = options;
  }

  async ingest(request: DecodedTraceRequest): Promise<IngestOutcome> {
    const { metrics, registry, log, store, unsigned } = this.#options;
    const stopVerify = metrics.verifySeconds.startTimer();
    const candidates = examineRequest(request, (keyId) => registry.publicKeyFor(keyId));
    stopVerify();
    metrics.batchSpans.observe(candidates.length);

    let plan: IngestPlan | undefined;
    const stopCommit = metrics.commitSeconds.startTimer();
    try {
      await log.commit(async (firstLeafIndex) => {
        const signed = candidates.filter((candidate): candidate is SignedCandidate => candidate.kind === 'signed');
        plan = decideBatch({
          candidates,
          stored: await readStoredState(store, signed),
          keys: registry.view(),
          trust: registry.mode,
          unsigned,
          replayWindowMillis: this.#options.replayWindowSeconds * 1000,
          now: Date.now(),
          firstLeafIndex,
        });
        const { events, linkUpdates, incidents, pins, unverified } = plan;
        return { events, logEntries: [], leaves: events.map((event) => fromHex(event.hash, 'hash', 32)), linkUpdates, incidents, keys: pins, unverified, erasures: [] };
      });
    } finally {
      stopCommit();
    }
    // Committed: from here on the plan is the truth.
    const committed = plan!;
    registry.applyPins(committed.pins);
    metrics.treeSize.set(log.treeSize);
    for (const incident of committed.incidents) metrics.incidents.inc({ kind: incident.kind });
    return this.#summarise(request, candidates, committed);
  }

  #summarise(request: DecodedTraceRequest, candidates: readonly Candidate[], plan: IngestPlan): IngestOutcome {
    const { metrics } = this.#options;
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;
    let unverified = 0;
    const reasons = new Map<RejectReason, number>();
    const forward = request.resourceSpans.map((resource) => resource.scopeSpans.map((scope) => scope.spans.map(() => false)));
    plan.verdicts.forEach((verdict, index) => {
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
        metrics.spansRejected.inc({ reason: verdict.reason });
      }
    });
    metrics.spansAccepted.inc(accepted);
    metrics.spansDuplicate.inc(duplicates);
    metrics.spansUnverified.inc(unverified);
    const errorMessage = [...reasons].map(([reason, count]) => `${count} rejected: ${REASON_TEXT[reason]}`).join('; ');
    return { accepted, duplicates, rejected, unverified, errorMessage, forward };
  }
}

/** Everything the decision needs from the store: events with the same hash or id, and chain neighbours. */
async function readStoredState(store: Store, signed: readonly SignedCandidate[]): Promise<StoredState> {
  const byHash = new Map((await store.getEventsByHash(signed.map((candidate) => candidate.hash))).map((event) => [event.hash, event]));
  const byFactoId = new Map((await store.getEventsByFactoId(signed.map((candidate) => candidate.record.facto_id))).map((event) => [event.factoId, event]));
  const wanted = new Map<string, { agentId: string; chainId: string; seqs: Set<number> }>();
  for (const { record } of signed) {
    const key = chainKey(record.agent_id, record.chain_id);
    const entry = wanted.get(key) ?? { agentId: record.agent_id, chainId: record.chain_id, seqs: new Set<number>() };
    for (const seq of [record.seq - 1, record.seq, record.seq + 1]) if (seq >= 0) entry.seqs.add(seq);
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
