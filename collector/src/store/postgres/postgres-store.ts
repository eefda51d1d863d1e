/**
 * The shared store: PostgreSQL through a pool of connections, for several collector processes on
 * one database. It keeps the same Store contract as SQLite and adds the cross-process sequencing seam
 * (log/shared-sequencing.ts): `withSequencerLock` opens a transaction on one pooled connection, takes
 * the transaction-scoped advisory lock SEQUENCER_LOCK and reads the head; the batch written inside
 * commits with the transaction, which also releases the lock. If the process dies, or its connection
 * does, the server rolls the transaction back and frees the lock: nothing half-written, nothing
 * acknowledged. Every failure leaves through toStoreError with the server named without its password.
 */
import { FactoError, type NodeId } from '@facto/core';
import type pg from 'pg';
import type { Duties, Election, SequencerSection, SharedSequencing } from '../../log/shared-sequencing.js';
import type { Logger } from '../../ops/logger.js';
import { StoreUnavailableError } from '../errors.js';
import { checkBatchShape } from '../batch-shape.js';
import type { AgentKey, Batch, ChainRangeQuery, Checkpoint, EventQuery, IncidentKind, Store } from '../types.js';
import { writeBatch } from './commit-batch.js';
import { createPool, describeTarget } from './connection.js';
import { createEventReader } from './event-queries.js';
import { FORWARDER, LEADER, startLeaderElection } from './leader-election.js';
import { SEQUENCER_LOCK } from './lock-keys.js';
import { createForwardQueue, readForwardBacklog } from './forward-queue.js';
import { createLogReader, createRegistryReader, inTransaction } from './log-queries.js';
import { migrate } from './migrations.js';
import { toStoreError } from './postgres-errors.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (postgresql:// too; libpq-style query parameters such as sslmode pass through to pg). */
  readonly url: string;
  /** Pooled connections per process. Default 10; at least 2 (the sequencer transaction holds one while reads use others). */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing with a 503. Default 5 s. */
  readonly connectTimeoutMillis?: number;
  /** How long the sequencer waits for the lock (other processes' batches) before a 503. Default 10 s. */
  readonly lockTimeoutMillis?: number;
  /** How often a process that does not lead tries to, and the leader checks its connection. Default 1 s. */
  readonly leaderIntervalMillis?: number;
}

interface Open {
  readonly pool: pg.Pool;
  readonly log: ReturnType<typeof createLogReader>;
  readonly events: ReturnType<typeof createEventReader>;
  readonly registry: ReturnType<typeof createRegistryReader>;
  readonly forwards: ReturnType<typeof createForwardQueue>;
}

class PostgresStore implements Store, SharedSequencing {
  #open: Open | null = null;
  readonly #target: string;

  constructor(private readonly options: Required<PostgresStoreOptions>) {
    this.#target = describeTarget(options.url);
  }

