/**
 * The embedded store: one SQLite file in WAL mode, opened by init() and closed by close(). The
 * contract's methods are async, but better-sqlite3 is synchronous and fast; each call runs to the end
 * inside its promise, which also means a commit is never interleaved with a read on this connection.
 * Every failure leaves through toStoreError, so the HTTP layer sees StoreUnavailableError (503),
 * StoreConflictError or an invalid_argument FactoError rather than SQLite's own codes. A file is owned
 * by one open store, in one process (owner-lock.ts): a second init() on it, here or in another
 * process, is refused with a StoreUnavailableError naming the holder's pid.
 */
import { FactoError, type NodeId } from '@facto/core';
import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../errors.js';
import type { AgentKey, Batch, ChainLink, ChainRangeQuery, Checkpoint, EventQuery, Store } from '../types.js';
import { type BatchCommitter, createBatchCommitter } from './commit-batch.js';
import { createEventReader, type EventReader } from './event-queries.js';
import { createForwardQueue, type ForwardQueue } from './forward-queue.js';
import { checkLogHead, createLogReader, type LogReader } from './log-queries.js';
import { migrate } from './migrations.js';
import { openDatabase, type SynchronousMode } from './open-database.js';
import { acquireOwnerLock, type OwnerLock } from './owner-lock.js';
import { createRegistryReader, type IncidentQuery, type RegistryReader } from './registry-queries.js';
import { toStoreError } from './sqlite-errors.js';

export interface SqliteStoreOptions {
  /** The database file; its folder is created if missing. */
  readonly path: string;
  /** 'FULL' (default) fsyncs every commit, so an acknowledged span survives power loss; 'NORMAL' only survives a process crash. */
  readonly synchronous?: SynchronousMode;
}

interface OpenStore {
  readonly database: Database.Database;
  /** Null for an in-memory database, which no other process can reach. */
  readonly ownerLock: OwnerLock | null;
  readonly commit: BatchCommitter;
  readonly log: LogReader;
  readonly events: EventReader;
  readonly registry: RegistryReader;
  readonly forwards: ForwardQueue;
}

const IN_MEMORY = ':memory:';
/** Chain links read per statement (listChainLinks): at most 45 to 80 ms of the event loop each (measured on 100,000 links). */
const CHAIN_LINKS_PAGE = 5_000;

class SqliteStore implements Store {
  #open: OpenStore | null = null;

  constructor(
    private readonly path: string,
    private readonly openConnection: () => Database.Database,
  ) {}

  async init(): Promise<void> {
    if (this.#open !== null) return;
    let database: Database.Database | undefined;
    let ownerLock: OwnerLock | null = null;
    try {
      // Before the file is opened: a process refused here has not migrated or even read it.
      ownerLock = this.path === IN_MEMORY ? null : acquireOwnerLock(this.path);
      database = this.openConnection();
      migrate(database, this.path);
      checkLogHead(database, this.path);
      this.#open = {
        database,
        ownerLock,
        commit: createBatchCommitter(database),
        log: createLogReader(database),
        events: createEventReader(database),
        registry: createRegistryReader(database),
        forwards: createForwardQueue(database),
      };
    } catch (error) {
      database?.close();
      ownerLock?.release();
      throw toStoreError(error, 'opening the database', this.path);
    }
  }

  async close(): Promise<void> {
    const open = this.#open;
    this.#open = null;
    try {
      open?.database.close();
    } finally {
      open?.ownerLock?.release();
    }
  }

