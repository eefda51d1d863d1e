/**
 * Part of the store conformance suite (conformance.ts): text that a signer or a peer chooses (agent
 * and chain ids, span names, action types, incident details, key owners) is kept exactly and found by
 * exactly itself, whatever characters it holds. The spec allows any string of 1–256 UTF-16 code units
 * as an agent or chain id and any span name, so U+0000 (which PostgreSQL's text type cannot hold),
 * U+0001, U+0002 and backslashes are all valid, and a store that refused them would lose the request's
 * other spans with them. (A lone surrogate never reaches a store: OTLP's strings are strict UTF-8 and
 * RFC 8785 refuses one, so such a record cannot be rebuilt and is rejected as malformed.)
 */
import { expect, it } from 'vitest';
import { agentKey, incident, type LogBuilder, unverifiedSpan } from './conformance-fixtures.js';
import type { Store } from './types.js';

/** Ids that differ from one another only in the characters a driver might escape. */
export const AWKWARD_IDS: readonly string[] = ['agent\u0000', 'agent\u0000a', 'agent\u0001', 'agent\u0001\u0002', 'agent\u0001\u0001', 'agent\\0', 'agent\\\u0000', 'agent\u0002', 'agent'];

export function textConformance(context: () => { store: Store; log: LogBuilder }): void {
  it('keeps ids, names and details exactly, control characters and backslashes included, and finds each by exactly itself', async () => {
    const { store, log } = context();
    const events = AWKWARD_IDS.map((agentId, index) =>
      log.event({ agentId, chainId: AWKWARD_IDS[(index + 1) % AWKWARD_IDS.length]!, seq: 0, name: `chat\u0000${agentId}`, actionType: `act\u0001${index}` }),
    );
    const incidents = AWKWARD_IDS.map((agentId, index) => incident({ agentId, chainId: `chain\u0000${index}`, detail: `fork\u0000${agentId}` }));
    const keys = AWKWARD_IDS.map((agentId) => agentKey({ agentId, keyId: `${agentId}-key` }));
    const batch = await log.commit(store, { events, incidents, keys, unverified: [{ ...unverifiedSpan(), name: 'unsigned\u0000\u0001' }] });

    for (const [index, event] of batch.events.entries()) {
      const { agentId, chainId } = event;
      expect(await store.getEvent(event.factoId)).toEqual(event);
      expect(await store.listChain(agentId, chainId)).toEqual([event]);
      expect(await store.getChainEvents(agentId, chainId, [0])).toEqual([event]);
      expect(await store.queryEvents({ agentId, order: 'asc', limit: 100 })).toEqual([event]);
      expect(await store.queryEvents({ chainId, order: 'asc', limit: 100 })).toEqual([event]);
      expect(await store.queryEvents({ actionType: event.actionType, order: 'asc', limit: 100 })).toEqual([event]);
      expect(await store.listChains(agentId)).toEqual([{ agentId, chainId, count: 1, headSeq: 0, headHash: event.hash }]);
      expect(await store.listKeys(agentId)).toEqual([keys[index]]);
      const found = await store.listIncidents({ agentId, limit: 100 });
      expect(found.map(({ agentId: owner, chainId: chain, detail }) => ({ agentId: owner, chainId: chain, detail }))).toEqual([{ agentId, chainId: `chain\u0000${index}`, detail: `fork\u0000${agentId}` }]);
    }
    expect(await store.getEventsByFactoId(batch.events.map((event) => event.factoId))).toEqual(batch.events);
    // Listed in code point order (UTF-8 byte order), as for any other id: U+0000 before U+0001 before U+0002.
    const byCodePoint = (left: string, right: string) => Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
    expect((await store.listChains()).map((chain) => chain.agentId)).toEqual([...AWKWARD_IDS].sort(byCodePoint));
    expect(await store.countUnverified()).toBe(1);
  });

  it('keeps any Unicode text exactly in ids and names (generated), and finds each event by its ids', async () => {
    const { store, log } = context();
    const next = seededText(0x5eed);
    for (let run = 0; run < 60; run++) {
      const agentId = next(1, 40);
      const chainId = `${next(1, 40)}#${run}`;
      const name = next(0, 200);
      const batch = await log.commit(store, { events: [log.event({ agentId, chainId, seq: 0, name, actionType: name })] });
      const [event] = batch.events;
      expect(await store.getEvent(event!.factoId)).toEqual(event);
      expect(await store.listChain(agentId, chainId)).toEqual([event]);
      expect(await store.queryEvents({ actionType: name, chainId, order: 'asc', limit: 10 })).toEqual([event]);
    }
  });
}

/**
 * Strings of random code points from a fixed seed (the same cases on every run and every store): C0
 * controls, ASCII, the rest of the BMP and astral planes, never a lone surrogate (OTLP's strict UTF-8
 * cannot carry one). Drawn here rather than with a property-testing library, which this suite,
 * shipped for other drivers to run, does not depend on.
 */
function seededText(seed: number): (minLength: number, maxLength: number) => string {
  let state = seed >>> 0 || 1;
  const random = (bound: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % bound;
  };
  const ranges: readonly (readonly [number, number])[] = [[0x00, 0x20], [0x20, 0x7f], [0x80, 0xd800], [0xe000, 0x10000], [0x10000, 0x110000]];
  return (minLength, maxLength) => {
    const length = minLength + random(maxLength - minLength + 1);
    let text = '';
    for (let index = 0; index < length; index++) {
      const [low, high] = ranges[random(ranges.length)]!;
      text += String.fromCodePoint(low + random(high - low));
    }
    return text;
  };
}
