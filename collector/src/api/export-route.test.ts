import { generateKeyPair, signCheckpoint, verifyBundle, type EvidenceBundle } from '@facto/core';
import { describe, expect, it, vi } from 'vitest';
import { ingestSpans, useApiFixture, type ApiFixture, type TestAgent } from '../test-helpers/api-fixture.js';
import { openEvidenceBundle } from './evidence-bundle.js';

let fixture: ApiFixture;
let alice: TestAgent;
let bob: TestAgent;
const T0 = Date.parse('2025-06-01T10:00:00Z');

useApiFixture({ agents: ['alice', 'bob'], now: T0 }, (ready, [first, second]) => {
  fixture = ready;
  alice = first!;
  bob = second!;
});

const trusted = () => ({ trustedKeys: { log: fixture.context.log.key.verifierKey, agents: { alice: [alice.keyPair.publicKey], bob: [bob.keyPair.publicKey] } } });

/** Two chains of alice (5 and 3 events) and one of bob (2), arriving in two batches a minute apart. */
async function seed(): Promise<void> {
  await ingestSpans(fixture.context, [alice.seal('a-1'), alice.seal('a-1'), alice.seal('a-1'), alice.seal('a-2'), bob.seal('b-1')]);
  vi.setSystemTime(T0 + 60_000);
  await ingestSpans(fixture.context, [alice.seal('a-1'), alice.seal('a-1'), alice.seal('a-2'), alice.seal('a-2'), bob.seal('b-1')]);
}

async function exportBundle(query = ''): Promise<EvidenceBundle> {
  const response = await fixture.call('GET', `/v1/export${query}`);
  expect(response.status).toBe(200);
  return response.body as EvidenceBundle;
}

const clone = (bundle: EvidenceBundle): { -readonly [K in keyof EvidenceBundle]: any } => JSON.parse(JSON.stringify(bundle));

