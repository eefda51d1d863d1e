/**
 * Part of the store conformance suite (conformance.ts): listChainRange, which an evidence bundle
 * reads to close the holes a time window cut in a chain's range. Pages follow (seq, leafIndex), so a
 * forked seq split across two pages is neither repeated nor skipped, and a long run of absent seqs
 * costs nothing.
 */
import { expect, it } from 'vitest';
import { expectRefusal } from './conformance-expect.js';
import type { EventDraft, LogBuilder } from './conformance-fixtures.js';
import type { StoredEvent, Store } from './types.js';

export function chainRangeConformance(context: () => { store: Store; log: LogBuilder }): void {
  it('reads a seq range of one chain a page at a time, forks and a received-at window included', async () => {
    const { store, log } = context();
    const at = (seq: number, receivedAt: number, chain: Partial<EventDraft> = {}) => log.event({ seq, receivedAt, ...chain });
    const T = 1_800_000_000_000;
    // Seq 3 forked (its second event logged in a later batch), a run of absent seqs, another chain and agent with the same seqs.
    const first = await log.commit(store, { events: [at(0, T), at(1, T + 5), at(2, T + 1), at(3, T + 9), at(3, T + 2, { chainId: 'chain-2' }), at(3, T + 2, { agentId: 'agent-b' })] });
    const second = await log.commit(store, { events: [at(5, T + 3), at(3, T + 1), at(1_000_000, T + 8), at(4, T + 10)] });
    const chain = [...first.events, ...second.events]
      .filter((event) => event.agentId === 'agent-a' && event.chainId === 'chain-1')
      .sort((left, right) => left.seq - right.seq || left.leafIndex - right.leafIndex);
    const expected = (fromSeq: number, toSeq: number, window?: { since?: number; until?: number }) =>
      chain.filter((event) => event.seq >= fromSeq && event.seq <= toSeq &&
        (window === undefined || (window.since !== undefined && event.receivedAt < window.since) || (window.until !== undefined && event.receivedAt > window.until)));
    const cases: [number, number, { since?: number; until?: number } | undefined][] = [
      [0, 2_000_000, undefined], [1, 4, undefined], [3, 3, undefined], [6, 999_999, undefined],
      [0, 2_000_000, { since: T + 2 }], [0, 2_000_000, { until: T + 5 }], [0, 2_000_000, { since: T + 2, until: T + 8 }], [0, 2_000_000, {}],
    ];
    for (const [fromSeq, toSeq, receivedOutside] of cases) {
      const query = { agentId: 'agent-a', chainId: 'chain-1', fromSeq, toSeq, receivedOutside };
      expect(await store.listChainRange({ ...query, limit: 100 })).toEqual(expected(fromSeq, toSeq, receivedOutside));
      // Pages of two: the fork at seq 3 straddles a page boundary in several of these.
      const walked: StoredEvent[] = [];
      for (let pages = 0, last: StoredEvent | undefined; pages < 100; pages++) {
        const page = await store.listChainRange({ ...query, limit: 2, after: last === undefined ? undefined : { seq: last.seq, leafIndex: last.leafIndex } });
        expect(page.length).toBeLessThanOrEqual(2);
        if (page.length === 0) break;
        walked.push(...page);
        last = page[page.length - 1];
      }
      expect(walked).toEqual(expected(fromSeq, toSeq, receivedOutside));
    }
    expect(expected(0, 2_000_000, { since: T + 2, until: T + 8 }).map((event) => event.seq)).toEqual([0, 2, 3, 3, 4]);
    expect(await store.listChainRange({ agentId: 'agent-a', chainId: 'chain-1', fromSeq: 0, toSeq: 10, limit: 0 })).toEqual([]);
    await expectRefusal(store.listChainRange({ agentId: 'agent-a', chainId: 'chain-1', fromSeq: 0, toSeq: 10, limit: -1 }), 'invalid_argument');
  });
}
