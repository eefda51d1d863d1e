/**
 * `facto verify --endpoint`: the built command auditing a real collector through its API. A sound
 * log verifies; a row edited in its SQLite file and another deleted are both named; a state file
 * from an earlier audit catches a history that no longer extends the checkpoint it saw, and is left
 * as it was. Token, reachability and log-key failures get their own exit codes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerBodyFunctions } from '@facto/collector/sqlite-format';
import Database from 'better-sqlite3';
import { parsePrivateKey, parseVerifierKey, signCheckpoint, toHex } from '@facto/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { TestAgent } from '../support/signed-spans.js';
import { expectNoColour, facto, logKeyOf, publicKeyFile, record } from './facto-process.js';

let collector: TestCollector;
let directory: string;
let agent: TestAgent;
let agentKey: string;
let logKey: string;
let spans: Awaited<ReturnType<typeof record>>;

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'facto-cli-audit-'));
  collector = await startTestCollector();
  agent = new TestAgent('support-bot', 'session-1');
  spans = await record(collector, agent, 6);
  agentKey = `support-bot=${publicKeyFile(directory, agent)}`;
  logKey = await logKeyOf(collector);
  // A checkpoint over all six events.
  await collector.get(`/v1/proofs/inclusion?facto_id=${spans[5]!.factoId}`);
});

afterEach(async () => {
  await collector.stop();
  rmSync(directory, { recursive: true, force: true });
});

const audit = (...extra: string[]) => facto(['verify', '--endpoint', collector.url, '--key', agentKey, '--log-key', logKey, ...extra]);

describe('facto verify --endpoint', () => {
  it('verifies a sound log: every event, the chain, the recomputed root; and keeps the checkpoint with --state', async () => {
    const state = join(directory, 'state.json');
    const result = await audit('--state', state);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('events       6 events checked: 6 verified, 0 failed (agent keys given)');
    expect(result.stdout).toContain('leaves       6 of 6 accounted for (6 events, 0 erasure entries)');
    expect(result.stdout).toContain('merkle root  recomputed from the leaves: matches the signed root');
    expect(result.stdout).toContain('VERIFIED: the log and every event in it hold.');
    expect(result.stderr).toBe('');
    expectNoColour(result);
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ format: 'facto.audit-state.v1', tree_size: 6, log_key: logKey });

    const more = await record(collector, agent, 2);
    await collector.get(`/v1/proofs/inclusion?facto_id=${more[1]!.factoId}`);
    const next = await audit('--state', state);
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(/consistency  tree size 6 \(audit of .*\) to 8: proven/);
  });

  it('writes every count of the summary the same way, with thousands separators', async () => {
    let last = spans[5]!;
    for (let batch = 0; batch < 4; batch++) last = (await record(collector, agent, 250)).at(-1)!;
    await collector.get(`/v1/proofs/inclusion?facto_id=${last.factoId}`);
    const result = await audit();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('events       1,006 events checked: 1,006 verified, 0 failed (agent keys given)');
    expect(result.stdout).toContain('leaves       1,006 of 1,006 accounted for (1,006 events, 0 erasure entries)');
    expect(result.stdout).not.toMatch(/\b\d{4,}\b (events|verified|failed|intact|of)\b/);
  });

  it('accounts for erasure entries among the leaves, and still recomputes the signed root', async () => {
    const erased = await collector.post('/v1/admin/erase', JSON.stringify({ facto_ids: [spans[3]!.factoId], reason: 'GDPR Art. 17 request 12' }));
    expect(erased.status).toBe(200);
    await collector.get('/v1/proofs/inclusion?leaf_index=6');
    const result = await audit();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('leaves       7 of 7 accounted for (6 events, 1 erasure entry)');
    expect(result.stdout).toContain('merkle root  recomputed from the leaves: matches the signed root');
  });

  it('names both an edited row and a deleted row of the SQLite file', async () => {
    const database = new Database(collector.config.db);
    registerBodyFunctions(database);
    database.prepare("UPDATE events SET body = facto_body_set(body, 'record_json', replace(facto_body_get(body, 'record_json'), ?, ?)) WHERE facto_id = ?").run('"name":"tool.call"', '"name":"tool.refund"', spans[1]!.factoId);
    database.prepare('DELETE FROM events WHERE facto_id = ?').run(spans[4]!.factoId);
    database.close();
    const result = await audit();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`event ${spans[1]!.factoId}, leaf 1, support-bot/session-1 seq 1: hash: the record does not hash to the stored hash (record altered); fields: the stored name differ from the signed record; signature: does not verify under the agent key`);
    expect(result.stdout).toContain('leaf 4: missing: the collector serves no event or log entry for it, yet the signed tree counts it (a deleted row?)');
    expect(result.stdout).toContain('chain support-bot/session-1: events 4..4 are missing and were not declared dropped');
    expect(result.stdout).toContain('chain support-bot/session-1: broken link at seq 2');
    expect(result.stdout).toContain('NOT VERIFIED: 4 problems, listed above.');
  });

  it('names stored copies of signed fields edited in the SQLite file: action_type, which queries filter on, and the body\'s name', async () => {
    const database = new Database(collector.config.db);
    registerBodyFunctions(database);
    database.prepare('UPDATE events SET action_type = ? WHERE facto_id = ?').run('approved.by.auditor', spans[1]!.factoId);
    database.prepare("UPDATE events SET body = facto_body_set(body, 'name', ?) WHERE facto_id = ?").run('tool.refund', spans[2]!.factoId);
    database.close();
    const result = await audit('--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: false, merkle_root: true, events: { checked: 6, failed: 2 } });
    expect(report.problems).toContain(`event ${spans[1]!.factoId}, leaf 1, support-bot/session-1 seq 1: fields: the stored action_type differ from the signed record`);
    expect(report.problems).toContain(`event ${spans[2]!.factoId}, leaf 2, support-bot/session-1 seq 2: fields: the stored name differ from the signed record`);
  });

  it('catches a stored hash changed to match an edited record, through the recomputed root', async () => {
    const database = new Database(collector.config.db);
    registerBodyFunctions(database);
    const recordJson = database.prepare("SELECT facto_body_get(body, 'record_json') FROM events WHERE facto_id = ?").pluck().get(spans[2]!.factoId) as string;
    const { canonicalize, hashRecord } = await import('@facto/core');
    const edited = { ...JSON.parse(recordJson), name: 'tool.refund' };
    database.prepare("UPDATE events SET body = facto_body_set(body, 'record_json', ?), hash = ? WHERE facto_id = ?").run(canonicalize(edited), Buffer.from(hashRecord(edited)), spans[2]!.factoId);
    database.close();
    const result = await audit('--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: false, merkle_root: false, events: { checked: 6, failed: 1 } });
    expect(report.problems).toContain(`event ${spans[2]!.factoId}, leaf 2, support-bot/session-1 seq 2: fields: the stored name differ from the signed record; signature: does not verify under the agent key`);
    expect(report.problems).toContain('merkle: the 6 leaves the collector serves do not hash to the signed root of tree size 6: stored hashes were changed');
  });

  it('fails the next audit when the log no longer extends the checkpoint the state file kept, and keeps the file', async () => {
    const state = join(directory, 'state.json');
    expect((await audit('--state', state)).code).toBe(0);
    const kept = JSON.parse(readFileSync(state, 'utf8'));
    // What a rewritten history looks like to the monitor: the log signed a checkpoint that today's does not extend.
    const signer = { name: parseVerifierKey(logKey).name, privateKey: parsePrivateKey(readFileSync(collector.config.logKey, 'utf8')) };
    const signedBefore = (treeSize: number, rootHash: Uint8Array) => ({ ...kept, tree_size: treeSize, root_hash: toHex(rootHash), checkpoint: signCheckpoint({ origin: kept.origin, treeSize, rootHash }, signer) });
    const forked = signedBefore(6, new Uint8Array(32));
    writeFileSync(state, JSON.stringify(forked));
    const rewritten = await audit('--state', state);
    expect(rewritten.code).toBe(1);
    expect(rewritten.stdout).toMatch(/consistency: the log's history was rewritten since the audit of .*: the checkpoint at tree size 6 does not extend the one at 6/);
    expect(JSON.parse(readFileSync(state, 'utf8'))).toEqual(forked);
    writeFileSync(state, JSON.stringify(signedBefore(9, new Uint8Array(32))));
    const shrunk = await audit('--state', state);
    expect(shrunk.code).toBe(1);
    expect(shrunk.stdout).toContain('the log shrank from tree size 9 to 6');
  });

  it('blames the state file, not the collector, when it no longer agrees with the checkpoint it signed; exit 7, the file kept', async () => {
    const state = join(directory, 'state.json');
    expect((await audit('--state', state)).code).toBe(0);
    const kept = JSON.parse(readFileSync(state, 'utf8'));
    const edits: [string, Record<string, unknown>, string][] = [
      ['root_hash edited', { ...kept, root_hash: '00'.repeat(32) }, `its fields differ from its signed checkpoint (root_hash ${'00'.repeat(32)}, signed ${kept.root_hash})`],
      ['the signed note edited', { ...kept, checkpoint: kept.checkpoint.replace(/\n6\n/, '\n5\n') }, 'its signed checkpoint does not open with its log key (invalid note signature'],
    ];
    for (const [_name, edited, why] of edits) {
      writeFileSync(state, JSON.stringify(edited));
      for (const pinned of [[], ['--log-key', logKey]]) {
        const result = await facto(['verify', '--endpoint', collector.url, '--key', agentKey, '--state', state, ...pinned]);
        expect(result.code).toBe(7);
        expect(result.stderr).toContain(`facto verify: --state ${state}: the state file itself is inconsistent (edited or corrupt; the collector is not to blame): ${why}`);
        expect(result.stdout).not.toContain('rewritten');
        expect(result.stdout).not.toContain('VERIFIED');
        expect(JSON.parse(readFileSync(state, 'utf8'))).toEqual(edited);
      }
    }
  });

  it('warns when the state file was kept for another endpoint', async () => {
    const state = join(directory, 'state.json');
    expect((await audit('--state', state)).code).toBe(0);
    writeFileSync(state, JSON.stringify({ ...JSON.parse(readFileSync(state, 'utf8')), endpoint: 'http://collector.example:4318' }));
    const result = await audit('--state', state);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: the state file was kept by an audit of the collector at http://collector.example:4318, not ${collector.url}`);
  });

  it('proves each event into the signed tree with --agent', async () => {
    const result = await audit('--agent', 'support-bot');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('inclusion    each event proven into the signed tree');
    expect(result.stdout).toContain('6 events checked: 6 verified');
  });

  it("warns when the log key and the agent keys are the collector's own word", async () => {
    const result = await facto(['verify', '--endpoint', collector.url]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning: the log key comes from the collector itself; pin it out of band with --log-key');
    expect(result.stderr).toContain("warning: agent keys come from the collector's own registry; pass --key to trust only keys you hold");
    expect(result.stdout).toContain('log key from the collector');
  });

  it('exits 1 when the checkpoint does not open with the pinned log key', async () => {
    const other = await startTestCollector();
    try {
      const result = await facto(['verify', '--endpoint', collector.url, '--key', agentKey, '--log-key', await logKeyOf(other)]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('checkpoint: the latest checkpoint does not open with the log key');
    } finally {
      await other.stop();
    }
  });
});

describe('facto verify --endpoint: reaching the collector', () => {
  it('exits 4 when the token is refused, and passes with FACTO_QUERY_TOKEN (not the agent FACTO_INGEST_TOKEN beside it)', async () => {
    const guarded = await startTestCollector({ queryToken: 'query-secret', adminToken: 'admin-secret' });
    try {
      await record(guarded, new TestAgent('support-bot', 'x', agent.keys), 1);
      const refused = await facto(['verify', '--endpoint', guarded.url, '--key', agentKey]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('the collector refused access (401: missing bearer token): pass the right token with --token or FACTO_QUERY_TOKEN');
      const allowed = await facto(['verify', '--key', agentKey], { FACTO_ENDPOINT: guarded.url, FACTO_INGEST_TOKEN: 'ingest-secret', FACTO_ADMIN_TOKEN: 'admin-secret', FACTO_QUERY_TOKEN: 'query-secret' });
      expect(allowed.code).toBe(0);
      // Without --key the keys come from the admin registry: that request carries the admin token, the rest the query token.
      const fromRegistry = await facto(['verify'], { FACTO_ENDPOINT: guarded.url, FACTO_INGEST_TOKEN: 'ingest-secret', FACTO_ADMIN_TOKEN: 'admin-secret', FACTO_QUERY_TOKEN: 'query-secret' });
      expect([fromRegistry.code, fromRegistry.stderr]).toEqual([0, expect.stringContaining("agent keys come from the collector's own registry")]);
    } finally {
      await guarded.stop();
    }
  });

  it('exits 3 when nothing answers at the endpoint', async () => {
    const url = collector.url;
    await collector.close();
    const result = await facto(['verify', '--endpoint', url, '--key', agentKey]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot reach the collector at ${url} (ECONNREFUSED): is it running? Set --endpoint or FACTO_ENDPOINT`);
  });
});
