/**
 * `facto explain FACTO_ID`, the built command against a real collector fed by @facto/otel (the demo
 * refund agent, whose spans nest): an event's fields and content, its chain and span-tree
 * neighbours, and the checks made locally (hash, signature under the given key, inclusion against
 * the signed checkpoint), for a person and as JSON; erased content named with its erasure entry; a
 * tampered record and unknown or malformed ids with their exit codes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerBodyFunctions } from '@facto/collector/sqlite-format';
import Database from 'better-sqlite3';
import { generateKeyPair, keyId, publicKeyToPem } from '@facto/core';
import { createFacto } from '@facto/otel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { expectNoColour, facto, logKeyOf } from './facto-process.js';

type RunRefundAgent = (facto: unknown) => Promise<string>;

let collector: TestCollector;
let directory: string;
let keyFile: string;
let kid: string;
let chainId: string;
const byName = new Map<string, { facto_id: string; leaf_index: number; seq: number }>();

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'facto-cli-explain-'));
  collector = await startTestCollector();
  const keys = generateKeyPair();
  kid = keyId(keys.publicKey);
  keyFile = join(directory, 'agent.pem.pub');
  writeFileSync(keyFile, publicKeyToPem(keys.publicKey));
  const agent = createFacto({ agentId: 'refund-agent', endpoint: collector.url, privateKey: keys.privateKey, scheduledDelayMillis: 10 });
  const examplePath = '../../examples/demo-agent.mjs';
  const { runRefundAgent } = (await import(examplePath)) as { runRefundAgent: RunRefundAgent };
  await runRefundAgent(agent);
  expect((await agent.shutdown()).undelivered).toBe(0);
  chainId = agent.chainId;
  const { events } = await collector.json('/v1/events?agent_id=refund-agent&order=asc');
  for (const event of events) byName.set(event.name, event);
  expect([...byName.keys()]).toEqual(['retrieval', 'chat gpt-4o', 'tool bank.refund', 'agent.run']);
});

afterAll(async () => {
  await collector.stop();
  rmSync(directory, { recursive: true, force: true });
});

const explain = (name: string, ...extra: string[]) => facto(['explain', byName.get(name)!.facto_id, '--endpoint', collector.url, '--key', keyFile, ...extra]);

describe('facto explain', () => {
  it('shows one event whole: fields, content, the checks made here, its chain and span-tree neighbours', async () => {
    const chat = byName.get('chat gpt-4o')!;
    const result = await explain('chat gpt-4o');
    expect(result.code).toBe(0);
    const lines = [
      `Event ${chat.facto_id}`,
      `  agent        refund-agent, chain ${chainId}, seq 1`,
      '  merkle leaf  1',
      '  gen_ai.request.model = "gpt-4o"',
      '  gen_ai.input.messages: matches its commitment',
      '  hash         ok  the record hashes to',
      `  signature    ok  under key ${kid} (given with --key)`,
      '  inclusion    ok  leaf 1 in the tree of size 4, root',
      `  previous     seq 0  retrieval  ${byName.get('retrieval')!.facto_id}  this record links to it`,
      `  next         seq 2  tool bank.refund  ${byName.get('tool bank.refund')!.facto_id}  links to this record`,
      `  parent       agent.run  ${byName.get('agent.run')!.facto_id}`,
      '  children     none',
      'VERIFIED: the record, its signature and its place in the log hold.',
    ];
    for (const line of lines) expect(result.stdout).toContain(line);
    expect(result.stdout).toMatch(/siblings {5}retrieval {2}ft-\S+\n {15}tool bank\.refund {2}ft-/);
    expect(result.stdout).toContain('(from the collector: pin it out of band with --log-key; a log cannot vouch for its own key)');
    expectNoColour(result);
  });

  it('says the log key was pinned when it was, and gives the same facts as JSON', async () => {
    const result = await explain('tool bank.refund', '--log-key', await logKeyOf(collector), '--json');
    expect(result.code).toBe(0);
    const explanation = JSON.parse(result.stdout);
    expect(explanation).toMatchObject({
      ok: true,
      facto_id: byName.get('tool bank.refund')!.facto_id,
      leaf_index: 2,
      seq: 2,
      attributes: { 'gen_ai.tool.name': 'bank.refund', 'refund.amount_eur': 40 },
      checks: { hash: { ok: true }, signature: { ok: true, key_id: kid, checked_by: 'pinned' }, inclusion: { ok: true, leaf_index: 2, tree_size: 4 }, log_key: { pinned: true } },
      chain: { intact: true, link_status: 'linked', previous: { seq: 1, links: true }, next: { seq: 3, name: 'agent.run', links: true } },
      span_tree: { parent: { factoId: byName.get('agent.run')!.facto_id } },
      problems: [],
    });
    expect(explanation.content).toEqual([expect.objectContaining({ key: 'facto.input', status: 'disclosed', matches: true, value: '{"order":1042,"amountEur":40}' }), expect.objectContaining({ key: 'facto.output', status: 'disclosed', matches: true })]);
  });

  it("checks the signature with the collector's registry when no key is given, and says so", async () => {
    const result = await facto(['explain', byName.get('retrieval')!.facto_id, '--endpoint', collector.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`signature    ok  under key ${kid} (from the collector's registry)`);
    expect(result.stdout).toContain("previous     none: this is the chain's first record");
  });

  it('names the key given with --key, not the record’s, when the signature is checked under the wrong one', async () => {
    const stranger = generateKeyPair().publicKey;
    const strangerFile = join(directory, 'stranger.pem.pub');
    writeFileSync(strangerFile, publicKeyToPem(stranger));
    const args = ['explain', byName.get('retrieval')!.facto_id, '--endpoint', collector.url, '--key', strangerFile];
    const result = await facto(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`signature    FAILED  the record is signed with key ${kid}, not with the key given with --key (${keyId(stranger)})`);
    expect(result.stdout).not.toContain('(given with --key)');
    expect(result.stdout).toContain(`x key: no given key ${kid} for agent "refund-agent"`);
    const json = JSON.parse((await facto([...args, '--json'])).stdout);
    expect(json.checks.signature).toEqual({ ok: false, key_id: kid, checked_by: 'pinned', given_key_ids: [keyId(stranger)] });
  });

  it('names the erasure entry that erased the content', async () => {
    const agentRun = byName.get('agent.run')!;
    const erased = await (await collector.post('/v1/admin/erase', JSON.stringify({ facto_ids: [agentRun.facto_id], reason: 'GDPR Art. 17 request 7' }))).json();
    const result = await explain('agent.run');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`facto.input: erased by the signed erasure entry at leaf ${erased.leaf_index} (entry hash ${erased.hash}); the commitment stays`);
    expect(result.stdout).toContain('children     retrieval');
  });

  it('exits 1 for a record edited in the database, saying which check failed', async () => {
    const database = new Database(collector.config.db);
    registerBodyFunctions(database);
    database.prepare("UPDATE events SET body = facto_body_set(body, 'record_json', replace(facto_body_get(body, 'record_json'), ?, ?)) WHERE facto_id = ?").run('"i":"40"', '"i":"4000"', byName.get('tool bank.refund')!.facto_id);
    database.close();
    const result = await explain('tool bank.refund');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('NOT VERIFIED:');
    expect(result.stdout).toContain('x hash: the record does not hash to the stored hash (record altered)');
    expect(result.stdout).toContain('x inclusion: the proof does not lead from this record to the signed root');
  });

  it("prints an agent's names and ids made printable: escape codes in them do not reach the terminal", async () => {
    const keys = generateKeyPair();
    const hostile = createFacto({ agentId: 'mallory\u001b]0;PWNED\u0007\u001b[2J', endpoint: collector.url, privateKey: keys.privateKey, scheduledDelayMillis: 10 });
    const factoId = hostile.record('evil\u001b[31mRED\u001b[8m', { 'x\u001b[8m': 'y' }, { done: true });
    expect((await hostile.shutdown()).undelivered).toBe(0);
    const result = await facto(['explain', factoId, '--endpoint', collector.url]);
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(result.stdout).toContain('mallory\\u001b]0;PWNED\\u0007\\u001b[2J');
    expect(result.stdout).toContain('evil\\u001b[31mRED\\u001b[8m');
    // Values are the JSON they stand for, escaped once: JSON's own \\u001b, not a second escape of it.
    // A value is the JSON it stands for, escaped once (JSON's own \\u001b), not escaped again.
    expect(result.stdout).toContain('facto.action_type = "evil\\u001b[31mRED\\u001b[8m"');
  });

  it('exits 5 for an event the collector does not hold, 2 for what is not a facto_id', async () => {
    const unknown = await facto(['explain', 'ft-00000000-0000-4000-8000-000000000000', '--endpoint', collector.url]);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toBe(`facto explain: no event ft-00000000-0000-4000-8000-000000000000 in the collector at ${collector.url}\n`);
    const malformed = await facto(['explain', 'event-7', '--endpoint', collector.url]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('"event-7" is not a facto_id: expected "ft-" and a lowercase UUID');
  });
});
