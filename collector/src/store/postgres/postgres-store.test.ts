/**
 * The PostgreSQL driver against a real server of its own (test-helpers/postgres-server.ts): the
 * shared conformance suite, one fresh database per test, then what only this driver has: clear
 * errors for a server that is down, refused credentials and a newer schema (none with the password
 * in it), migrations raced by several processes, and the cross-process sequencer lock.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoreConformance } from '../conformance.js';
import { agentKey, incident, LogBuilder } from '../conformance-fixtures.js';
import { StoreUnavailableError } from '../errors.js';
import type { Store } from '../types.js';
import { POSTGRES_PASSWORD, postgresBinaries, startPostgresServer, type PostgresServer } from '../../test-helpers/postgres-server.js';
import { writeBatch } from './commit-batch.js';
import { migrate, migrations } from './migrations.js';
import { createPostgresStore } from './postgres-store.js';

const binaries = postgresBinaries();
const missing = 'missing' in binaries ? binaries.missing : undefined;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(() => expect.fail('expected the call to be refused'), (error: unknown) => error as Error);
}

describe.skipIf(missing !== undefined)(`PostgreSQL store (${missing ?? 'a real server started for this file'})`, () => {
  let server: PostgresServer;
  let databases = 0;
  const urls = new WeakMap<Store, string>();

  beforeAll(async () => {
    server = await startPostgresServer((binaries as { bin: string }).bin);
  });
  afterAll(async () => {
    await server?.destroy();
  });

  async function freshDatabase(): Promise<{ name: string; url: string }> {
    const name = `facto_test_${++databases}`;
    return { name, url: await server.createDatabase(name) };
  }

  async function open(url: string, options: { lockTimeoutMillis?: number } = {}) {
    const store = createPostgresStore({ url, connectTimeoutMillis: 2_000, ...options });
    urls.set(store, url);
    await store.init();
    return store;
  }

  runStoreConformance('postgres', {
    async create() {
      const { name, url } = await freshDatabase();
      const store = await open(url);
      return {
        store,
        cleanup: async () => {
          await store.close();
          await server.dropDatabase(name);
        },
      };
    },
    async reopen(store) {
      await store.close();
      return open(urls.get(store)!);
    },
  });

  describe('PostgreSQL-specific behaviour', () => {
    it('answers StoreUnavailableError while the server is down, naming it without the password, and works again after', async () => {
      const { url } = await freshDatabase();
      const store = await open(url);
      const log = new LogBuilder();
      await log.commit(store, { events: [log.event()] });
      await server.stop();
      try {
        const error = await rejection(store.commitBatch(log.batch({ events: [log.event()] })));
        expect(StoreUnavailableError.isInstance(error)).toBe(true);
        expect(error.message).toContain(`facto@127.0.0.1:${server.port}/`);
        expect(error.message).not.toContain(POSTGRES_PASSWORD);
        expect(StoreUnavailableError.isInstance(await rejection(store.treeSize()))).toBe(true);
      } finally {
        await server.start();
      }
      await log.commit(store, { events: [log.event()] });
      expect(await store.treeSize()).toBe(2);
      await store.close();
    });

    it('refuses wrong credentials and a missing database with messages that say what to fix and hold no password', async () => {
      const wrong = server.url('postgres').replace(POSTGRES_PASSWORD, 'wrong-password-123');
      const credentials = await rejection(createPostgresStore({ url: wrong }).init());
      expect(StoreUnavailableError.isInstance(credentials)).toBe(true);
      expect(credentials.message).toMatch(/refused the credentials \(28P01\)/);
      expect(credentials.message).not.toContain('wrong-password-123');
      const noDatabase = await rejection(createPostgresStore({ url: server.url('no_such_database') }).init());
      expect(noDatabase.message).toMatch(/database does not exist \(3D000\)/);
      expect(noDatabase.message).not.toContain(POSTGRES_PASSWORD);
    });

    it('refuses a schema written by a newer collector', async () => {
      const { name, url } = await freshDatabase();
      await (await open(url)).close();
      await server.query(`INSERT INTO schema_migrations (version, description, applied_at) VALUES (99, 'from the future', 0)`, name);
      const error = await rejection(createPostgresStore({ url }).init());
      expect(StoreUnavailableError.isInstance(error)).toBe(true);
      expect(error.message).toMatch(/schema version 99, but this collector knows versions up to 2/);
    });

    it('applies each migration once when several processes start on a new database at once', async () => {
      const { name, url } = await freshDatabase();
      const stores = await Promise.all([open(url), open(url), open(url)]);
      const applied = await server.query('SELECT version FROM schema_migrations ORDER BY version', name);
      expect(applied.rows).toEqual([{ version: 1 }, { version: 2 }]);
      await Promise.all(stores.map((store) => store.close()));
    });

    it('reads rows a version-1 collector wrote with U+0001 in them exactly as they were written, once migrated', async () => {
      const { url } = await freshDatabase();
      // What the collector before version 2 left: the first schema, and text written as it was (bigint read as a number, as the store's pool does).
      const bigintAsNumber = ((oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser;
      const plain = new pg.Pool({ connectionString: url, max: 1, types: { getTypeParser: bigintAsNumber } });
      const log = new LogBuilder();
      const agentId = 'agent\u0001a\u0001\u0002';
      const batch = log.batch({ events: [log.event({ agentId, chainId: 'chain\u0001', seq: 0, name: 'chat\u0001' })], incidents: [incident({ agentId, detail: 'fork\u0001' })], keys: [agentKey({ agentId })] });
      try {
        const client = await plain.connect();
        try {
          await migrate(client, 'test', migrations.slice(0, 1));
          await client.query('BEGIN');
          await writeBatch(client, batch);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      } finally {
        await plain.end();
      }
      const store = await open(url);
      const [event] = batch.events;
      expect(await store.getEvent(event!.factoId)).toEqual(event);
      expect(await store.listChain(agentId, 'chain\u0001')).toEqual([event]);
      expect(await store.listKeys(agentId)).toEqual(batch.keys);
      expect((await store.listIncidents({ agentId, limit: 10 })).map((found) => found.detail)).toEqual(['fork\u0001']);
      await store.close();
    });

    it('refuses a hash that is not lowercase hex instead of storing something else', async () => {
      const store = await open((await freshDatabase()).url);
      const log = new LogBuilder();
      const batch = log.batch({ events: [log.event()] });
      const event = batch.events[0]!;
      const error = await rejection(store.commitBatch({ ...batch, events: [{ ...event, hash: event.hash.toUpperCase() }] }));
      expect((error as { code?: string }).code).toBe('invalid_argument');
      expect(await store.treeSize()).toBe(0);
      await store.close();
    });

    it('lets one sequencer section at a time in across processes; the next one sees the head the first committed', async () => {
      const { name, url } = await freshDatabase();
      const [first, second] = [await open(url), await open(url)];
      const log = new LogBuilder();
      let releaseFirst!: () => void;
      const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
      const order: string[] = [];
      let firstEntered!: () => void;
      const entered = new Promise<void>((resolve) => (firstEntered = resolve));
      const firstSection = first.withSequencerLock(async (section) => {
        order.push(`first saw ${section.treeSize}`);
        firstEntered();
        await firstMayCommit;
        const batch = log.batch({ events: [log.event(), log.event()] });
        await section.commitBatch(batch);
        log.accept(batch);
      });
      await entered;
      const secondSection = second.withSequencerLock(async (section) => {
        order.push(`second saw ${section.treeSize}`);
      });
      // Wait until the second process is really queued on the lock (an event, not a delay).
      for (;;) {
        const waiting = await server.query(`SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`, name);
        if (waiting.rows[0].waiting === 1) break;
      }
      releaseFirst();
      await Promise.all([firstSection, secondSection]);
      expect(order).toEqual(['first saw 0', 'second saw 2']);
      await Promise.all([first.close(), second.close()]);
    });

    it('writes nothing when the connection holding the lock dies before the section ends', async () => {
      const { name, url } = await freshDatabase();
      const store = await open(url);
      const log = new LogBuilder();
      const error = await rejection(
        store.withSequencerLock(async (section) => {
          await section.commitBatch(log.batch({ events: [log.event()] }));
          await server.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted`, name);
        }),
      );
      expect(StoreUnavailableError.isInstance(error)).toBe(true);
      expect(await store.treeSize()).toBe(0);
      await store.close();
    });
  });
});
