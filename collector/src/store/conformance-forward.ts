/**
 * Part of the store conformance suite (conformance.ts): the forward queue. Requests to pass on
 * downstream land with the batch that carries them (or not at all), come back oldest first with
 * their bytes intact, page on from the last id read, leave the queue when deleted, and never hand
 * out an id twice, since the forwarder reads on from the last id it saw.
 */
import { expect, it } from 'vitest';
import { expectRefusal } from './conformance-expect.js';
import { forwardRequest, type LogBuilder } from './conformance-fixtures.js';
import type { QueuedForward, Store } from './types.js';

const withoutId = ({ id: _id, ...forward }: QueuedForward) => ({ ...forward, body: Buffer.from(forward.body).toString('latin1') });
const asRead = (forward: ReturnType<typeof forwardRequest>) => ({ ...forward, body: Buffer.from(forward.body).toString('latin1') });

export function forwardConformance(context: () => { store: Store; log: LogBuilder }): void {
  it('queues forwards with their batch, oldest first, bytes intact, and pages on from the last id', async () => {
    const { store, log } = context();
    expect(await store.forwardBacklog()).toEqual({ requests: 0, bytes: 0 });
    const first = [forwardRequest('one'), forwardRequest('two', { encoding: 'json', keepJson: '[[[true,false]]]', queuedAt: 1_767_500_000_001, factoIds: ['ft-00000000-0000-4000-8000-000000000001'] })];
    await log.commit(store, { events: [log.event()], forwards: first });
    await log.commit(store, { events: [log.event()], forwards: [forwardRequest('three')] });
    await log.commit(store, { events: [log.event()] });
    const all = await store.listForwards(0, 10);
    expect(all.map(withoutId)).toEqual([...first, forwardRequest('three')].map(asRead));
    expect(all[0]!.body).toBeInstanceOf(Uint8Array);
    expect(all.map((forward) => forward.id)).toEqual([...all.map((forward) => forward.id)].sort((left, right) => left - right));
    expect(new Set(all.map((forward) => forward.id)).size).toBe(3);
    expect(await store.listForwards(0, 2)).toEqual(all.slice(0, 2));
    expect(await store.listForwardIds(0, 10)).toEqual(all.map((forward) => forward.id));
    expect(await store.listForwardIds(all[0]!.id, 1)).toEqual([all[1]!.id]);
    await expectRefusal(store.listForwardIds(0, -1), 'invalid_argument');
    expect(await store.listForwards(all[1]!.id, 10)).toEqual(all.slice(2));
    expect(await store.listForwards(all[2]!.id, 10)).toEqual([]);
    const bytes = [...first, forwardRequest('three')].reduce((sum, forward) => sum + forward.body.byteLength, 0);
    expect(await store.forwardBacklog()).toEqual({ requests: 3, bytes });
    await expectRefusal(store.listForwards(0, -1), 'invalid_argument');
  });

  it('deletes exactly the ids named, ignores unknown ones, and never hands out an id again', async () => {
    const { store, log } = context();
    await log.commit(store, { events: [log.event()], forwards: [forwardRequest('a'), forwardRequest('b'), forwardRequest('c')] });
    const [a, b, c] = await store.listForwards(0, 10);
    expect(await store.getForward(b!.id)).toEqual(b);
    // What was removed, and only that: an id not queued counts for nothing, twice neither.
    expect(await store.deleteForwards([b!.id, 987_654_321])).toEqual({ requests: 1, bytes: b!.body.byteLength });
    expect(await store.deleteForwards([b!.id])).toEqual({ requests: 0, bytes: 0 });
    expect(await store.deleteForwards([])).toEqual({ requests: 0, bytes: 0 });
    expect(await store.getForward(b!.id)).toBeNull();
    expect(await store.listForwards(0, 10)).toEqual([a, c]);
    expect(await store.forwardBacklog()).toEqual({ requests: 2, bytes: a!.body.byteLength + c!.body.byteLength });
    // The newest is deleted: the next request must still get a larger id than any handed out.
    await store.deleteForwards([c!.id, a!.id]);
    await log.commit(store, { events: [log.event()], forwards: [forwardRequest('d')] });
    const [d] = await store.listForwards(0, 10);
    expect(d!.id).toBeGreaterThan(c!.id);
    expect(await store.listForwards(c!.id, 10)).toEqual([d]);
  });

  it('stores none of the forwards of a refused batch', async () => {
    const { store, log } = context();
    // Sequenced against the empty log, which another batch then moves on.
    const stale = log.batch({ events: [log.event()], forwards: [forwardRequest('lost')] });
    await log.commit(store, { events: [log.event()] });
    await expectRefusal(store.commitBatch(stale), 'conflict');
    expect(await store.listForwards(0, 10)).toEqual([]);
    expect(await store.forwardBacklog()).toEqual({ requests: 0, bytes: 0 });
  });

  it("finds queued requests by the signed spans they carry, and applies an erasure's rewrites and removals with its batch only", async () => {
    const { store, log } = context();
    const id = (n: number) => `ft-00000000-0000-4000-8000-00000000000${n}`;
    await log.commit(store, {
      events: [log.event()],
      forwards: [forwardRequest('ab', { factoIds: [id(1), id(2)] }), forwardRequest('c', { factoIds: [id(3)] }), forwardRequest('d', { factoIds: [id(4)] }), forwardRequest('none')],
    });
    const [ab, c, d, none] = await store.listForwards(0, 10);
    expect(await store.listForwardsHolding([id(2), id(3)])).toEqual([ab, c]);
    expect(await store.listForwardsHolding([id(9)])).toEqual([]);
    expect(await store.listForwardsHolding([])).toEqual([]);

    const rewritten = { body: new Uint8Array(Buffer.from('request ab without b')), keepJson: null, factoIds: [id(1)] };
    const edits = [{ id: ab!.id, replacement: rewritten }, { id: c!.id, replacement: null }, { id: 987_654_321, replacement: null }];
    // Refused (sequenced against a size the log has left): nothing of it applies.
    const stale = log.batch({ forwardEdits: edits });
    await log.commit(store, { events: [log.event()] });
    await expectRefusal(store.commitBatch(stale), 'conflict');
    expect(await store.listForwards(0, 10)).toEqual([ab, c, d, none]);

    await log.commit(store, { forwardEdits: edits });
    const after = await store.listForwards(0, 10);
    expect(after.map((forward) => [forward.id, Buffer.from(forward.body).toString(), forward.factoIds])).toEqual([
      [ab!.id, 'request ab without b', [id(1)]],
      [d!.id, Buffer.from(d!.body).toString(), [id(4)]],
      [none!.id, Buffer.from(none!.body).toString(), []],
    ]);
    expect(await store.listForwardsHolding([id(2), id(3)])).toEqual([]);
    expect(await store.getForward(ab!.id)).toEqual(after[0]);
    expect(await store.getForward(c!.id)).toBeNull();
    expect(await store.forwardBacklog()).toEqual({ requests: 3, bytes: rewritten.body.byteLength + d!.body.byteLength + none!.body.byteLength });
  });
}
