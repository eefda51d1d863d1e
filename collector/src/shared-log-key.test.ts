/**
 * One log, one key, on a PostgreSQL database that several collectors share (a real server this file
 * starts, real collectors): a process started with a key of its own must never sign for a log that
 * another key signs, however its start interleaves with the other's claim and commits, and a process
 * that finds out only while running signs nothing more and stops.
 *
 * The straddle needs one ordering the scheduler would rarely give: B reads the database (nothing
 * signed yet) and only then reaches its claim, by which time A has claimed the log and committed a
 * span. The store factory is wrapped so that B's first pass through the sequencer lock (its claim)
 * waits for the test; everything else is the real store and the real server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateKeyPair, openCheckpoint, parseVerifierKey, signCheckpoint } from '@facto/core';
import { startCollector, type RunningCollector } from './collector.js';
import { DEFAULT_CONFIG, type CollectorConfig } from './config.js';
import { silentLogger, type Logger } from './ops/logger.js';
import { createMetrics } from './ops/metrics.js';
import { ingestSpans, TestAgent } from './test-helpers/api-fixture.js';
import { postgresBinaries, startPostgresServer, type PostgresServer } from './test-helpers/postgres-server.js';

/** Set by a test: the next store created holds its first sequencer section until `opened` resolves. */
const hold = vi.hoisted(() => ({ next: undefined as { reached: () => void; opened: Promise<void> } | undefined }));

vi.mock('./store/postgres/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./store/postgres/index.js')>();
  return {
    ...actual,
    createPostgresStore: (options: Parameters<typeof actual.createPostgresStore>[0]) => {
      const store = actual.createPostgresStore(options);
      const held = hold.next;
      hold.next = undefined;
      if (held !== undefined) {
        const withSequencerLock = store.withSequencerLock.bind(store);
        let first = true;
        store.withSequencerLock = async (work) => {
          if (first) {
            first = false;
            held.reached();
            await held.opened;
          }
          return withSequencerLock(work);
        };
      }
      return store;
    },
  };
});

const binaries = postgresBinaries();
const missing = 'missing' in binaries ? binaries.missing : undefined;

const quiet = (logger: Logger = silentLogger) => ({ logger, metrics: createMetrics({ defaultMetrics: false }) });

