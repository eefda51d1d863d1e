import { describe, expect, it } from 'vitest';
import { MemoryNodeStore } from './memory-node-store.js';
import { nodeStoreConformanceCases } from './node-store-conformance.js';

// 256 shared arrays: allocating two million typed arrays would cost more than the store under test.
const hashes = Array.from({ length: 256 }, (_, seed) => new Uint8Array(32).fill(seed));
const hashOf = (seed: number) => hashes[seed & 0xff]!;

describe('MemoryNodeStore conformance', () => {
  for (const { name, run } of nodeStoreConformanceCases(() => {
    const store = new MemoryNodeStore();
    return { reader: store, put: (nodes) => store.put(nodes) };
  })) {
    it(name, run);
  }
});

describe('MemoryNodeStore', () => {
  it('refuses gaps, rewrites with another hash and hashes of the wrong length, leaving the store as it was', () => {
    const store = new MemoryNodeStore();
    store.put([{ level: 0, index: 0, hash: hashOf(1) }, { level: 0, index: 1, hash: hashOf(2) }]);
    expect(() => store.put([{ level: 0, index: 2, hash: hashOf(3) }, { level: 0, index: 4, hash: hashOf(5) }])).toThrow(/gap/);
    expect(() => store.put([{ level: 0, index: 2, hash: hashOf(3) }, { level: 0, index: 1, hash: hashOf(9) }])).toThrow(/another hash/);
    expect(() => store.put([{ level: 1, index: 0, hash: hashOf(3) }, { level: 1, index: 1, hash: new Uint8Array(31) }])).toThrow(RangeError);
    expect(() => store.put([{ level: 64, index: 0, hash: hashOf(3) }])).toThrow(/level and index/);
    expect(store.leafCount).toBe(2);
    expect(() => store.getNodes([{ level: 0, index: 2 }])).toThrow(/not stored/);
    expect(() => store.getNodes([{ level: 1, index: 0 }])).toThrow(/not stored/);
    store.put([{ level: 0, index: 1, hash: hashOf(2) }]);
    expect(store.getNodes([{ level: 0, index: 1 }])).toEqual([hashOf(2)]);
  });

  it('returns copies, counts reads and fails the next read on request', () => {
    const store = new MemoryNodeStore();
    store.put([{ level: 0, index: 0, hash: hashOf(7) }]);
    store.getNodes([{ level: 0, index: 0 }])[0]!.fill(0);
    expect(store.getNodes([{ level: 0, index: 0 }, { level: 0, index: 0 }])).toEqual([hashOf(7), hashOf(7)]);
    expect([store.reads, store.nodesRead]).toEqual([2, 3]);
    const failure = new Error('connection reset');
    store.failNextRead(failure);
    expect(() => store.getNodes([{ level: 0, index: 0 }])).toThrow(failure);
    expect(store.getNodes([{ level: 0, index: 0 }])).toEqual([hashOf(7)]);
  });

  it('holds two million nodes compactly', () => {
    const store = new MemoryNodeStore();
    const leaves = 1 << 20;
    for (let level = 0; level <= 20; level++) {
      const count = leaves >> level;
      const batch = Array.from({ length: count }, (_, index) => ({ level, index, hash: hashOf(index + level) }));
      store.put(batch);
    }
    expect(store.leafCount).toBe(leaves);
    expect(store.getNodes([{ level: 0, index: leaves - 1 }, { level: 20, index: 0 }, { level: 7, index: 8191 }])).toEqual([
      hashOf(leaves - 1),
      hashOf(20),
      hashOf(8191 + 7),
    ]);
  });
});
