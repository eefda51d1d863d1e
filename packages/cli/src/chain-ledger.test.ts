import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyChains, ZERO_HASH_HEX, type ChainEntry } from '@facto/core';
import { ChainLedger } from './chain-ledger.js';

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Entries of many interleaved chains with every kind of finding: forks, replays, gaps declared or not, bad links, altered hash texts, records out of order. */
function messyEntries(seed: number, chains: number, perChain: number): ChainEntry[] {
  const next = random(seed);
  const entries: ChainEntry[] = [];
  for (let chain = 0; chain < chains; chain++) {
    const agentId = `agent-${chain % 7}`;
    const chainId = chain % 3 === 0 ? `chain "${chain}"\u0000` : `chain-${chain}`;
    let previous = ZERO_HASH_HEX;
    let dropped = 0;
    for (let seq = 0; seq < perChain; seq++) {
      const hash = hashOf(`${chain}/${seq}`);
      const roll = next();
      if (roll < 0.04) {
        // Lost: sometimes declared by the next record's counter.
        if (next() < 0.5) dropped++;
        previous = hash;
        continue;
      }
      const prevHash = roll < 0.07 ? hashOf(`wrong ${chain}/${seq}`) : roll < 0.08 ? 'NOT-HEX' : roll < 0.09 ? previous.toUpperCase() : previous;
      entries.push({ agentId, chainId, seq, prevHash, hash: roll > 0.99 ? `${hash}00` : hash, dropped });
      if (roll > 0.95) entries.push({ agentId, chainId, seq, prevHash, hash: hashOf(`fork ${chain}/${seq}`), dropped });
      else if (roll > 0.92) entries.push({ agentId, chainId, seq, prevHash, hash, dropped });
      previous = hash;
    }
  }
  // Arrival order: shuffled, so chains interleave and records come after their successors.
  for (let index = entries.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [entries[index], entries[other]] = [entries[other]!, entries[index]!];
  }
  return entries;
}

describe('ChainLedger', () => {
  it('reports every chain exactly as verifyChains does over all the entries at once, in the same order', () => {
    const entries = messyEntries(7, 40, 150);
    expect(entries.length).toBeGreaterThan(5000);
    const ledger = new ChainLedger();
    for (const entry of entries) ledger.add(entry);
    expect(ledger.size).toBe(entries.length);
    const expected = verifyChains(entries);
    // The set has what it claims: findings of each kind.
    expect(expected.some((chain) => chain.forks.length > 0 && chain.replays.length > 0 && chain.badLinks.length > 0)).toBe(true);
    expect(expected.some((chain) => chain.gaps.some((gap) => gap.declared)) && expected.some((chain) => chain.gaps.some((gap) => !gap.declared))).toBe(true);
    expect([...ledger.reports()]).toEqual(expected);
  });

  it('keeps hash texts that are not 64 lowercase hex digits as they were given', () => {
    const ledger = new ChainLedger();
    const entries: ChainEntry[] = [
      { agentId: 'a', chainId: 'c', seq: 0, prevHash: ZERO_HASH_HEX, hash: 'ABC', dropped: 0 },
      { agentId: 'a', chainId: 'c', seq: 1, prevHash: 'abc', hash: hashOf('1'), dropped: 2 ** 40 },
    ];
    for (const entry of entries) ledger.add(entry);
    const [report] = [...ledger.reports()];
    expect(report).toEqual(verifyChains(entries)[0]);
    expect(report!.badLinks).toEqual([{ seq: 1, expected: 'ABC', found: 'abc' }]);
  });

  it('has no chain to report when nothing was added', () => {
    expect([...new ChainLedger().reports()]).toEqual([]);
  });
});
