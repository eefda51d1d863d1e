import Database from 'better-sqlite3';
import { join } from 'node:path';
import { hashRecord, toHex } from '@facto/core';
import { describe, expect, it, vi } from 'vitest';
import { registerBodyFunctions } from '../store/sqlite/sqlite-format.js';
import { ingestSpans, useApiFixture, type ApiFixture, type TestAgent } from '../test-helpers/api-fixture.js';

let fixture: ApiFixture;
let alice: TestAgent;
let bob: TestAgent;
const T0 = Date.parse('2025-06-01T10:00:00Z');

useApiFixture({ agents: ['alice', 'bob'], now: T0 }, (ready, [first, second]) => {
  fixture = ready;
  alice = first!;
  bob = second!;
});

/** 23 events over two agents and three chains, one batch a minute from T0. */
async function seedEvents(): Promise<void> {
  for (let batch = 0; batch < 5; batch++) {
    vi.setSystemTime(T0 + batch * 60_000);
    const spans = [alice.seal('a-1'), alice.seal('a-2', { actionType: 'execute_tool' }), bob.seal('b-1'), alice.seal('a-1', { actionType: 'execute_tool' })];
    if (batch < 3) spans.push(bob.seal('b-1'));
    const outcome = await ingestSpans(fixture.context, spans);
    expect(outcome.rejected).toBe(0);
  }
}

