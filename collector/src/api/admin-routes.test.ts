import { publicKeyToPem, toBase64, toHex } from '@facto/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiFixture, ingestSpans, TestAgent, type ApiFixture } from '../test-helpers/api-fixture.js';

let fixture: ApiFixture;

beforeEach(async () => {
  fixture = await createApiFixture();
});

afterEach(async () => {
  await fixture.close();
});

const registerKey = (body: unknown) => fixture.call('POST', '/v1/admin/keys', { body });

describe('admin keys', () => {
  it('registers a key (PEM, base64 or hex), lists it, and ingest trusts it at once', async () => {
    const alice = new TestAgent('alice');
    expect((await ingestSpans(fixture.context, [alice.seal('main')])).rejected).toBe(1);
    const created = await registerKey({ agent_id: 'alice', public_key: publicKeyToPem(alice.keyPair.publicKey), not_after: '2100-01-01T00:00:00Z' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ agent_id: 'alice', key_id: alice.keyId, public_key: toHex(alice.keyPair.publicKey), not_before: null, not_after: '2100-01-01T00:00:00.000Z', revoked_at: null, source: 'admin' });
    expect((await ingestSpans(fixture.context, [alice.seal('second')])).accepted).toBe(1);

    const bob = new TestAgent('bob');
    expect((await registerKey({ agent_id: 'bob', public_key: toBase64(bob.keyPair.publicKey) })).status).toBe(201);
    const again = await registerKey({ agent_id: 'bob', public_key: toHex(bob.keyPair.publicKey), not_before: 0 });
    expect(again.status).toBe(200);
    expect(again.body.not_before).toBe('1970-01-01T00:00:00.000Z');
    const listed = (await fixture.call('GET', '/v1/admin/keys')).body.keys;
    expect(listed.map((key: { agent_id: string }) => key.agent_id)).toEqual(['alice', 'bob']);
    expect((await fixture.call('GET', '/v1/admin/keys?agent_id=bob')).body.keys).toHaveLength(1);
  });

  it('refuses a key already registered to another agent, and a bad key or window', async () => {
    const alice = new TestAgent('alice');
    await registerKey({ agent_id: 'alice', public_key: toHex(alice.keyPair.publicKey) });
    const taken = await registerKey({ agent_id: 'mallory', public_key: toHex(alice.keyPair.publicKey) });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatch(/already registered to agent "alice"/);
    const cases: [unknown, RegExp][] = [
      [{ agent_id: 'a', public_key: 'not a key' }, /body.public_key is not an Ed25519 public key/],
      [{ agent_id: 'a' }, /body.public_key must be a string/],
      [{ public_key: toHex(alice.keyPair.publicKey) }, /body.agent_id must be a string/],
      [{ agent_id: '', public_key: toHex(alice.keyPair.publicKey) }, /body.agent_id must not be empty/],
      [{ agent_id: 'a', public_key: toHex(alice.keyPair.publicKey), not_before: 'soon' }, /body.not_before must be an RFC 3339 time/],
      [{ agent_id: 'a', public_key: toHex(alice.keyPair.publicKey), not_before: 2000, not_after: 1000 }, /not_before must not be later than not_after/],
      [{ agent_id: 'a', public_key: toHex(alice.keyPair.publicKey), comment: 'x' }, /unknown field "comment"/],
      [[1, 2], /body must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const response = await registerKey(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error).toMatch(message);
    }
  });

  it('revokes a key: ingest refuses it from then on, and re-registering does not lift the revocation', async () => {
    const alice = new TestAgent('alice');
    await alice.register(fixture.context);
    const revoked = await fixture.call('POST', `/v1/admin/keys/alice/${alice.keyId}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    expect((await ingestSpans(fixture.context, [alice.seal('main')])).rejected).toBe(1);
    expect((await fixture.call('GET', '/v1/incidents?kind=revoked_key')).body.incidents).toHaveLength(1);
    await registerKey({ agent_id: 'alice', public_key: toHex(alice.keyPair.publicKey) });
    expect((await fixture.call('GET', '/v1/admin/keys')).body.keys[0].revoked_at).toBe(revoked.body.revoked_at);

    const dated = await fixture.call('POST', `/v1/admin/keys/alice/${alice.keyId}/revoke`, { body: { revoked_at: '2020-01-01T00:00:00Z' } });
    expect(dated.body.revoked_at).toBe('2020-01-01T00:00:00.000Z');
    expect((await fixture.call('POST', `/v1/admin/keys/bob/${alice.keyId}/revoke`)).status).toBe(404);
    expect((await fixture.call('POST', '/v1/admin/keys/alice/XYZ/revoke')).body.error).toMatch(/key_id must be 32 lowercase hex digits/);
    expect((await fixture.call('POST', `/v1/admin/keys/alice/${alice.keyId}/revoke`, { body: { when: 1 } })).body.error).toMatch(/unknown field "when"/);
  });
});

describe('GET /v1/incidents', () => {
  it('pages through incidents newest first, exactly once, filtered by kind and agent', async () => {
    const mallory = new TestAgent('mallory');
    const eve = new TestAgent('eve');
    for (let round = 0; round < 4; round++) await ingestSpans(fixture.context, [mallory.seal('x'), mallory.seal('x'), eve.seal('y')]);
    const all = (await fixture.call('GET', '/v1/incidents?limit=1000')).body;
    expect(all.incidents).toHaveLength(12);
    expect(all.next_cursor).toBeNull();
    const ids = all.incidents.map((incident: { id: number }) => incident.id);
    expect(ids).toEqual([...ids].sort((left, right) => right - left));
    expect(all.incidents[0]).toMatchObject({ kind: 'unknown_key', agent_id: 'eve', chain_id: 'y', seq: 3, evidence: expect.objectContaining({ record: expect.any(Object) }) });
    expect(all.incidents[0].detected_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    const walked: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { incidents: { id: number }[]; next_cursor: string | null } } = await fixture.call('GET', `/v1/incidents?limit=5${cursor === null ? '' : `&cursor=${cursor}`}`);
      walked.push(...page.body.incidents.map((incident) => incident.id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(walked).toEqual(ids);
    expect((await fixture.call('GET', '/v1/incidents?agent_id=eve&kind=unknown_key')).body.incidents).toHaveLength(4);
    expect((await fixture.call('GET', '/v1/incidents?kind=fork')).body.incidents).toHaveLength(0);
  });

  it.each([
    ['kind=evil', /kind must be one of bad_signature, /],
    ['kind=toString', /kind must be one of/],
    ['limit=0', /limit must be between 1 and 1000/],
    ['cursor=eyJsZWFmSW5kZXgiOjMsIm9yZGVyIjoiYXNjIn0', /cursor is not one this endpoint issued/],
    ['chain_id=x', /unknown query parameter "chain_id"/],
  ])('answers 400 for %s', async (query, message) => {
    const response = await fixture.call('GET', `/v1/incidents?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(message);
  });
});
