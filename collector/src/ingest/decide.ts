/**
 * The ingest decision, as a pure function: given the examined spans of one request and what the
 * store and the key registry say about them, it returns the plan the sequencer lane commits (events
 * with their leaf indices, link updates, incidents, keys to pin, unsigned spans to keep) and one
 * verdict per span. It reads nothing and writes nothing, so every rule is testable without a
 * database, and a batch that fails to commit leaves no trace (a TOFU pin included): the caller
 * applies the plan only after the commit.
 *
 * The rules, in the order they are applied to a signed span: the key must be trusted for the agent
 * at the span's time (or, under TOFU, be the agent's first key), the signature must verify under
 * it, a record already in the log is a duplicate (a retry, or past the replay window a replay), a
 * facto_id already used by another record is refused, a different record at a seq already taken is
 * a fork, and what remains is accepted with its chain link judged.
 */
import { ACTION_ATTR, ATTR, canonicalize, chainKey, fromHex, verifyRecordSignature, ZERO_HASH_HEX, type FactoRecord } from '@facto/core';
import type { TrustMode, UnsignedPolicy } from '../config.js';
import type { AgentKey, IncidentKind, LinkStatus, NewIncident, StoredEvent, UnverifiedSpan } from '../store/types.js';
import type { Candidate, SignedCandidate, UnreadableCandidate } from './candidates.js';
import { newIncident, NO_SUBJECT, type IncidentSubject } from './incident.js';

/** Why a span was refused; each is also the `reason` label of facto_spans_rejected_total. */
export type RejectReason =
  | 'unsigned'
  | 'malformed_record'
  | 'hash_mismatch'
  | 'bad_signature'
  | 'unknown_key'
  | 'revoked_key'
  | 'key_not_valid'
  | 'agent_mismatch'
  | 'duplicate_id'
  | 'fork';

export type Verdict =
  | { readonly kind: 'accepted'; readonly event: StoredEvent }
  /** The same record is already in the log (or earlier in this request): acknowledged, not stored again. */
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'unverified'; readonly stored: boolean }
  | { readonly kind: 'rejected'; readonly reason: RejectReason };

/** The stored events a decision needs, as the lane read them. */
export interface StoredState {
  readonly byHash: ReadonlyMap<string, StoredEvent>;
  readonly byFactoId: ReadonlyMap<string, StoredEvent>;
  /** Per chainKey, the stored events at seq - 1, seq and seq + 1 of every candidate. */
  readonly chains: ReadonlyMap<string, ReadonlyMap<number, readonly StoredEvent[]>>;
}

/** What the key registry holds, read-only. */
export interface KeyView {
  key(keyId: string): AgentKey | undefined;
  hasKeys(agentId: string): boolean;
}

export interface DecisionInput {
  readonly candidates: readonly Candidate[];
  readonly stored: StoredState;
  readonly keys: KeyView;
  readonly trust: TrustMode;
  readonly unsigned: UnsignedPolicy;
  readonly replayWindowMillis: number;
  readonly now: number;
  readonly firstLeafIndex: number;
}

export interface IngestPlan {
  /** One per candidate, in order. */
  readonly verdicts: readonly Verdict[];
  /** Accepted events with leaf indices firstLeafIndex, firstLeafIndex + 1, ... */
  readonly events: readonly StoredEvent[];
  readonly linkUpdates: readonly { readonly factoId: string; readonly linkStatus: LinkStatus }[];
  readonly incidents: readonly NewIncident[];
  /** Keys pinned under TOFU by this batch; the registry learns them only once the batch is committed. */
  readonly pins: readonly AgentKey[];
  readonly unverified: readonly UnverifiedSpan[];
}

type KeyVerdict = { readonly trusted: AgentKey; readonly pin: boolean } | { readonly refused: RejectReason & IncidentKind; readonly detail: string };

function subjectOf(record: FactoRecord | undefined): IncidentSubject {
  return record ? { agentId: record.agent_id, chainId: record.chain_id, seq: record.seq, factoId: record.facto_id } : NO_SUBJECT;
}

function actionTypeOf(record: FactoRecord): string {
  for (const key of [ACTION_ATTR.actionType, 'gen_ai.operation.name']) {
    const value = record.attributes[key];
    if (value && 's' in value) return value.s;
  }
  return '';
}

