import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getPublicKey, keyId, parsePrivateKey, parsePublicKey, toHex } from '@facto/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain as run } from './test-helpers/run-main.js';

const directory = mkdtempSync(join(tmpdir(), 'facto-keygen-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => join(directory, `agent-${++counter}`, 'key.pem');

describe('facto keygen', () => {
  it('writes a 0600 private key and a .pub that parse as one pair, and prints the id and a registry entry', async () => {
    const out = freshPath();
    const result = await run(['keygen', '--out', out, '--agent-id', 'support-bot']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');

    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(statSync(`${out}.pub`).mode & 0o777).toBe(0o644);
    const privatePem = readFileSync(out, 'utf8');
    const publicKey = parsePublicKey(readFileSync(`${out}.pub`, 'utf8'));
    expect(privatePem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(getPublicKey(parsePrivateKey(privatePem))).toEqual(publicKey);

    expect(result.stdout).toContain(`Key id:     ${keyId(publicKey)}`);
    expect(result.stdout).toContain(`Public key: ${toHex(publicKey)}`);
    expect(result.stdout).toContain(`FACTO_KEY_FILE=${out} FACTO_AGENT_ID=support-bot`);
    const snippet = JSON.parse(result.stdout.slice(result.stdout.indexOf('{')));
    expect(snippet).toEqual({ agents: { 'support-bot': [{ publicKey: toHex(publicKey) }] } });
  });

  it('never prints the private key', async () => {
    const out = freshPath();
    const result = await run(['keygen', `--out=${out}`]);
    const seed = parsePrivateKey(readFileSync(out, 'utf8'));
    const pemBody = readFileSync(out, 'utf8').split('\n')[1]!;
    expect(result.stdout).not.toContain(toHex(seed));
    expect(result.stdout).not.toContain(pemBody);
    expect(result.stdout).not.toContain('PRIVATE KEY-----');
  });

  it('uses a placeholder agent id, and says so, without --agent-id', async () => {
    const result = await run(['keygen', '--out', freshPath()]);
    expect(result.stdout).toContain('replace <agent_id>');
    expect(Object.keys(JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))).agents)).toEqual(['<agent_id>']);
  });

  it('refuses to overwrite an existing key, leaving it untouched', async () => {
    const out = freshPath();
    await run(['keygen', '--out', out]);
    const before = readFileSync(out, 'utf8');
    const result = await run(['keygen', '--out', out]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain(`refusing to overwrite ${out}: it already exists`);
    expect(result.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(before);
  });

  it('refuses when only the .pub exists, and writes no private key', async () => {
    const out = join(directory, 'orphan.pem');
    writeFileSync(`${out}.pub`, 'stale');
    const result = await run(['keygen', '--out', out]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain(`refusing to overwrite ${out}.pub`);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses to run without --out, since the private key never goes to stdout', async () => {
    const result = await run(['keygen', '--agent-id', 'a']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--out FILE is required');
    expect(result.stdout).toBe('');
  });

  it.each([
    [['keygen', '--output', 'x'], "Unknown option '--output'"],
    [['keygen', '--out'], "Option '--out <value>' argument missing"],
    [['keygen', '--out', 'x', 'extra'], "Unexpected argument 'extra'"],
    [['keygen', '--out', join(directory, 'y.pem'), '--agent-id', ''], '--agent-id: expected 1 to 256 characters'],
  ])('rejects bad flags %j with a message naming them and exit 2', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`facto keygen: ${message}`);
    expect(result.stderr).toContain('Run "facto keygen --help" for usage.');
  });
});
