/**
 * `facto keys add|list|revoke`, the built command managing a strict collector's key registry through
 * its admin API: a key added is what lets an agent's spans in, its validity window is honoured, a
 * revocation shuts it out; and each way the registry says no has its exit code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, keyId, toHex } from '@facto/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';
import { expectNoColour, facto, publicKeyFile } from './facto-process.js';

let collector: TestCollector;
let directory: string;
let agent: TestAgent;
let keyFile: string;
const ADMIN = ['--token', 'admin-secret'];

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'facto-cli-keys-'));
  collector = await startTestCollector({ trust: 'strict', adminToken: 'admin-secret' });
  agent = new TestAgent('support-bot', 'session-1');
  keyFile = publicKeyFile(directory, agent);
});
afterEach(async () => {
  await collector.stop();
  rmSync(directory, { recursive: true, force: true });
});

/** How many of the spans the collector accepted. */
async function accepted(spans: ReturnType<TestAgent['next']>[]): Promise<number> {
  const body = (await (await collector.post('/v1/traces', otlpJson(spans))).json()) as { partialSuccess?: { rejectedSpans?: string } };
  return spans.length - Number(body.partialSuccess?.rejectedSpans ?? 0);
}

const keys = (...args: string[]) => facto(['keys', ...args, '--endpoint', collector.url, ...ADMIN]);

describe('facto keys', () => {
  it('adds a key that lets the agent in, lists it, and revokes it, which shuts the agent out', async () => {
    expect(await accepted([agent.next()])).toBe(0);
    const added = await keys('add', '--agent', 'support-bot', keyFile);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`Registered key ${keyId(agent.keys.publicKey)} for agent support-bot.`);
    expectNoColour(added);
    expect(await accepted([agent.next()])).toBe(1);

    const listed = await keys('list');
    expect(listed.stdout).toMatch(new RegExp(`^support-bot +${keyId(agent.keys.publicKey)} +- +- +- +admin$`, 'm'));
    const revoked = await keys('revoke', '--agent', 'support-bot', keyId(agent.keys.publicKey));
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('ingest refuses it, and verifications no longer trust it');
    expect(await accepted([agent.next()])).toBe(0);
    const [key] = JSON.parse((await keys('list', '--agent', 'support-bot', '--json')).stdout);
    expect(key).toMatchObject({ agent_id: 'support-bot', key_id: keyId(agent.keys.publicKey), source: 'admin' });
    expect(key.revoked_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('honours a validity window: a key valid only in the past does not let spans signed now in', async () => {
    const result = await keys('add', '--agent', 'support-bot', toHex(agent.keys.publicKey), '--not-before', '2020-01-01T00:00:00Z', '--not-after', '2021-01-01T00:00:00Z', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ not_before: '2020-01-01T00:00:00.000Z', not_after: '2021-01-01T00:00:00.000Z' });
    expect(await accepted([agent.next()])).toBe(0);
    const incidents = await collector.json('/v1/incidents?kind=key_not_valid');
    expect(incidents.incidents).toHaveLength(1);
  });

  it('takes durations back from now for --not-before, --not-after and --at, as every time flag does', async () => {
    const before = Date.now();
    const added = await keys('add', '--agent', 'support-bot', toHex(agent.keys.publicKey), '--not-before', '7d', '--not-after', '1h', '--json');
    expect(added.code).toBe(0);
    const { not_before: notBefore, not_after: notAfter } = JSON.parse(added.stdout);
    // A week and an hour back from when the command ran (between the two clock readings around it).
    expect(Date.parse(notBefore)).toBeLessThanOrEqual(before - 7 * 86_400_000 + 60_000);
    expect(Date.parse(notAfter) - Date.parse(notBefore)).toBeGreaterThan(7 * 86_400_000 - 3_600_000 - 60_000);
    expect(Date.parse(notAfter) - Date.parse(notBefore)).toBeLessThan(7 * 86_400_000 - 3_600_000 + 60_000);
    const revoked = await keys('revoke', '--agent', 'support-bot', keyId(agent.keys.publicKey), '--at', '30m', '--json');
    expect(revoked.code).toBe(0);
    expect(Date.parse(JSON.parse(revoked.stdout).revoked_at)).toBeLessThanOrEqual(Date.now() - 30 * 60_000 + 60_000);
  });

  it.each<[string, () => string[], number, RegExp]>([
    ['without the admin token', () => ['keys', 'list', '--endpoint', collector.url], 4, /the collector refused access \(401: missing bearer token\)/],
    ['for a key registered to another agent', () => ['keys', 'add', '--agent', 'other-bot', keyFile, '--endpoint', collector.url, ...ADMIN], 6, /is already registered to agent "support-bot"; one key signs for one agent/],
    ['revoking a key the agent does not have', () => ['keys', 'revoke', '--agent', 'support-bot', toHex(generateKeyPair().publicKey), '--endpoint', collector.url, ...ADMIN], 5, /agent "support-bot" has no key [0-9a-f]{32}/],
    ['for what is not a key', () => ['keys', 'add', '--agent', 'support-bot', 'not-a-key', '--endpoint', collector.url, ...ADMIN], 7, /KEY not-a-key: cannot read it \(ENOENT: no such file\), and it is not an Ed25519 public key/],
    ['for a time the collector cannot read', () => ['keys', 'add', '--agent', 'support-bot', keyFile, '--not-after', 'next week', '--endpoint', collector.url, ...ADMIN], 2, /the collector refused the request: body\.not_after/],
    ['without --agent', () => ['keys', 'add', keyFile, '--endpoint', collector.url, ...ADMIN], 2, /--agent ID is required/],
    ['for an unknown action', () => ['keys', 'rotate'], 2, /unknown action "rotate": expected add, list or revoke/],
  ])('exits with its code %s', async (name, args, code, message) => {
    if (name.includes('another agent')) expect((await keys('add', '--agent', 'support-bot', keyFile)).code).toBe(0);
    const result = await facto(args());
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('reads the admin token from FACTO_ADMIN_TOKEN, not the query or ingest one beside it', async () => {
    const env = { FACTO_ENDPOINT: collector.url, FACTO_INGEST_TOKEN: 'ingest-secret', FACTO_QUERY_TOKEN: 'query-secret' };
    const refused = await facto(['keys', 'list'], env);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('pass the right token with --token or FACTO_ADMIN_TOKEN');
    expect((await facto(['keys', 'list'], { ...env, FACTO_ADMIN_TOKEN: 'admin-secret' })).code).toBe(0);
  });

  it('exits 3 when the collector cannot be reached', async () => {
    const url = collector.url;
    await collector.close();
    const result = await facto(['keys', 'list', '--endpoint', url]);
    expect(result.code).toBe(3);
  });
});
