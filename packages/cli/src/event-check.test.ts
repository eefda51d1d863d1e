/**
 * The live audit (`facto verify --endpoint`, `facto explain`) checks each record the collector
 * serves as a bundle verifier does: one that is not a facto.v1 record (docs/spec.md sections 3 and
 * 4) fails, naming what is wrong, even when its hash and signature hold.
 */
import { generateKeyPair, hashRecord, keyId, sign, toHex, type FactoRecord } from '@facto/core';
import { describe, expect, it } from 'vitest';
import { checkEvent, KeyRing, type EventJson } from './event-check.js';

const agent = generateKeyPair();
const record = {
  format: 'facto.v1', facto_id: 'ft-00000000-0000-4000-8000-000000000001', agent_id: 'agent-1', chain_id: 'c', seq: 0, prev_hash: '0'.repeat(64),
  key_id: keyId(agent.publicKey), dropped: 0, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7', parent_span_id: '', name: 'step',
  kind: 1, start_time_unix_nano: '1', end_time_unix_nano: '2', status: { code: 0, message: '' }, attributes: { a: { s: 'v' } }, events: [], links: [],
};

/** The collector's event object for `value`, honestly hashed and signed. */
function served(value: Record<string, unknown>): EventJson {
  const hash = hashRecord(value as unknown as FactoRecord);
  const fields = value as unknown as FactoRecord;
  return {
    facto_id: fields.facto_id, leaf_index: 0, agent_id: fields.agent_id, chain_id: fields.chain_id, seq: fields.seq, hash: toHex(hash), prev_hash: fields.prev_hash,
    key_id: fields.key_id, signature: toHex(sign(hash, agent.privateKey)), dropped: fields.dropped, trace_id: fields.trace_id, span_id: fields.span_id, name: fields.name, action_type: '',
    received_at: '', link_status: 'ok', erased: false, erased_by: null, record: value as unknown as FactoRecord,
  };
}

describe('checkEvent', () => {
  const keys = KeyRing.pinned([{ agentId: 'agent-1', publicKey: agent.publicKey, keyId: keyId(agent.publicKey) }], undefined, 'test');

  it('passes a facto.v1 record', () => {
    expect(checkEvent(served(record), keys)).toMatchObject({ ok: true, hash: true, signature: true, errors: [] });
  });

  it.each([
    ['an int with leading zeros', { ...record, attributes: { x: { i: '007' } } }, 'record: attributes["x"]: {"i":"007"} is not a canonical int64'],
    ['kind 9', { ...record, kind: 9 }, 'record: kind: 9 is not an OTLP SpanKind 0 ... 5 (section 4)'],
    ['a member section 4 does not define', { ...record, note: 'x' }, 'record: unknown member "note": a facto.v1 record has exactly the members'],
  ])('fails a signed record that is not one: %s', (_name, value, expected) => {
    const check = checkEvent(served(value), keys);
    expect(check.ok).toBe(false);
    expect([check.hash, check.signature]).toEqual([true, true]);
    expect(check.errors).toHaveLength(1);
    expect(check.errors[0]!.startsWith(expected), check.errors[0]).toBe(true);
  });
});
