/**
 * Cases where one sender's span used to cost others their evidence, or a forger could lock an agent
 * out, tried against a real collector over HTTP: a reused facto_id, a forged span that arrives before
 * the real agent under trust-on-first-use, and a flood of malformed spans.
 */
import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair, verifyBundle, type EvidenceBundle } from '@facto/core';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { otlpJson, TestAgent, withAttribute } from '../support/signed-spans.js';

const running: TestCollector[] = [];
async function collector(overrides: Parameters<typeof startTestCollector>[0] = {}): Promise<TestCollector> {
  const instance = await startTestCollector(overrides);
  running.push(instance);
  return instance;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((instance) => instance.stop()));
});

async function events(instance: TestCollector, agentId: string): Promise<{ facto_id: string; seq: number }[]> {
  return (await instance.json(`/v1/events?agent_id=${agentId}&order=asc&limit=100`)).events;
}

describe('a reused facto_id', () => {
  it('costs only its own span: the rest of the request is stored, and the answer carries no internals', async () => {
    const instance = await collector();
    const first = new TestAgent('agent-first');
    const original = first.next('original');
    expect((await instance.post('/v1/traces', otlpJson([original]))).status).toBe(200);

    // Through an OpenTelemetry Collector, several agents' spans share one request.
    const reuser = new TestAgent('agent-reuser');
    const bystander = new TestAgent('agent-bystander');
    const request = otlpJson([bystander.next('before'), reuser.next('reused id', {}, { factoId: original.factoId }), bystander.next('after')]);
    const response = await instance.post('/v1/traces', request);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text).partialSuccess).toEqual({ rejectedSpans: '1', errorMessage: '1 rejected: duplicate_id (the facto_id names another record)' });
    expect(text).not.toMatch(/sqlite|facto\.db|constraint|\/tmp\//i);
    expect((await events(instance, 'agent-bystander')).map((event) => event.seq)).toEqual([0, 1]);
    expect(await events(instance, 'agent-reuser')).toEqual([]);
    const incidents = (await instance.json('/v1/incidents?kind=duplicate_id')).incidents;
    expect(incidents).toEqual([expect.objectContaining({ kind: 'duplicate_id', agent_id: 'agent-reuser', facto_id: original.factoId, count: 1 })]);
    expect((await instance.json(`/v1/events/${original.factoId}`)).name).toBe('original');
  });

  it('in two different spans of one request: the first is kept, the second refused', async () => {
    const instance = await collector();
    const agent = new TestAgent('agent-twice');
    const shared = 'ft-12345678-1234-4123-8123-123456789abc';
    const response = await instance.post('/v1/traces', otlpJson([agent.next('one', {}, { factoId: shared }), agent.next('two', {}, { factoId: shared })]));
    expect((await response.json()).partialSuccess).toMatchObject({ rejectedSpans: '1' });
    expect((await events(instance, 'agent-twice')).map((event) => event.seq)).toEqual([0]);
  });
});

describe('trust on first use', () => {
  it('does not pin the key of a span whose signature fails: the real agent is accepted after it', async () => {
    const instance = await collector({ trust: 'tofu' });
    const forger = generateKeyPair();
    // The forger names a key of its own for agent-victim, but cannot produce a valid signature under it.
    const impostor = new TestAgent('agent-victim', 'chain-forged', forger);
    const forged = impostor.next('forged', {}, { signWith: generateKeyPair() });
    const refused = await (await instance.post('/v1/traces', otlpJson([forged]))).json();
    expect(refused.partialSuccess.errorMessage).toMatch(/bad_signature/);

    const genuine = new TestAgent('agent-victim', 'chain-real');
    const accepted = await (await instance.post('/v1/traces', otlpJson([genuine.next('real'), genuine.next('real')]))).json();
    expect(accepted.partialSuccess).toBeUndefined();
    expect((await events(instance, 'agent-victim')).map((event) => event.seq)).toEqual([0, 1]);
    const pinned = await instance.context.store.listKeys('agent-victim');
    expect(pinned.map((key) => key.publicKey)).toEqual([genuine.publicKeyHex]);
    // And now the forger's own key is refused as a second key for the agent.
    const second = await (await instance.post('/v1/traces', otlpJson([impostor.next('again')]))).json();
    expect(second.partialSuccess.errorMessage).toMatch(/unknown_key/);
  });
});

