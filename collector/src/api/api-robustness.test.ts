import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiFixture, ingestSpans, TestAgent, type ApiFixture } from '../test-helpers/api-fixture.js';

// Every route meets junk in every place a client controls: path segments, query values, bodies. The
// fixture rethrows anything that is not an HttpError, so a raw TypeError or FactoError fails here.

let fixture: ApiFixture;

beforeAll(async () => {
  fixture = await createApiFixture();
  const alice = new TestAgent('alice');
  await alice.register(fixture.context);
  await ingestSpans(fixture.context, [alice.seal('main'), alice.seal('main'), alice.seal('other')]);
});

afterAll(async () => {
  await fixture.close();
});

const JUNK = ['', '-1', '0', '1', '3', '1e3', '0x10', 'abc', '__proto__', 'constructor', '%E2%82%AC', '9'.repeat(30), 'x'.repeat(300), 'ft-00000000-0000-4000-8000-000000000000', 'eyJ9', 'asc', 'fork', '2025-06-01T10:00:00Z'];
const PARAMETERS = ['agent_id', 'chain_id', 'action_type', 'since', 'until', 'limit', 'cursor', 'order', 'facto_id', 'leaf_index', 'tree_size', 'from', 'to', 'kind'];

const BODIES: unknown[] = [
  null, 1, 'text', [], {}, { format: 'facto.bundle.v1' }, { format: 'facto.bundle.v1', checkpoint: 'x', events: [null], chains: [] },
  { format: 'facto.bundle.v1', checkpoint: 'x', events: [{ leaf_index: 0, record: { format: 'facto.v1', facto_id: 'a', agent_id: 'a', chain_id: 'c', seq: 0, key_id: 'k', prev_hash: 'p', attributes: { a: 1 } }, hash: 'h', signature: 's', inclusion_proof: ['zz'], disclosures: [{ key: 'a', value: null, salt: 'q' }] }], chains: [{ agent_id: 'a', chain_id: 'c', statement: 'x' }] },
  { record: null, signature: 'a' }, { record: { format: 'facto.v1', attributes: [] }, signature: 'ab'.repeat(64) },
  { record: { format: 'facto.v1', facto_id: 'a', agent_id: 'a', chain_id: 'c', seq: 0, key_id: 'k', prev_hash: 'p', attributes: { x: { s: '\ud800' } } }, signature: 'ab'.repeat(64) },
  { facto_ids: [null], reason: 'r' }, { agent_id: {}, reason: 'r' }, { agent_id: 'alice', public_key: { pem: 1 } }, { revoked_at: 'never' }, { revoked_at: -5 },
  JSON.parse('{"__proto__": {"polluted": true}, "reason": 1}'),
];

/** A tiny deterministic generator, so a failure names a reproducible case. */
function* cases(count: number): Generator<string> {
  let state = 7;
  const next = (bound: number) => (state = (state * 1103515245 + 12345) % 2 ** 31) % bound;
  for (let index = 0; index < count; index++) {
    const pairs = Array.from({ length: next(4) }, () => `${PARAMETERS[next(PARAMETERS.length)]}=${JUNK[next(JUNK.length)]}`);
    yield pairs.join('&');
  }
}

describe('every API route under junk input', () => {
  it('answers each GET with a status, never a raw error or a 5xx', async () => {
    for (const route of fixture.routes.filter((candidate) => candidate.method === 'GET')) {
      for (const query of cases(60)) {
        let path = route.path;
        for (const name of route.path.match(/\{[a-z_]+\}/g) ?? []) path = path.replace(name, encodeURIComponent(JUNK[query.length % JUNK.length]!) || 'x');
        const response = await fixture.call('GET', `${path}?${query}`);
        expect(response.status, `GET ${path}?${query}`).toBeLessThan(500);
      }
    }
  });

  it('answers each POST with a status, never a raw error or a 5xx', async () => {
    for (const route of fixture.routes.filter((candidate) => candidate.method === 'POST')) {
      const path = route.path.replace('{agent_id}', 'alice').replace('{key_id}', '0'.repeat(32));
      for (const body of BODIES) {
        const response = await fixture.call('POST', path, { body });
        expect(response.status, `POST ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
      }
      for (const raw of ['{', '\u0000', '{"a":1}{']) expect((await fixture.call('POST', path, { body: raw, headers: { 'content-type': 'application/json' } })).status, `POST ${path} ${raw}`).toBe(400);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
