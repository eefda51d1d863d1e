import { describe, expect, it } from 'vitest';
import { SeqPresence } from './chain-tally.js';

describe('SeqPresence', () => {
  it('counts distinct seqs, telling a second event at one seq from a new seq', () => {
    const presence = new SeqPresence();
    expect([5, 0, 1023, 1024, 5, 0].map((seq) => presence.add(seq))).toEqual([true, true, true, true, false, false]);
    expect(presence.count).toBe(4);
    expect([0, 1, 5, 1023, 1024, 1025].map((seq) => presence.has(seq))).toEqual([true, false, true, true, true, false]);
  });

  it('holds seqs far apart, up to the largest the record allows', () => {
    const presence = new SeqPresence();
    for (const seq of [Number.MAX_SAFE_INTEGER, 2 ** 40, 3]) presence.add(seq);
    expect(presence.count).toBe(3);
    expect(presence.has(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(presence.has(Number.MAX_SAFE_INTEGER - 1)).toBe(false);
    expect(presence.has(2 ** 40)).toBe(true);
  });

  it('matches a Set on a dense run with repeats', () => {
    const presence = new SeqPresence();
    const reference = new Set<number>();
    for (let index = 0; index < 5000; index++) {
      const seq = (index * 7919) % 3001;
      expect(presence.add(seq)).toBe(!reference.has(seq));
      reference.add(seq);
    }
    expect(presence.count).toBe(reference.size);
  });
});
