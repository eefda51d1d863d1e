import { describe, expect, it } from 'vitest';
import { ZERO_HASH_HEX } from '../record/constants.js';
import { verifyChains, type ChainEntry } from './verify-chains.js';

function hashOf(seq: number, variant = 0): string {
  return (seq * 2 + variant + 1).toString(16).padStart(64, '0');
}

/** A well-linked chain of `length` entries; `dropped` gives each seq's cumulative counter. */
function chain(length: number, dropped: (seq: number) => number = () => 0): ChainEntry[] {
  return Array.from({ length }, (_, seq) => ({ agentId: 'a', chainId: 'c', seq, prevHash: seq === 0 ? ZERO_HASH_HEX : hashOf(seq - 1), hash: hashOf(seq), dropped: dropped(seq) }));
}

describe('verifyChains', () => {
  it('reports an intact chain, in any input order', () => {
    const [report] = verifyChains(chain(5).reverse());
    expect(report).toMatchObject({ length: 5, validLinks: 5, badLinks: [], gaps: [], forks: [], replays: [], intact: true, head: { seq: 4, hash: hashOf(4) } });
  });

  it('calls a deletion in the middle an undeclared gap', () => {
    const entries = chain(6).filter((entry) => entry.seq !== 2 && entry.seq !== 3);
    const [report] = verifyChains(entries);
    expect(report!.gaps).toEqual([{ fromSeq: 2, toSeq: 3, declared: false }]);
    expect(report!.intact).toBe(false);
  });

  it('accepts a gap the signer declared, even when the declaring record is lost too', () => {
    // seq 2 and 3 dropped; seq 3 would have declared 1, seq 4 declares the cumulative 2.
    const entries = chain(6, (seq) => (seq >= 4 ? 2 : seq === 3 ? 1 : 0)).filter((entry) => entry.seq !== 2 && entry.seq !== 3);
    const [report] = verifyChains(entries);
    expect(report!.gaps).toEqual([{ fromSeq: 2, toSeq: 3, declared: true }]);
    expect(report!.intact).toBe(true);
  });

  describe('declarations belong to the seqs before the record that carries them (spec section 10)', () => {
    // seq 4-5 dropped by the signer (declared from seq 6 on), seq 8 lost on the way: a deletion.
    const signed = chain(10, (seq) => (seq >= 6 ? 2 : 0));
    const received = signed.filter((entry) => ![4, 5, 8].includes(entry.seq));

    it('the whole chain: the declared drop covers 4-5, and 8 is undeclared', () => {
      const [report] = verifyChains(received);
      expect(report!.gaps).toEqual([
        { fromSeq: 4, toSeq: 5, declared: true },
        { fromSeq: 8, toSeq: 8, declared: false },
      ]);
    });

    it('a partial view from seq 6: the drops declared before it cannot cover the gap at 8', () => {
      const [report] = verifyChains(received.filter((entry) => entry.seq >= 6), { partial: true });
      expect(report!.gaps).toEqual([{ fromSeq: 8, toSeq: 8, declared: false }]);
      expect(report!.intact).toBe(false);
      // As a whole chain, the same entries start with a gap before seq 6.
      expect(verifyChains(received.filter((entry) => entry.seq >= 6))[0]!.gaps[0]).toEqual({ fromSeq: 0, toSeq: 5, declared: false });
    });

    it('a partial view of an honest chain stays intact, whatever was dropped before it', () => {
      // 5-7 dropped (declared from seq 8); the view starts at seq 3, its records before that exist.
      const honest = chain(11, (seq) => (seq >= 8 ? 3 : 0)).filter((entry) => entry.seq >= 3 && ![5, 6, 7].includes(entry.seq));
      const [report] = verifyChains(honest, { partial: true });
      expect(report).toMatchObject({ gaps: [{ fromSeq: 5, toSeq: 7, declared: true }], intact: true });
      expect(report!.validLinks).toBe(honest.length - 2);
    });

    it('a deleted beginning does not use up a later declaration', () => {
      // seq 0-1 deleted; seq 3 dropped by the signer and declared from seq 4.
      const entries = chain(6, (seq) => (seq >= 4 ? 1 : 0)).filter((entry) => ![0, 1, 3].includes(entry.seq));
      const [report] = verifyChains(entries);
      expect(report!.gaps).toEqual([
        { fromSeq: 0, toSeq: 1, declared: false },
        { fromSeq: 3, toSeq: 3, declared: true },
      ]);
    });
  });

  it('does not let one declaration cover two gaps', () => {
    const entries = chain(8, (seq) => (seq >= 3 ? 1 : 0)).filter((entry) => entry.seq !== 2 && entry.seq !== 5);
    const [report] = verifyChains(entries);
    expect(report!.gaps).toEqual([
      { fromSeq: 2, toSeq: 2, declared: true },
      { fromSeq: 5, toSeq: 5, declared: false },
    ]);
  });

  it('treats a missing start as a gap too', () => {
    const [report] = verifyChains(chain(4).slice(2));
    expect(report!.gaps).toEqual([{ fromSeq: 0, toSeq: 1, declared: false }]);
  });

  it('finds bad links, forks and replays', () => {
    const entries = chain(4);
    entries[2] = { ...entries[2]!, prevHash: hashOf(9) };
    const fork = { ...entries[3]!, hash: hashOf(3, 1) };
    const replay = { ...entries[1]! };
    const [report] = verifyChains([...entries, fork, replay]);
    expect(report!.badLinks).toEqual([{ seq: 2, expected: hashOf(1), found: hashOf(9) }]);
    expect(report!.forks).toEqual([{ seq: 3, hashes: [hashOf(3), hashOf(3, 1)] }]);
    expect(report!.replays).toEqual([{ seq: 1, hash: hashOf(1), copies: 1 }]);
    expect(report!.intact).toBe(false);
  });

  it('flags a genesis record that does not start from zeros', () => {
    const entries = chain(2);
    entries[0] = { ...entries[0]!, prevHash: hashOf(7) };
    expect(verifyChains(entries)[0]!.badLinks).toEqual([{ seq: 0, expected: ZERO_HASH_HEX, found: hashOf(7) }]);
  });

  it('keeps chains of different agents apart', () => {
    const other = chain(2).map((entry) => ({ ...entry, agentId: 'b' }));
    const reports = verifyChains([...chain(3), ...other]);
    expect(reports.map((report) => [report.agentId, report.length])).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
  });
});
