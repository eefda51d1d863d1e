import { fromHex, hashLeaf, openCheckpoint, parseVerifierKey, toHex, verifyConsistency, verifyInclusion } from '@facto/core';
import { describe, expect, it } from 'vitest';
import { ingestSpans, useApiFixture, type ApiFixture, type TestAgent } from '../test-helpers/api-fixture.js';

let fixture: ApiFixture;
let alice: TestAgent;

useApiFixture({ agents: ['alice'] }, (ready, [first]) => {
  fixture = ready;
  alice = first!;
});

async function ingestMany(count: number): Promise<string[]> {
  const spans = Array.from({ length: count }, (_, index) => alice.seal(`chain-${index % 3}`));
  await ingestSpans(fixture.context, spans);
  return spans.map((span) => span.sealed.record.facto_id);
}

/** Opens a checkpoint note with the key /v1/log publishes. */
async function openNoteText(note: string) {
  const log = (await fixture.call('GET', '/v1/log')).body;
  return openCheckpoint(note, [parseVerifierKey(log.verifier_key)]).checkpoint;
}

describe('GET /v1/log and checkpoints', () => {
  it('describes the log: origin, verifier key, hash, size and root', async () => {
    await ingestMany(5);
    const response = await fixture.call('GET', '/v1/log');
    expect(response.status).toBe(200);
    const key = fixture.context.log.key;
    expect(response.body).toEqual({
      origin: key.origin,
      verifier_key: key.verifierKey,
      hash: 'SHA3-256',
      tree_size: 5,
      root_hash: toHex(fixture.context.log.root()),
      root_hash_base64: Buffer.from(fixture.context.log.root()).toString('base64'),
      leaf_hash: 'RFC 9162: H(0x00 || record_hash)',
    });
  });

  it('signs a first checkpoint on demand and serves each one as signed-note text', async () => {
    await ingestMany(3);
    const latest = await fixture.call('GET', '/v1/checkpoints/latest');
    expect(latest.status).toBe(200);
    expect(latest.headers).toEqual({ 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(latest.body)) });
    const opened = await openNoteText(latest.body);
    expect(opened.treeSize).toBe(3);
    expect(toHex(opened.rootHash)).toBe(toHex(fixture.context.log.root()));
    const again = await fixture.call('GET', '/v1/checkpoints/3');
    expect(again.body).toBe(latest.body);
    await ingestMany(2);
    // latest answers the newest stored checkpoint; it does not sign one per request.
    expect((await fixture.call('GET', '/v1/checkpoints/latest')).body).toBe(latest.body);
  });

  it('answers 404 for a size without a checkpoint and 400 for a malformed size', async () => {
    await ingestMany(2);
    await fixture.context.log.checkpoint();
    const missing = await fixture.call('GET', '/v1/checkpoints/1');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/no checkpoint was signed at tree size 1/);
    for (const size of ['abc', '01', '-1', '1.5', '99999999999999999999']) {
      const response = await fixture.call('GET', `/v1/checkpoints/${size}`);
      expect(response.status, size).toBe(400);
      expect(response.body.error).toMatch(/tree_size must be/);
    }
  });
});