describe('GET /v1/export', () => {
  it('exports a bundle that verifies offline, as an attachment named after its tree size', async () => {
    await seed();
    const response = await fixture.call('GET', '/v1/export');
    expect(response.headers).toEqual({ 'content-type': 'application/json', 'content-disposition': 'attachment; filename="facto-bundle-10.json"', 'facto-export-estimate': '10' });
    const bundle = response.body as EvidenceBundle;
    expect(bundle.format).toBe('facto.bundle.v1');
    expect(bundle.log_key).toBe(fixture.context.log.key.verifierKey);
    expect(bundle.events.map((event) => event.leaf_index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(bundle.keys.map((key) => key.agent_id).sort()).toEqual(['alice', 'bob']);
    expect(bundle.chains.map((chain) => chain.chain_id).sort()).toEqual(['a-1', 'a-2', 'b-1']);
    expect(bundle.query).toEqual({});
    expect(bundle.events[0]!.disclosures).toHaveLength(1);
    const report = verifyBundle(bundle, trusted());
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.chains.every((chain) => chain.ok)).toBe(true);
  });

  it('exports one agent, one chain or a time window, each verifying with its chain statements', async () => {
    await seed();
    const chain = await exportBundle('?agent_id=alice&chain_id=a-1');
    expect(chain.events.map((event) => event.record.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(chain.query).toEqual({ agent_id: 'alice', chain_id: 'a-1' });
    expect(verifyBundle(chain, trusted()).ok).toBe(true);
    const later = await exportBundle(`?agent_id=alice&since=${T0 + 60_000}`);
    expect(later.events.map((event) => [event.record.chain_id, event.record.seq])).toEqual([['a-1', 3], ['a-1', 4], ['a-2', 1], ['a-2', 2]]);
    expect(later.query).toEqual({ agent_id: 'alice', since: '2025-06-01T10:01:00.000Z' });
    expect(verifyBundle(later, trusted()).ok).toBe(true);
    expect(verifyBundle(await exportBundle('?agent_id=nobody'), trusted())).toMatchObject({ ok: true, events: [], chains: [] });
  });

  it('fills a chain range that a time window cut through when events arrived out of order', async () => {
    const [zero, one, two, three] = [alice.seal('c'), alice.seal('c'), alice.seal('c'), alice.seal('c')];
    await ingestSpans(fixture.context, [zero!]);
    vi.setSystemTime(T0 + 60_000);
    await ingestSpans(fixture.context, [two!]);
    vi.setSystemTime(T0 + 120_000);
    await ingestSpans(fixture.context, [one!, three!]);
    const bundle = await exportBundle(`?until=${T0 + 60_000}`);
    // Leaf order: seq 0 and 2 were selected by time, seq 1 (received later) was added to close the range.
    expect(bundle.events.map((event) => event.record.seq)).toEqual([0, 2, 1]);
    expect(verifyBundle(bundle, trusted()).ok).toBe(true);
  });

  it('fills a cut range however many seqs between were declared dropped, reading only stored events', async () => {
    // Seq 2..200001 dropped by the signer (declared by seq 200002); seq 1 arrived after the window.
    const [zero, one, far] = [alice.seal('c'), alice.seal('c'), alice.seal('c', { skip: 200_000, dropped: 200_000 })];
    await ingestSpans(fixture.context, [zero!]);
    vi.setSystemTime(T0 + 60_000);
    await ingestSpans(fixture.context, [far!]);
    vi.setSystemTime(T0 + 120_000);
    await ingestSpans(fixture.context, [one!]);
    const listChainRange = vi.spyOn(fixture.context.store, 'listChainRange');
    const bundle = await exportBundle(`?until=${T0 + 60_000}`);
    expect(bundle.events.map((event) => event.record.seq)).toEqual([0, 200_002, 1]);
    expect(listChainRange).toHaveBeenCalledTimes(1);
    const report = verifyBundle(bundle, trusted());
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('reads the store a page at a time as the bundle is read, with no cap on its size', async () => {
    await seed();
    const queryEvents = vi.spyOn(fixture.context.store, 'queryEvents');
    const { chunks, estimatedEvents } = await openEvidenceBundle(fixture.context, {}, { pageSize: 3 });
    expect(estimatedEvents).toBe(10);
    const reader = chunks[Symbol.asyncIterator]();
    const head = new TextDecoder().decode((await reader.next()).value);
    expect(head).toMatch(/^\{"format":"facto.bundle.v1","log_key":.*"events":\[$/);
    expect(queryEvents).not.toHaveBeenCalled();
    const firstPage = new TextDecoder().decode((await reader.next()).value);
    // One page read, one page written: the other seven events are still in the store only.
    expect(queryEvents).toHaveBeenCalledTimes(1);
    expect(firstPage.split('\n').filter((line) => line.startsWith('{"leaf_index"'))).toHaveLength(3);
    let rest = '';
    for (let next = await reader.next(); next.done !== true; next = await reader.next()) rest += new TextDecoder().decode(next.value);
    const bundle = JSON.parse(head + firstPage + rest) as EvidenceBundle;
    expect(bundle.events).toHaveLength(10);
    expect(queryEvents).toHaveBeenCalledTimes(4);
    expect(verifyBundle(bundle, trusted()).ok).toBe(true);
  });

  it.each([
    ['?action_type=chat', /unknown query parameter "action_type"/],
    ['?since=tomorrow', /since must be an RFC 3339 time/],
    ['?agent_id=', /agent_id must not be empty/],
    ['?since=2000&until=1000', /since must not be later than until/],
  ])('answers 400 for %s', async (query, message) => {
    const response = await fixture.call('GET', `/v1/export${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(message);
  });
});

describe('a tampered bundle fails verification, naming what was done', () => {
  it('an altered record field', async () => {
    await seed();
    const bundle = clone(await exportBundle());
    bundle.events[3].record.name = 'step 9';
    const report = verifyBundle(bundle, trusted());
    expect(report.ok).toBe(false);
    expect(report.events[3]).toMatchObject({ hash: false, ok: false });
    expect(report.events[3]!.errors.join('\n')).toMatch(/the record or the stated hash was altered/);
    expect(report.events.filter((event) => !event.ok)).toHaveLength(1);
  });

  it('the last event of a chain removed', async () => {
    await seed();
    const bundle = clone(await exportBundle());
    const last = bundle.events.findLastIndex((event: { record: { chain_id: string } }) => event.record.chain_id === 'a-1');
    bundle.events.splice(last, 1);
    const report = verifyBundle(bundle, trusted());
    expect(report.ok).toBe(false);
    const chain = report.chains.find((verdict) => verdict.chainId === 'a-1')!;
    expect(chain.errors.join('\n')).toMatch(/events removed from the end/);
    expect(report.events.every((event) => event.ok)).toBe(true);
  });

  it('a middle event removed', async () => {
    await seed();
    const bundle = clone(await exportBundle());
    const middle = bundle.events.findIndex((event: { record: { chain_id: string; seq: number } }) => event.record.chain_id === 'a-1' && event.record.seq === 2);
    bundle.events.splice(middle, 1);
    const report = verifyBundle(bundle, trusted());
    expect(report.ok).toBe(false);
    const chain = report.chains.find((verdict) => verdict.chainId === 'a-1')!;
    expect(chain.errors.join('\n')).toMatch(/events 2\.\.2 are missing and were not declared dropped/);
  });

  it('an altered proof hash', async () => {
    await seed();
    const bundle = clone(await exportBundle());
    const proof: string[] = bundle.events[5].inclusion_proof;
    proof[0] = `${proof[0]![0] === '0' ? '1' : '0'}${proof[0]!.slice(1)}`;
    const report = verifyBundle(bundle, trusted());
    expect(report.ok).toBe(false);
    expect(report.events[5]).toMatchObject({ hash: true, signature: true, inclusion: false });
    expect(report.events[5]!.errors.join('\n')).toMatch(/inclusion: no valid proof that leaf 5/);
  });

  it('the checkpoint swapped for a later one of the same log, or for another log', async () => {
    await seed();
    const bundle = clone(await exportBundle());
    await ingestSpans(fixture.context, [bob.seal('b-1')]);
    bundle.checkpoint = (await fixture.context.log.checkpoint()).note;
    const later = verifyBundle(bundle, trusted());
    expect(later.ok).toBe(false);
    expect(later.checkpoint).toMatchObject({ ok: true, treeSize: 11 });
    expect(later.events.every((event) => !event.inclusion)).toBe(true);
    expect(later.chains.every((chain) => chain.errors.some((error) => /statement was made at tree size 10, the checkpoint is at 11/.test(error)))).toBe(true);

    const stranger = generateKeyPair();
    bundle.checkpoint = signCheckpoint({ origin: fixture.context.log.key.origin, treeSize: 10, rootHash: fixture.context.log.root() }, { name: fixture.context.log.key.origin, privateKey: stranger.privateKey });
    const foreign = verifyBundle(bundle, trusted());
    expect(foreign.ok).toBe(false);
    expect(foreign.checkpoint.ok).toBe(false);
    expect(foreign.errors.join('\n')).toMatch(/^checkpoint: /);
  });
});
