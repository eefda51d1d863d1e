/**
 * Ingest, phase two, inside the sequencer lane: decide each examined span (key trust, duplicate,
 * fork, chain link), then commit everything in one durable batch: accepted events with their Merkle
 * leaves, link updates, incidents, pinned keys, unverified spans. Only after the commit resolves does
 * the caller answer 200; if it fails, nothing was written and the caller answers 503.
 */
import { ACTION_ATTR, ATTR, canonicalize, fromHex, toHex, ZERO_HASH_HEX } from '@facto/core';
import type { UnsignedPolicy } from '../config.js';
import type { LogService } from '../log/log-service.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { DecodedTraceRequest } from '../otlp/decoded-trace-request.js';
import type { AgentKey, IncidentKind, LinkStatus, NewIncident, Store, StoredEvent, UnverifiedSpan } from '../store/types.js';
import { examineRequest, type Candidate } from './candidates.js';
import type { KeyRegistry } from './key-registry.js';

export interface IngestOutcome {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly unverified: number;
  /** For OTLP partial_success: why spans were rejected, summarised. */
  readonly errorMessage: string;
  /** Per [resource][scope][span]: whether the span goes on to the downstream endpoint. */
  readonly forward: readonly (readonly (readonly boolean[])[])[];
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

type Verdict = { kind: 'accept'; event: StoredEvent } | { kind: 'duplicate' } | { kind: 'reject'; reason: string } | { kind: 'unverified'; stored: boolean };

function chainKey(agentId: string, chainId: string): string {
  return JSON.stringify([agentId, chainId]);
}

function actionTypeOf(candidate: Candidate): string {
  const attributes = candidate.opened!.record.attributes;
  for (const key of [ACTION_ATTR.actionType, 'gen_ai.operation.name']) {
    const value = attributes[key];
    if (value && 's' in value) return value.s;
  }
  return '';
}

export class IngestService {
  readonly #options: IngestOptions;

  constructor(options: IngestOptions) {
    this.#options = options;
  }

  async ingest(request: DecodedTraceRequest): Promise<IngestOutcome> {
    const { metrics, registry, log } = this.#options;
    const stopVerify = metrics.verifySeconds.startTimer();
    const candidates = examineRequest(request, registry);
    stopVerify();
    metrics.batchSpans.observe(candidates.length);

    const verdicts: Verdict[] = [];
    const incidents: NewIncident[] = [];
    const stopCommit = metrics.commitSeconds.startTimer();
    try {
      await log.commit(
        async (firstLeafIndex) => {
          verdicts.length = 0;
          incidents.length = 0;
          return this.#decide(candidates, firstLeafIndex, verdicts, incidents);
        },
        // Still in the lane: the next batch must not see a key this failed batch pinned.
        () => registry.rollback(),
      );
    } finally {
      stopCommit();
    }
    metrics.treeSize.set(log.treeSize);
    for (const incident of incidents) metrics.incidents.inc({ kind: incident.kind });
    return this.#summarise(request, candidates, verdicts);
  }

  async #decide(candidates: Candidate[], firstLeafIndex: number, verdicts: Verdict[], incidents: NewIncident[]) {
    const { store, registry, replayWindowSeconds, unsigned } = this.#options;
    const now = Date.now();
    const signed = candidates.filter((candidate) => candidate.opened && !candidate.failure);
    const existingByHash = new Map((await store.getEventsByHash(signed.map((candidate) => candidate.hash!))).map((event) => [event.hash, event]));
    const neighbours = await this.#loadNeighbours(signed);

    const events: StoredEvent[] = [];
    const keys: AgentKey[] = [];
    const linkUpdates: { factoId: string; linkStatus: LinkStatus }[] = [];
    const unverifiedSpans: UnverifiedSpan[] = [];
    const batchHashes = new Set<string>();
    const incident = (kind: IncidentKind, candidate: Candidate, detail: string, evidence: unknown = {}) => {
      const record = candidate.opened?.record;
      incidents.push({ kind, agentId: record?.agent_id ?? null, chainId: record?.chain_id ?? null, seq: record?.seq ?? null, factoId: record?.facto_id ?? null, detail, evidenceJson: JSON.stringify(evidence), createdAt: now });
    };