  #use<T>(operation: string, work: (open: OpenStore) => T): T {
    if (this.#open === null) throw new StoreUnavailableError(`SQLite store at ${this.path} is not open: call init() first (or it was closed)`);
    try {
      return work(this.#open);
    } catch (error) {
      throw toStoreError(error, operation, this.path);
    }
  }

  async treeSize() {
    return this.#use('reading the tree size', (open) => open.log.treeSize());
  }
  async getNodes(ids: readonly NodeId[]) {
    return this.#use('reading Merkle nodes', (open) => open.log.getNodes(ids));
  }
  async commitBatch(batch: Batch) {
    this.#use('committing a batch', (open) => open.commit(batch));
  }
  async getEvent(factoId: string) {
    return this.#use('reading an event', (open) => open.events.getEvent(factoId));
  }
  async getEventsByHash(hashes: readonly string[]) {
    return this.#use('reading events by hash', (open) => open.events.getEventsByHash(hashes));
  }
  async getEventsByFactoId(factoIds: readonly string[]) {
    return this.#use('reading events by facto_id', (open) => open.events.getEventsByFactoId(factoIds));
  }
  async getChainEvents(agentId: string, chainId: string, seqs: readonly number[]) {
    return this.#use('reading chain events', (open) => open.events.getChainEvents(agentId, chainId, seqs));
  }
  async listChainRange(query: ChainRangeQuery) {
    return this.#use('reading a chain range', (open) => open.events.listChainRange(query));
  }
  async listChain(agentId: string, chainId: string) {
    return this.#use('reading a chain', (open) => open.events.listChain(agentId, chainId));
  }
  async listChainLinks(agentId: string, chainId: string) {
    // In pages, with the event loop free between them: a statement reads synchronously, and a chain
    // of a million links read at once held every request (health checks and ingest included) for seconds.
    // One cut of the log for every page: events appended meanwhile (leaf indexes only grow) are left
    // out, so the chain read is one the log held, not pages of different moments.
    const links: ChainLink[] = [];
    const belowLeaf = this.#use('reading a chain', (open) => open.log.treeSize());
    let after = { seq: -1, leafIndex: -1 };
    for (;;) {
      const page = this.#use('reading a chain', (open) => open.events.listChainLinks(agentId, chainId, after, belowLeaf, CHAIN_LINKS_PAGE));
      for (const link of page.links) links.push(link);
      if (page.last === undefined || page.links.length < CHAIN_LINKS_PAGE) return links;
      after = page.last;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  async listChains(agentId?: string) {
    return this.#use('listing chains', (open) => open.events.listChains(agentId));
  }
  async listPendingEvents(receivedBefore: number, limit: number) {
    return this.#use('listing pending events', (open) => open.events.listPendingEvents(receivedBefore, limit));
  }
  async queryEvents(query: EventQuery) {
    return this.#use('querying events', (open) => open.events.queryEvents(query));
  }
  async getLogEntry(leafIndex: number) {
    return this.#use('reading a log entry', (open) => open.log.getLogEntry(leafIndex));
  }
  async listKeys(agentId?: string) {
    return this.#use('listing keys', (open) => open.registry.listKeys(agentId));
  }
  async putKey(key: AgentKey) {
    this.#use('storing a key', (open) => open.registry.putKey(key));
  }
  async revokeKey(agentId: string, keyId: string, revokedAt: number) {
    return this.#use('revoking a key', (open) => open.registry.revokeKey(agentId, keyId, revokedAt));
  }
  async listIncidents(query: IncidentQuery) {
    return this.#use('listing incidents', (open) => open.registry.listIncidents(query));
  }
  async countIncidents() {
    return this.#use('counting incidents', (open) => open.registry.countIncidents());
  }
  async listForwards(afterId: number, limit: number) {
    return this.#use('reading the forward queue', (open) => open.forwards.list(afterId, limit));
  }
  async listForwardIds(afterId: number, limit: number) {
    return this.#use('reading the forward queue', (open) => open.forwards.listIds(afterId, limit));
  }
  async getForward(id: number) {
    return this.#use('reading the forward queue', (open) => open.forwards.get(id));
  }
  async deleteForwards(ids: readonly number[]) {
    return this.#use('deleting from the forward queue', (open) => open.forwards.delete(ids));
  }
  async listForwardsHolding(factoIds: readonly string[]) {
    return this.#use('reading the forward queue', (open) => open.forwards.holding(factoIds));
  }
  async forwardBacklog() {
    return this.#use('measuring the forward queue', (open) => open.forwards.backlog());
  }
  async countUnverified() {
    return this.#use('counting unverified spans', (open) => open.registry.countUnverified());
  }
  async putCheckpoint(checkpoint: Checkpoint, expectedLatest: Checkpoint | null) {
    this.#use('storing a checkpoint', (open) => open.log.putCheckpoint(checkpoint, expectedLatest));
  }
  async getCheckpoint(treeSize: number) {
    return this.#use('reading a checkpoint', (open) => open.log.getCheckpoint(treeSize));
  }
  async latestCheckpoint() {
    return this.#use('reading the latest checkpoint', (open) => open.log.latestCheckpoint());
  }
}

/**
 * Builds the store over a connection opener. createSqliteStore is the public door; tests use this one
 * to tune the connection first (a low max_page_count stands in for a full disk).
 */
export function createSqliteStoreWith(path: string, openConnection: () => Database.Database): Store {
  return new SqliteStore(path, openConnection);
}

export function createSqliteStore(options: SqliteStoreOptions): Store {
  if (typeof options?.path !== 'string' || options.path === '') {
    throw new FactoError('invalid_argument', 'SQLite store needs a path (a file name, or ":memory:")');
  }
  const synchronous = options.synchronous ?? 'FULL';
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
    throw new FactoError('invalid_argument', `SQLite synchronous must be 'FULL' or 'NORMAL', got ${String(synchronous)}`);
  }
  return createSqliteStoreWith(options.path, () => openDatabase({ path: options.path, synchronous }));
}
