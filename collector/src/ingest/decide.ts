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
import { chainKey, fromHex, verifyRecordSignature, ZERO_HASH_HEX } from '@facto/core';
import type { TrustMode, UnsignedPolicy } from '../config.js';
import type { AgentKey, IncidentKind, LinkStatus, NewEvent, NewIncident, StoredEvent, UnverifiedSpan } from '../store/types.js';
import type { ExaminedSpan, SignedSpan, UnreadableSpan } from './examine.js';
import { EvidenceJson, newIncident, type IncidentSubject } from './incident.js';

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
  readonly candidates: readonly ExaminedSpan[];
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
  readonly events: readonly NewEvent[];
  readonly linkUpdates: readonly { readonly factoId: string; readonly linkStatus: LinkStatus }[];
  readonly incidents: readonly NewIncident[];
  /** Keys pinned under TOFU by this batch; the registry learns them only once the batch is committed. */
  readonly pins: readonly AgentKey[];
  readonly unverified: readonly UnverifiedSpan[];
}

type KeyVerdict = { readonly trusted: AgentKey; readonly pin: boolean } | { readonly refused: RejectReason & IncidentKind; readonly detail: string };

function subjectOf(span: SignedSpan): IncidentSubject {
  return { agentId: span.agentId, chainId: span.chainId, seq: span.seq, factoId: span.factoId };
}

/** { record, signature } as evidence, with the record's canonical text spliced in as it is. */
function recordEvidence(span: SignedSpan, extra = ''): EvidenceJson {
  return new EvidenceJson(`{"record":${span.recordJson},"signature":"${span.signature}"${extra}}`);
}