async function walk(target: string, limit: number): Promise<number[]> {
  const seen: number[] = [];
  let cursor: string | null = null;
  do {
    const separator = target.includes('?') ? '&' : '?';
    const response = await fixture.call('GET', `${target}${separator}limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
    expect(response.status).toBe(200);
    expect(response.body.events.length).toBeLessThanOrEqual(limit);
    seen.push(...response.body.events.map((event: { leaf_index: number }) => event.leaf_index));
    cursor = response.body.next_cursor;
  } while (cursor !== null);
  return seen;
}

describe('GET /v1/events', () => {
  it('answers events newest first by default, in the documented shape', async () => {
    await seedEvents();
    const response = await fixture.call('GET', '/v1/events');
    expect(response.status).toBe(200);
    const events = response.body.events;
    expect(events).toHaveLength(23);
    expect(events[0].leaf_index).toBe(22);
    expect(response.body.next_cursor).toBeNull();
    const event = events[0];
    expect(Object.keys(event).sort()).toEqual([
      'action_type', 'agent_id', 'chain_id', 'context', 'disclosures', 'dropped', 'end_time_unix_nano', 'erased', 'erased_by', 'facto_id', 'hash', 'key_id',
      'leaf_index', 'link_status', 'name', 'prev_hash', 'received_at', 'record', 'seq', 'signature', 'span_id', 'start_time_unix_nano', 'trace_id',
    ]);
    expect(event.received_at).toBe('2025-06-01T10:04:00.000Z');
    expect(toHex(hashRecord(event.record))).toBe(event.hash);
    expect(event.disclosures).toEqual([expect.objectContaining({ key: 'gen_ai.input.messages', value: { s: `prompt of step ${event.seq}` } })]);
    expect(event.context).toEqual({ resource: [['service.name', { s: 'api-test' }]], scope: { name: 'facto-test', version: '1' } });
    expect(event.erased).toBe(false);
    expect(['genesis', 'linked']).toContain(event.link_status);
  });

  it('walks every event exactly once in both orders, filtered or not', async () => {
    await seedEvents();
    const all = Array.from({ length: 23 }, (_, index) => index);
    expect(await walk('/v1/events?order=asc', 5)).toEqual(all);
    expect(await walk('/v1/events?order=desc', 5)).toEqual([...all].reverse());
    expect(await walk('/v1/events?order=asc', 23)).toEqual(all);
    expect(await walk('/v1/events?order=desc', 1)).toEqual([...all].reverse());
    const bobs = (await fixture.call('GET', '/v1/events?agent_id=bob&order=asc&limit=1000')).body.events.map((event: { leaf_index: number }) => event.leaf_index);
    expect(bobs).toHaveLength(8);
    expect(await walk('/v1/events?agent_id=bob&order=asc', 3)).toEqual(bobs);
    expect(await walk('/v1/events?agent_id=bob&order=desc', 3)).toEqual([...bobs].reverse());
  });

  it('filters by agent, chain, action type and received time (RFC 3339 or epoch milliseconds)', async () => {
    await seedEvents();
    const count = async (query: string) => (await fixture.call('GET', `/v1/events?limit=1000&${query}`)).body.events.length;
    expect(await count('agent_id=alice')).toBe(15);
    expect(await count('agent_id=alice&chain_id=a-2')).toBe(5);
    expect(await count('action_type=execute_tool')).toBe(10);
    expect(await count('since=2025-06-01T10:02:00Z')).toBe(13);
    expect(await count(`since=${T0 + 120_000}`)).toBe(13);
    expect(await count('since=2025-06-01T12:01:00%2B02:00&until=2025-06-01T10:03:00.000Z')).toBe(14);
    expect(await count('until=2025-06-01T10:00:59.999999Z')).toBe(5);
    expect(await count('agent_id=nobody')).toBe(0);
  });

  it.each([
    ['limit=0', /limit must be between 1 and 1000/],
    ['limit=1001', /limit must be between 1 and 1000/],
    ['limit=ten', /limit must be a decimal integer/],
    ['limit=010', /limit must be a decimal integer/],
    ['limit=-1', /limit must be a decimal integer/],
    ['order=newest', /order must be asc or desc/],
    ['cursor=%%%', /cursor is not one this endpoint issued/],
    ['cursor=eyJsZWFmSW5kZXgiOi0xLCJvcmRlciI6ImRlc2MifQ', /cursor is not one this endpoint issued/],
    ['cursor=eyJpbmNpZGVudElkIjo0fQ', /cursor is not one this endpoint issued/],
    ['since=yesterday', /since must be an RFC 3339 time/],
    ['since=2025-02-30T00:00:00Z', /since must be an RFC 3339 time/],
    ['since=2025-06-01T24:00:00Z', /since must be an RFC 3339 time/],
    ['until=2025-06-01', /until must be an RFC 3339 time/],
    ['since=2000&until=1000', /since must not be later than until/],
    ['agent_id=', /agent_id must not be empty/],
    [`chain_id=${'x'.repeat(257)}`, /chain_id must be at most 256 characters/],
    ['agent=alice', /unknown query parameter "agent"/],
    ['agent_id=a&agent_id=b', /agent_id is given more than once/],
  ])('answers 400 for %s', async (query, message) => {
    const response = await fixture.call('GET', `/v1/events?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(message);
  });

  it('refuses a cursor issued for the other order', async () => {
    await seedEvents();
    const first = await fixture.call('GET', '/v1/events?order=asc&limit=2');
    const response = await fixture.call('GET', `/v1/events?order=desc&cursor=${first.body.next_cursor}`);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/issued for order=asc/);
  });
});

