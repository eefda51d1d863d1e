/**
 * A checkpoint whose sequencer section lost its lock, on a real PostgreSQL server of this file's own.
 * LogService.checkpoint checks, inside the section, that the latest stored checkpoint opens with its
 * key; the store writes the checkpoint on another pooled connection than the one holding the lock.
 * Here the lock is lost at the worst moment, deterministically: right after the check's read, the
 * test ends the connection holding the lock (as PostgreSQL's idle_in_transaction_session_timeout or
 * a network cut would), and a process with another key takes the lock and stores its checkpoint,
 * decided at size 0 on an empty log before this one read. The checkpoint decided on the stale read
 * must not land: two keys would then each sign a part of one log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MerkleTree, signCheckpoint, toHex } from '@facto/core';
import { LogBuilder } from '../store/conformance-fixtures.js';
import { StoreConflictError } from '../store/errors.js';
import { createPostgresStore } from '../store/postgres/index.js';
import type { Checkpoint, Store } from '../store/types.js';
import { postgresBinaries, startPostgresServer, type PostgresServer } from '../test-helpers/postgres-server.js';
import { loadOrCreateLogKey, LogKeyMismatchError, type LogKey } from './log-key.js';
import { LogService } from './log-service.js';

const binaries = postgresBinaries();
const missing = 'missing' in binaries ? binaries.missing : undefined;

/** A checkpoint `key` signs for the empty log. */
function emptyLogCheckpoint(key: LogKey): Checkpoint {
  const rootHash = new MerkleTree().root();
  const note = signCheckpoint({ origin: key.origin, treeSize: 0, rootHash }, { name: key.origin, privateKey: key.privateKey });
  return { treeSize: 0, rootHash: toHex(rootHash), note, createdAt: Date.now() };
}

/** The messages of the StoreConflictErrors `store.putCheckpoint` rejects with, as they happen. */
function recordConflicts(store: Store): string[] {
  const conflicts: string[] = [];
  const putCheckpoint = store.putCheckpoint.bind(store);
  store.putCheckpoint = (checkpoint, expectedLatest) =>
    putCheckpoint(checkpoint, expectedLatest).catch((error: unknown) => {
      if (StoreConflictError.isInstance(error)) conflicts.push(error.message);
      throw error;
    });
  return conflicts;
}

describe.skipIf(missing !== undefined)(`a checkpoint whose section lost its lock (${missing ?? 'a real PostgreSQL server started for this file'})`, () => {
  let server: PostgresServer;
  let folder: string;

  beforeAll(async () => {
    server = await startPostgresServer((binaries as { bin: string }).bin);
    folder = mkdtempSync(join(tmpdir(), 'facto-lost-lock-'));
  });
  afterAll(async () => {
    await server?.destroy();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  /**
   * Makes `store`'s first latestCheckpoint() read the head and then lose its section's lock: the
   * connection holding it is ended (as PostgreSQL's idle_in_transaction_session_timeout or a network
   * cut would), and `meanwhile` runs, as another process would, before the read returns.
   */
  function loseLockAfterFirstRead(store: Store, database: string, meanwhile: (latest: Checkpoint | null) => Promise<unknown>) {
    const readLatest = store.latestCheckpoint.bind(store);
    let lost = false;
    store.latestCheckpoint = async () => {
      const latest = await readLatest();
      if (!lost) {
        lost = true;
        const ended = await server.query(`SELECT pg_terminate_backend(pid) AS ended FROM pg_locks WHERE locktype = 'advisory' AND granted`, database);
        expect(ended.rows).toEqual([{ ended: true }]);
        await meanwhile(latest);
      }
      return latest;
    };
    return { lost: () => lost };
  }

  it('is not stored when another key stored a checkpoint after the section read the latest one; the next checkpoint is refused as another key\'s', async () => {
    const url = await server.createDatabase('facto_lost_lock');
    const [a, b] = [createPostgresStore({ url }), createPostgresStore({ url })];
    await Promise.all([a.init(), b.init()]);
    try {
      const [keyA, keyB] = [loadOrCreateLogKey(join(folder, 'a.pem')), loadOrCreateLogKey(join(folder, 'b.pem'))];
      // B read the empty log and decided its claim before A's section; A's log holds one entry.
      const rivalClaim = emptyLogCheckpoint(keyB);
      await new LogBuilder().commit(a, { events: [new LogBuilder().event()] });
      const log = await LogService.open(a, keyA, { shared: a });

      const conflicts = recordConflicts(a);
      // A's section connection dies; B can now take the lock, and stores its claim in its own section.
      const lock = loseLockAfterFirstRead(a, 'facto_lost_lock', (latest) => b.withSequencerLock(() => b.putCheckpoint(rivalClaim, latest)));

      // The refused write is decided once more in a new section, which reads B's claim: A refuses to
      // sign for B's log, and says so rather than passing the conflict on.
      const error = await log.checkpoint().then(() => expect.fail('stored a checkpoint decided before another was stored'), (refusal: unknown) => refusal as Error);
      expect(lock.lost()).toBe(true);
      expect(LogKeyMismatchError.isInstance(error), String(error)).toBe(true);
      const stored = await server.query('SELECT tree_size::int AS tree_size, note FROM checkpoints ORDER BY tree_size', 'facto_lost_lock');
      expect(stored.rows).toEqual([{ tree_size: 0, note: rivalClaim.note }]);
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]).toMatch(/^Checkpoint for tree size 1 refused: it was decided with none as the latest checkpoint, but the latest stored is the one at tree size 0/);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it('is decided again when a process with the same key stored one meanwhile: the caller gets the newer head, not the conflict', async () => {
    const url = await server.createDatabase('facto_lost_lock_same_key');
    const [a, b] = [createPostgresStore({ url }), createPostgresStore({ url })];
    await Promise.all([a.init(), b.init()]);
    try {
      const key = loadOrCreateLogKey(join(folder, 'shared.pem'));
      const builder = new LogBuilder();
      await builder.commit(a, { events: [builder.event()] });
      const [logA, logB] = [await LogService.open(a, key, { shared: a }), await LogService.open(b, key, { shared: b })];
      expect((await logA.checkpoint()).treeSize).toBe(1);
      await builder.commit(a, { events: [builder.event()] });

      const conflicts = recordConflicts(a);
      // A read the checkpoint at size 1 and will sign size 2; its lock is lost, and B, the same key in
      // another process, commits one more entry and checkpoints size 3 first. (B signing size 2 would
      // write A's very note, which the store takes as already stored.)
      const lock = loseLockAfterFirstRead(a, 'facto_lost_lock_same_key', async () => {
        await builder.commit(b, { events: [builder.event()] });
        expect((await logB.checkpoint()).treeSize).toBe(3);
      });

      const checkpoint = await logA.checkpoint();
      expect(lock.lost()).toBe(true);
      expect(conflicts).toHaveLength(1);
      expect(checkpoint).toMatchObject({ treeSize: 3, rootHash: toHex(logB.root()) });
      expect(logA.treeSize).toBe(3);
      const stored = await server.query('SELECT tree_size::int AS tree_size, note FROM checkpoints ORDER BY tree_size', 'facto_lost_lock_same_key');
      expect(stored.rows.map((row: { tree_size: number }) => row.tree_size)).toEqual([1, 3]);
      expect(stored.rows[1]).toEqual({ tree_size: 3, note: checkpoint.note });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});