describe('GET /v1/proofs/inclusion', () => {
  it('proves every event against the checkpoint it names, by facto_id or leaf index', async () => {
    const ids = await ingestMany(7);
    for (const [index, factoId] of ids.entries()) {
      const response = await fixture.call('GET', `/v1/proofs/inclusion?facto_id=${factoId}`);
      expect(response.status).toBe(200);
      const proof = response.body;
      expect(proof).toMatchObject({ leaf_index: index, tree_size: 7, kind: 'event', facto_id: factoId });
      const checkpoint = await openNoteText((await fixture.call('GET', `/v1/checkpoints/${proof.tree_size}`)).body);
      const event = await fixture.context.store.getEvent(factoId);
      expect(proof.leaf_hash).toBe(toHex(hashLeaf(fromHex(event!.hash))));
      expect(verifyInclusion({ leafHash: fromHex(proof.leaf_hash), index, treeSize: proof.tree_size, proof: proof.hashes.map((hash: string) => fromHex(hash)), root: checkpoint.rootHash })).toBe(true);
      const byIndex = await fixture.call('GET', `/v1/proofs/inclusion?leaf_index=${index}`);
      expect(byIndex.body).toEqual(proof);
    }
  });

  it('takes an explicit tree size, and signs a new checkpoint when the leaf is newer than the latest', async () => {
    await ingestMany(4);
    await fixture.context.log.checkpoint();
    const [newest] = await ingestMany(1);
    const defaulted = (await fixture.call('GET', `/v1/proofs/inclusion?facto_id=${newest}`)).body;
    expect(defaulted.tree_size).toBe(5);
    expect((await fixture.context.store.latestCheckpoint())!.treeSize).toBe(5);
    await ingestMany(3);
    const explicit = (await fixture.call('GET', '/v1/proofs/inclusion?leaf_index=2&tree_size=6')).body;
    const root = await fixture.context.log.rootAt(6);
    expect(verifyInclusion({ leafHash: fromHex(explicit.leaf_hash), index: 2, treeSize: 6, proof: explicit.hashes.map((hash: string) => fromHex(hash)), root })).toBe(true);
  });

  it.each([
    ['', /give exactly one of facto_id and leaf_index/],
    ['facto_id=ft-00000000-0000-4000-8000-000000000000&leaf_index=0', /give exactly one of facto_id and leaf_index/],
    ['leaf_index=x', /leaf_index must be a decimal integer/],
    ['leaf_index=9', /leaf_index 9 is not in the log \(its size is 3\)/],
    ['leaf_index=2&tree_size=2', /tree_size must be greater than the leaf index 2/],
    ['leaf_index=0&tree_size=4', /tree_size 4 is larger than the log \(3\)/],
    ['leaf_index=0&tree_size=0', /tree_size must be between 1 and/],
    ['facto_id=nope', /facto_id must be "ft-"/],
    ['leaf_index=0&size=3', /unknown query parameter "size"/],
  ])('answers 400 for "%s"', async (query, message) => {
    await ingestMany(3);
    const response = await fixture.call('GET', `/v1/proofs/inclusion?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(message);
  });

  it('answers 404 for an unknown facto_id', async () => {
    const response = await fixture.call('GET', '/v1/proofs/inclusion?facto_id=ft-00000000-0000-4000-8000-000000000000');
    expect(response.status).toBe(404);
  });
});

describe('GET /v1/proofs/consistency', () => {
  it('proves each checkpoint a prefix of every later one', async () => {
    const notes: string[] = [];
    for (const count of [1, 2, 5, 1, 8]) {
      await ingestMany(count);
      notes.push((await fixture.context.log.checkpoint()).note);
    }
    const checkpoints = await Promise.all(notes.map(openNoteText));
    for (const older of checkpoints) {
      for (const newer of checkpoints.filter((checkpoint) => checkpoint.treeSize >= older.treeSize)) {
        const response = await fixture.call('GET', `/v1/proofs/consistency?from=${older.treeSize}&to=${newer.treeSize}`);
        expect(response.status).toBe(200);
        expect(response.body.from).toBe(older.treeSize);
        const proof = response.body.hashes.map((hash: string) => fromHex(hash));
        expect(verifyConsistency({ size1: older.treeSize, size2: newer.treeSize, proof, root1: older.rootHash, root2: newer.rootHash })).toBe(true);
      }
    }
    expect((await fixture.call('GET', '/v1/proofs/consistency?from=0&to=17')).body).toEqual({ from: 0, to: 17, hashes: [] });
  });

  it.each([
    ['from=3', /from and to \(tree sizes\) are both required/],
    ['from=3&to=2', /from \(3\) must not be larger than to \(2\)/],
    ['from=1&to=4', /to \(4\) is larger than the log \(3\)/],
    ['from=a&to=2', /from must be a decimal integer/],
    ['from=1&to=2&extra=1', /unknown query parameter/],
  ])('answers 400 for "%s"', async (query, message) => {
    await ingestMany(3);
    const response = await fixture.call('GET', `/v1/proofs/consistency?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(message);
  });
});
