import { describe, expect, it } from 'vitest';
import { ZERO_HASH_HEX } from '@facto/core';
import { ChainHead, type ChainHeadState, type ChainHeadStore } from './chain-head.js';

const hash = (seq: number) => seq.toString(16).padStart(64, '0');

function memoryStore(initial?: ChainHeadState): ChainHeadStore & { saved: ChainHeadState[] } {
  const saved: ChainHeadState[] = [];
  return { saved, load: () => initial, save: (state) => void saved.push(state), close: () => undefined };
}

describe('ChainHead', () => {
  it('hands out consecutive seqs and links each to the previous hash', () => {
    const head = new ChainHead('agent', 'chain');
    expect(head.prevHash).toBe(ZERO_HASH_HEX);
    expect([head.reserve(), head.reserve(), head.reserve()]).toEqual([0, 1, 2]);
    head.link(0, hash(0));
    expect(head.prevHash).toBe(hash(0));
    expect(head.state).toMatchObject({ nextSeq: 3, prevHash: hash(0), dropped: 0 });
  });

  it('declares to a record only the drops of lower seqs, however late it is sealed', () => {
    // Deferred sealing: seqs 0..4 reserved, then 3 and 4 dropped from the queue before 0 is sealed.
    const head = new ChainHead('agent', 'chain');
    for (let seq = 0; seq < 5; seq++) head.reserve();
    head.recordDropped([4, 3]);
    expect([0, 1, 2, 3].map((seq) => head.droppedBefore(seq))).toEqual([0, 0, 0, 0]);
    expect(head.droppedBefore(4)).toBe(1);
    expect(head.droppedBefore(5)).toBe(2);
  });

  it('counts a drop of an already linked seq for every later record', () => {
    const head = new ChainHead('agent', 'chain');
    head.link(head.reserve(), hash(0));
    head.link(head.reserve(), hash(1));
    head.recordDropped([1]);
    expect(head.droppedBefore(head.reserve())).toBe(1);
  });

  it('spends the seq of a record that could not be sealed, and declares it once', () => {
    const head = new ChainHead('agent', 'chain');
    head.link(head.reserve(), hash(0));
    const failed = head.reserve();
    head.skip(failed);
    expect(head.prevHash).toBe(hash(0));
    expect(head.droppedBefore(head.reserve())).toBe(1);
    // A span already counted as dropped (then failing to seal) is not counted twice.
    const counted = head.reserve();
    head.recordDropped([counted]);
    head.skip(counted, true);
    expect(head.state.dropped).toBe(2);
  });

  it('persists the last linked record, never a seq still in flight, and resumes from it', () => {
    const store = memoryStore();
    const head = new ChainHead('agent', 'chain', store);
    head.link(head.reserve(), hash(0));
    head.reserve();
    expect(store.saved.at(-1)).toEqual({ agentId: 'agent', chainId: 'chain', nextSeq: 1, prevHash: hash(0), dropped: 0 });
    const resumed = new ChainHead('agent', 'chain', memoryStore(store.saved.at(-1)));
    expect([resumed.reserve(), resumed.prevHash]).toEqual([1, hash(0)]);
  });
});