export function decideBatch(input: DecisionInput): IngestPlan {
  const verdicts: Verdict[] = [];
  const drafts: { -readonly [K in keyof NewEvent]: NewEvent[K] }[] = [];
  const linkUpdates = new Map<string, LinkStatus>();
  const incidents: NewIncident[] = [];
  const pins = new Map<string, AgentKey>();
  const unverified: UnverifiedSpan[] = [];
  // What this batch added, seen by the candidates after it.
  const batchByHash = new Set<string>();
  const batchByFactoId = new Map<string, string>();
  const batchChains = new Map<string, Map<number, StoredEvent[]>>();
  const { stored, now } = input;

  const incident = (kind: IncidentKind, subject: IncidentSubject, detail: string, evidence: unknown) => incidents.push(newIncident(kind, subject, detail, evidence, now));
  const eventsAt = (chain: string, seq: number): readonly StoredEvent[] => [...(stored.chains.get(chain)?.get(seq) ?? []), ...(batchChains.get(chain)?.get(seq) ?? [])];

  const judgeKey = (span: SignedSpan): KeyVerdict => {
    const key = pins.get(span.keyId) ?? input.keys.key(span.keyId);
    if (key) {
      const signedAt = Number(BigInt(span.endTimeUnixNano) / 1_000_000n);
      if (key.agentId !== span.agentId) return { refused: 'agent_mismatch', detail: `key ${span.keyId} is registered to agent "${key.agentId}", not "${span.agentId}"` };
      if (key.revokedAt !== null && key.revokedAt <= now) return { refused: 'revoked_key', detail: `key ${span.keyId} of agent "${span.agentId}" was revoked at ${new Date(key.revokedAt).toISOString()}` };
      if ((key.notBefore !== null && signedAt < key.notBefore) || (key.notAfter !== null && signedAt > key.notAfter)) {
        return { refused: 'key_not_valid', detail: `key ${span.keyId} of agent "${span.agentId}" is not valid at ${new Date(signedAt).toISOString()}` };
      }
      return { trusted: key, pin: false };
    }
    const agentHasKey = input.keys.hasKeys(span.agentId) || [...pins.values()].some((pinned) => pinned.agentId === span.agentId);
    if (input.trust === 'tofu' && !agentHasKey && span.presentedKey !== undefined) {
      return { trusted: { agentId: span.agentId, keyId: span.keyId, publicKey: span.presentedKey, notBefore: null, notAfter: null, revokedAt: null, source: 'tofu', createdAt: now }, pin: true };
    }
    const hint = input.trust === 'tofu' ? 'the agent already has a pinned key' : 'strict trust: register it with --keys or the admin API';
    return { refused: 'unknown_key', detail: `key ${span.keyId} is not registered for agent "${span.agentId}" (${hint})` };
  };

  const signatureHolds = (span: SignedSpan, publicKey: string) =>
    // Phase one verified under the key the span presented, if any; any other key is checked here.
    span.verifiedWith === publicKey || verifyRecordSignature(fromHex(span.hash, 'hash', 32), fromHex(span.signature, 'signature', 64), fromHex(publicKey, 'public key', 32));

  const reject = (reason: RejectReason) => verdicts.push({ kind: 'rejected', reason });

  const decideUnreadable = (span: UnreadableSpan) => {
    incident(span.reason, span.subject, span.detail, new EvidenceJson(span.evidenceJson));
    reject(span.reason);
  };

  const decideSigned = (span: SignedSpan) => {
    const { hash } = span;
    const subject = subjectOf(span);
    const keyVerdict = judgeKey(span);
    if ('refused' in keyVerdict) {
      incident(keyVerdict.refused, subject, keyVerdict.detail, recordEvidence(span));
      return reject(keyVerdict.refused);
    }
    // Before any pin: a span whose signature fails must not make its key the agent's.
    if (!signatureHolds(span, keyVerdict.trusted.publicKey)) {
      incident('bad_signature', subject, `signature does not verify under key ${span.keyId}`, recordEvidence(span));
      return reject('bad_signature');
    }
    if (keyVerdict.pin) pins.set(span.keyId, keyVerdict.trusted);

    const existing = stored.byHash.get(hash);
    if (existing || batchByHash.has(hash)) {
      if (existing && now - existing.receivedAt > input.replayWindowMillis) {
        incident('replay', subject, `record already in the log at leaf ${existing.leafIndex}, received again ${Math.round((now - existing.receivedAt) / 1000)} s later`, { leafIndex: existing.leafIndex });
      }
      return verdicts.push({ kind: 'duplicate' });
    }
    const holder = stored.byFactoId.get(span.factoId)?.hash ?? batchByFactoId.get(span.factoId);
    if (holder !== undefined) {
      incident('duplicate_id', subject, `facto_id ${span.factoId} already names another record (${holder})`, recordEvidence(span, `,"existing":"${holder}"`));
      return reject('duplicate_id');
    }

    const chain = chainKey(span.agentId, span.chainId);
    const rival = eventsAt(chain, span.seq).find((event) => event.hash !== hash);
    if (rival) {
      incident('fork', subject, `seq ${span.seq} already holds a different record (${rival.factoId})`, recordEvidence(span, `,"existing":"${rival.hash}"`));
      return reject('fork');
    }

    let linkStatus: LinkStatus;
    const predecessors = span.seq === 0 ? [] : eventsAt(chain, span.seq - 1);
    if (span.seq === 0) linkStatus = span.prevHash === ZERO_HASH_HEX ? 'genesis' : 'bad_link';
    else if (predecessors.length === 0) linkStatus = 'pending';
    else linkStatus = predecessors.some((event) => event.hash === span.prevHash) ? 'linked' : 'bad_link';
    if (linkStatus === 'bad_link') {
      incident('bad_link', subject, `prev_hash does not match the record at seq ${span.seq - 1}`, { prevHash: span.prevHash, predecessors: predecessors.map((event) => event.hash) });
    }
    if (span.contentMismatches.length > 0) {
      incident('content_mismatch', subject, `content values differ from their signed commitments: ${span.contentMismatches.join(', ')}`, { keys: span.contentMismatches });
    }

    const event = {
      leafIndex: input.firstLeafIndex + drafts.length,
      factoId: span.factoId,
      agentId: span.agentId,
      chainId: span.chainId,
      seq: span.seq,
      hash,
      prevHash: span.prevHash,
      keyId: span.keyId,
      signature: span.signature,
      dropped: span.dropped,
      traceId: span.traceId,
      spanId: span.spanId,
      name: span.name,
      actionType: span.actionType,
      startTimeUnixNano: span.startTimeUnixNano,
      endTimeUnixNano: span.endTimeUnixNano,
      receivedAt: now,
      recordJson: span.recordJson,
      contextJson: span.contextJson,
      disclosuresJson: span.disclosuresJson,
      salt: span.salt,
      linkStatus,
      erasedBy: null,
      ...(span.preparedBody === undefined ? {} : { preparedBody: span.preparedBody }),
    };
    drafts.push(event);
    batchByHash.add(hash);
    batchByFactoId.set(span.factoId, hash);
    const bySeq = batchChains.get(chain) ?? new Map<number, StoredEvent[]>();
    bySeq.set(span.seq, [...(bySeq.get(span.seq) ?? []), event]);
    batchChains.set(chain, bySeq);
    verdicts.push({ kind: 'accepted', event });

    // A successor that arrived first waits as 'pending' (or was judged a gap); this record settles its link.
    for (const successor of eventsAt(chain, span.seq + 1)) {
      const current = linkUpdates.get(successor.factoId) ?? successor.linkStatus;
      if (current !== 'pending' && current !== 'gap_declared' && current !== 'gap_undeclared') continue;
      const status: LinkStatus = successor.prevHash === hash ? 'linked' : 'bad_link';
      const draft = drafts.find((item) => item.factoId === successor.factoId);
      if (draft) draft.linkStatus = status;
      else linkUpdates.set(successor.factoId, status);
      if (status === 'bad_link') incident('bad_link', subject, `the record at seq ${span.seq + 1} does not link to this one`, { successor: successor.factoId });
    }
  };

  for (const candidate of input.candidates) {
    if (candidate.kind === 'unsigned') {
      if (input.unsigned === 'reject') reject('unsigned');
      else {
        if (input.unsigned === 'store') unverified.push({ traceId: candidate.traceId, spanId: candidate.spanId, name: candidate.name, spanJson: candidate.spanJson, receivedAt: now });
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
