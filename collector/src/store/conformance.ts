/**
 * The Store contract as one vitest suite that every driver's test file runs:
 * `runStoreConformance('sqlite', { create, reopen })`. It tests what types.ts promises, never how a
 * driver keeps it, so SQLite and PostgreSQL answer the same questions. Batches are built the way the
 * sequencer builds them (a real MerkleTree from @facto/core supplies the nodes), so the suite also
 * proves that roots and proofs computed from a store's nodes are the tree's own.
 */
import { rootAt, type NodeId } from '@facto/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentKey, checkpoint, forwardRequest, hex, incident, LogBuilder, unverifiedSpan } from './conformance-fixtures.js';
import type { EventDraft } from './conformance-fixtures.js';
import { expectRefusal, walkPages } from './conformance-expect.js';
import { checkpointConformance } from './conformance-checkpoint.js';
import { forwardConformance } from './conformance-forward.js';
import { chainRangeConformance } from './conformance-range.js';
import { textConformance } from './conformance-text.js';
import type { AgentKey, Batch, EventQuery, Incident, NewIncident, StoredEvent, Store } from './types.js';

export { LogBuilder, type BatchParts, type EventDraft, type LogEntryDraft } from './conformance-fixtures.js';

export interface StoreConformanceOptions {
  /** A new, initialised, empty store, and a cleanup that closes it (if still open) and deletes its data. */
  create: () => Promise<{ store: Store; cleanup: () => Promise<void> }>;
  /** Closes `store` and opens the same data again, as a restarted process would. The suite closes the result. */
  reopen: (store: Store) => Promise<Store>;
}

const byKey = (left: AgentKey, right: AgentKey) => `${left.agentId}/${left.keyId}`.localeCompare(`${right.agentId}/${right.keyId}`);
/** A stored incident seen once, as the NewIncident it was made from (minus the fingerprint, which is not read back). */
const withoutId = ({ id: _id, count: _count, lastSeenAt: _lastSeenAt, ...rest }: Incident) => rest;
const asStored = ({ fingerprint: _fingerprint, ...rest }: NewIncident) => rest;

