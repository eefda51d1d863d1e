import { describe, expect, it } from 'vitest';
import { checkpoint, LogBuilder } from '../store/conformance-fixtures.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { checkpointPendingSeconds } from './checkpoint-lag.js';

describe('checkpointPendingSeconds', () => {
  it('is 0 on a quiet log the latest checkpoint covers, however old that checkpoint, and counts from the first uncovered arrival', async () => {
    const store = new MemoryStore();
    await store.init();
    const log = new LogBuilder();
    const now = 1_800_000_000_000;
    expect(await checkpointPendingSeconds(store, now)).toBe(0);

    // Before any checkpoint, leaf 0 waits from its receipt.
    await log.commit(store, { events: [log.event({ receivedAt: now - 30_000 }), log.event({ receivedAt: now - 20_000 })] });
    expect(await checkpointPendingSeconds(store, now)).toBe(30);

    // Covered: 0, though the checkpoint is an hour old.
    await store.putCheckpoint(checkpoint(2, { createdAt: now - 3_600_000 }), null);
    expect(await checkpointPendingSeconds(store, now)).toBe(0);

    // New leaves wait from the first of them, not from the old checkpoint.
    await log.commit(store, { events: [log.event({ receivedAt: now - 5_000 }), log.event({ receivedAt: now - 1_000 })] });
    expect(await checkpointPendingSeconds(store, now)).toBe(5);

    // An erasure entry as the first uncovered leaf waits from its creation.
    await store.putCheckpoint(checkpoint(4, { createdAt: now - 500 }), checkpoint(2, { createdAt: now - 3_600_000 }));
    await log.commit(store, { logEntries: [log.logEntry({ createdAt: now - 7_000 })], events: [] });
    expect(await checkpointPendingSeconds(store, now)).toBe(7);
  });
});
