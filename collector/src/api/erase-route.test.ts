import { fromHex, hashLeaf, openCheckpoint, parseVerifierKey, verifyBundle, verifyConsistency, verifyInclusion, type EvidenceBundle } from '@facto/core';
import { describe, expect, it, vi } from 'vitest';
import { ingestSpans, useApiFixture, type ApiFixture, type TestAgent } from '../test-helpers/api-fixture.js';
import { verifyErasureEntry } from '@facto/core';

let fixture: ApiFixture;
let alice: TestAgent;
let bob: TestAgent;
const T0 = Date.parse('2025-06-01T10:00:00Z');

useApiFixture({ agents: ['alice', 'bob'], now: T0 }, (ready, [first, second]) => {
  fixture = ready;
  alice = first!;
  bob = second!;
});

const erase = (body: unknown) => fixture.call('POST', '/v1/admin/erase', { body });

async function seed(): Promise<string[]> {
  const spans = [alice.seal('main'), alice.seal('main'), alice.seal('main'), bob.seal('other')];
  await ingestSpans(fixture.context, spans);
  return spans.map((span) => span.sealed.record.facto_id);
}

function openWithLogKey(note: string) {
  return openCheckpoint(note, [parseVerifierKey(fixture.context.log.key.verifierKey)]).checkpoint;
}

