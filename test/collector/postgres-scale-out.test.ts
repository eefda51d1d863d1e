/**
 * Several real `facto collector` processes on one PostgreSQL database (a server this file starts):
 * two and three processes ingesting one workload whose every chain crosses processes; the leader
 * killed with SIGKILL mid-run; the database restarted mid-run. Each time the log must hold every
 * span exactly once at leaf indices 0..n-1, every chain linked in order and intact, a root equal to a
 * tree rebuilt from the stored leaves, and a checkpoint at the final size, signed with the shared log
 * key, that proofs verify against.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, generateKeyPair, hashLeaf, MerkleTree, openCheckpoint, parseVerifierKey, signCheckpoint, toHex, verifyConsistency, verifyInclusion } from '@facto/core';
import { POSTGRES_PASSWORD, postgresBinaries, startPostgresServer, type PostgresServer } from '../../collector/src/test-helpers/postgres-server.js';
import { createWorkload, startCollectorProcess, type CollectorProcess, type Workload } from '../support/collector-processes.js';
import { startOtlpSink } from '../support/otlp-sink.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';

const binaries = postgresBinaries();
const missing = 'missing' in binaries ? binaries.missing : undefined;
const ELECTED = /^became the leader/;
const FORWARDING = /^became the forwarder/;
// The forwarding tests follow one request at a time through a kill or a handover, so they send one at a time.
const ONE_AT_A_TIME = ['--forward-concurrency', '1'];

interface EventJson {
  leaf_index: number;
  facto_id: string;
  agent_id: string;
  chain_id: string;
  hash: string;
  link_status: string;
}

async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function allEvents(url: string): Promise<EventJson[]> {
  const events: EventJson[] = [];
  let cursor: string | null = null;
  do {
    const page: { events: EventJson[]; next_cursor: string | null } = await getJson(`${url}/v1/events?order=asc&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    events.push(...page.events);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return events;
}

/** Polls a status until it holds: waiting for an event the system announces only through its API. */
async function until<T>(read: () => Promise<T>, holds: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Everything the log must be after the workload, read through `url`. Returns the final size and root. */
async function expectCompleteLog(url: string, workload: Workload, spansPerChain: number): Promise<{ size: number; root: Uint8Array }> {
  const events = await allEvents(url);
  expect(events.map((event) => event.leaf_index)).toEqual(Array.from({ length: workload.sent.size }, (_, index) => index));
  expect(new Set(events.map((event) => event.facto_id))).toEqual(new Set(workload.sent.keys()));
  for (const event of events) expect(event.hash).toBe(workload.sent.get(event.facto_id)!.hash);
  // Every batch went out after its predecessor was acknowledged, so every link was checked in order.
  expect(events.filter((event) => event.link_status !== 'linked' && event.link_status !== 'genesis')).toEqual([]);
  for (const agent of workload.agents) {
    expect(await getJson(`${url}/v1/chains/${agent.agentId}/${agent.chainId}`)).toMatchObject({ length: spansPerChain, intact: true, forks: [] });
  }
  const rebuilt = new MerkleTree();
  rebuilt.append(events.map((event) => hashLeaf(fromHex(event.hash))));
  const log = await getJson<{ tree_size: number; root_hash: string; verifier_key: string }>(`${url}/v1/log`);
  expect(log.tree_size).toBe(events.length);
  expect(log.root_hash).toBe(Buffer.from(rebuilt.root()).toString('hex'));

  // The leader signs the final head; its signature verifies under the shared log key.
  const note = await until(
    async () => (await fetch(`${url}/v1/checkpoints/latest`)).text(),
    (text) => text.split('\n')[1] === String(events.length),
  );
  const { checkpoint } = openCheckpoint(note, [parseVerifierKey(log.verifier_key)]);
  expect(checkpoint.rootHash).toEqual(rebuilt.root());
  for (const event of [events[0]!, events[Math.floor(events.length / 2)]!, events.at(-1)!]) {
    const proof = await getJson<{ tree_size: number; hashes: string[] }>(`${url}/v1/proofs/inclusion?facto_id=${event.facto_id}&tree_size=${events.length}`);
    expect(verifyInclusion({ leafHash: hashLeaf(fromHex(event.hash)), index: event.leaf_index, treeSize: events.length, proof: proof.hashes.map((hash) => fromHex(hash)), root: checkpoint.rootHash })).toBe(true);
  }
  return { size: events.length, root: rebuilt.root() };
}

describe.skipIf(missing !== undefined)(`several collector processes on one PostgreSQL (${missing ?? 'a real server started for this file'})`, () => {
  let server: PostgresServer;
  let folder: string;
  let databases = 0;
  const processes: CollectorProcess[] = [];

  beforeAll(async () => {
    server = await startPostgresServer((binaries as { bin: string }).bin);
    folder = mkdtempSync(join(tmpdir(), 'facto-scale-out-'));
  });
  afterEach(async () => {
    for (const running of processes.splice(0)) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
  });
  afterAll(async () => {
    await server?.destroy();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  /** A fresh database and `count` collectors on it sharing one log key (the first creates the key and the schema). */
  async function startCollectors(count: number, args: readonly string[] = []): Promise<CollectorProcess[]> {
    const name = `facto_scale_${++databases}`;
    const db = await server.createDatabase(name);
    const logKey = join(folder, `${name}.pem`);
    const first = await startCollectorProcess({ db, logKey, args });
    const others = await Promise.all(Array.from({ length: count - 1 }, () => startCollectorProcess({ db, logKey, args })));
    processes.push(first, ...others);
    return [first, ...others];
  }

  it.each([2, 3])('%i processes ingest one workload in parallel: every span once, leaf indices 0..n-1, chains intact, proofs verify', async (count) => {
    const collectors = await startCollectors(count);
    const workload = createWorkload({ agentCount: 6, batchesPerAgent: 6, spansPerBatch: 10, targets: () => collectors.map((collector) => collector.url) });
    await workload.run();
    expect(workload.acknowledged.size).toBe(360);
    const [first, ...others] = collectors;
    const { size, root } = await expectCompleteLog(first!.url, workload, 60);
    // Every process answers for the same log.
    for (const other of others) expect(await getJson(`${other.url}/v1/log`)).toMatchObject({ tree_size: size, root_hash: Buffer.from(root).toString('hex') });
    // Exactly one process led the whole time.
    expect(collectors.filter((collector) => collector.logs.some((line) => ELECTED.test(String(line.message))))).toHaveLength(1);
    // The start-up line shows where the log is, with the password replaced; no line holds the password.
    expect(collectors[0]!.logs.find((line) => line.message === 'collector started')?.db).toMatch(/^postgres:\/\/facto:\*\*\*@127\.0\.0\.1:\d+\/facto_scale_\d+$/);
    for (const collector of collectors) expect(JSON.stringify(collector.logs)).not.toContain(POSTGRES_PASSWORD);
  }, 120_000);

  it('processes started together on a new database with keys of their own cannot both run: the first key to sign a checkpoint claims the log', async () => {
    const name = `facto_scale_${++databases}`;
    const db = await server.createDatabase(name);
    const started = await Promise.allSettled([1, 2, 3].map((node) => startCollectorProcess({ db, logKey: join(folder, `${name}-node-${node}.pem`) })));
    const running = started.filter((result) => result.status === 'fulfilled').map((result) => (result as PromiseFulfilledResult<CollectorProcess>).value);
    processes.push(...running);
    expect(running).toHaveLength(1);
    // A loser either lost the claim itself, or found the winner's checkpoint before making its key.
    for (const refused of started.filter((result) => result.status === 'rejected')) {
      expect(String((refused as PromiseRejectedResult).reason)).toMatch(/did not sign this database's log|does not exist, but the database already holds a log/);
    }
    // A later start with yet another key, or with none, is refused too, and makes no key file.
    await expect(startCollectorProcess({ db, logKey: join(folder, `${name}-late.pem`) })).rejects.toThrow(/does not exist, but the database already holds a log/);
  }, 60_000);

  it('a process that finds the latest checkpoint signed by another key while it runs signs nothing more and exits 3, saying why', async () => {
    const [collector] = await startCollectors(1);
    const database = `facto_scale_${databases}`;
    const post = (body: string) => fetch(`${collector!.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((response) => response.text());
    const agent = new TestAgent('agent-rival', 'chain-1');
    const spans = [agent.next(), agent.next(), agent.next()];
    expect(await post(otlpJson(spans.slice(0, 1)))).not.toContain('rejected');
    await collector!.waitForLog(ELECTED);
    await until(async () => (await fetch(`${collector!.url}/v1/checkpoints/latest`)).text(), (note) => note.split('\n')[1] === '1');
    // Another key signs the log at size 2 (as a process of an older version could have), before the leader does.
    const prefix = new MerkleTree();
    prefix.append(spans.slice(0, 2).map((span) => hashLeaf(fromHex(span.hash))));
    const rivalNote = signCheckpoint({ origin: 'facto.example/rival', treeSize: 2, rootHash: prefix.root() }, { name: 'facto.example/rival', privateKey: generateKeyPair().privateKey });
    await server.query(`INSERT INTO checkpoints (tree_size, root_hash, note, created_at) VALUES (2, '${toHex(prefix.root())}', $note$${rivalNote}$note$, ${Date.now()})`, database);
    expect(await post(otlpJson(spans.slice(1)))).not.toContain('rejected');

    // The leader's next tick (within a second) finds the rival's checkpoint: it signs nothing and exits 3.
    await Promise.race([collector!.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    const stored = await server.query('SELECT tree_size::int AS tree_size FROM checkpoints ORDER BY tree_size', database);
    expect(stored.rows.map((row: { tree_size: number }) => row.tree_size)).toEqual([0, 1, 2]);
    expect(collector!.child.exitCode).toBe(3);
    expect(collector!.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringMatching(/^stopping: this process's log key did not sign the log's latest checkpoint/) }));
    expect(collector!.logs.at(-1)?.message).toMatch(/^facto collector: the log key \S+\.pem with origin facto\.local\/[0-9a-f]{8} did not sign this database's log \(its latest checkpoint, at tree size 2, is from origin "facto\.example\/rival"\)/);
  }, 60_000);

  it('a collector whose database is unreachable stops at start with a message that names the server, not the password', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const db = `postgres://facto:${POSTGRES_PASSWORD}@127.0.0.1:${closedPort}/facto`;
    const failure = await startCollectorProcess({ db, logKey: join(folder, 'unreachable.pem') }).then(
      () => expect.fail('the collector started without its database'),
      (error: Error) => error.message,
    );
    expect(failure).toContain(`PostgreSQL at facto@127.0.0.1:${closedPort}/facto is unreachable`);
    expect(failure).not.toContain(POSTGRES_PASSWORD);
  }, 60_000);

  it('a key pinned on first use by one process binds the others: a second key for the agent is rejected there', async () => {
    const [first, second] = await startCollectors(2);
    const post = (url: string, body: string) => fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((response) => response.text());
    const agent = new TestAgent('agent-pinned', 'chain-1');
    expect(await post(first!.url, otlpJson([agent.next()]))).not.toContain('rejected');
    const impostor = new TestAgent('agent-pinned', 'chain-2');
    const forged = impostor.next();
    expect(await post(second!.url, otlpJson([forged]))).toMatch(/1 rejected: unknown_key/);
    expect((await fetch(`${second!.url}/v1/events/${forged.factoId}`)).status).toBe(404);
  }, 60_000);

  it('a span whose agent id, chain id and name hold U+0000 is stored with the rest of its request and served back exactly', async () => {
    const [collector] = await startCollectors(1);
    const odd = new TestAgent('agent\u0000nul', 'chain\u0000\u0001');
    const plain = new TestAgent('agent-plain', 'chain-1');
    const spans = [odd.next('chat\u0000model'), plain.next(), odd.next('chat\u0001model')];
    const response = await fetch(`${collector!.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson(spans) });
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain('rejected');
    const events = await allEvents(collector!.url);
    expect(events.map((event) => [event.facto_id, event.agent_id, event.chain_id, event.link_status])).toEqual([
      [spans[0]!.factoId, 'agent\u0000nul', 'chain\u0000\u0001', 'genesis'],
      [spans[1]!.factoId, 'agent-plain', 'chain-1', 'genesis'],
      [spans[2]!.factoId, 'agent\u0000nul', 'chain\u0000\u0001', 'linked'],
    ]);
    const query = new URLSearchParams({ agent_id: 'agent\u0000nul', order: 'asc' });
    const byAgent = await getJson<{ events: (EventJson & { name: string; action_type: string })[] }>(`${collector!.url}/v1/events?${query}`);
    expect(byAgent.events.map((event) => [event.name, event.action_type])).toEqual([['chat\u0000model', 'chat\u0000model'], ['chat\u0001model', 'chat\u0001model']]);
    const chain = await getJson(`${collector!.url}/v1/chains/${encodeURIComponent('agent\u0000nul')}/${encodeURIComponent('chain\u0000\u0001')}`);
    expect(chain).toMatchObject({ length: 2, head: { seq: 1, hash: spans[2]!.hash }, bad_links: [], gaps: [], forks: [] });
  }, 60_000);

  it('a span with a 3,000-character action type is stored with the rest of its request, its action type indexed by its first 256 units', async () => {
    const [collector] = await startCollectors(1);
    const agent = new TestAgent('agent-long-action', 'chain-1');
    const other = new TestAgent('agent-other', 'chain-1');
    const long = 'x'.repeat(2_999) + '💬';
    const spans = [agent.next('first'), agent.next(long), other.next()];
    const response = await fetch(`${collector!.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson(spans) });
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain('rejected');
    const stored = await getJson<{ action_type: string; record: { attributes: Record<string, { s: string }> } }>(`${collector!.url}/v1/events/${spans[1]!.factoId}`);
    expect(stored.action_type).toBe(long.slice(0, 256));
    expect(stored.record.attributes['facto.action_type']).toEqual({ s: long });
    expect((await getJson<{ events: EventJson[] }>(`${collector!.url}/v1/events?action_type=${'x'.repeat(256)}`)).events.map((event) => event.facto_id)).toEqual([spans[1]!.factoId]);
    expect(await getJson(`${collector!.url}/v1/chains/agent-long-action/chain-1`)).toMatchObject({ length: 2, bad_links: [], gaps: [] });
  }, 60_000);

  it('the leader killed with SIGKILL mid-run: another takes over, nothing acknowledged is lost, the log stays one consistent tree', async () => {
    const collectors = await startCollectors(3);
    const leader = await Promise.race(collectors.map((collector) => collector.waitForLog(ELECTED).then(() => collector)));
    let alive = [...collectors];
    let before: { size: number; root: string } | undefined;
    const workload = createWorkload({
      agentCount: 6,
      batchesPerAgent: 9,
      spansPerBatch: 10,
      targets: () => alive.map((collector) => collector.url),
      onAcknowledged: async (batches) => {
        if (batches !== 18) return;
        // A third of the way in, with other batches in flight on every process.
        const log = await getJson<{ tree_size: number; root_hash: string }>(`${leader.url}/v1/log`);
        before = { size: log.tree_size, root: log.root_hash };
        alive = alive.filter((collector) => collector !== leader);
        leader.child.kill('SIGKILL');
      },
    });
    const survivors = () => collectors.filter((collector) => collector !== leader);
    await workload.run();
    await leader.exited;
    const successor = await Promise.race(survivors().map((collector) => collector.waitForLog(ELECTED).then(() => collector)));
    expect(successor).not.toBe(leader);
    expect(workload.acknowledged.size).toBe(540);
    const after = await expectCompleteLog(successor.url, workload, 90);
    // The head seen before the kill is a prefix of the final tree.
    const proof = await getJson<{ hashes: string[] }>(`${successor.url}/v1/proofs/consistency?from=${before!.size}&to=${after.size}`);
    expect(verifyConsistency({ size1: before!.size, size2: after.size, proof: proof.hashes.map((hash) => fromHex(hash)), root1: fromHex(before!.root), root2: after.root })).toBe(true);
  }, 120_000);

  it('forwarding: what any process acknowledges the forwarder delivers, and when it dies mid-delivery the next one delivers the rest', async () => {
    const downstream = await startOtlpSink();
    try {
      downstream.hold();
      const collectors = await startCollectors(2, ['--forward', `${downstream.url}/v1/traces`, ...ONE_AT_A_TIME]);
      const forwarder = await Promise.race(collectors.map((collector) => collector.waitForLog(FORWARDING).then(() => collector)));
      const other = collectors.find((collector) => collector !== forwarder)!;
      const agent = new TestAgent('agent-forwarded', 'chain-forwarded');
      const names = ['first', 'second', 'third', 'fourth'];
      for (const name of names) {
        const response = await fetch(`${other.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson([agent.next(name)]) });
        expect(response.status).toBe(200);
      }
      // The forwarder is delivering the first request (its answer held); it dies before the answer.
      await until(async () => downstream.heldCount(), (count) => count === 1);
      forwarder.child.kill('SIGKILL');
      await forwarder.exited;
      // The attempt the dead process made is answered 503, so only deliveries the survivor makes count.
      downstream.reply = (index) => ({ status: index === 0 ? 503 : 200 });
      downstream.release();
      await other.waitForLog(FORWARDING);
      await until(async () => downstream.acceptedSpans().map((span) => span.name).join(), (delivered) => delivered === names.join());
      expect(downstream.requests.slice(1).map((request) => request.status)).toEqual([200, 200, 200, 200]);
    } finally {
      await downstream.close();
    }
  }, 60_000);

  it('forwarding: a process started with --forward delivers even when the leader was started without it, and SIGTERM hands over without a duplicate', async () => {
    const downstream = await startOtlpSink();
    try {
      const name = `facto_scale_${++databases}`;
      const db = await server.createDatabase(name);
      const logKey = join(folder, `${name}.pem`);
      // The log's leader has no --forward; two others do (a process without it queues nothing).
      const plain = await startCollectorProcess({ db, logKey });
      processes.push(plain);
      await plain.waitForLog(ELECTED);
      const forwarding = await Promise.all([0, 1].map(() => startCollectorProcess({ db, logKey, args: ['--forward', `${downstream.url}/v1/traces`, ...ONE_AT_A_TIME] })));
      processes.push(...forwarding);
      const first = await Promise.race(forwarding.map((collector) => collector.waitForLog(FORWARDING).then(() => collector)));
      const second = forwarding.find((collector) => collector !== first)!;
      downstream.hold();
      const agent = new TestAgent('agent-handover', 'chain-handover');
      const names = ['one', 'two', 'three'];
      // Sent to the process that is not delivering: it queues them, the elected one delivers.
      for (const spanName of names) {
        const response = await fetch(`${second.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson([agent.next(spanName)]) });
        expect(response.status).toBe(200);
      }
      await until(async () => downstream.heldCount(), (count) => count === 1);
      // SIGTERM while a delivery is under way: it is finished, not cut, and the rest is left to the other.
      first.child.kill('SIGTERM');
      await until(async () => first.logs.some((line) => line.message === 'shutting down: taking no new requests, finishing the ones in flight'), Boolean);
      downstream.release();
      await first.exited;
      await second.waitForLog(FORWARDING);
      await until(async () => downstream.acceptedSpans().map((span) => span.name).join(), (delivered) => delivered === names.join());
      // Each request once: the one under way at the signal was finished, not cut and sent again.
      expect(downstream.requests).toHaveLength(3);
    } finally {
      await downstream.close();
    }
  }, 60_000);

  it('forwarding: an erasure made on another process reaches the forwarder: what it retries is read again, and the erased content is not delivered', async () => {
    const downstream = await startOtlpSink();
    try {
      // Unavailable at first: the forwarder keeps retrying what it has read.
      downstream.reply = () => ({ status: 503, headers: { 'retry-after': '1' } });
      const collectors = await startCollectors(2, ['--forward', `${downstream.url}/v1/traces`, ...ONE_AT_A_TIME]);
      const forwarder = await Promise.race(collectors.map((collector) => collector.waitForLog(FORWARDING).then(() => collector)));
      const other = collectors.find((collector) => collector !== forwarder)!;
      const agent = new TestAgent('agent-erased', 'chain-erased');
      const spans = [0, 1, 2].map((index) => agent.next(`step-${index}`, { 'facto.input': `SECRET-PG-${index}` }));
      for (const span of spans) {
        const response = await fetch(`${other.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson([span]) });
        expect(response.status).toBe(200);
      }
      await until(async () => downstream.requests.length, (count) => count >= 1);
      const erase = await fetch(`${other.url}/v1/admin/erase`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ facto_ids: spans.slice(0, 2).map((span) => span.factoId), reason: 'GDPR art. 17' }) });
      expect(erase.status).toBe(200);
      downstream.reply = () => ({ status: 200 });
      await until(async () => downstream.acceptedSpans().map((span) => span.name).join(), (delivered) => delivered === 'step-2');
      for (const request of downstream.requests.filter((entry) => entry.status === 200)) expect(Buffer.from(request.body).toString('latin1')).not.toMatch(/SECRET-PG-[01]/);
    } finally {
      await downstream.close();
    }
  }, 60_000);

  it('the database restarted mid-run: requests get 503 with Retry-After meanwhile, succeed after, and nothing acknowledged is lost', async () => {
    const collectors = await startCollectors(2);
    const leader = await Promise.race(collectors.map((collector) => collector.waitForLog(ELECTED).then(() => collector)));
    const logLinesBefore = new Map(collectors.map((collector) => [collector, collector.logs.length]));
    let probe: { status: number; retryAfter: string | null } | undefined;
    const workload = createWorkload({
      agentCount: 4,
      batchesPerAgent: 8,
      spansPerBatch: 10,
      targets: () => collectors.map((collector) => collector.url),
      onAcknowledged: async (batches) => {
        if (batches !== 10) return;
        await server.stop();
        // With the server down, a request that needs the store is answered 503, not hung or 500.
        const response = await fetch(`${collectors[1]!.url}/v1/events?limit=1`);
        probe = { status: response.status, retryAfter: response.headers.get('retry-after') };
        await response.text();
        await server.start();
      },
    });
    await workload.run();
    expect(probe).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
    expect(workload.acknowledged.size).toBe(320);
    await expectCompleteLog(collectors[0]!.url, workload, 80);
    // The leader's session ended with the server; some process was elected again afterwards.
    await leader.waitForLog(/^no longer the leader/, logLinesBefore.get(leader));
    await Promise.race(collectors.map((collector) => collector.waitForLog(ELECTED, logLinesBefore.get(collector))));
  }, 120_000);
});
