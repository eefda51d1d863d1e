/**
 * The real `facto collector` command (built CLI) and its --keys file: a file that says something
 * other than its writer meant (a misspelt revocation, a date not on the calendar, a number where a
 * time goes, one key under two agents) stops the start with exit 2 and a message naming the file,
 * the agent, the key and the field; a key taken out of the file stops being trusted for new spans
 * while what it signed before still verifies.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyId, publicKeyToPem } from '@facto/core';
import { refusedStart, startFacto, type RunningFacto } from '../cli/facto-process.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';

const directories: string[] = [];
afterEach(() => directories.splice(0).forEach((directory) => rmSync(directory, { recursive: true, force: true })));

function folder(): string {
  const directory = mkdtempSync(join(tmpdir(), 'facto-key-file-'));
  directories.push(directory);
  return directory;
}

function collector(directory: string, keys: unknown): RunningFacto {
  writeFileSync(join(directory, 'keys.json'), JSON.stringify(keys));
  return startFacto(['collector', '--port', '0', '--db', join(directory, 'facto.db'), '--log-key', join(directory, 'log-key.pem'), '--trust', 'strict', '--keys', join(directory, 'keys.json')]);
}

async function listening(running: RunningFacto): Promise<string> {
  await running.waitFor(/listening on http:\/\/\S+\n/);
  return /listening on (http:\/\/\S+)/.exec(running.output().stdout)![1]!;
}

async function send(url: string, spans: ReturnType<TestAgent['next']>[]): Promise<string | undefined> {
  const response = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson(spans) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { partialSuccess?: { errorMessage?: string } }).partialSuccess?.errorMessage;
}

describe('facto collector --keys', () => {
  const agent = new TestAgent('probe-agent');

  it.each([
    ['a misspelt field', { revoked_at: '2020-01-01T00:00:00Z' }, 'agents["probe-agent"][0]: unknown field "revoked_at"; accepted: publicKey, notBefore, notAfter, revokedAt'],
    ['a date not on the calendar', { notAfter: '2020-02-30T00:00:00Z' }, 'agents["probe-agent"][0].notAfter must be an RFC 3339 time string (e.g. 2026-12-31T23:59:59Z), got "2020-02-30T00:00:00Z"'],
    ['a number for a time', { notAfter: 1 }, 'agents["probe-agent"][0].notAfter must be an RFC 3339 time string (e.g. 2026-12-31T23:59:59Z), got the number 1'],
  ])('exits 2 for %s, naming the file, the agent, the key and the field, and accepts nothing', async (_case, fields, detail) => {
    const directory = folder();
    const result = await refusedStart(collector(directory, { agents: { 'probe-agent': [{ publicKey: agent.publicKeyHex, ...fields }] } }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`facto collector: key registry ${join(directory, 'keys.json')}, agent "probe-agent", key ${keyId(agent.keys.publicKey)}: ${detail}\n`);
  });

  it('exits 2 for one key under two agents, instead of rejecting one of them as agent_mismatch', async () => {
    const directory = folder();
    const result = await refusedStart(collector(directory, { agents: { 'probe-agent': [{ publicKey: agent.publicKeyHex }], other: [{ publicKey: publicKeyToPem(agent.keys.publicKey) }] } }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/key registry \S+keys\.json, agent "other", key [0-9a-f]{32}: agents\["other"\]\[0\] lists the same key as agents\["probe-agent"\]\[0\]: key [0-9a-f]{32} is already registered to agent "probe-agent"; one key signs for one agent\n/);
  });

  it('retires a key taken out of the file: new spans under it are refused, what it signed before still verifies', async () => {
    const directory = folder();
    const first = collector(directory, { agents: { 'probe-agent': [{ publicKey: agent.publicKeyHex }] } });
    const before = agent.next('before');
    expect(await send(await listening(first), [before])).toBeUndefined();
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);

    const second = collector(directory, { agents: {} });
    const url = await listening(second);
    expect(second.output().stderr).toMatch(/"level":"warn","message":"retired an agent key the --keys file no longer lists[^"]*","keysFile":"[^"]+keys\.json","agentId":"probe-agent","keyId":"[0-9a-f]{32}"/);
    expect(await send(url, [agent.next('after')])).toBe('1 rejected: key_not_valid');
    const stored = (await (await fetch(`${url}/v1/events/${before.factoId}`)).json()) as { verification: { ok: boolean; signature: { key_status: string } } };
    expect(stored.verification).toMatchObject({ ok: true, signature: { key_status: 'active' } });
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});