describe.skipIf(missing !== undefined)(`a shared log keeps one key (${missing ?? 'a real PostgreSQL server started for this file'})`, () => {
  let server: PostgresServer;
  let folder: string;
  let databases = 0;
  const running: RunningCollector[] = [];

  beforeAll(async () => {
    server = await startPostgresServer((binaries as { bin: string }).bin);
    folder = mkdtempSync(join(tmpdir(), 'facto-shared-key-'));
  });
  afterEach(async () => {
    for (const collector of running.splice(0)) await collector.close();
  });
  afterAll(async () => {
    await server?.destroy();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  /** A new database; `configFor(name)` gives a collector on it with the key file `name`.pem. */
  async function freshLog(): Promise<{ database: string; configFor(name: string): CollectorConfig }> {
    const database = `facto_key_${++databases}`;
    const db = await server.createDatabase(database);
    // No publisher tick during a test: every checkpoint is one the test asks for, or a claim.
    const configFor = (name: string): CollectorConfig => ({ ...DEFAULT_CONFIG, port: 0, db, logKey: join(folder, `${database}-${name}.pem`), checkpointInterval: 3600, verifyWorkers: 0 });
    return { database, configFor };
  }

  async function checkpointNotes(database: string): Promise<{ tree_size: number; note: string }[]> {
    return (await server.query('SELECT tree_size::int AS tree_size, note FROM checkpoints ORDER BY tree_size', database)).rows;
  }

  it('a process whose claim straddles another key\'s claim and a commit does not sign: it stops at start, and every checkpoint opens with the first key', async () => {
    const { database, configFor } = await freshLog();
    let reached!: () => void;
    let open!: () => void;
    const atClaim = new Promise<void>((resolve) => (reached = resolve));
    hold.next = { reached, opened: new Promise<void>((resolve) => (open = resolve)) };
    // B finds nothing signed and no entries, so its new key passes the start check; then it waits at its claim.
    const startingB = startCollector(configFor('b'), quiet());
    await atClaim;
    // Meanwhile A claims the log (a checkpoint at size 0) and commits a span: the log is A's, at size 1.
    const a = await startCollector(configFor('a'), quiet());
    running.push(a);
    const alice = new TestAgent('alice');
    await alice.register(a.context);
    const outcome = await ingestSpans(a.context, [alice.seal('c')]);
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ accepted: 1 });

    // B's claim now finds A's checkpoint at size 0 under a log of size 1.
    open();
    const failure = await startingB.then(
      async (b) => {
        running.push(b);
        return expect.fail('B started with a key that did not sign the log');
      },
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/^the log key \S+-b\.pem with origin facto\.local\/[0-9a-f]{8} did not sign this database's log \(its latest checkpoint, at tree size 0, is from origin "facto\.local\/[0-9a-f]{8}"\)/);

    // A signs on, and every checkpoint the database holds opens with A's key.
    expect((await a.context.log.checkpoint()).treeSize).toBe(1);
    const notes = await checkpointNotes(database);
    expect(notes.map((row) => row.tree_size)).toEqual([0, 1]);
    for (const { note } of notes) expect(() => openCheckpoint(note, [parseVerifierKey(a.context.log.key.verifierKey)])).not.toThrow();
  }, 60_000);

  it('a process that finds the latest checkpoint signed by another key signs nothing more, says why without the key, and stops', async () => {
    const { database, configFor } = await freshLog();
    const errors: { message: string; fields?: Record<string, unknown> }[] = [];
    const a = await startCollector(configFor('a'), quiet({ ...silentLogger, error: (message, fields) => void errors.push({ message, fields }) }));
    running.push(a);
    const alice = new TestAgent('alice');
    await alice.register(a.context);
    expect(await ingestSpans(a.context, [alice.seal('c'), alice.seal('c')])).toMatchObject({ accepted: 2 });
    // Another key signs the log at size 2 (a process of an older version, or one whose lock was lost).
    const rival = generateKeyPair();
    const rivalNote = signCheckpoint({ origin: 'facto.example/rival', treeSize: 2, rootHash: a.context.log.root() }, { name: 'facto.example/rival', privateKey: rival.privateKey });
    await a.context.store.putCheckpoint({ treeSize: 2, rootHash: Buffer.from(a.context.log.root()).toString('hex'), note: rivalNote, createdAt: Date.now() }, await a.context.store.latestCheckpoint());
    expect(await ingestSpans(a.context, [alice.seal('c')])).toMatchObject({ accepted: 1 });

    const refusal = await a.context.log.checkpoint().then(
      () => expect.fail('signed over a checkpoint of another key'),
      (error: Error) => error,
    );
    expect(refusal.message).toMatch(/did not sign this database's log \(its latest checkpoint, at tree size 2, is from origin "facto\.example\/rival"\)/);
    // It stops by itself: halted says why, the port is closed, and nothing more was signed.
    expect(await a.halted).toBe(refusal);
    await a.close();
    await expect(fetch(`${a.url}/healthz`)).rejects.toThrow();
    expect((await checkpointNotes(database)).map((row) => [row.tree_size, row.note === rivalNote])).toEqual([[0, false], [2, true]]);
    expect(() => a.context.log.signNote('a chain statement\n')).toThrow(refusal.message);
    expect(errors).toEqual([{ message: expect.stringMatching(/^stopping: this process's log key did not sign the log's latest checkpoint/), fields: { error: refusal.message } }]);
    const logged = JSON.stringify(errors);
    expect(logged).not.toContain(Buffer.from(a.context.log.key.privateKey).toString('hex'));
    expect(logged).not.toContain(a.context.log.key.verifierKey);
  }, 60_000);
});
