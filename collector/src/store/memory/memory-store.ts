/**
 * A Store in memory that keeps the whole contract of types.ts, as Sunlight's memory backends do:
 * compare-and-swap on the tree size, batches applied whole or not at all, no node rewritten, every
 * uniqueness and reference rule the SQL schemas enforce. It passes the same conformance suite as
 * SQLite, and it can be told to fail or to pause (`faults`), so ingest and log tests can try a disk
 * that fills or a commit that hangs without a database or a Proxy.
 */
import { chainKey, FactoError, type NodeId } from '@facto/core';
import { checkBatchShape, invalidBatch } from '../batch-shape.js';
import { StoreConflictError, StoreRefusedError, StoreUnavailableError } from '../errors.js';
import { chainRangeBounds } from '../chain-range.js';
import { checkCheckpointWrite } from '../checkpoint-head.js';
import type { AgentKey, Batch, ChainRangeQuery, ChainSummary, Checkpoint, EventQuery, ForwardBacklog, Incident, IncidentKind, LogEntry, NewIncident, QueuedForward, Store, StoredEvent, StoredNode } from '../types.js';

/** Operations a fault can be attached to. */
export type StoreOperation = 'commitBatch' | 'read' | 'putCheckpoint' | 'putKey' | 'deleteForwards';

export interface MemoryStoreFaults {
  /** The next `times` calls of `operation` fail with `error` (default: a StoreUnavailableError, as a full disk). */
  failNext(operation: StoreOperation, error?: Error, times?: number): void;
  /** The next call of `operation` waits until the returned release() is called. */
  pauseNext(operation: StoreOperation): { readonly reached: Promise<void>; release(): void };
  /** Calls of each operation so far. */
  readonly calls: Readonly<Record<StoreOperation, number>>;
}

interface Data {
  treeSize: number;
  events: StoredEvent[];
  logEntries: Map<number, LogEntry>;
  nodes: Map<string, Uint8Array>;
  keys: Map<string, AgentKey>;
  incidents: Incident[];
  nextIncidentId: number;
  /** Each unverified span stored, by trace id, span id and JSON: a retried request's are stored once. */
  unverified: Set<string>;
  checkpoints: Map<number, Checkpoint>;
  /** The forward queue, oldest first. */
  forwards: QueuedForward[];
  nextForwardId: number;
}

const nodeKey = (level: number, index: number) => `${level}/${index}`;
const keyKey = (agentId: string, keyId: string) => JSON.stringify([agentId, keyId]);

function checkLimit(limit: unknown, what: string): asserts limit is number {
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) throw new FactoError('invalid_argument', `${what} limit must be a non-negative integer, got ${String(limit)}`);
}

export class MemoryStore implements Store {
  #data: Data | undefined;
  #open = false;
  readonly #failures = new Map<StoreOperation, { error: Error; times: number }>();
  readonly #pauses = new Map<StoreOperation, { reached: () => void; released: Promise<void> }>();
  readonly #calls: Record<StoreOperation, number> = { commitBatch: 0, read: 0, putCheckpoint: 0, putKey: 0, deleteForwards: 0 };

  readonly faults: MemoryStoreFaults = {
    failNext: (operation, error = new StoreUnavailableError('memory store: injected failure (as a full disk)'), times = 1) => void this.#failures.set(operation, { error, times }),
    pauseNext: (operation) => {
      let reached!: () => void;
      let release!: () => void;
      const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
      this.#pauses.set(operation, { reached, released: new Promise<void>((resolve) => (release = resolve)) });
      return { reached: reachedPromise, release };
    },
    calls: this.#calls,
  };

  async init(): Promise<void> {
    this.#data ??= { treeSize: 0, events: [], logEntries: new Map(), nodes: new Map(), keys: new Map(), incidents: [], nextIncidentId: 1, unverified: new Set(), checkpoints: new Map(), forwards: [], nextForwardId: 1 };
    this.#open = true;
  }

  async close(): Promise<void> {
    this.#open = false;
  }

  /** Runs `operation` against the data, with any fault injected for it; nothing is changed when it throws. */
  async #use<T>(operation: StoreOperation, work: (data: Data) => T): Promise<T> {
    this.#calls[operation]++;
    const pause = this.#pauses.get(operation);
    if (pause) {
      this.#pauses.delete(operation);
      pause.reached();
      await pause.released;
    }
    const failure = this.#failures.get(operation);
    if (failure) {
      if (--failure.times <= 0) this.#failures.delete(operation);
      throw failure.error;
    }
    if (!this.#open || this.#data === undefined) throw new StoreUnavailableError('memory store: not open (call init() first)');
    return work(this.#data);
  }

  treeSize() {
    return this.#use('read', (data) => data.treeSize);
  }

  getNodes(ids: readonly NodeId[]) {
    return this.#use('read', (data) =>
      ids.map((id) => {
        if (!Number.isSafeInteger(id?.level) || !Number.isSafeInteger(id?.index) || id.level < 0 || id.index < 0) {
          throw new FactoError('invalid_argument', `Merkle node ids need a non-negative integer level and index, got ${JSON.stringify(id)}`);
        }
        const hash = data.nodes.get(nodeKey(id.level, id.index));
        if (hash === undefined) throw new FactoError('proof', `Merkle node (level ${id.level}, index ${id.index}) is not stored`);
        return hash;
      }),
    );
  }

