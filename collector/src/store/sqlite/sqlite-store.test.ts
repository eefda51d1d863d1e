import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { constants, deflateRawSync } from 'node:zlib';
import { FactoError } from '@facto/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogBuilder, runStoreConformance } from '../conformance.js';
import { StoreConflictError, StoreUnavailableError } from '../errors.js';
import type { Store } from '../types.js';
import { BODY_DICTIONARY_V1, BODY_FORMAT_V1, encodeEventBody } from './event-body.js';
import { createEventReader } from './event-queries.js';
import { openDatabase } from './open-database.js';
import { createSqliteStore, createSqliteStoreWith } from './sqlite-store.js';

// Pass-through spy: the pragma test inspects the very connection the store opened.
vi.mock('./open-database.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./open-database.js')>();
  return { ...original, openDatabase: vi.fn(original.openDatabase) };
});

const folders: string[] = [];
const stores: Store[] = [];

function temporaryPath(): string {
  const folder = mkdtempSync(join(tmpdir(), 'facto-sqlite-'));
  folders.push(folder);
  return join(folder, 'data', 'facto.db');
}

async function openStore(path: string): Promise<Store> {
  const store = createSqliteStore({ path });
  stores.push(store);
  await store.init();
  return store;
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const pathOf = new WeakMap<Store, string>();

runStoreConformance('sqlite', {
  async create() {
    const path = temporaryPath();
    const store = await openStore(path);
    pathOf.set(store, path);
    return { store, cleanup: async () => store.close() };
  },
  async reopen(store) {
    await store.close();
    return openStore(pathOf.get(store)!);
  },
});

/** An initialised store on a fresh file, and the connection it opened (for pragmas and raw reads). */
async function storeWithConnection(): Promise<{ path: string; store: Store; connection: () => Database.Database }> {
  const path = temporaryPath();
  let opened: Database.Database | undefined;
  const store = createSqliteStoreWith(path, () => (opened = openDatabase({ path, synchronous: 'FULL' })));
  stores.push(store);
  await store.init();
  return { path, store, connection: () => opened! };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.fail('expected the call to be refused'), (error: unknown) => error);
}