describe('a time-window export of a chain that lost a record after an earlier declared drop', () => {
  it('fails in verifyBundle and in POST /v1/verify, as the whole chain does', async () => {
    const instance = await collector();
    const agent = new TestAgent('agent-window');
    const early = [0, 1, 2, 3].map(() => agent.next('early'));
    agent.next('dropped by the signer');
    agent.next('dropped by the signer');
    agent.dropped = 2;
    const late = [agent.next('late'), agent.next('late')];
    agent.next('lost on the way');
    late.push(agent.next('late'));
    expect((await instance.post('/v1/traces', otlpJson(early))).status).toBe(200);
    const firstBatchAt = Date.parse((await instance.json(`/v1/events/${early[3]!.factoId}`)).received_at);
    // The window must start after the first batch: wait for the collector's clock to move on.
    while (Date.now() <= firstBatchAt) await new Promise((resolve) => setImmediate(resolve));
    expect((await instance.post('/v1/traces', otlpJson(late))).status).toBe(200);
    const since = (await instance.json(`/v1/events/${late[0]!.factoId}`)).received_at;

    const log = await instance.json('/v1/log');
    const trustedKeys = { log: log.verifier_key, agents: { 'agent-window': [agent.keys.publicKey] } };
    const whole = (await instance.json('/v1/export?agent_id=agent-window')) as EvidenceBundle;
    const window = (await instance.json(`/v1/export?agent_id=agent-window&since=${encodeURIComponent(since)}`)) as EvidenceBundle;
    expect(window.events.map((event) => event.record.seq)).toEqual([6, 7, 9]);
    for (const bundle of [whole, window]) {
      const report = verifyBundle(bundle, { trustedKeys });
      expect(report.ok).toBe(false);
      expect(report.chains[0]!.errors).toEqual(['events 8..8 are missing and were not declared dropped']);
      const served = await (await instance.post('/v1/verify', JSON.stringify(bundle))).json();
      expect(served).toMatchObject({ type: 'bundle', ok: false });
    }
  });
});

describe('a flood of malformed spans', () => {
  it('keeps one incident per finding, counted, and the database small', async () => {
    const instance = await collector();
    const agent = new TestAgent('agent-flooded');
    const valid = agent.next('valid', { note: 'n'.repeat(4000) });
    // 2,000 altered copies of the same span: each hashes differently from what it claims.
    const bodies = Array.from({ length: 2000 }, (_, index) => otlpJson([withAttribute(valid, 'note', { s: `altered ${index} ${'n'.repeat(4000)}` })]));
    const before = statSync(instance.config.db).size;
    // As many at once as the collector works on (--max-concurrent-ingest), so none is turned away.
    const concurrency = instance.config.maxConcurrentIngest;
    for (let index = 0; index < bodies.length; index += concurrency) {
      const answers = await Promise.all(bodies.slice(index, index + concurrency).map((body) => instance.post('/v1/traces', body)));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
    }
    const incidents = (await instance.json('/v1/incidents?limit=100')).incidents;
    expect(incidents).toEqual([expect.objectContaining({ kind: 'hash_mismatch', facto_id: valid.factoId, count: 2000 })]);
    const metrics = await (await instance.get('/metrics')).text();
    expect(metrics).toMatch(/facto_security_incidents_total\{kind="hash_mismatch"\} 2000/);
    // Closing checkpoints the write-ahead log into the file. Before counting, each altered span
    // stored its own ~8 KB of evidence: some 16 MB here.
    await instance.close();
    expect(statSync(instance.config.db).size - before).toBeLessThan(256 * 1024);
  }, 60_000);
});
