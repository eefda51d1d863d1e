import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair, keyId, publicKeyToPem, toHex } from '@facto/core';
import { silentLogger, type Logger } from '../ops/logger.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { KeyRegistry, readKeyFile } from './key-registry.js';

const directories: string[] = [];
afterEach(() => directories.splice(0).forEach((directory) => rmSync(directory, { recursive: true, force: true })));

/** Writes `content` (an object is written as JSON) to a fresh keys.json and returns its path. */
function keysFile(content: unknown): string {
  const directory = mkdtempSync(join(tmpdir(), 'facto-key-file-'));
  directories.push(directory);
  const path = join(directory, 'keys.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const alice = generateKeyPair();
const aliceHex = toHex(alice.publicKey);
const aliceId = keyId(alice.publicKey);

function refusal(content: unknown): string {
  const path = keysFile(content);
  try {
    readKeyFile(path);
  } catch (error) {
    expect(error).toMatchObject({ code: 'invalid_argument' });
    const message = (error as Error).message;
    expect(message.startsWith(`key registry ${path}`)).toBe(true);
    return message.slice(`key registry ${path}`.length);
  }
  throw new Error('the key file was accepted');
}

describe('readKeyFile', () => {
  it('reads keys in every accepted form, with RFC 3339 times at any offset', () => {
    const bob = generateKeyPair();
    const path = keysFile({
      agents: {
        alice: [{ publicKey: aliceHex, notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-12-31T23:59:59.250+01:00', revokedAt: null }],
        bob: [{ publicKey: publicKeyToPem(bob.publicKey), revokedAt: '2024-02-29T12:00:00Z' }],
      },
    });
    const file = readKeyFile(path, 1_000);
    expect(file.path).toBe(path);
    expect(file.keys).toEqual([
      { agentId: 'alice', keyId: aliceId, publicKey: aliceHex, notBefore: Date.UTC(2026, 0, 1), notAfter: Date.UTC(2026, 11, 31, 22, 59, 59, 250), revokedAt: null, source: 'config', createdAt: 1_000 },
      { agentId: 'bob', keyId: keyId(bob.publicKey), publicKey: toHex(bob.publicKey), notBefore: null, notAfter: null, revokedAt: Date.UTC(2024, 1, 29, 12), source: 'config', createdAt: 1_000 },
    ]);
  });

  it('refuses an unknown field, naming the agent, the key and the field: a misspelt revocation must not leave the key trusted', () => {
    expect(refusal({ agents: { alice: [{ publicKey: aliceHex, revoked_at: '2020-01-01T00:00:00Z' }] } })).toBe(
      `, agent "alice", key ${aliceId}: agents["alice"][0]: unknown field "revoked_at"; accepted: publicKey, notBefore, notAfter, revokedAt`,
    );
    expect(refusal({ agents: { alice: [{ public_key: aliceHex }] } })).toBe(', agent "alice": agents["alice"][0]: unknown field "public_key"; accepted: publicKey, notBefore, notAfter, revokedAt');
    expect(refusal({ agents: {}, comment: 'x' })).toBe(': the top level: unknown field "comment"; accepted: agents');
  });

  it('refuses a date that is not on the calendar instead of rolling it over', () => {
    for (const [field, value] of [['notAfter', '2020-02-30T00:00:00Z'], ['notBefore', '2026-04-31T00:00:00Z'], ['revokedAt', '2025-02-29T00:00:00Z'], ['revokedAt', '2026-01-01T24:00:00Z']]) {
      expect(refusal({ agents: { alice: [{ publicKey: aliceHex, [field!]: value }] } })).toBe(
        `, agent "alice", key ${aliceId}: agents["alice"][0].${field} must be an RFC 3339 time string (e.g. 2026-12-31T23:59:59Z), got "${value}"`,
      );
    }
  });

  it('refuses a time that is not an RFC 3339 string: a number, digits, a date alone or prose', () => {
    const message = (got: string) => `, agent "alice", key ${aliceId}: agents["alice"][0].notAfter must be an RFC 3339 time string (e.g. 2026-12-31T23:59:59Z), got ${got}`;
    expect(refusal({ agents: { alice: [{ publicKey: aliceHex, notAfter: 1 }] } })).toBe(message('the number 1'));
    expect(refusal({ agents: { alice: [{ publicKey: aliceHex, notAfter: 1767225600000 }] } })).toBe(message('the number 1767225600000'));
    expect(refusal({ agents: { alice: [{ publicKey: aliceHex, notAfter: true }] } })).toBe(message('the boolean true'));
    for (const text of ['1', '2026-12-31', 'Dec 31 2026', '2026-12-31 23:59:59Z']) expect(refusal({ agents: { alice: [{ publicKey: aliceHex, notAfter: text }] } })).toBe(message(JSON.stringify(text)));
  });

  it('refuses a window that ends before it starts, as the admin API does', () => {
    expect(refusal({ agents: { alice: [{ publicKey: aliceHex, notBefore: '2026-01-02T00:00:00Z', notAfter: '2026-01-01T00:00:00Z' }] } })).toBe(
      `, agent "alice", key ${aliceId}: notBefore must not be later than notAfter`,
    );
  });

  it('refuses one key under two agents, and one key listed twice for an agent', () => {
    expect(refusal({ agents: { alice: [{ publicKey: aliceHex }], mallory: [{ publicKey: publicKeyToPem(alice.publicKey) }] } })).toBe(
      `, agent "mallory", key ${aliceId}: agents["mallory"][0] lists the same key as agents["alice"][0]: key ${aliceId} is already registered to agent "alice"; one key signs for one agent`,
    );
    expect(refusal({ agents: { alice: [{ publicKey: aliceHex }, { publicKey: aliceHex, notAfter: '2030-01-01T00:00:00Z' }] } })).toBe(
      `, agent "alice", key ${aliceId}: agents["alice"][1] lists the same key as agents["alice"][0]: it is listed twice for this agent, and which entry is meant would be a guess`,
    );
  });

  it('refuses a member name written twice: which value was meant would be a guess', () => {
    expect(refusal(`{"agents":{"alice":[{"publicKey":"${aliceHex}","revokedAt":"2020-01-01T00:00:00Z","revokedAt":null}]}}`)).toMatch(/^: invalid JSON at offset \d+: duplicate member name "revokedAt"/);
    expect(refusal(`{"agents":{"alice":[],"alice":[{"publicKey":"${aliceHex}"}]}}`)).toMatch(/^: invalid JSON at offset \d+: duplicate member name "alice"/);
  });

  it('refuses a wrong shape, naming where', () => {
    expect(refusal([])).toBe(': expected { "agents": { "<agent_id>": [ { "publicKey": ... } ] } }');
    expect(refusal({ agents: { alice: {} } })).toBe(': agents["alice"] must be an array');
    expect(refusal({ agents: { alice: [null] } })).toBe(', agent "alice": agents["alice"][0] must be a JSON object');
    expect(refusal({ agents: { alice: [{}] } })).toBe(', agent "alice": agents["alice"][0].publicKey must be a string');
    expect(refusal({ agents: { alice: [{ publicKey: 'abcd' }] } })).toMatch(/^, agent "alice": agents\["alice"\]\[0\]\.publicKey is not an Ed25519 public key/);
    expect(refusal({ agents: { '': [] } })).toBe(': agents[""]: the agent id must not be empty');
  });
});

describe('KeyRegistry.load', () => {
  const T0 = Date.UTC(2026, 0, 1);

  async function registry(logger: Logger = silentLogger) {
    const store = new MemoryStore();
    await store.init();
    return { store, registry: new KeyRegistry(store, 'strict', logger) };
  }

  it('refuses a file key the store holds for another agent before writing anything, as the admin API answers 409', async () => {
    const { store, registry: keys } = await registry();
    await store.putKey({ agentId: 'alice', keyId: aliceId, publicKey: aliceHex, notBefore: null, notAfter: null, revokedAt: null, source: 'admin', createdAt: 1 });
    const bob = generateKeyPair();
    const path = keysFile({ agents: { bob: [{ publicKey: toHex(bob.publicKey) }], mallory: [{ publicKey: aliceHex }] } });
    await expect(keys.load(readKeyFile(path))).rejects.toMatchObject({
      code: 'invalid_argument',
      message: `key registry ${path}, agent "mallory", key ${aliceId}: key ${aliceId} is already registered to agent "alice"; one key signs for one agent (in the store, source admin)`,
    });
    expect((await store.listKeys()).map((key) => key.agentId)).toEqual(['alice']);
  });

  it('retires a key the file no longer lists: still valid for what it signed before, not after; listing it again undoes it', async () => {
    const warnings: Record<string, unknown>[] = [];
    const { store, registry: keys } = await registry({ ...silentLogger, warn: (message, fields) => void warnings.push({ message, ...fields }) });
    const bob = generateKeyPair();
    const bobId = keyId(bob.publicKey);
    const listed = { agents: { alice: [{ publicKey: aliceHex }], bob: [{ publicKey: toHex(bob.publicKey), notAfter: '2030-01-01T00:00:00Z' }] } };
    await keys.load(readKeyFile(keysFile(listed), T0), T0);
    await store.putKey({ agentId: 'carol', keyId: 'c'.repeat(32), publicKey: 'c'.repeat(64), notBefore: null, notAfter: null, revokedAt: null, source: 'admin', createdAt: T0 });

    const emptied = keysFile({ agents: {} });
    await keys.load(readKeyFile(emptied, T0 + 10), T0 + 10);
    expect(keys.view().key(aliceId)).toMatchObject({ agentId: 'alice', notAfter: T0 + 10, revokedAt: null, source: 'config', createdAt: T0 });
    expect(keys.view().key(bobId)).toMatchObject({ notAfter: T0 + 10, revokedAt: null });
    // A key the admin API registered is not the file's to retire.
    expect(keys.view().key('c'.repeat(32))).toMatchObject({ notAfter: null });
    expect(warnings).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^retired an agent key the --keys file no longer lists/), keysFile: emptied, agentId: 'alice', keyId: aliceId, notAfter: new Date(T0 + 10).toISOString() }),
      expect.objectContaining({ agentId: 'bob', keyId: bobId }),
    ]);

    // Said once: a later start with the same file finds the keys retired already.
    await keys.load(readKeyFile(emptied, T0 + 20), T0 + 20);
    expect(warnings).toHaveLength(2);
    expect(keys.view().key(aliceId)).toMatchObject({ notAfter: T0 + 10 });

    await keys.load(readKeyFile(keysFile(listed), T0 + 30), T0 + 30);
    expect(keys.view().key(aliceId)).toMatchObject({ notAfter: null, createdAt: T0 });
    expect(keys.view().key(bobId)).toMatchObject({ notAfter: Date.UTC(2030, 0, 1) });
  });

  it('leaves the stored keys alone when no file is named, and keeps a revocation when the file lists the key again', async () => {
    const { store, registry: keys } = await registry();
    const path = keysFile({ agents: { alice: [{ publicKey: aliceHex }] } });
    await keys.load(readKeyFile(path, T0), T0);
    await keys.load(undefined, T0 + 10);
    expect(keys.view().key(aliceId)).toMatchObject({ notAfter: null, revokedAt: null });
    await store.revokeKey('alice', aliceId, T0 + 15);
    await keys.load(readKeyFile(path, T0 + 20), T0 + 20);
    expect(keys.view().key(aliceId)).toMatchObject({ notAfter: null, revokedAt: T0 + 15, createdAt: T0 });
    // Of a revocation in the store and one in the file, the earlier holds.
    await keys.load(readKeyFile(keysFile({ agents: { alice: [{ publicKey: aliceHex, revokedAt: new Date(T0 + 30).toISOString() }] } })), T0 + 40);
    expect(keys.view().key(aliceId)).toMatchObject({ revokedAt: T0 + 15 });
    await keys.load(readKeyFile(keysFile({ agents: { alice: [{ publicKey: aliceHex, revokedAt: new Date(T0 + 5).toISOString() }] } })), T0 + 40);
    expect(keys.view().key(aliceId)).toMatchObject({ revokedAt: T0 + 5 });
  });
});