describe('SQLite store', () => {
  it('opens its connection in WAL mode with synchronous=FULL, foreign keys and a busy timeout, and creates the folder', async () => {
    const path = temporaryPath();
    await openStore(path);
    const connection = vi.mocked(openDatabase).mock.results.at(-1)?.value as Database.Database;
    expect(connection.name).toBe(path);
    expect(connection.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(connection.pragma('synchronous', { simple: true })).toBe(2);
    expect(connection.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(connection.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('keeps the folder it makes and every file of the store to its user (0700, 0600), whatever the umask', async () => {
    const path = temporaryPath();
    const umask = process.umask(0o022);
    try {
      const store = await openStore(path);
      const log = new LogBuilder();
      await log.commit(store, { events: [log.event()] });
    } finally {
      process.umask(umask);
    }
    const modeOf = (file: string) => statSync(file).mode & 0o777;
    expect(modeOf(dirname(path))).toBe(0o700);
    for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-lock`]) expect([file, modeOf(file)]).toEqual([file, 0o600]);
    // Through a symbolic link to a file not made yet, the file made is the link's target: 0600 too.
    const target = join(dirname(path), 'real.db');
    const link = join(dirname(path), 'link.db');
    symlinkSync(target, link);
    const restore = process.umask(0o022);
    try {
      await openStore(link);
    } finally {
      process.umask(restore);
    }
    expect(modeOf(target)).toBe(0o600);
  });

  it('reads a chain\'s links page by page in (seq, leaf index) order, a fork\'s two records included', async () => {
    const path = temporaryPath();
    const store = await openStore(path);
    const log = new LogBuilder();
    await log.commit(store, { events: [0, 1, 2, 3].map((seq) => log.event({ seq })) });
    await log.commit(store, { events: [log.event({ seq: 1, linkStatus: 'bad_link' }), log.event({ seq: 4 })] });
    const whole = await store.listChainLinks('agent-a', 'chain-1');
    expect(whole.map((link) => link.seq)).toEqual([0, 1, 1, 2, 3, 4]);
    const reader = createEventReader(new Database(path, { readonly: true }));
    const paged: unknown[] = [];
    let after = { seq: -1, leafIndex: -1 };
    for (let page = reader.listChainLinks('agent-a', 'chain-1', after, 1e9, 2); page.links.length > 0; page = reader.listChainLinks('agent-a', 'chain-1', after, 1e9, 2)) {
      paged.push(...page.links);
      after = page.last!;
    }
    expect(paged).toEqual(whole);
    // Below a cut of the log: only the leaves appended before it (the first batch's four).
    expect(reader.listChainLinks('agent-a', 'chain-1', { seq: -1, leafIndex: -1 }, 4, 100).links.map((link) => link.seq)).toEqual([0, 1, 2, 3]);
  });

  it("accepts synchronous 'NORMAL' and refuses anything else", async () => {
    const path = temporaryPath();
    const store = createSqliteStore({ path, synchronous: 'NORMAL' });
    stores.push(store);
    await store.init();
    const connection = vi.mocked(openDatabase).mock.results.at(-1)?.value as Database.Database;
    expect(connection.pragma('synchronous', { simple: true })).toBe(1);
    expect(() => createSqliteStore({ path, synchronous: 'OFF' as 'FULL' })).toThrow(/FULL' or 'NORMAL/);
  });

  it('answers StoreUnavailableError (with the SQLITE_FULL cause) on a full disk, keeps nothing partial and works once space returns', async () => {
    const { store, connection } = await storeWithConnection();
    const log = new LogBuilder();
    await log.commit(store, { events: [log.event()] });
    // max_page_count caps the file just above its current size, as a full disk would; random padding, since bodies are compressed.
    const pages = connection().pragma('page_count', { simple: true }) as number;
    connection().pragma(`max_page_count = ${pages + 2}`);
    const large = log.batch({ events: Array.from({ length: 20 }, () => log.event({ recordJson: JSON.stringify({ padding: randomBytes(15_000).toString('base64') }) })), incidents: [{ kind: 'fork', agentId: null, chainId: null, seq: null, factoId: null, detail: 'd', evidenceJson: '{}', createdAt: 1, fingerprint: 'f' }] });
    const error = await rejection(store.commitBatch(large));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String(((error as Error).cause as { code?: string }).code)).toMatch(/^SQLITE_FULL/);
    expect(await store.treeSize()).toBe(1);
    expect(await store.getEvent(large.events[0]!.factoId)).toBeNull();
    expect(await store.listIncidents({ limit: 10 })).toEqual([]);
    connection().pragma('max_page_count = 1073741823');
    await store.commitBatch(large);
    expect(await store.treeSize()).toBe(21);
  });

  it("stores a batch event's prepared body as given, and encodes the body itself when there is none", async () => {
    const { store, connection } = await storeWithConnection();
    const log = new LogBuilder();
    const [prepared, plain] = [log.event(), log.event()];
    // A body in the documented layout (event-body.ts) compressed otherwise than the store does it
    // (Huffman codes only, no matches), so its bytes differ from what the store would make: the stored bytes tell which was written.
    const fields = [prepared.traceId, prepared.spanId, prepared.name, prepared.startTimeUnixNano, prepared.endTimeUnixNano, prepared.recordJson, prepared.disclosuresJson, prepared.salt];
    const parts = fields.map((field) => (field === null ? Buffer.alloc(0) : Buffer.from(field, 'utf8')));
    const lengths = Buffer.alloc(32);
    parts.forEach((part, index) => lengths.writeUInt32LE(fields[index] === null ? 0xffffffff : part.length, index * 4));
    const ownLevel = encodeEventBody(prepared);
    const preparedBody = Buffer.concat([Buffer.from([BODY_FORMAT_V1]), deflateRawSync(Buffer.concat([lengths, ...parts]), { strategy: constants.Z_HUFFMAN_ONLY, dictionary: BODY_DICTIONARY_V1 })]);
    expect(preparedBody.equals(ownLevel)).toBe(false);

    await log.commit(store, { events: [{ ...prepared, preparedBody: new Uint8Array(preparedBody) }, plain] });
    const bodyOf = (factoId: string) => connection().prepare('SELECT body FROM events WHERE facto_id = ?').pluck().get(factoId) as Buffer;
    expect(bodyOf(prepared.factoId).equals(preparedBody)).toBe(true);
    expect(bodyOf(plain.factoId).equals(encodeEventBody(plain))).toBe(true);
    // Read back through the store, the prepared event is the event it described.
    expect(await store.getEvent(prepared.factoId)).toMatchObject(prepared);
  });

  it('erases content from the file itself: the old body is not left in a free page', async () => {
    const { path, store, connection } = await storeWithConnection();
    const log = new LogBuilder();
    // Large enough to spill into overflow pages, which erasure frees: they must not keep it.
    const secret = randomBytes(9_000).toString('base64');
    const [event] = (await log.commit(store, { events: [log.event({ disclosuresJson: JSON.stringify([{ key: 'gen_ai.input.messages', value: { s: secret }, salt: 'ab' }]) })] })).events;
    const stored = connection().prepare('SELECT body FROM events WHERE facto_id = ?').pluck().get(event!.factoId) as Buffer;
    // The body spans pages (with page headers between), so look for pieces of it.
    const pieces = Array.from({ length: 20 }, (_, index) => stored.subarray(Math.floor((index * (stored.length - 64)) / 20), Math.floor((index * (stored.length - 64)) / 20) + 64));
    // In the database file and its write-ahead log alike.
    const found = () => {
      const files = [readFileSync(path), existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`) : Buffer.alloc(0)];
      return pieces.filter((piece) => files.some((file) => file.includes(piece))).length;
    };
    expect(found()).toBeGreaterThanOrEqual(15);

    // No checkpoint by hand: the erasure's commit leaves nothing of the content in the log either.
    await log.commit(store, { logEntries: [log.logEntry()], erasures: [{ factoId: event!.factoId, entry: 0 }] });
    const erased = await store.getEvent(event!.factoId);
    expect({ disclosuresJson: erased!.disclosuresJson, salt: erased!.salt, erasedBy: erased!.erasedBy }).toEqual({ disclosuresJson: '[]', salt: null, erasedBy: 1 });
    expect(erased!.recordJson).toBe(event!.recordJson);
    expect(found()).toBe(0);
  });

  it("leaves nothing of a queued request's erased body in the file or its write-ahead log", async () => {
    const { path, store } = await storeWithConnection();
    const log = new LogBuilder();
    const secret = randomBytes(9_000).toString('base64');
    await log.commit(store, { events: [log.event()], forwards: [{ encoding: 'json', body: new Uint8Array(Buffer.from(`{"secret":"${secret}"}`)), keepJson: null, queuedAt: 1, factoIds: ['ft-00000000-0000-4000-8000-000000000001'] }] });
    const pieces = Array.from({ length: 20 }, (_, index) => Buffer.from(secret.slice(index * 400, index * 400 + 64)));
    const found = () => {
      const files = [readFileSync(path), existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`) : Buffer.alloc(0)];
      return pieces.filter((piece) => files.some((file) => file.includes(piece))).length;
    };
    expect(found()).toBeGreaterThanOrEqual(15);
    const [queued] = await store.listForwards(0, 10);
    await log.commit(store, { forwardEdits: [{ id: queued!.id, replacement: { body: new Uint8Array(Buffer.from('{}')), keepJson: null, factoIds: [] } }] });
    expect(found()).toBe(0);
  });

  it('checkpoints the write-ahead log once a reader holding an old snapshot lets go, rather than waiting on it', async () => {
    const { path, store } = await storeWithConnection();
    const log = new LogBuilder();
    const secret = randomBytes(9_000).toString('base64');
    const [event] = (await log.commit(store, { events: [log.event({ disclosuresJson: JSON.stringify([{ key: 'gen_ai.input.messages', value: { s: secret }, salt: 'ab' }]) })] })).events;
    const stored = readFileSync(`${path}-wal`);
    expect(stored.length).toBeGreaterThan(0);
    const body = (await store.getEvent(event!.factoId))!;
    expect(body.disclosuresJson).toContain(secret.slice(0, 64));
    // A reader (a backup, another process) holds a snapshot: the checkpoint cannot finish now.
    const reader = new Database(path, { readonly: true });
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM events').get();
    const walBefore = readFileSync(`${path}-wal`).length;
    await log.commit(store, { logEntries: [log.logEntry()], erasures: [{ factoId: event!.factoId, entry: 0 }] });
    expect(readFileSync(`${path}-wal`).length).toBeGreaterThanOrEqual(walBefore);
    reader.prepare('COMMIT').run();
    reader.close();
    // Retried each second: the log is truncated once the reader let go.
    await vi.waitFor(() => expect(readFileSync(`${path}-wal`).length).toBe(0), { timeout: 5_000 });
  });

  it('answers StoreUnavailableError when another connection holds the write lock past the busy timeout', async () => {
    const path = temporaryPath();
    const store = createSqliteStoreWith(path, () => {
      const connection = openDatabase({ path, synchronous: 'FULL' });
      connection.pragma('busy_timeout = 50');
      return connection;
    });
    stores.push(store);
    await store.init();
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      const log = new LogBuilder();
      const error = await rejection(log.commit(store, { events: [log.event()] }));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/SQLITE_BUSY/);
      other.exec('ROLLBACK');
      await log.commit(store, { events: [log.event()] });
      expect(await store.treeSize()).toBe(1);
    } finally {
      other.close();
    }
  });

  it('answers StoreUnavailableError before init(), after close(), and when the folder cannot be created', async () => {
    const path = temporaryPath();
    const store = createSqliteStore({ path });
    expect(await rejection(store.treeSize())).toBeInstanceOf(StoreUnavailableError);
    await store.init();
    await store.init();
    await store.close();
    await store.close();
    expect(await rejection(store.treeSize())).toBeInstanceOf(StoreUnavailableError);
    const blocker = join(folders.at(-1)!, 'a-file');
    writeFileSync(blocker, 'not a folder');
    expect(await rejection(createSqliteStore({ path: join(blocker, 'facto.db') }).init())).toBeInstanceOf(StoreUnavailableError);
  });
});