export function runStoreConformance(name: string, options: StoreConformanceOptions): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    let original: Store;
    let cleanup: () => Promise<void>;
    let log: LogBuilder;

    beforeEach(async () => {
      ({ store, cleanup } = await options.create());
      original = store;
      log = new LogBuilder();
    });
    afterEach(async () => {
      if (store !== original) await store.close();
      await cleanup();
    });

    textConformance(() => ({ store, log }));
    chainRangeConformance(() => ({ store, log }));
    checkpointConformance(() => ({ store }));
    forwardConformance(() => ({ store, log }));

    /** Everything a refused batch could have touched, read back whole. */
    async function snapshot() {
      const [size, events, incidents, keys, unverified] = await Promise.all([store.treeSize(), store.queryEvents({ order: 'asc', limit: 10_000 }), store.listIncidents({ limit: 10_000 }), store.listKeys(), store.countUnverified()]);
      return { size, events, incidents, keys: keys.sort(byKey), unverified };
    }

    /** Proves nothing of a refused batch landed: the snapshot is unchanged and none of its new entries or nodes exist. */
    async function expectUntouched(batch: Batch, before: Awaited<ReturnType<typeof snapshot>>) {
      expect(await snapshot()).toEqual(before);
      for (const entry of batch.logEntries) expect(await store.getLogEntry(entry.leafIndex)).toBeNull();
      // Nodes whose subtree reaches past the old size did not exist before this batch.
      const fresh = batch.nodes.filter((node) => (node.index + 1) * 2 ** node.level > before.size);
      for (const node of fresh) await expectRefusal(store.getNodes([{ level: node.level, index: node.index }]), 'proof');
    }

    it('starts empty, and init() again changes nothing', async () => {
      await store.init();
      expect(await store.treeSize()).toBe(0);
      expect(await store.latestCheckpoint()).toBeNull();
      expect(await store.getEvent('evt_none')).toBeNull();
      expect(await store.getLogEntry(0)).toBeNull();
      expect(await store.queryEvents({ order: 'asc', limit: 10 })).toEqual([]);
      expect(await store.listChains()).toEqual([]);
      expect(await store.listKeys()).toEqual([]);
      expect(await store.listIncidents({ limit: 10 })).toEqual([]);
      expect(await store.countUnverified()).toBe(0);
      expect(Object.values(await store.countIncidents()).every((count) => count === 0)).toBe(true);
      expect(await store.getNodes([])).toEqual([]);
    });

    it('round-trips every field of every entity in a batch', async () => {
      const events = [
        log.event({ seq: 0 }),
        log.event({ seq: 2 ** 40, dropped: 7, salt: null, disclosuresJson: '[]', actionType: '', linkStatus: 'gap_declared' }),
        log.event({ agentId: 'agent-b', chainId: 'chain-ü', seq: 5, linkStatus: 'pending', name: '' }),
      ];
      const incidents = [incident(), incident({ kind: 'malformed_record', agentId: null, chainId: null, seq: null, factoId: null, detail: 'not JSON: ✗' })];
      const keys = [agentKey(), agentKey({ agentId: 'agent-b', keyId: 'agent-b-key-1', notBefore: 1, notAfter: 2 ** 50, revokedAt: 3, source: 'tofu' })];
      const batch = await log.commit(store, { events, logEntries: [log.logEntry()], incidents, keys, unverified: [unverifiedSpan()] });

      expect(await store.treeSize()).toBe(4);
      for (const event of batch.events) expect(await store.getEvent(event.factoId)).toEqual(event);
      expect(await store.getLogEntry(3)).toEqual(batch.logEntries[0]);
      expect(await store.getLogEntry(0)).toBeNull();
      expect(await store.getNodes(batch.nodes.map(({ level, index }): NodeId => ({ level, index })))).toEqual(batch.nodes.map((node) => node.hash));
      expect(await rootAt(store, 4)).toEqual(log.root());
      expect((await store.listKeys()).sort(byKey)).toEqual([...keys].sort(byKey));
      const stored = await store.listIncidents({ limit: 10 });
      expect(stored.map(withoutId)).toEqual([...incidents].reverse().map(asStored));
      expect(stored.map((entry) => [entry.count, entry.lastSeenAt])).toEqual([...incidents].reverse().map((entry) => [1, entry.createdAt]));
      expect(stored.every((entry) => Number.isSafeInteger(entry.id))).toBe(true);
      expect(stored[0]!.id).toBeGreaterThan(stored[1]!.id);
      expect(await store.countUnverified()).toBe(1);
    });

    it('stores an unverified span once, however often it arrives; another span, or the same ids with other content, is stored', async () => {
      const span = unverifiedSpan();
      await log.commit(store, { events: [log.event()], unverified: [span, { ...span, receivedAt: span.receivedAt + 1 }] });
      expect(await store.countUnverified()).toBe(1);
      // A retried request: the same span again, received later, beside new ones.
      const others = [{ ...span, spanId: hex('another span').slice(0, 16) }, { ...span, spanJson: '{"name":"unsigned span","other":true}' }];
      await log.commit(store, { events: [log.event()], unverified: [{ ...span, receivedAt: span.receivedAt + 5 }, ...others] });
      expect(await store.countUnverified()).toBe(3);
    });

    it('refuses a batch sequenced against another tree size (StoreConflictError) and writes nothing', async () => {
      await log.commit(store, { events: [log.event(), log.event()] });
      const before = await snapshot();
      const behind = new LogBuilder();
      const ahead = new LogBuilder();
      ahead.accept(ahead.batch({ events: Array.from({ length: 5 }, () => ahead.event()) }));
      for (const sequencer of [behind, ahead]) {
        const batch = sequencer.batch({ events: [sequencer.event()], incidents: [incident()], keys: [agentKey({ keyId: 'other' })] });
        await expectRefusal(store.commitBatch(batch), 'conflict');
        await expectUntouched(batch, before);
      }
    });

    it('refuses inconsistent sizes and leaf indices that are not contiguous from expectedTreeSize', async () => {
      await log.commit(store, { events: [log.event()] });
      const good = log.batch({ events: [log.event(), log.event()], logEntries: [log.logEntry()], unverified: [unverifiedSpan()] });
      const [first, second] = good.events as [StoredEvent, StoredEvent];
      const entry = good.logEntries[0]!;
      const broken: Batch[] = [
        { ...good, newTreeSize: good.newTreeSize + 1 },
        { ...good, newTreeSize: good.newTreeSize - 1 },
        { ...good, events: [first, { ...second, leafIndex: 5 }] },
        { ...good, events: [first, { ...second, leafIndex: first.leafIndex }] },
        { ...good, logEntries: [{ ...entry, leafIndex: first.leafIndex }] },
        { ...good, events: [{ ...first, leafIndex: 0 }, second] },
      ];
      const before = await snapshot();
      for (const batch of broken) {
        await expectRefusal(store.commitBatch(batch));
        await expectUntouched(good, before);
      }
      await store.commitBatch(good);
      expect(await store.treeSize()).toBe(4);
    });

    it('rolls back everything when a batch fails part way (duplicate facto_id, replay, node rewrite)', async () => {
      const committed = await log.commit(store, { events: [log.event(), log.event()], incidents: [incident()] });
      const side = { incidents: [incident({ kind: 'fork' })], keys: [agentKey({ keyId: 'new-key' })], unverified: [unverifiedSpan()] };
      const twin = log.event();
      const duplicateInBatch = log.batch({ events: [twin, log.event(), { ...log.event(), factoId: twin.factoId }], ...side });
      const replay = log.batch({ events: [log.event(), { ...log.event(), factoId: committed.events[0]!.factoId }], ...side });
      const valid = log.batch({ events: [log.event(), log.event()], ...side });
      const rewrite = { ...valid, nodes: [...valid.nodes, { level: 0, index: 0, hash: new Uint8Array(32).fill(7) }] };
      const before = await snapshot();
      for (const batch of [duplicateInBatch, replay, rewrite]) {
        await expectRefusal(store.commitBatch(batch));
        await expectUntouched(batch, before);
        expect(await store.getNodes([{ level: 0, index: 0 }])).toEqual([committed.nodes[0]!.hash]);
      }
      await store.commitBatch(valid);
      log.accept(valid);
      expect(await rootAt(store, 4)).toEqual(log.root());
    });

    it('getNodes answers in the order asked, repeats included, and refuses a missing node', async () => {
      const batches = [];
      for (let round = 0; round < 6; round++) batches.push(await log.commit(store, { events: Array.from({ length: 50 }, () => log.event()) }));
      const all = batches.flatMap((batch) => batch.nodes);
      const wanted = [...all].reverse().concat(all.filter((_, position) => position % 3 === 0));
      expect(await store.getNodes(wanted.map(({ level, index }) => ({ level, index })))).toEqual(wanted.map((node) => node.hash));
      for (const missing of [{ level: 0, index: 300 }, { level: 9, index: 0 }, { level: 1, index: 150 }]) {
        await expectRefusal(store.getNodes([{ level: 0, index: 0 }, missing]), 'proof');
      }
    });

    it('queryEvents filters, orders both ways and pages with afterLeafIndex exactly once per event', async () => {
      const events: EventDraft[] = [];
      for (let position = 0; position < 30; position++) {
        events.push(log.event({ agentId: `agent-${position % 2}`, chainId: `chain-${position % 3}`, seq: position, actionType: ['chat', 'execute_tool', ''][Math.floor(position / 5) % 3]!, receivedAt: 5_000 + Math.floor(position / 2) * 10 }));
      }
      for (let start = 0; start < 30; start += 10) await log.commit(store, { events: events.slice(start, start + 10) });
      const stored = await store.queryEvents({ order: 'asc', limit: 100 });
      expect(stored.map((event) => event.leafIndex)).toEqual(Array.from({ length: 30 }, (_, position) => position));
      const filters: Omit<EventQuery, 'order' | 'limit'>[] = [{}, { agentId: 'agent-1' }, { agentId: 'agent-0', chainId: 'chain-2' }, { actionType: '' }, { actionType: 'execute_tool' }, { since: 5_030, until: 5_080 }, { agentId: 'agent-1', actionType: 'chat', since: 5_040 }, { chainId: 'chain-9' }];
      for (const filter of filters) {
        const expected = stored.filter((event) =>
          (filter.agentId === undefined || event.agentId === filter.agentId) && (filter.chainId === undefined || event.chainId === filter.chainId) &&
          (filter.actionType === undefined || event.actionType === filter.actionType) && (filter.since === undefined || event.receivedAt >= filter.since) &&
          (filter.until === undefined || event.receivedAt <= filter.until));
        for (const order of ['asc', 'desc'] as const) {
          const inOrder = order === 'asc' ? expected : [...expected].reverse();
          expect(await store.queryEvents({ ...filter, order, limit: 100 })).toEqual(inOrder);
          const walked = await walkPages((afterLeafIndex) => store.queryEvents({ ...filter, order, limit: 4, afterLeafIndex }), (event) => event.leafIndex, 4);
          expect(walked).toEqual(inOrder);
        }
      }
      expect(await store.queryEvents({ order: 'asc', limit: 0 })).toEqual([]);
    });

    it('lists chains, chain events and events by hash, forks included', async () => {
      const genesis = log.event({ seq: 0 });
      const third = log.event({ seq: 2, linkStatus: 'pending' });
      await log.commit(store, { events: [genesis, third, log.event({ agentId: 'agent-b', chainId: 'chain-9', seq: 0 })] });
      const second = log.event({ seq: 1 });
      const fork = log.event({ seq: 1, linkStatus: 'bad_link' });
      const batch = await log.commit(store, { events: [second, fork] });
      const chain = await store.listChain('agent-a', 'chain-1');
      expect(chain.map((event) => event.seq)).toEqual([0, 1, 1, 2]);
      // The same chain as links only, in the same order.
      expect(await store.listChainLinks('agent-a', 'chain-1')).toEqual(chain.map(({ seq, hash, prevHash, dropped, erasedBy }) => ({ seq, hash, prevHash, dropped, erased: erasedBy !== null })));
      expect(await store.listChainLinks('agent-a', 'no-such-chain')).toEqual([]);
      expect(chain.map((event) => event.factoId).sort()).toEqual([genesis, second, fork, third].map((event) => event.factoId).sort());
      expect((await store.getChainEvents('agent-a', 'chain-1', [1, 7])).map((event) => event.factoId).sort()).toEqual([second.factoId, fork.factoId].sort());
      expect(await store.getChainEvents('agent-a', 'chain-1', [])).toEqual([]);
      expect(await store.listChains('agent-a')).toEqual([{ agentId: 'agent-a', chainId: 'chain-1', count: 4, headSeq: 2, headHash: third.hash }]);
      expect((await store.listChains()).map((chainSummary) => `${chainSummary.agentId}/${chainSummary.chainId}/${chainSummary.count}`).sort()).toEqual(['agent-a/chain-1/4', 'agent-b/chain-9/1']);
      const found = await store.getEventsByHash([fork.hash, hex('unknown'), genesis.hash]);
      expect(found.map((event) => event.factoId).sort()).toEqual([fork.factoId, genesis.factoId].sort());
      expect(found.find((event) => event.factoId === fork.factoId)).toEqual(batch.events[1]);
    });

    it('erasure blanks disclosures and salt of exactly the named events and keeps everything else', async () => {
      const first = await log.commit(store, { events: [log.event(), log.event(), log.event()] });
      const [kept, erased, alsoErased] = first.events as [StoredEvent, StoredEvent, StoredEvent];
      const laterInSameBatch = log.event();
      const second = await log.commit(store, { events: [laterInSameBatch], logEntries: [log.logEntry()], erasures: [{ factoId: erased.factoId, entry: 0 }, { factoId: alsoErased.factoId, entry: 0 }, { factoId: laterInSameBatch.factoId, entry: 0 }] });
      const entryIndex = second.logEntries[0]!.leafIndex;
      expect(await store.getEvent(kept.factoId)).toEqual(kept);
      for (const event of [erased, alsoErased, second.events[0]!]) {
        expect(await store.getEvent(event.factoId)).toEqual({ ...event, disclosuresJson: '[]', salt: null, erasedBy: entryIndex });
      }
      expect(await store.getLogEntry(entryIndex)).toEqual(second.logEntries[0]);
    });

    it('applies link updates to earlier events only', async () => {
      const first = await log.commit(store, { events: [log.event({ seq: 0 }), log.event({ seq: 2, linkStatus: 'pending' })] });
      const [genesis, waiting] = first.events as [StoredEvent, StoredEvent];
      await log.commit(store, { events: [log.event({ seq: 1 })], linkUpdates: [{ factoId: waiting.factoId, linkStatus: 'linked' }] });
      expect(await store.getEvent(waiting.factoId)).toEqual({ ...waiting, linkStatus: 'linked' });
      expect(await store.getEvent(genesis.factoId)).toEqual(genesis);
    });

    it('lists events still waiting for their predecessor, oldest first, until resolved', async () => {
      const first = await log.commit(store, {
        events: [
          log.event({ seq: 0 }),
          log.event({ seq: 3, linkStatus: 'pending', receivedAt: 2_000 }),
          log.event({ seq: 5, linkStatus: 'pending', receivedAt: 1_000 }),
          log.event({ seq: 7, linkStatus: 'pending', receivedAt: 9_000 }),
        ],
      });
      const [, three, five] = first.events as [StoredEvent, StoredEvent, StoredEvent];
      expect((await store.listPendingEvents(5_000, 10)).map((event) => event.seq)).toEqual([5, 3]);
      expect((await store.listPendingEvents(5_000, 1)).map((event) => event.seq)).toEqual([5]);
      await log.commit(store, { events: [log.event({ seq: 4 })], linkUpdates: [{ factoId: five.factoId, linkStatus: 'linked' }, { factoId: three.factoId, linkStatus: 'gap_undeclared' }] });
      expect(await store.listPendingEvents(5_000, 10)).toEqual([]);
      await expect(store.listPendingEvents(5_000, -1)).rejects.toThrow(/limit/);
    });

    it('upserts and revokes keys', async () => {
      const key = agentKey();
      await store.putKey(key);
      await store.putKey(agentKey({ agentId: 'agent-b', keyId: 'agent-b-key-1' }));
      const replaced = { ...key, publicKey: hex('rotated'), notAfter: 2_000_000_000_000, source: 'admin' as const };
      await store.putKey(replaced);
      expect(await store.listKeys('agent-a')).toEqual([replaced]);
      expect(await store.revokeKey('agent-a', key.keyId, 1_800_000_000_000)).toBe(true);
      expect(await store.listKeys('agent-a')).toEqual([{ ...replaced, revokedAt: 1_800_000_000_000 }]);
      expect(await store.revokeKey('agent-a', 'no-such-key', 1)).toBe(false);
      expect(await store.revokeKey('agent-c', key.keyId, 1)).toBe(false);
      const learned = agentKey({ agentId: 'agent-b', keyId: 'agent-b-key-1', publicKey: hex('tofu b'), source: 'tofu' });
      await log.commit(store, { events: [log.event()], keys: [learned] });
      expect(await store.listKeys('agent-b')).toEqual([learned]);
      expect((await store.listKeys()).length).toBe(2);
    });

    it('lists incidents newest first with filters and an afterId cursor, and counts them by kind', async () => {
      const kinds = ['bad_signature', 'fork', 'bad_signature', 'unknown_key', 'replay', 'bad_signature', 'fork'] as const;
      const all = kinds.map((kind, position) => incident({ kind, agentId: position % 2 === 0 ? 'agent-a' : 'agent-b', detail: `incident ${position}` }));
      await log.commit(store, { events: [log.event()], incidents: all.slice(0, 3) });
      await log.commit(store, { events: [log.event()], incidents: all.slice(3) });
      const newestFirst = [...all].reverse().map(asStored);
      const walked = await walkPages((afterId) => store.listIncidents({ limit: 3, afterId }), (entry) => entry.id, 3);
      expect(walked.map(withoutId)).toEqual(newestFirst);
      expect((await store.listIncidents({ kind: 'bad_signature', limit: 10 })).map(withoutId)).toEqual(newestFirst.filter((entry) => entry.kind === 'bad_signature'));
      expect((await store.listIncidents({ agentId: 'agent-b', kind: 'fork', limit: 10 })).map(withoutId)).toEqual(newestFirst.filter((entry) => entry.agentId === 'agent-b' && entry.kind === 'fork'));
      const counts = await store.countIncidents();
      expect({ bad_signature: counts.bad_signature, fork: counts.fork, unknown_key: counts.unknown_key, replay: counts.replay }).toEqual({ bad_signature: 3, fork: 2, unknown_key: 1, replay: 1 });
      expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(7);
    });

    it('counts a repeated finding (same fingerprint) on its first incident instead of storing it again', async () => {
      const first = incident({ createdAt: 1000, evidenceJson: '{"first":true}' });
      const other = incident({ kind: 'fork', detail: 'another finding', createdAt: 1500 });
      await log.commit(store, { events: [log.event()], incidents: [first, { ...first, createdAt: 2000, evidenceJson: '{"second":true}' }, other] });
      await log.commit(store, { events: [log.event()], incidents: [{ ...first, createdAt: 3000, evidenceJson: '{"third":true}' }] });
      const stored = await store.listIncidents({ limit: 10 });
      expect(stored).toHaveLength(2);
      const repeated = stored.find((entry) => entry.kind === 'bad_signature')!;
      expect(repeated).toMatchObject({ count: 3, createdAt: 1000, lastSeenAt: 3000, evidenceJson: '{"first":true}' });
      expect(stored.find((entry) => entry.kind === 'fork')).toMatchObject({ count: 1, lastSeenAt: 1500 });
      expect(await store.countIncidents()).toMatchObject({ bad_signature: 3, fork: 1 });
    });

    it('finds events by facto_id, several at once', async () => {
      const batch = await log.commit(store, { events: [log.event(), log.event(), log.event()] });
      const [first, , third] = batch.events as [StoredEvent, StoredEvent, StoredEvent];
      const found = await store.getEventsByFactoId([third.factoId, 'ft-unknown', first.factoId]);
      expect(found.sort((left, right) => left.leafIndex - right.leafIndex)).toEqual([first, third]);
      expect(await store.getEventsByFactoId([])).toEqual([]);
    });

    it('refuses link updates and erasures that name no stored event, and keeps nothing of the batch', async () => {
      await log.commit(store, { events: [log.event()] });
      const before = await snapshot();
      for (const parts of [{ linkUpdates: [{ factoId: 'evt_missing', linkStatus: 'linked' as const }] }, { logEntries: [log.logEntry()], erasures: [{ factoId: 'evt_missing', entry: 0 }] }]) {
        const batch = log.batch({ events: [log.event()], incidents: [incident({ detail: 'refused with its batch' })], ...parts });
        await expectRefusal(store.commitBatch(batch), 'invalid_argument');
        await expectUntouched(batch, before);
      }
    });

    it('refuses a batch that stores a facto_id or a hash a second time, and keeps nothing of it', async () => {
      const first = await log.commit(store, { events: [log.event()] });
      const before = await snapshot();
      const stored = first.events[0]!;
      for (const overrides of [{ factoId: stored.factoId }, { hash: stored.hash }]) {
        const batch = log.batch({ events: [log.event(overrides)] });
        await expectRefusal(store.commitBatch(batch), 'invalid_argument');
        await expectUntouched(batch, before);
      }
      const twice = log.event();
      const inOneBatch = log.batch({ events: [twice, { ...log.event(), factoId: twice.factoId }] });
      await expectRefusal(store.commitBatch(inOneBatch), 'invalid_argument');
      await expectUntouched(inOneBatch, before);
    });

    it('accepts a node sent again with the same hash, and refuses it with another (StoreConflictError)', async () => {
      const first = await log.commit(store, { events: [log.event()] });
      const next = log.batch({ events: [log.event()] });
      await store.commitBatch({ ...next, nodes: [...first.nodes, ...next.nodes] });
      log.accept(next);
      const before = await snapshot();
      const third = log.batch({ events: [log.event()] });
      const rewrite = { ...third, nodes: [...third.nodes, { level: 1, index: 0, hash: new Uint8Array(32) }] };
      await expectRefusal(store.commitBatch(rewrite), 'conflict');
      await expectUntouched(rewrite, before);
    });

    it('keeps the earlier time when a key is revoked twice, and says whether the key exists', async () => {
      await store.putKey(agentKey({ agentId: 'a', keyId: 'k' }));
      expect(await store.revokeKey('a', 'k', 500)).toBe(true);
      expect(await store.revokeKey('a', 'k', 900)).toBe(true);
      expect((await store.listKeys('a'))[0]?.revokedAt).toBe(500);
      expect(await store.revokeKey('a', 'unknown', 500)).toBe(false);
    });

    it('refuses negative and fractional limits instead of reading them as "no limit"', async () => {
      for (const limit of [-1, 1.5]) {
        await expectRefusal(store.queryEvents({ order: 'asc', limit }), 'invalid_argument');
        await expectRefusal(store.listIncidents({ limit }), 'invalid_argument');
        await expectRefusal(store.listPendingEvents(Date.now(), limit), 'invalid_argument');
      }
    });

    it('after reopening, sees everything committed', async () => {
      const first = await log.commit(store, { events: [log.event(), log.event()], incidents: [incident()], keys: [agentKey()], unverified: [unverifiedSpan()], forwards: [forwardRequest('kept')] });
      const second = await log.commit(store, { events: [log.event()], logEntries: [log.logEntry()], erasures: [{ factoId: first.events[0]!.factoId, entry: 0 }] });
      await store.putCheckpoint(checkpoint(4, { rootHash: Buffer.from(log.root()).toString('hex') }), null);
      store = await options.reopen(store);
      expect(await store.treeSize()).toBe(4);
      expect(await store.getEvent(first.events[1]!.factoId)).toEqual(first.events[1]);
      expect((await store.getEvent(first.events[0]!.factoId))?.erasedBy).toBe(second.logEntries[0]!.leafIndex);
      expect(await store.getLogEntry(3)).toEqual(second.logEntries[0]);
      expect(await rootAt(store, 4)).toEqual(log.root());
      expect((await store.latestCheckpoint())?.treeSize).toBe(4);
      expect(await store.listKeys()).toEqual([agentKey()]);
      expect((await store.listIncidents({ limit: 10 })).map(withoutId)).toEqual([asStored(incident())]);
      expect(await store.countUnverified()).toBe(1);
      expect((await store.listForwards(0, 10)).map((forward) => Buffer.from(forward.body).toString())).toEqual([Buffer.from(forwardRequest('kept').body).toString()]);
      await log.commit(store, { events: [log.event()] });
      expect(await store.treeSize()).toBe(5);
    });
  });
}