  commitBatch(batch: Batch) {
    return this.#use('commitBatch', (data) => {
      checkBatchShape(batch);
      if (data.treeSize !== batch.expectedTreeSize) {
        throw new StoreConflictError(`Tree size is ${data.treeSize}, but the batch was sequenced against ${batch.expectedTreeSize}: another sequencer moved the log head, or this batch was already committed`);
      }
      // Every rule is checked before anything is written, so a refused batch leaves no trace.
      const ids = new Set(data.events.map((event) => event.factoId));
      const hashes = new Set([...data.events.map((event) => event.hash), ...[...data.logEntries.values()].map((entry) => entry.hash)]);
      for (const item of [...batch.events, ...batch.logEntries]) {
        if (hashes.has(item.hash)) throw new StoreRefusedError(`memory store: hash ${item.hash} is already stored`);
        hashes.add(item.hash);
      }
      for (const event of batch.events) {
        if (ids.has(event.factoId)) throw new StoreRefusedError(`memory store: facto_id ${event.factoId} is already stored`);
        ids.add(event.factoId);
      }
      for (const node of batch.nodes) checkNode(data, node);
      for (const update of batch.linkUpdates) if (!ids.has(update.factoId)) throw invalidBatch(`link update names facto_id ${update.factoId}, which is not stored`);
      for (const erasure of batch.erasures) if (!ids.has(erasure.factoId)) throw invalidBatch(`erasure names facto_id ${erasure.factoId}, which is not stored`);

      // A prepared body is the SQLite store's; this store keeps the event, not its encoding.
      data.events.push(...batch.events.map(({ preparedBody: _prepared, ...event }) => ({ ...event })));
      for (const entry of batch.logEntries) data.logEntries.set(entry.leafIndex, { ...entry });
      for (const node of batch.nodes) data.nodes.set(nodeKey(node.level, node.index), Uint8Array.from(node.hash));
      const byId = new Map(data.events.map((event, position) => [event.factoId, position]));
      for (const update of batch.linkUpdates) replaceEvent(data, byId.get(update.factoId)!, { linkStatus: update.linkStatus });
      for (const incident of batch.incidents) recordIncident(data, incident);
      for (const key of batch.keys) data.keys.set(keyKey(key.agentId, key.keyId), { ...key });
      for (const span of batch.unverified) data.unverified.add(JSON.stringify([span.traceId, span.spanId, span.spanJson]));
      for (const erasure of batch.erasures) replaceEvent(data, byId.get(erasure.factoId)!, { disclosuresJson: '[]', salt: null, erasedBy: erasure.erasedBy });
      for (const forward of batch.forwards ?? []) data.forwards.push({ ...forward, id: data.nextForwardId++ });
      for (const edit of batch.forwardEdits ?? []) {
        const position = data.forwards.findIndex((forward) => forward.id === edit.id);
        if (position < 0) continue; // delivered meanwhile
        if (edit.replacement === null) data.forwards.splice(position, 1);
        else data.forwards[position] = { ...data.forwards[position]!, ...edit.replacement };
      }
      data.treeSize = batch.newTreeSize;
    });
  }

  getEvent(factoId: string) {
    return this.#use('read', (data) => data.events.find((event) => event.factoId === factoId) ?? null);
  }

  getEventsByHash(hashes: readonly string[]) {
    const wanted = new Set(hashes);
    return this.#use('read', (data) => data.events.filter((event) => wanted.has(event.hash)));
  }

  getEventsByFactoId(factoIds: readonly string[]) {
    const wanted = new Set(factoIds);
    return this.#use('read', (data) => data.events.filter((event) => wanted.has(event.factoId)));
  }

  getChainEvents(agentId: string, chainId: string, seqs: readonly number[]) {
    const wanted = new Set(seqs);
    return this.#use('read', (data) => bySeq(data.events.filter((event) => event.agentId === agentId && event.chainId === chainId && wanted.has(event.seq))));
  }

  listChainRange(query: ChainRangeQuery) {
    const { lowSeq, toSeq, afterLeafIndex, before, after } = chainRangeBounds(query);
    return this.#use('read', (data) => {
      checkLimit(query.limit, 'Chain range');
      const inRange = data.events.filter(
        (event) =>
          event.agentId === query.agentId && event.chainId === query.chainId && event.seq >= lowSeq && event.seq <= toSeq &&
          (event.seq > lowSeq || event.leafIndex > afterLeafIndex) && (event.receivedAt < before || event.receivedAt > after),
      );
      return bySeq(inRange).slice(0, query.limit);
    });
  }

  listChain(agentId: string, chainId: string) {
    return this.#use('read', (data) => bySeq(data.events.filter((event) => event.agentId === agentId && event.chainId === chainId)));
  }

  async listChainLinks(agentId: string, chainId: string) {
    return (await this.listChain(agentId, chainId)).map(({ seq, hash, prevHash, dropped, erasedBy }) => ({ seq, hash, prevHash, dropped, erased: erasedBy !== null }));
  }

  listChains(agentId?: string) {
    return this.#use('read', (data) => {
      const chains = new Map<string, { -readonly [K in keyof ChainSummary]: ChainSummary[K] } & { headLeaf: number }>();
      for (const event of data.events) {
        if (agentId !== undefined && event.agentId !== agentId) continue;
        const key = chainKey(event.agentId, event.chainId);
        const chain = chains.get(key);
        if (chain === undefined) chains.set(key, { agentId: event.agentId, chainId: event.chainId, count: 1, headSeq: event.seq, headHash: event.hash, headLeaf: event.leafIndex });
        else {
          chain.count++;
          // The head of a forked chain is the first one logged at the highest seq.
          if (event.seq > chain.headSeq || (event.seq === chain.headSeq && event.leafIndex < chain.headLeaf)) Object.assign(chain, { headSeq: event.seq, headHash: event.hash, headLeaf: event.leafIndex });
        }
      }
      return [...chains.values()]
        .sort((left, right) => compareText(left.agentId, right.agentId) || compareText(left.chainId, right.chainId))
        .map(({ headLeaf: _headLeaf, ...summary }) => summary);
    });
  }

  queryEvents(query: EventQuery) {
    return this.#use('read', (data) => {
      if (query.order !== 'asc' && query.order !== 'desc') throw new FactoError('invalid_argument', `Event query order must be 'asc' or 'desc', got ${String(query.order)}`);
      checkLimit(query.limit, 'Event query');
      const matches = data.events.filter(
        (event) =>
          (query.agentId === undefined || event.agentId === query.agentId) &&
          (query.chainId === undefined || event.chainId === query.chainId) &&
          (query.actionType === undefined || event.actionType === query.actionType) &&
          (query.since === undefined || event.receivedAt >= query.since) &&
          (query.until === undefined || event.receivedAt <= query.until) &&
          (query.afterLeafIndex === undefined || (query.order === 'desc' ? event.leafIndex < query.afterLeafIndex : event.leafIndex > query.afterLeafIndex)),
      );
      matches.sort((left, right) => (query.order === 'desc' ? right.leafIndex - left.leafIndex : left.leafIndex - right.leafIndex));
      return matches.slice(0, query.limit);
    });
  }

  listPendingEvents(receivedBefore: number, limit: number) {
    return this.#use('read', (data) => {
      checkLimit(limit, 'Pending event');
      return data.events
        .filter((event) => event.linkStatus === 'pending' && event.receivedAt < receivedBefore)
        .sort((left, right) => left.receivedAt - right.receivedAt || left.leafIndex - right.leafIndex)
        .slice(0, limit);
    });
  }

  getLogEntry(leafIndex: number) {
    return this.#use('read', (data) => data.logEntries.get(leafIndex) ?? null);
  }

  listKeys(agentId?: string) {
    return this.#use('read', (data) =>
      [...data.keys.values()].filter((key) => agentId === undefined || key.agentId === agentId).sort((left, right) => compareText(left.agentId, right.agentId) || compareText(left.keyId, right.keyId)),
    );
  }

  putKey(key: AgentKey) {
    return this.#use('putKey', (data) => void data.keys.set(keyKey(key.agentId, key.keyId), { ...key }));
  }

  revokeKey(agentId: string, keyId: string, revokedAt: number) {
    return this.#use('putKey', (data) => {
      const key = data.keys.get(keyKey(agentId, keyId));
      if (key === undefined) return false;
      // Revoking again keeps the earlier time: revocation only ever shortens a key's validity.
      data.keys.set(keyKey(agentId, keyId), { ...key, revokedAt: key.revokedAt === null ? revokedAt : Math.min(key.revokedAt, revokedAt) });
      return true;
    });
  }

  listIncidents(query: { kind?: IncidentKind; agentId?: string; limit: number; afterId?: number }) {
    return this.#use('read', (data) => {
      checkLimit(query.limit, 'Incident query');
      return data.incidents
        .filter((incident) => (query.kind === undefined || incident.kind === query.kind) && (query.agentId === undefined || incident.agentId === query.agentId) && (query.afterId === undefined || incident.id < query.afterId))
        .sort((left, right) => right.id - left.id)
        .slice(0, query.limit)
        .map((incident) => ({ ...incident }));
    });
  }

  countIncidents() {
    return this.#use('read', (data) => {
      const counts: Record<string, number> = {};
      for (const incident of data.incidents) counts[incident.kind] = (counts[incident.kind] ?? 0) + incident.count;
      return counts;
    });
  }

  listForwards(afterId: number, limit: number) {
    return this.#use('read', (data) => {
      checkLimit(limit, 'forward queue');
      return data.forwards.filter((forward) => forward.id > afterId).slice(0, limit);
    });
  }

  listForwardIds(afterId: number, limit: number) {
    return this.#use('read', (data) => {
      checkLimit(limit, 'forward queue');
      return data.forwards.filter((forward) => forward.id > afterId).slice(0, limit).map((forward) => forward.id);
    });
  }

  getForward(id: number) {
    return this.#use('read', (data) => data.forwards.find((forward) => forward.id === id) ?? null);
  }

  deleteForwards(ids: readonly number[]) {
    return this.#use('deleteForwards', (data): ForwardBacklog => {
      const gone = new Set(ids);
      const removed = data.forwards.filter((forward) => gone.has(forward.id));
      data.forwards = data.forwards.filter((forward) => !gone.has(forward.id));
      return { requests: removed.length, bytes: removed.reduce((sum, forward) => sum + forward.body.byteLength, 0) };
    });
  }

  listForwardsHolding(factoIds: readonly string[]) {
    return this.#use('read', (data) => {
      const wanted = new Set(factoIds);
      return data.forwards.filter((forward) => forward.factoIds.some((id) => wanted.has(id)));
    });
  }

  forwardBacklog() {
    return this.#use('read', (data): ForwardBacklog => ({ requests: data.forwards.length, bytes: data.forwards.reduce((sum, forward) => sum + forward.body.byteLength, 0) }));
  }

  countUnverified() {
    return this.#use('read', (data) => data.unverified.size);
  }

  putCheckpoint(checkpoint: Checkpoint, expectedLatest: Checkpoint | null) {
    return this.#use('putCheckpoint', (data) => {
      if (checkCheckpointWrite(checkpoint, expectedLatest, newestCheckpoint(data)) === 'insert') data.checkpoints.set(checkpoint.treeSize, { ...checkpoint });
    });
  }

  getCheckpoint(treeSize: number) {
    return this.#use('read', (data) => data.checkpoints.get(treeSize) ?? null);
  }

  latestCheckpoint() {
    return this.#use('read', newestCheckpoint);
  }
}

