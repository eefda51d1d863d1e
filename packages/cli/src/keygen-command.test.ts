import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  it('refuses a directory as --out before making a key, with exit 7 as export -o does', async () => {
    const folder = join(directory, 'a-folder');
    mkdirSync(folder);
    const result = await run(['keygen', '--out', folder]);
    expect(result.code).toBe(7);
    expect(result.stderr).toBe(`facto keygen: cannot write ${folder}: it is a directory; give --out a file name\n`);
    expect(result.stdout).toBe('');
    expect(existsSync(`${folder}.pub`)).toBe(false);

    const slashed = join(directory, 'not-yet-a-folder/');
    expect((await run(['keygen', '--out', slashed])).code).toBe(7);
    expect(existsSync(slashed)).toBe(false);

    const out = join(directory, 'pub-is-a-folder.pem');
    mkdirSync(`${out}.pub`);
    const publicFolder = await run(['keygen', '--out', out]);
    expect(publicFolder.code).toBe(7);
    expect(publicFolder.stderr).toContain(`cannot write ${out}.pub: it is a directory`);
    expect(existsSync(out)).toBe(false);
  });

  it('creates missing folders with mode 0700 and says so, and says nothing of folders that exist', async () => {
    const top = join(directory, 'new-top');
    const out = join(top, 'keys', 'agent.pem');
    const result = await run(['keygen', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(`Created the folder ${join(top, 'keys')}, and the missing ones above it from ${top} (mode 0700), which did not exist.`);
    for (const folder of [top, join(top, 'keys')]) expect(statSync(folder).mode & 0o777).toBe(0o700);
    const beside = await run(['keygen', '--out', join(top, 'keys', 'other.pem')]);
    expect(beside.stdout).not.toContain('Created the folder');
    expect((await run(['keygen', '--out', join(top, 'more', 'agent.pem')])).stdout.split('\n')[0]).toBe(`Created the folder ${join(top, 'more')} (mode 0700), which did not exist.`);
  });

  it('says which folder it could not create, with exit 7, when a file stands in the way', async () => {
    const file = join(directory, 'a-file');
    writeFileSync(file, 'not a folder');
    const result = await run(['keygen', '--out', join(file, 'agent.pem')]);
    expect(result.code).toBe(7);
    expect(result.stderr).toBe(`facto keygen: cannot create the folder ${file} for ${join(file, 'agent.pem')}: a file stands in the way\n`);
    expect(readdirSync(directory)).not.toContain('agent.pem');
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