    for (const candidate of candidates) {
      if (!candidate.sealed) {
        if (unsigned === 'reject') verdicts.push({ kind: 'reject', reason: 'unsigned span (collector runs with --unsigned reject)' });
        else {
          if (unsigned === 'store') unverifiedSpans.push({ traceId: candidate.span.traceId, spanId: candidate.span.spanId, name: candidate.span.name, spanJson: JSON.stringify({ span: candidate.span, resource: candidate.resource, scope: candidate.scope }), receivedAt: now });
          verdicts.push({ kind: 'unverified', stored: unsigned === 'store' });
        }
        continue;
      }
      if (candidate.failure) {
        incident(candidate.failure.kind, candidate, candidate.failure.detail, { span: candidate.span });
        verdicts.push({ kind: 'reject', reason: candidate.failure.kind });
        continue;
      }
      const opened = candidate.opened!;
      const record = opened.record;
      const signature = toHex(opened.signature);
      const signedAt = Number(BigInt(record.end_time_unix_nano) / 1_000_000n);
      const decision = registry.decide(record.agent_id, record.key_id, signedAt, candidate.presentedKey, now);
      if (decision.status !== 'trusted') {
        incident(decision.status, candidate, decision.detail, { record, signature });
        verdicts.push({ kind: 'reject', reason: decision.status });
        continue;
      }
      if (!candidate.signatureOk) {
        incident('bad_signature', candidate, `signature does not verify under key ${record.key_id}`, { record, signature });
        verdicts.push({ kind: 'reject', reason: 'bad_signature' });
        continue;
      }
      if (decision.pinned) keys.push(decision.key);

      const hash = candidate.hash!;
      const existing = existingByHash.get(hash);
      if (existing || batchHashes.has(hash)) {
        if (existing && now - existing.receivedAt > replayWindowSeconds * 1000) {
          incident('replay', candidate, `record already in the log at leaf ${existing.leafIndex}, received again ${Math.round((now - existing.receivedAt) / 1000)} s later`, { leafIndex: existing.leafIndex });
        }
        verdicts.push({ kind: 'duplicate' });
        continue;
      }

      const chain = chainKey(record.agent_id, record.chain_id);
      const atSeq = (seq: number) => neighbours.get(chain)?.get(seq) ?? [];
      const rival = atSeq(record.seq).find((event) => event.hash !== hash);
      if (rival) {
        incident('fork', candidate, `seq ${record.seq} already holds a different record (${rival.factoId})`, { record, signature, existing: rival.hash });
        verdicts.push({ kind: 'reject', reason: 'fork' });
        continue;
      }

      let linkStatus: LinkStatus;
      const predecessors = record.seq === 0 ? [] : atSeq(record.seq - 1);
      if (record.seq === 0) linkStatus = record.prev_hash === ZERO_HASH_HEX ? 'genesis' : 'bad_link';
      else if (predecessors.length === 0) linkStatus = 'pending';
      else linkStatus = predecessors.some((event) => event.hash === record.prev_hash) ? 'linked' : 'bad_link';
      if (linkStatus === 'bad_link') incident('bad_link', candidate, `prev_hash does not match the record at seq ${record.seq - 1}`, { prevHash: record.prev_hash, predecessors: predecessors.map((event) => event.hash) });

      if (opened.contentMismatches.length > 0) {
        incident('content_mismatch', candidate, `content values differ from their signed commitments: ${opened.contentMismatches.join(', ')}`, { keys: opened.contentMismatches });
      }
      const salt = candidate.span.attributes.find(([key]) => key === ATTR.salt)?.[1];
      const event: StoredEvent = {
        leafIndex: firstLeafIndex + events.length,
        factoId: record.facto_id,
        agentId: record.agent_id,
        chainId: record.chain_id,
        seq: record.seq,
        hash,
        prevHash: record.prev_hash,
        keyId: record.key_id,
        signature,
        dropped: record.dropped,
        traceId: record.trace_id,
        spanId: record.span_id,
        name: record.name,
        actionType: actionTypeOf(candidate),
        startTimeUnixNano: record.start_time_unix_nano,
        endTimeUnixNano: record.end_time_unix_nano,
        receivedAt: now,
        recordJson: canonicalize(record),
        contextJson: JSON.stringify({ resource: candidate.resource, scope: candidate.scope }),
        disclosuresJson: JSON.stringify(opened.disclosures),
        salt: opened.disclosures.length > 0 && salt && 's' in salt ? salt.s : null,
        linkStatus,
        erasedBy: null,
      };
      events.push(event);
      batchHashes.add(hash);
      const seqMap = neighbours.get(chain) ?? new Map<number, StoredEvent[]>();
      seqMap.set(record.seq, [...(seqMap.get(record.seq) ?? []), event]);
      neighbours.set(chain, seqMap);
      verdicts.push({ kind: 'accept', event });

      // A successor that arrived first waits as 'pending' (or was judged a gap); this record settles its link.
      for (const successor of atSeq(record.seq + 1)) {
        if (successor.linkStatus !== 'pending' && successor.linkStatus !== 'gap_declared' && successor.linkStatus !== 'gap_undeclared') continue;
        const status: LinkStatus = successor.prevHash === hash ? 'linked' : 'bad_link';
        if (events.includes(successor)) (successor as { linkStatus: LinkStatus }).linkStatus = status;
        else linkUpdates.push({ factoId: successor.factoId, linkStatus: status });
        if (status === 'bad_link') incident('bad_link', candidate, `the record at seq ${record.seq + 1} does not link to this one`, { successor: successor.factoId });
      }
    }