function newestCheckpoint(data: Data): Checkpoint | null {
  return data.checkpoints.size === 0 ? null : data.checkpoints.get(Math.max(...data.checkpoints.keys()))!;
}

function checkNode(data: Data, node: StoredNode): void {
  const existing = data.nodes.get(nodeKey(node.level, node.index));
  if (existing !== undefined && !existing.every((byte, position) => byte === node.hash[position])) {
    throw new StoreConflictError(`Merkle node (level ${node.level}, index ${node.index}) is already stored with a different hash; the log never rewrites a node`);
  }
}

function replaceEvent(data: Data, position: number, changes: Partial<StoredEvent>): void {
  data.events[position] = { ...data.events[position]!, ...changes };
}

function recordIncident(data: Data, incident: NewIncident): void {
  const { fingerprint, ...rest } = incident;
  const repeat = data.incidents.find((stored) => (stored as Incident & { fingerprint?: string }).fingerprint === fingerprint);
  if (repeat !== undefined) {
    Object.assign(repeat, { count: repeat.count + 1, lastSeenAt: Math.max(repeat.lastSeenAt, incident.createdAt) });
    return;
  }
  data.incidents.push(Object.defineProperty({ ...rest, id: data.nextIncidentId++, count: 1, lastSeenAt: incident.createdAt }, 'fingerprint', { value: fingerprint, enumerable: false }));
}

function bySeq(events: StoredEvent[]): StoredEvent[] {
  return events.sort((left, right) => left.seq - right.seq || left.leafIndex - right.leafIndex);
}

/** SQLite's default BINARY collation: UTF-16 code units would differ from UTF-8 bytes only above the BMP, so compare code points. */
function compareText(left: string, right: string): number {
  const a = [...left];
  const b = [...right];
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const difference = a[index]!.codePointAt(0)! - b[index]!.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}
