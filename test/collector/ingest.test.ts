/**
 * The collector end to end: @facto/otel through the real OTLP exporters into a real collector on
 * SQLite, then the query, proof and export API; and every kind of bad input and tampering, each of
 * which must be refused or reported without touching what is stored.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { registerBodyFunctions } from '@facto/collector/sqlite-format';
import Database from 'better-sqlite3';
import { generateKeyPair, hashLeaf, fromHex, toHex, verifyBundle, verifyConsistency, verifyInclusion, openCheckpoint, parseVerifierKey, type EvidenceBundle } from '@facto/core';
import { createFacto } from '@facto/otel';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { otlpJson, TestAgent, withAttribute } from '../support/signed-spans.js';

const running: TestCollector[] = [];
async function collector(overrides: Parameters<typeof startTestCollector>[0] = {}, options: Parameters<typeof startTestCollector>[1] = {}): Promise<TestCollector> {
  const instance = await startTestCollector(overrides, options);
  running.push(instance);
  return instance;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((instance) => instance.stop()));
});

async function treeSize(instance: TestCollector): Promise<number> {
  return (await instance.json('/v1/log')).tree_size;
}

async function incidents(instance: TestCollector): Promise<{ kind: string }[]> {
  const body = await instance.json('/v1/incidents?limit=100');
  return body.incidents;
}

describe.each(['http/protobuf', 'http/json'] as const)('agent -> collector over %s', (protocol) => {
  it('verifies, chains and anchors every span; proofs and the exported bundle verify offline', async () => {
    const instance = await collector();
    const keys = generateKeyPair();
    const agent = createFacto({ agentId: 'support-bot', endpoint: instance.url, privateKey: keys.privateKey, protocol, scheduledDelayMillis: 10 });
    for (let index = 0; index < 5; index++) agent.record('tool.call', { tool: 'lookup', order: index }, { ok: true });
    await agent.step('answer', 'customer question', async () => 'answer text');
    const report = await agent.shutdown();
    expect(report.undelivered).toBe(0);

    const events = (await instance.json(`/v1/events?agent_id=support-bot&order=asc&limit=100`)).events;
    expect(events).toHaveLength(6);
    expect(events.map((event: { seq: number }) => event.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(events.every((event: { link_status: string }) => ['genesis', 'linked'].includes(event.link_status))).toBe(true);

    const chain = await instance.json(`/v1/chains/support-bot/${encodeURIComponent(agent.chainId)}`);
    expect(chain).toMatchObject({ length: 6, intact: true });

    const one = await instance.json(`/v1/events/${events[2].facto_id}`);
    expect(one.verification).toMatchObject({ ok: true, hash: { ok: true }, signature: { ok: true }, merkle: { included: true } });

    const log = await instance.json('/v1/log');
    const logKey = parseVerifierKey(log.verifier_key);
    const checkpointText = await (await instance.get('/v1/checkpoints/latest')).text();
    const { checkpoint } = openCheckpoint(checkpointText, [logKey]);
    expect(checkpoint.treeSize).toBe(6);
    const proof = await instance.json(`/v1/proofs/inclusion?facto_id=${events[3].facto_id}&tree_size=6`);
    expect(verifyInclusion({ leafHash: hashLeaf(fromHex(events[3].hash)), index: proof.leaf_index, treeSize: 6, proof: proof.hashes.map((hash: string) => fromHex(hash)), root: checkpoint.rootHash })).toBe(true);

    const bundle: EvidenceBundle = await instance.json('/v1/export?agent_id=support-bot');
    const verdict = verifyBundle(bundle, { trustedKeys: { log: log.verifier_key, agents: { 'support-bot': [keys.publicKey] } } });
    expect(verdict.errors).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.events).toHaveLength(6);
  });
});

describe('what the collector refuses', () => {
  it('answers malformed, truncated, oversized and wrong-typed bodies with 400/413/415 and stores nothing', async () => {
    const instance = await collector({ maxBodyBytes: 64 * 1024 });
    const agent = new TestAgent();
    const good = otlpJson([agent.next()]);
    expect((await instance.post('/v1/traces', '{"resourceSpans": [', 'application/json')).status).toBe(400);
    expect((await instance.post('/v1/traces', good.slice(0, good.length / 2), 'application/json')).status).toBe(400);
    expect((await instance.post('/v1/traces', new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]), 'application/x-protobuf')).status).toBe(400);
    expect((await instance.post('/v1/traces', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}', 'application/json')).status).toBe(400);
    expect((await instance.post('/v1/traces', good, 'text/plain')).status).toBe(415);
    expect((await instance.post('/v1/traces', 'x'.repeat(100 * 1024), 'application/json')).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect((await instance.post('/v1/traces', bomb, 'application/json', { 'content-encoding': 'gzip' })).status).toBe(413);
    expect(await treeSize(instance)).toBe(0);
    expect((await instance.post('/v1/traces', gzipSync(good), 'application/json', { 'content-encoding': 'gzip' })).status).toBe(200);
    expect(await treeSize(instance)).toBe(1);
  });

  it('rejects a span altered in transit with partial_success and records a security incident', async () => {
    const instance = await collector();
    const agent = new TestAgent();
    const first = agent.next();
    const altered = withAttribute(agent.next('bank.transfer', { amount: 100 }), 'amount', { i: '100000' });
    const response = await instance.post('/v1/traces', otlpJson([first, altered]));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.partialSuccess).toMatchObject({ rejectedSpans: '1' });
    expect(body.partialSuccess.errorMessage).toMatch(/hash_mismatch/);
    expect(await treeSize(instance)).toBe(1);
    expect((await incidents(instance)).map((incident) => incident.kind)).toEqual(['hash_mismatch']);
  });

  it('keeps a record whose content value was swapped in transit, but not the swapped value', async () => {
    const instance = await collector();
    const agent = new TestAgent();
    const swapped = withAttribute(agent.next('answer'), 'facto.output', { s: '{"approved":"yes, 4000 EUR"}' });
    const response = await (await instance.post('/v1/traces', otlpJson([swapped]))).json();
    expect(response.partialSuccess).toBeUndefined();
    expect((await incidents(instance)).map((incident) => incident.kind)).toEqual(['content_mismatch']);
    const event = await instance.json(`/v1/events/${swapped.factoId}`);
    expect(event.disclosures.map((disclosure: { key: string }) => disclosure.key)).toEqual(['facto.input']);
    expect(event.verification.ok).toBe(true);
  });

  it('rejects a forged signature, an unregistered key under strict trust, and a second key for a pinned agent', async () => {
    const registered = new TestAgent('agent-strict');
    const keysFile = `${process.cwd()}/.facto-test-keys-${process.pid}.json`;
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(keysFile, JSON.stringify({ agents: { 'agent-strict': [{ publicKey: registered.publicKeyHex }] } }));
    try {
      const strict = await collector({ trust: 'strict', keys: keysFile });
      expect((await (await strict.post('/v1/traces', otlpJson([registered.next()]))).json()).partialSuccess).toBeUndefined();
      const stranger = new TestAgent('agent-strict');
      const strangerBody = await (await strict.post('/v1/traces', otlpJson([stranger.next()]))).json();
      expect(strangerBody.partialSuccess.errorMessage).toMatch(/unknown_key/);

      const forged = registered.next();
      const signature = forged.attributes.find(([key]) => key === 'facto.signature')![1] as { s: string };
      const flipped = withAttribute(forged, 'facto.signature', { s: (signature.s[0] === 'a' ? 'b' : 'a') + signature.s.slice(1) });
      expect((await (await strict.post('/v1/traces', otlpJson([flipped]))).json()).partialSuccess.errorMessage).toMatch(/bad_signature/);
      expect((await incidents(strict)).map((incident) => incident.kind).sort()).toEqual(['bad_signature', 'unknown_key']);
    } finally {
      rmSync(keysFile, { force: true });
    }

    const tofu = await collector({ trust: 'tofu' });
    const pinned = new TestAgent('agent-tofu');
    await tofu.post('/v1/traces', otlpJson([pinned.next()]));
    const impostor = new TestAgent('agent-tofu');
    expect((await (await tofu.post('/v1/traces', otlpJson([impostor.next()]))).json()).partialSuccess.errorMessage).toMatch(/unknown_key/);
  });

  it('treats a retried batch as idempotent, and a late replay as an incident', async () => {
    const instance = await collector({ replayWindowSeconds: 0 });
    const agent = new TestAgent();
    const spans = [agent.next(), agent.next()];
    const body = otlpJson(spans);
    expect((await instance.post('/v1/traces', body)).status).toBe(200);
    // A replay is a copy received later than the window (0 s here): wait for the clock to move on.
    const receivedAt = Date.parse((await instance.json(`/v1/events/${spans[0]!.factoId}`)).received_at);
    while (Date.now() <= receivedAt) await new Promise((resolve) => setImmediate(resolve));
    const again = await instance.post('/v1/traces', body);
    expect(again.status).toBe(200);
    expect((await again.json()).partialSuccess).toBeUndefined();
    expect(await treeSize(instance)).toBe(2);
    expect((await incidents(instance)).map((incident) => incident.kind)).toEqual(['replay', 'replay']);
  });

  it('rejects a fork (a second record at the same seq), and records an undeclared gap as an incident once its grace period ends', async () => {
    const instance = await collector({}, { gapGraceMillis: 0, gapIntervalMillis: 50 });
    const agent = new TestAgent('agent-fork', 'chain-fork');
    const zero = agent.next();
    await instance.post('/v1/traces', otlpJson([zero]));
    agent.seq = 0;
    agent.prevHash = '0'.repeat(64);
    const rival = agent.next('other history');
    const response = await (await instance.post('/v1/traces', otlpJson([rival]))).json();
    expect(response.partialSuccess.errorMessage).toMatch(/fork/);

    agent.prevHash = zero.hash;
    agent.next(); // seq 1, never sent: deleted in transit, not declared
    await instance.post('/v1/traces', otlpJson([agent.next()]));
    const chain = await instance.json('/v1/chains/agent-fork/chain-fork');
    expect(chain.intact).toBe(false);
    expect(chain.gaps).toEqual([expect.objectContaining({ declared: false })]);
    await expect.poll(async () => (await incidents(instance)).map((incident) => incident.kind).sort(), { timeout: 5_000 }).toEqual(['fork', 'undeclared_gap']);
    const events = (await instance.json('/v1/events?chain_id=chain-fork&order=asc')).events;
    expect(events.map((event: { link_status: string }) => event.link_status)).toEqual(['genesis', 'gap_undeclared']);
  });

  it('accepts a declared gap and links spans that arrive before their predecessor', async () => {
    const instance = await collector();
    const agent = new TestAgent('agent-gaps', 'chain-gaps');
    const zero = agent.next();
    const one = agent.next();
    agent.next(); // seq 2 dropped by the SDK ...
    agent.dropped = 1; // ... and declared by seq 3
    const three = agent.next();
    await instance.post('/v1/traces', otlpJson([three]));
    await instance.post('/v1/traces', otlpJson([one]));
    await instance.post('/v1/traces', otlpJson([zero]));
    const chain = await instance.json('/v1/chains/agent-gaps/chain-gaps');
    expect(chain).toMatchObject({ length: 3, intact: true });
    expect(chain.gaps).toEqual([expect.objectContaining({ declared: true })]);
    const events = (await instance.json('/v1/events?chain_id=chain-gaps&order=asc')).events;
    expect(Object.fromEntries(events.map((event: { seq: number; link_status: string }) => [event.seq, event.link_status]))).toEqual({ 0: 'genesis', 1: 'linked', 3: 'pending' });
  });

  it('detects tampering at rest: an edited record no longer verifies, in the API and in an exported bundle', async () => {
    const instance = await collector();
    const agent = new TestAgent('agent-rest', 'chain-rest');
    await instance.post('/v1/traces', otlpJson([agent.next(), agent.next('bank.transfer', { amount: 100 }), agent.next()]));
    const log = await instance.json('/v1/log');
    const target = (await instance.json('/v1/events?order=asc')).events[1];

    const database = new Database(instance.config.db);
    registerBodyFunctions(database);
    database
      .prepare("UPDATE events SET body = facto_body_set(body, 'record_json', replace(facto_body_get(body, 'record_json'), ?, ?)) WHERE facto_id = ?")
      .run('"amount":{"i":"100"}', '"amount":{"i":"100000"}', target.facto_id);
    database.close();

    const verification = (await instance.json(`/v1/events/${target.facto_id}`)).verification;
    expect(verification.ok).toBe(false);
    expect(verification.hash.ok).toBe(false);
    expect(verification.merkle.included).toBe(false);
    const bundle: EvidenceBundle = await instance.json('/v1/export?agent_id=agent-rest');
    const verdict = verifyBundle(bundle, { trustedKeys: { log: log.verifier_key, agents: { 'agent-rest': [agent.keys.publicKey] } } });
    expect(verdict.ok).toBe(false);
    expect(verdict.events.filter((event) => !event.ok).map((event) => event.seq)).toEqual([1]);
  });

  it('proves the log only grows: consistency between any two checkpoints', async () => {
    const instance = await collector();
    const agent = new TestAgent();
    await instance.post('/v1/traces', otlpJson([agent.next(), agent.next(), agent.next()]));
    const log = await instance.json('/v1/log');
    const key = parseVerifierKey(log.verifier_key);
    const first = openCheckpoint(await (await instance.get('/v1/checkpoints/latest')).text(), [key]).checkpoint;
    await instance.post('/v1/traces', otlpJson([agent.next(), agent.next()]));
    await instance.context.log.checkpoint();
    const second = openCheckpoint(await (await instance.get('/v1/checkpoints/latest')).text(), [key]).checkpoint;
    expect([first.treeSize, second.treeSize]).toEqual([3, 5]);
    const proof = await instance.json(`/v1/proofs/consistency?from=3&to=5`);
    expect(verifyConsistency({ size1: 3, size2: 5, proof: proof.hashes.map((hash: string) => fromHex(hash)), root1: first.rootHash, root2: second.rootHash })).toBe(true);
    expect((await instance.json('/v1/log')).root_hash).toBe(toHex(second.rootHash));
  });
});
