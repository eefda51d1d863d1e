import { describe, expect, it } from 'vitest';
import { runStoreConformance } from '../conformance.js';
import { LogBuilder } from '../conformance-fixtures.js';
import { StoreUnavailableError } from '../errors.js';
import { MemoryStore } from './memory-store.js';

runStoreConformance('memory', {
  create: async () => {
    const store = new MemoryStore();
    await store.init();
    return { store, cleanup: () => store.close() };
  },
  // The data lives as long as the instance: closing and opening again is what a restart is here.
  reopen: async (store) => {
    await store.close();
    await store.init();
    return store;
  },
});

describe('MemoryStore', () => {
  it("keeps the event, not a prepared body meant for the SQLite store", async () => {
    const store = new MemoryStore();
    await store.init();
    const log = new LogBuilder();
    const event = log.event();
    await store.commitBatch(log.batch({ events: [{ ...event, preparedBody: Uint8Array.of(1, 2, 3) }] }));
    const stored = await store.getEvent(event.factoId);
    expect(stored).toMatchObject(event);
    expect(stored).not.toHaveProperty('preparedBody');
  });
});

describe('MemoryStore faults', () => {
  it('fails the next commits as a full disk would, keeping nothing, then works again', async () => {
    const store = new MemoryStore();
    await store.init();
    const log = new LogBuilder();
    store.faults.failNext('commitBatch', undefined, 2);
    const batch = log.batch({ events: [log.event()] });
    await expect(store.commitBatch(batch)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.commitBatch(batch)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.treeSize()).toBe(0);
    await store.commitBatch(batch);
    expect(await store.treeSize()).toBe(1);
    expect(store.faults.calls.commitBatch).toBe(3);
  });

  it('holds a commit until released, so a test can look at the world while it is in flight', async () => {
    const store = new MemoryStore();
    await store.init();
    const log = new LogBuilder();
    const pause = store.faults.pauseNext('commitBatch');
    const commit = store.commitBatch(log.batch({ events: [log.event()] }));
    await pause.reached;
    expect(await store.treeSize()).toBe(0);
    pause.release();
    await commit;
    expect(await store.treeSize()).toBe(1);
  });

  it('refuses every call before init() and after close()', async () => {
    const store = new MemoryStore();
    await expect(store.treeSize()).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.init();
    await store.close();
    await expect(store.listKeys()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