describe('POST /v1/admin/erase', () => {
  it('removes content and leaves every record, signature, proof, chain and bundle verifying', async () => {
    const ids = await seed();
    const before = openWithLogKey((await fixture.context.log.checkpoint()).note);
    const response = await erase({ facto_ids: [ids[1]], reason: 'GDPR Art. 17 request #7' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ erased: 1, already_erased: 0, leaf_index: 4, entry: { facto_ids: [ids[1]], reason: 'GDPR Art. 17 request #7', erased_at_unix_ms: T0 } });

    const event = (await fixture.call('GET', `/v1/events/${ids[1]}`)).body;
    expect(event).toMatchObject({ erased: true, erased_by: 4, disclosures: [] });
    expect((await fixture.context.store.getEvent(ids[1]!))!.salt).toBeNull();
    expect(event.verification).toMatchObject({ ok: true, hash: { ok: true }, signature: { ok: true }, disclosures: [], merkle: { included: true, tree_size: 5 } });

    const after = openWithLogKey((await fixture.call('GET', '/v1/checkpoints/latest')).body);
    expect(after.treeSize).toBe(4);
    const fresh = openWithLogKey((await fixture.context.log.checkpoint()).note);
    expect(fresh.treeSize).toBe(5);
    for (const leafIndex of [0, 1, 2, 3, 4]) {
      const proof = (await fixture.call('GET', `/v1/proofs/inclusion?leaf_index=${leafIndex}`)).body;
      expect(proof.kind).toBe(leafIndex === 4 ? 'erasure' : 'event');
      expect(verifyInclusion({ leafHash: fromHex(proof.leaf_hash), index: leafIndex, treeSize: 5, proof: proof.hashes.map((hash: string) => fromHex(hash)), root: fresh.rootHash })).toBe(true);
    }
    const erasureLeaf = (await fixture.call('GET', '/v1/proofs/inclusion?leaf_index=4')).body;
    expect(erasureLeaf.leaf_hash).toBe(Buffer.from(hashLeaf(fromHex(response.body.hash))).toString('hex'));
    const consistency = (await fixture.call('GET', `/v1/proofs/consistency?from=${before.treeSize}&to=5`)).body;
    expect(verifyConsistency({ size1: before.treeSize, size2: 5, proof: consistency.hashes.map((hash: string) => fromHex(hash)), root1: before.rootHash, root2: fresh.rootHash })).toBe(true);

    expect((await fixture.call('GET', '/v1/chains/alice/main')).body).toMatchObject({ intact: true, length: 3, erased: 1 });
    const bundle = (await fixture.call('GET', '/v1/export')).body as EvidenceBundle;
    expect(bundle.events.find((item) => item.record.facto_id === ids[1])!.disclosures).toEqual([]);
    const report = verifyBundle(bundle, { trustedKeys: { log: fixture.context.log.key.verifierKey, agents: { alice: [alice.keyPair.publicKey], bob: [bob.keyPair.publicKey] } } });
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);

    const entry = await fixture.context.store.getLogEntry(4);
    expect(entry).toMatchObject({ kind: 'erasure', hash: response.body.hash, signature: response.body.signature });
    expect(verifyErasureEntry(entry!, fixture.context.log.key.verifierKey)).toMatchObject({ ok: true, errors: [] });
  });

  it("erases an agent's events in a time window, and skips what is already erased", async () => {
    const ids = await seed();
    vi.setSystemTime(T0 + 60_000);
    await ingestSpans(fixture.context, [alice.seal('main')]);
    const windowed = await erase({ agent_id: 'alice', until: '2025-06-01T10:00:30Z', reason: 'retention period over' });
    expect(windowed.body).toMatchObject({ erased: 3, already_erased: 0, leaf_index: 5 });
    expect(windowed.body.entry.facto_ids).toEqual(ids.slice(0, 3).sort());
    const again = await erase({ agent_id: 'alice', since: T0, reason: 'retention period over' });
    expect(again.body).toMatchObject({ erased: 1, already_erased: 3, leaf_index: 6 });
    const nothing = await erase({ facto_ids: [ids[0], ids[0]], reason: 'duplicate request' });
    expect(nothing.body).toEqual({ erased: 0, already_erased: 1, leaf_index: null, hash: null });
    expect(fixture.context.log.treeSize).toBe(7);
    expect((await fixture.call('GET', '/v1/events?agent_id=bob')).body.events[0].erased).toBe(false);
  });

  it('erases nothing when an id is unknown', async () => {
    const ids = await seed();
    const response = await erase({ facto_ids: [ids[0], 'ft-00000000-0000-4000-8000-000000000000'], reason: 'r' });
    expect(response.status).toBe(404);
    expect(response.body.error).toMatch(/no event with facto_id ft-00000000-0000-4000-8000-000000000000; nothing was erased/);
    expect(fixture.context.log.treeSize).toBe(4);
    expect((await fixture.context.store.getEvent(ids[0]!))!.erasedBy).toBeNull();
  });

  it('settles two erasures racing over one event: each event is named by one entry, and the export verifies', async () => {
    const spans = [alice.seal('main'), alice.seal('main')];
    await ingestSpans(fixture.context, spans);
    const [first, second] = spans.map((span) => span.sealed.record.facto_id);
    const [both, one] = await Promise.all([erase({ facto_ids: [first, second], reason: 'retention' }), erase({ facto_ids: [first], reason: 'GDPR request' })]);
    expect([both.status, one.status]).toEqual([200, 200]);
    // Whichever committed first erased the shared event; the other named only what was left, or nothing.
    expect(both.body.erased + one.body.erased).toBe(2);
    const bundle = (await fixture.call('GET', '/v1/export')).body as EvidenceBundle;
    const report = verifyBundle(bundle, { trustedKeys: { log: fixture.context.log.key.verifierKey, agents: { alice: [alice.keyPair.publicKey] } } });
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it.each([
    [{ facto_ids: ['ft-00000000-0000-4000-8000-000000000000'] }, /body.reason must be a string/],
    [{ facto_ids: ['ft-00000000-0000-4000-8000-000000000000'], reason: '  ' }, /reason must be a non-empty string/],
    [{ facto_ids: ['ft-00000000-0000-4000-8000-000000000000'], reason: 'x'.repeat(1001) }, /at most 1000 characters/],
    [{ facto_ids: [], reason: 'r' }, /facto_ids must be a non-empty array/],
    [{ facto_ids: 'ft-1', reason: 'r' }, /facto_ids must be a non-empty array/],
    [{ facto_ids: ['ft-1'], reason: 'r' }, /facto_ids\[0\] is not a facto_id/],
    [{ facto_ids: ['ft-00000000-0000-4000-8000-000000000000'], agent_id: 'alice', reason: 'r' }, /give facto_ids or agent_id \(with since\/until\), not both/],
    [{ reason: 'r' }, /say what to erase/],
    [{ agent_id: 'alice', since: 2000, until: 1000, reason: 'r' }, /since must not be later than until/],
    [{ agent_id: 'alice', since: 1.5, reason: 'r' }, /body.since must be a decimal integer/],
    [{ agent_id: 'alice', since: true, reason: 'r' }, /body.since must be an RFC 3339 string or milliseconds/],
  ])('answers 400 for %j', async (body, message) => {
    await seed();
    const response = await erase(body);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(message);
    expect(fixture.context.log.treeSize).toBe(4);
  });
});
