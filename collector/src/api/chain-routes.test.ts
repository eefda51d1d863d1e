import { toHex } from '@facto/core';
import { describe, expect, it, vi } from 'vitest';
import { ingestSpans, TestAgent, useApiFixture, type ApiFixture } from '../test-helpers/api-fixture.js';

let fixture: ApiFixture;
let alice: TestAgent;

useApiFixture({ agents: ['alice'] }, (ready, [first]) => {
  fixture = ready;
  alice = first!;
});

describe('GET /v1/chains/{agent_id}/{chain_id}', () => {
  it('reports an intact chain: length, head, links', async () => {
    const spans = [alice.seal('main'), alice.seal('main'), alice.seal('main')];
    await ingestSpans(fixture.context, spans);
    const response = await fixture.call('GET', '/v1/chains/alice/main');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      agent_id: 'alice',
      chain_id: 'main',
      length: 3,
      events: 3,
      head: { seq: 2, hash: toHex(spans[2]!.sealed.hash) },
      valid_links: 3,
      bad_links: [],
      gaps: [],
      declared_gaps: 0,
      undeclared_gaps: 0,
      forks: [],
      rejected_forks: [],
      replays: [],
      incidents_complete: true,
      erased: 0,
      intact: true,
    });
  });

  it('tells a declared gap from an undeclared one', async () => {
    await ingestSpans(fixture.context, [alice.seal('declared'), alice.seal('declared', { skip: 2, dropped: 2 }), alice.seal('undeclared'), alice.seal('undeclared', { skip: 1 })]);
    const declared = (await fixture.call('GET', '/v1/chains/alice/declared')).body;
    expect(declared).toMatchObject({ gaps: [{ from_seq: 1, to_seq: 2, declared: true }], declared_gaps: 1, undeclared_gaps: 0, intact: true });
    const undeclared = (await fixture.call('GET', '/v1/chains/alice/undeclared')).body;
    expect(undeclared).toMatchObject({ gaps: [{ from_seq: 1, to_seq: 1, declared: false }], declared_gaps: 0, undeclared_gaps: 1, intact: false });
  });

  it('reports the forks ingest refused and the replays it saw, from the incidents', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2025-06-01T10:00:00Z'));
    const first = alice.seal('main');
    await ingestSpans(fixture.context, [first, alice.seal('main')]);
    const rival = alice.seal('main', { seq: 1 });
    await ingestSpans(fixture.context, [rival]);
    // Beyond the replay window (900 s here) a copy is a replay, not a retry.
    vi.setSystemTime(Date.parse('2025-06-01T11:00:00Z'));
    await ingestSpans(fixture.context, [first]);
    const status = (await fixture.call('GET', '/v1/chains/alice/main')).body;
    expect(status.length).toBe(2);
    expect(status.forks).toEqual([]);
    expect(status.rejected_forks).toEqual([expect.objectContaining({ seq: 1, facto_id: rival.sealed.record.facto_id, detected_at: '2025-06-01T10:00:00.000Z' })]);
    expect(status.replays).toEqual([expect.objectContaining({ seq: 0, facto_id: first.sealed.record.facto_id, detected_at: '2025-06-01T11:00:00.000Z' })]);
    expect(status.intact).toBe(true);
  });

  it('answers 404 for a chain without events and 400 for a bad identifier', async () => {
    const missing = await fixture.call('GET', '/v1/chains/alice/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/no events stored for agent "alice", chain "nothing"/);
    const long = await fixture.call('GET', `/v1/chains/alice/${'c'.repeat(300)}`);
    expect(long.status).toBe(400);
    expect(long.body.error).toMatch(/chain_id must be at most 256 characters/);
    const withQuery = await fixture.call('GET', '/v1/chains/alice/main?verbose=1');
    expect(withQuery.status).toBe(400);
  });
});

describe('GET /v1/chains', () => {
  it('lists chain summaries, for one agent or all', async () => {
    const bob = new TestAgent('bob');
    await bob.register(fixture.context);
    const spans = [alice.seal('a'), alice.seal('a'), alice.seal('b'), bob.seal('a')];
    await ingestSpans(fixture.context, spans);
    const all = (await fixture.call('GET', '/v1/chains')).body.chains;
    expect(all.map((chain: { agent_id: string; chain_id: string; count: number }) => [chain.agent_id, chain.chain_id, chain.count])).toEqual([['alice', 'a', 2], ['alice', 'b', 1], ['bob', 'a', 1]]);
    expect(all[0].head).toEqual({ seq: 1, hash: (await fixture.context.store.getEvent(spans[1]!.sealed.record.facto_id))!.hash });
    const bobs = (await fixture.call('GET', '/v1/chains?agent_id=bob')).body.chains;
    expect(bobs).toHaveLength(1);
    expect((await fixture.call('GET', '/v1/chains?agent_id=')).status).toBe(400);
    expect((await fixture.call('GET', '/v1/chains?agent=bob')).status).toBe(400);
    // The path a user tries first lists the same chains.
    expect((await fixture.call('GET', '/v1/chains/bob')).body.chains).toEqual(bobs);
    expect((await fixture.call('GET', '/v1/chains/alice')).body.chains.map((chain: { chain_id: string }) => chain.chain_id)).toEqual(['a', 'b']);
    expect((await fixture.call('GET', '/v1/chains/carol')).status).toBe(404);
  });
});
