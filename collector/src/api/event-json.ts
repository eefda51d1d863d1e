/**
 * The JSON shape of one stored event in API answers (docs/api.md, "Event object"). The stored JSON
 * columns are parsed back so clients get objects, not strings holding JSON; `record` is the signed
 * facto.v1 record itself, so a client can recompute its hash from the answer alone.
 */
import type { FactoRecord } from '@facto/core';
import type { LinkStatus, StoredEvent } from '../store/types.js';
import { toRfc3339 } from './query-parameters.js';

export interface EventJson {
  readonly facto_id: string;
  readonly leaf_index: number;
  readonly agent_id: string;
  readonly chain_id: string;
  readonly seq: number;
  readonly hash: string;
  readonly prev_hash: string;
  readonly key_id: string;
  readonly signature: string;
  readonly dropped: number;
  readonly trace_id: string;
  readonly span_id: string;
  readonly name: string;
  readonly action_type: string;
  readonly start_time_unix_nano: string;
  readonly end_time_unix_nano: string;
  readonly received_at: string;
  readonly link_status: LinkStatus;
  readonly erased: boolean;
  /** Leaf index of the erasure entry that removed the content, or null. */
  readonly erased_by: number | null;
  readonly record: FactoRecord;
  readonly disclosures: unknown[];
  readonly context: unknown;
}

export function eventToJson(event: StoredEvent): EventJson {
  return {
    facto_id: event.factoId,
    leaf_index: event.leafIndex,
    agent_id: event.agentId,
    chain_id: event.chainId,
    seq: event.seq,
    hash: event.hash,
    prev_hash: event.prevHash,
    key_id: event.keyId,
    signature: event.signature,
    dropped: event.dropped,
    trace_id: event.traceId,
    span_id: event.spanId,
    name: event.name,
    action_type: event.actionType,
    start_time_unix_nano: event.startTimeUnixNano,
    end_time_unix_nano: event.endTimeUnixNano,
    received_at: toRfc3339(event.receivedAt),
    link_status: event.linkStatus,
    erased: event.erasedBy !== null,
    erased_by: event.erasedBy,
    record: JSON.parse(event.recordJson) as FactoRecord,
    disclosures: JSON.parse(event.disclosuresJson) as unknown[],
    context: JSON.parse(event.contextJson) as unknown,
  };
}