    return { events, logEntries: [], leaves: events.map((event) => fromHex(event.hash, 'hash', 32)), linkUpdates, incidents: [...incidents], keys, unverified: unverifiedSpans, erasures: [] };
  }

  /** Stored events at seq-1, seq and seq+1 of every chain in the request, in one query per chain. */
  async #loadNeighbours(signed: Candidate[]): Promise<Map<string, Map<number, StoredEvent[]>>> {
    const wanted = new Map<string, { agentId: string; chainId: string; seqs: Set<number> }>();
    for (const candidate of signed) {
      const record = candidate.opened!.record;
      const key = chainKey(record.agent_id, record.chain_id);
      const entry = wanted.get(key) ?? { agentId: record.agent_id, chainId: record.chain_id, seqs: new Set<number>() };
      for (const seq of [record.seq - 1, record.seq, record.seq + 1]) if (seq >= 0) entry.seqs.add(seq);
      wanted.set(key, entry);
    }
    const neighbours = new Map<string, Map<number, StoredEvent[]>>();
    for (const [key, { agentId, chainId, seqs }] of wanted) {
      const bySeq = new Map<number, StoredEvent[]>();
      for (const event of await this.#options.store.getChainEvents(agentId, chainId, [...seqs])) bySeq.set(event.seq, [...(bySeq.get(event.seq) ?? []), event]);
      neighbours.set(key, bySeq);
    }
    return neighbours;
  }

  #summarise(request: DecodedTraceRequest, candidates: Candidate[], verdicts: Verdict[]): IngestOutcome {
    const { metrics } = this.#options;
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;
    let unverified = 0;
    const reasons = new Map<string, number>();
    const forward = request.resourceSpans.map((resource) => resource.scopeSpans.map((scope) => scope.spans.map(() => false)));
    verdicts.forEach((verdict, index) => {
      const [resource, scope, span] = candidates[index]!.position;
      if (verdict.kind === 'accept') {
        accepted++;
        forward[resource]![scope]![span] = true;
      } else if (verdict.kind === 'duplicate') duplicates++;
      else if (verdict.kind === 'unverified') {
        unverified++;
        forward[resource]![scope]![span] = true;
      } else {
        rejected++;
        reasons.set(verdict.reason, (reasons.get(verdict.reason) ?? 0) + 1);
        metrics.spansRejected.inc({ reason: verdict.reason.split(' ')[0] });
      }
    });
    metrics.spansAccepted.inc(accepted);
    metrics.spansDuplicate.inc(duplicates);
    metrics.spansUnverified.inc(unverified);
    const errorMessage = [...reasons].map(([reason, count]) => `${count} rejected: ${reason}`).join('; ');
    return { accepted, duplicates, rejected, unverified, errorMessage, forward };
  }
}