describe('GET /v1/events/{facto_id}', () => {
  it('answers one event with a verification made now', async () => {
    const [first, second] = [alice.seal('a-1'), alice.seal('a-1')];
    await ingestSpans(fixture.context, [first!, second!]);
    const response = await fixture.call('GET', `/v1/events/${second!.sealed.record.facto_id}`);
    expect(response.status).toBe(200);
    expect(response.body.leaf_index).toBe(1);
    expect(response.body.link_status).toBe('linked');
    const verification = response.body.verification;
    expect(verification).toMatchObject({
      ok: true,
      record: { ok: true },
      hash: { ok: true, computed: toHex(second!.sealed.hash) },
      fields: { ok: true, mismatched: [] },
      signature: { ok: true, key_id: alice.keyId, key_status: 'active', valid: true },
      disclosures: [{ key: 'gen_ai.input.messages', ok: true }],
      merkle: { leaf_index: 1, tree_size: 2, root_hash: toHex(fixture.context.log.root()), included: true },
    });
  });

  it('sees an edit made to the database after ingest', async () => {
    const span = alice.seal('a-1');
    await ingestSpans(fixture.context, [span]);
    const factoId = span.sealed.record.facto_id;
    const database = new Database(join(fixture.context.config.db));
    registerBodyFunctions(database);
    database
      .prepare(`UPDATE events SET body = facto_body_set(facto_body_set(body, 'record_json', replace(facto_body_get(body, 'record_json'), ?, ?)),
        'disclosures_json', replace(facto_body_get(body, 'disclosures_json'), ?, ?)) WHERE facto_id = ?`)
      .run('"step 0"', '"step 9"', 'prompt of step 0', 'a different prompt', factoId);
    database.close();
    const { verification } = (await fixture.call('GET', `/v1/events/${factoId}`)).body;
    expect(verification.ok).toBe(false);
    expect(verification.hash.ok).toBe(false);
    expect(verification.signature.valid).toBe(false);
    expect(verification.disclosures).toEqual([{ key: 'gen_ai.input.messages', ok: false }]);
    expect(verification.merkle.included).toBe(false);
  });

  it('compares every column served beside the record with it: an edited action_type, trace_id or name fails', async () => {
    const spans = [alice.seal('a-1'), alice.seal('a-1'), alice.seal('a-1')];
    await ingestSpans(fixture.context, spans);
    const database = new Database(join(fixture.context.config.db));
    registerBodyFunctions(database);
    const ids = spans.map((span) => span.sealed.record.facto_id);
    database.prepare("UPDATE events SET action_type = 'approved.by.auditor' WHERE facto_id = ?").run(ids[0]);
    database.prepare("UPDATE events SET body = facto_body_set(body, 'trace_id', '00000000000000000000000000000001') WHERE facto_id = ?").run(ids[1]);
    database.prepare("UPDATE events SET body = facto_body_set(body, 'name', 'refund approved') WHERE facto_id = ?").run(ids[2]);
    database.close();
    const mismatched = [];
    for (const id of ids) {
      const { verification } = (await fixture.call('GET', `/v1/events/${id}`)).body;
      expect([verification.ok, verification.hash.ok, verification.signature.ok]).toEqual([false, true, true]);
      mismatched.push(verification.fields.mismatched);
    }
    expect(mismatched).toEqual([['action_type'], ['trace_id'], ['name']]);
  });

  it('refuses a stored record that is not a facto.v1 record, saying why', async () => {
    const span = alice.seal('a-1');
    await ingestSpans(fixture.context, [span]);
    const factoId = span.sealed.record.facto_id;
    const database = new Database(join(fixture.context.config.db));
    registerBodyFunctions(database);
    database.prepare(`UPDATE events SET body = facto_body_set(body, 'record_json', json_set(facto_body_get(body, 'record_json'), '$.comment', 'approved by auditor')) WHERE facto_id = ?`).run(factoId);
    database.close();
    const { verification } = (await fixture.call('GET', `/v1/events/${factoId}`)).body;
    expect(verification.ok).toBe(false);
    expect(verification.record).toEqual({ ok: false, problem: expect.stringContaining('comment') });
  });

  it('no longer vouches for an event once its key is revoked', async () => {
    const span = alice.seal('a-1');
    await ingestSpans(fixture.context, [span]);
    await fixture.context.store.revokeKey('alice', alice.keyId, Date.now());
    const { verification } = (await fixture.call('GET', `/v1/events/${span.sealed.record.facto_id}`)).body;
    expect(verification.ok).toBe(false);
    expect(verification.signature).toMatchObject({ ok: false, key_status: 'revoked', valid: true });
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await fixture.call('GET', '/v1/events/ft-00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no event with facto_id/);
    const malformed = await fixture.call('GET', '/v1/events/ft-XYZ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/facto_id must be "ft-" and a lowercase UUID/);
  });
});
