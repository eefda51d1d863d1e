/**
 * The PostgreSQL driver against a real server of its own (test-helpers/postgres-server.ts): the
 * shared conformance suite, one fresh database per test, then what only this driver has: clear
 * errors for a server that is down, refused credentials and a newer schema (none with the password
 * in it), migrations raced by several processes, and the cross-process sequencer lock.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoreConformance } from '../conformance.js';
import { agentKey, forwardRequest, incident, LogBuilder, unverifiedSpan } from '../conformance-fixtures.js';
import { StoreUnavailableError } from '../errors.js';
import type { AgentKey, ForwardBacklog, IncidentKind, LinkStatus, LogEntry, Store } from '../types.js';
import { POSTGRES_PASSWORD, postgresBinaries, startPostgresServer, type PostgresServer } from '../../test-helpers/postgres-server.js';
import { writeBatch } from './commit-batch.js';
import { migrate, migrations, TEXT_COLUMNS } from './migrations.js';
import { escapeText } from './text-escape.js';
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

    it('names the server and sslmode when --db asks for TLS the server does not offer', async () => {
      // The test server runs without ssl, as initdb leaves it.
      const error = await rejection(createPostgresStore({ url: `${server.url('postgres')}?sslmode=require` }).init());
      expect(StoreUnavailableError.isInstance(error)).toBe(true);
      expect(error.message).toMatch(/^PostgreSQL at \S+@127\.0\.0\.1:\d+\/postgres does not accept TLS, which --db asks for \(sslmode\)/);
      expect(error.message).not.toContain(POSTGRES_PASSWORD);
    });

    it('refuses a schema written by a newer collector', async () => {
      const { name, url } = await freshDatabase();
      await (await open(url)).close();
      await server.query(`INSERT INTO schema_migrations (version, description, applied_at) VALUES (99, 'from the future', 0)`, name);
      const error = await rejection(createPostgresStore({ url }).init());
      expect(StoreUnavailableError.isInstance(error)).toBe(true);
      expect(error.message).toMatch(new RegExp(`schema version 99, but this collector knows versions up to ${migrations.length}`));
    });

    it('stops writing, and says why, once a newer collector migrates the schema while this one runs', async () => {
      const { name, url } = await freshDatabase();
      const store = await open(url);
      const log = new LogBuilder();
      await log.commit(store, { events: [log.event()] });
      await store.putKey(agentKey());
      await server.query(`INSERT INTO schema_migrations (version, description, applied_at) VALUES (99, 'from the future', 0)`, name);
      for (const write of [
        () => store.commitBatch(log.batch({ events: [log.event()] })),
        () => store.withSequencerLock((section) => section.commitBatch(log.batch({ events: [log.event()] }))),
        () => store.putKey(agentKey({ keyId: 'second' })),
        () => store.revokeKey('agent-a', 'agent-a-key-1', 5),
      ]) {
        const error = await rejection(write());
        expect(StoreUnavailableError.isInstance(error)).toBe(true);
        expect(error.message).toMatch(new RegExp(`schema is at version 99, migrated by a newer Facto collector .* knows versions up to ${migrations.length}`));
      }
      expect(await store.treeSize()).toBe(1);
      expect(await store.listKeys()).toEqual([agentKey()]);
      await store.close();
    });

    it('applies each migration once when several processes start on a new database at once', async () => {
      const { name, url } = await freshDatabase();
      const stores = await Promise.all([open(url), open(url), open(url)]);
      const applied = await server.query('SELECT version FROM schema_migrations ORDER BY version', name);
      expect(applied.rows).toEqual(migrations.map(({ version }) => ({ version })));
      await Promise.all(stores.map((store) => store.close()));
    });

    it('rewrites the U+0001 a version-1 collector stored in every text column, so each value reads back as it was written', async () => {
      const { name, url } = await freshDatabase();
      // U+0001 U+0002 would read back as U+0001 if the migration missed it.
      const odd = (text: string) => `${text}\u0001\u0002`;
      const log = new LogBuilder();
      const event = log.event({
        seq: 0, factoId: odd('evt'), agentId: odd('agent'), chainId: odd('chain'), keyId: odd('key'), traceId: odd('trace'), spanId: odd('span'), name: odd('chat'),
        actionType: odd('act'), startTimeUnixNano: odd('1'), endTimeUnixNano: odd('2'), salt: odd('salt'), linkStatus: odd('genesis') as LinkStatus,
      });
      const batch = log.batch({
        events: [event],
        logEntries: [log.logEntry({ kind: odd('erasure') as LogEntry['kind'] })],
        incidents: [incident({ kind: odd('fork') as IncidentKind, agentId: odd('agent'), chainId: odd('chain'), factoId: odd('evt'), detail: odd('detail'), fingerprint: odd('print') })],
        keys: [
          // Rewriting the first gives the second's ids while the second is not yet rewritten.
          agentKey({ agentId: 'agent\u0001', keyId: 'k', publicKey: odd('public'), source: odd('tofu') as AgentKey['source'] }),
          agentKey({ agentId: 'agent\u0001\u0002', keyId: 'k' }),
          agentKey({ agentId: 'other', keyId: odd('k') }),
        ],
        unverified: [{ ...unverifiedSpan(), traceId: odd('trace'), spanId: odd('span'), name: odd('unsigned') }],
      });
      // What the collector before version 2 left: the first schema, and text written as it was (bigint read as a number, as the store's pool does).
      const bigintAsNumber = ((oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser;
      const plain = new pg.Pool({ connectionString: url, max: 1, types: { getTypeParser: bigintAsNumber } });
      try {
        const client = await plain.connect();
        try {
          await migrate(client, 'test', migrations.slice(0, 1));
          await client.query('BEGIN');
          await writeBatch(client, batch);
          await client.query('INSERT INTO checkpoints (tree_size, root_hash, note, created_at) VALUES (2, $1, $2, 0)', [odd('root'), odd('note')]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      } finally {
        await plain.end();
      }
      // Every row of every table, as stored: each string escaped (the JSON columns hold no U+0001, so
      // theirs stay as they are), nothing else changed.
      const tableNames = (await server.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`, name)).rows.map((row: { table_name: string }) => row.table_name);
      const tables = async () => {
        const rows: Record<string, string[]> = {};
        for (const table of tableNames) rows[table] = (await server.query(`SELECT * FROM ${table}`, name)).rows.map((row) => JSON.stringify(row)).sort();
        return rows;
      };
      const before = await tables();
      for (const table of Object.keys(TEXT_COLUMNS)) expect(before[table]!.length, table).toBeGreaterThan(0);
      const store = await open(url);
      const expected = Object.fromEntries(Object.entries(before).map(([table, rows]) => [table, rows.map((text) => {
        const row = JSON.parse(text) as Record<string, unknown>;
        for (const [column, value] of Object.entries(row)) if (typeof value === 'string') row[column] = escapeText(value);
        return JSON.stringify(row);
      }).sort()]));
      expect(await tables()).toEqual(expected);
      expect(await store.getEvent(event.factoId)).toEqual(batch.events[0]);
      expect((await store.listKeys()).map((key) => [key.agentId, key.keyId]).sort()).toEqual(batch.keys.map((key) => [key.agentId, key.keyId]).sort());
      expect(await store.getCheckpoint(2)).toMatchObject({ rootHash: odd('root'), note: odd('note') });
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

    it("keeps the forward queue's size row equal to the table through every change, a delete and a truncate by hand included", async () => {
      const { name, url } = await freshDatabase();
      const store = await open(url);
      const log = new LogBuilder();
      const counted = async () => {
        const row = (await server.query('SELECT count(*)::int AS requests, coalesce(sum(octet_length(body)), 0)::int AS bytes FROM forward_queue', name)).rows[0] as ForwardBacklog;
        const backlog = await store.forwardBacklog();
        expect(backlog).toEqual(row);
        return backlog;
      };
      const forwards = [forwardRequest('one'), forwardRequest('two-two'), forwardRequest('three-3-3')];
      const [a, b, c] = forwards.map((forward) => forward.body.byteLength) as [number, number, number];
      await log.commit(store, { events: [log.event()], forwards });
      expect(await counted()).toEqual({ requests: 3, bytes: a + b + c });
      const [one, two] = await store.listForwards(0, 10);
      await log.commit(store, { events: [log.event()], forwardEdits: [{ id: one!.id, replacement: { body: new Uint8Array(40), keepJson: null, factoIds: [] } }, { id: two!.id, replacement: null }] });
      expect(await counted()).toEqual({ requests: 2, bytes: 40 + c });
      expect(await store.deleteForwards([one!.id])).toEqual({ requests: 1, bytes: 40 });
      expect(await counted()).toEqual({ requests: 1, bytes: c });
      await server.query('DELETE FROM forward_queue', name);
      expect(await counted()).toEqual({ requests: 0, bytes: 0 });
      await log.commit(store, { events: [log.event()], forwards: [forwardRequest('four')] });
      await server.query('TRUNCATE forward_queue', name);
      expect(await counted()).toEqual({ requests: 0, bytes: 0 });
      await store.close();
    });

    it("counts a forward queue left by a schema-4 collector when it adds the size row", async () => {
      const { name, url } = await freshDatabase();
      const plain = new pg.Pool({ connectionString: url, max: 1 });
      try {
        const client = await plain.connect();
        try {
          await migrate(client, 'test', migrations.slice(0, 4));
        } finally {
          client.release();
        }
      } finally {
        await plain.end();
      }
      await server.query("INSERT INTO forward_queue (encoding, body, keep_json, queued_at, facto_ids) VALUES ('json', '\\x0102', NULL, 0, '[]'), ('json', '\\x030405', NULL, 0, '[]')", name);
      const store = await open(url);
      expect(await store.forwardBacklog()).toEqual({ requests: 2, bytes: 5 });
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