export function decideBatch(input: DecisionInput): IngestPlan {
  const verdicts: Verdict[] = [];
  const drafts: { -readonly [K in keyof StoredEvent]: StoredEvent[K] }[] = [];
  const linkUpdates = new Map<string, LinkStatus>();
  const incidents: NewIncident[] = [];
  const pins = new Map<string, AgentKey>();
  const unverified: UnverifiedSpan[] = [];
  // What this batch added, seen by the candidates after it.
  const batchByHash = new Set<string>();
  const batchByFactoId = new Map<string, string>();
  const batchChains = new Map<string, Map<number, StoredEvent[]>>();
  const { stored, now } = input;

  const incident = (kind: IncidentKind, record: FactoRecord | undefined, detail: string, evidence: unknown) => incidents.push(newIncident(kind, subjectOf(record), detail, evidence, now));
  const eventsAt = (chain: string, seq: number): readonly StoredEvent[] => [...(stored.chains.get(chain)?.get(seq) ?? []), ...(batchChains.get(chain)?.get(seq) ?? [])];

  const judgeKey = (candidate: SignedCandidate): KeyVerdict => {
    const { record } = candidate;
    const key = pins.get(record.key_id) ?? input.keys.key(record.key_id);
    if (key) {
      const signedAt = Number(BigInt(record.end_time_unix_nano) / 1_000_000n);
      if (key.agentId !== record.agent_id) return { refused: 'agent_mismatch', detail: `key ${record.key_id} is registered to agent "${key.agentId}", not "${record.agent_id}"` };
      if (key.revokedAt !== null && key.revokedAt <= now) return { refused: 'revoked_key', detail: `key ${record.key_id} of agent "${record.agent_id}" was revoked at ${new Date(key.revokedAt).toISOString()}` };
      if ((key.notBefore !== null && signedAt < key.notBefore) || (key.notAfter !== null && signedAt > key.notAfter)) {
        return { refused: 'key_not_valid', detail: `key ${record.key_id} of agent "${record.agent_id}" is not valid at ${new Date(signedAt).toISOString()}` };
      }
      return { trusted: key, pin: false };
    }
    const agentHasKey = input.keys.hasKeys(record.agent_id) || [...pins.values()].some((pinned) => pinned.agentId === record.agent_id);
    if (input.trust === 'tofu' && !agentHasKey && candidate.presentedKey !== undefined) {
      return { trusted: { agentId: record.agent_id, keyId: record.key_id, publicKey: candidate.presentedKey, notBefore: null, notAfter: null, revokedAt: null, source: 'tofu', createdAt: now }, pin: true };
    }
    const hint = input.trust === 'tofu' ? 'the agent already has a pinned key' : 'strict trust: register it with --keys or the admin API';
    return { refused: 'unknown_key', detail: `key ${record.key_id} is not registered for agent "${record.agent_id}" (${hint})` };
  };

  const signatureHolds = (candidate: SignedCandidate, publicKey: string) =>
    // Phase one tried the registry's key as it stood then; a key registered or pinned since is checked here.
    candidate.verifiedWith === publicKey || verifyRecordSignature(candidate.opened.hash, candidate.opened.signature, fromHex(publicKey, 'public key', 32));

  const reject = (reason: RejectReason) => verdicts.push({ kind: 'rejected', reason });

  const decideUnreadable = (candidate: UnreadableCandidate) => {
    incident(candidate.reason, candidate.record, candidate.detail, { span: candidate.span });
    reject(candidate.reason);
  };

  const decideSigned = (candidate: SignedCandidate) => {
    const { record, hash, signature } = candidate;
    const keyVerdict = judgeKey(candidate);
    if ('refused' in keyVerdict) {
      incident(keyVerdict.refused, record, keyVerdict.detail, { record, signature });
      return reject(keyVerdict.refused);
    }
    // Before any pin: a span whose signature fails must not make its key the agent's.
    if (!signatureHolds(candidate, keyVerdict.trusted.publicKey)) {
      incident('bad_signature', record, `signature does not verify under key ${record.key_id}`, { record, signature });
      return reject('bad_signature');
    }
    if (keyVerdict.pin) pins.set(record.key_id, keyVerdict.trusted);

    const existing = stored.byHash.get(hash);
    if (existing || batchByHash.has(hash)) {
      if (existing && now - existing.receivedAt > input.replayWindowMillis) {
        incident('replay', record, `record already in the log at leaf ${existing.leafIndex}, received again ${Math.round((now - existing.receivedAt) / 1000)} s later`, { leafIndex: existing.leafIndex });
      }
      return verdicts.push({ kind: 'duplicate' });
    }
    const holder = stored.byFactoId.get(record.facto_id)?.hash ?? batchByFactoId.get(record.facto_id);
    if (holder !== undefined) {
      incident('duplicate_id', record, `facto_id ${record.facto_id} already names another record (${holder})`, { record, signature, existing: holder });
      return reject('duplicate_id');
    }

    const chain = chainKey(record.agent_id, record.chain_id);
    const rival = eventsAt(chain, record.seq).find((event) => event.hash !== hash);
    if (rival) {
      incident('fork', record, `seq ${record.seq} already holds a different record (${rival.factoId})`, { record, signature, existing: rival.hash });
      return reject('fork');
    }

    let linkStatus: LinkStatus;
    const predecessors = record.seq === 0 ? [] : eventsAt(chain, record.seq - 1);
    if (record.seq === 0) linkStatus = record.prev_hash === ZERO_HASH_HEX ? 'genesis' : 'bad_link';
    else if (predecessors.length === 0) linkStatus = 'pending';
    else linkStatus = predecessors.some((event) => event.hash === record.prev_hash) ? 'linked' : 'bad_link';
    if (linkStatus === 'bad_link') {
      incident('bad_link', record, `prev_hash does not match the record at seq ${record.seq - 1}`, { prevHash: record.prev_hash, predecessors: predecessors.map((event) => event.hash) });
    }
    if (candidate.opened.contentMismatches.length > 0) {
      incident('content_mismatch', record, `content values differ from their signed commitments: ${candidate.opened.contentMismatches.join(', ')}`, { keys: candidate.opened.contentMismatches });
    }

    const salt = candidate.span.attributes.find(([key]) => key === ATTR.salt)?.[1];
    const event = {
      leafIndex: input.firstLeafIndex + drafts.length,
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
      actionType: actionTypeOf(record),
      startTimeUnixNano: record.start_time_unix_nano,
      endTimeUnixNano: record.end_time_unix_nano,
      receivedAt: now,
      recordJson: canonicalize(record),
      contextJson: JSON.stringify({ resource: candidate.resource, scope: candidate.scope }),
      disclosuresJson: JSON.stringify(candidate.opened.disclosures),
      salt: candidate.opened.disclosures.length > 0 && salt && 's' in salt ? salt.s : null,
      linkStatus,
      erasedBy: null,
    };
    drafts.push(event);
    batchByHash.add(hash);
    batchByFactoId.set(record.facto_id, hash);
    const bySeq = batchChains.get(chain) ?? new Map<number, StoredEvent[]>();
    bySeq.set(record.seq, [...(bySeq.get(record.seq) ?? []), event]);
    batchChains.set(chain, bySeq);
    verdicts.push({ kind: 'accepted', event });

    // A successor that arrived first waits as 'pending' (or was judged a gap); this record settles its link.
    for (const successor of eventsAt(chain, record.seq + 1)) {
      const current = linkUpdates.get(successor.factoId) ?? successor.linkStatus;
      if (current !== 'pending' && current !== 'gap_declared' && current !== 'gap_undeclared') continue;
      const status: LinkStatus = successor.prevHash === hash ? 'linked' : 'bad_link';
      const draft = drafts.find((item) => item.factoId === successor.factoId);
      if (draft) draft.linkStatus = status;
      else linkUpdates.set(successor.factoId, status);
      if (status === 'bad_link') incident('bad_link', record, `the record at seq ${record.seq + 1} does not link to this one`, { successor: successor.factoId });
    }
  };

  for (const candidate of input.candidates) {
    if (candidate.kind === 'unsigned') {
      if (input.unsigned === 'reject') reject('unsigned');
      else {
        if (input.unsigned === 'store') {
          const { span, resource, scope } = candidate;
          unverified.push({ traceId: span.traceId, spanId: span.spanId, name: span.name, spanJson: JSON.stringify({ span, resource, scope }), receivedAt: now });
        }
        verdicts.push({ kind: 'unverified', stored: input.unsigned === 'store' });
      }
    } else if (candidate.kind === 'unreadable') decideUnreadable(candidate);
    else decideSigned(candidate);
  }

  // Verdicts hold the drafts themselves, so a link settled later in the batch is what they report.
  return {
    verdicts,
    events: drafts,
    linkUpdates: [...linkUpdates].map(([factoId, linkStatus]) => ({ factoId, linkStatus })),
    incidents,
    pins: [...pins.values()],
    unverified,
  };
}