  async init(): Promise<void> {
    if (this.#open !== null) return;
    const pool = createPool({ url: this.options.url, maxConnections: this.options.maxConnections, connectTimeoutMillis: this.options.connectTimeoutMillis });
    try {
      const client = await pool.connect();
      try {
        await migrate(client, this.#target);
      } finally {
        client.release();
      }
      this.#open = { pool, log: createLogReader(pool), events: createEventReader(pool), registry: createRegistryReader(pool), forwards: createForwardQueue(pool) };
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw toStoreError(error, 'opening the database', this.#target);
    }
  }

  async close(): Promise<void> {
    const open = this.#open;
    this.#open = null;
    await open?.pool.end();
  }

  async #use<T>(operation: string, work: (open: Open) => Promise<T>): Promise<T> {
    if (this.#open === null) throw new StoreUnavailableError(`PostgreSQL store at ${this.#target} is not open: call init() first (or it was closed)`);
    try {
      return await work(this.#open);
    } catch (error) {
      throw toStoreError(error, operation, this.#target);
    }
  }

  withSequencerLock<T>(work: (section: SequencerSection) => Promise<T>): Promise<T> {
    return this.#use('holding the log sequencer lock (a batch or a checkpoint)', (open) =>
      inTransaction(open.pool, async (client) => {
        // Bounded waits: a queue of other processes' batches, or a holder that stopped answering,
        // becomes a 503 the client retries, not a request that hangs. The idle timeout also frees the
        // lock from a process that froze inside its section.
        await client.query(`SET LOCAL lock_timeout = ${this.options.lockTimeoutMillis}`);
        await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${Math.max(this.options.lockTimeoutMillis * 3, 30_000)}`);
        await client.query({ name: 'facto_sequencer_lock', text: 'SELECT pg_advisory_xact_lock($1)', values: [SEQUENCER_LOCK] });
        const head = (await client.query<{ tree_size: number; keys_version: number }>({ name: 'facto_head', text: 'SELECT tree_size, keys_version FROM log_head WHERE singleton = 0' })).rows[0];
        if (head === undefined) throw new StoreUnavailableError(`PostgreSQL store at ${this.#target} is damaged: the log_head row holding the tree size is missing`);
        return work({
          treeSize: head.tree_size,
          keysVersion: head.keys_version,
          commitBatch: async (batch) => {
            checkBatchShape(batch);
            return writeBatch(client, batch);
          },
          forwardBacklog: () => readForwardBacklog(client),
        });
      }),
    );
  }

  lead(start: () => Duties, logger: Logger, election: Election = 'log'): { stop(): Promise<void> } {
    return startLeaderElection({
      role: election === 'log' ? LEADER : FORWARDER,
      connection: { connectionString: this.options.url, connectionTimeoutMillis: this.options.connectTimeoutMillis, keepAlive: true, application_name: election === 'log' ? 'facto-collector-leader' : 'facto-collector-forwarder' },
      target: this.#target,
      intervalMillis: this.options.leaderIntervalMillis,
      logger,
      start,
    });
  }

  async treeSize() {
    return this.#use('reading the tree size', (open) => open.log.treeSize());
  }
  async getNodes(ids: readonly NodeId[]) {
    return this.#use('reading Merkle nodes', (open) => open.log.getNodes(ids));
  }
  async commitBatch(batch: Batch) {
    checkBatchShape(batch);
    await this.#use('committing a batch', (open) => inTransaction(open.pool, (client) => writeBatch(client, batch)));
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
    return this.#use('reading a chain', (open) => open.events.listChainLinks(agentId, chainId));
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
    await this.#use('storing a key', (open) => open.registry.putKey(key));
  }
  async revokeKey(agentId: string, keyId: string, revokedAt: number) {
    return this.#use('revoking a key', (open) => open.registry.revokeKey(agentId, keyId, revokedAt));
  }
  async listIncidents(query: { kind?: IncidentKind; agentId?: string; limit: number; afterId?: number }) {
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
    await this.#use('storing a checkpoint', (open) => open.log.putCheckpoint(checkpoint, expectedLatest));
  }
  async getCheckpoint(treeSize: number) {
    return this.#use('reading a checkpoint', (open) => open.log.getCheckpoint(treeSize));
  }
  async latestCheckpoint() {
    return this.#use('reading the latest checkpoint', (open) => open.log.latestCheckpoint());
  }
}

// A URL's scheme is case-insensitive (RFC 3986 section 3.1): POSTGRES:// is one too.
const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

export function isPostgresUrl(value: string): boolean {
  return POSTGRES_URL.test(value);
}

export function createPostgresStore(options: PostgresStoreOptions): Store & SharedSequencing {
  if (typeof options?.url !== 'string' || !isPostgresUrl(options.url)) {
    throw new FactoError('invalid_argument', 'PostgreSQL store needs a postgres:// or postgresql:// URL');
  }
  const maxConnections = options.maxConnections ?? 10;
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 2) {
    throw new FactoError('invalid_argument', `PostgreSQL store needs at least 2 connections (the sequencer holds one while reads use another), got ${String(maxConnections)}`);
  }
  return new PostgresStore({
    url: options.url,
    maxConnections,
    connectTimeoutMillis: options.connectTimeoutMillis ?? 5_000,
    lockTimeoutMillis: options.lockTimeoutMillis ?? 10_000,
    leaderIntervalMillis: options.leaderIntervalMillis ?? 1_000,
  });
}
