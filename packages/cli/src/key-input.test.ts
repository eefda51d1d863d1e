import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeVerifierKey, generateKeyPair, keyId, privateKeyToPem, publicKeyToPem, toHex } from '@facto/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliError } from './cli-error.js';
import { EXIT_FILE, EXIT_USAGE } from './cli-io.js';
import { agentKeysByAgent, readAgentKey, readKeyFlag, readLogKey } from './key-input.js';
import { runMain } from './test-helpers/run-main.js';
import { readTime } from './time-input.js';

const directory = mkdtempSync(join(tmpdir(), 'facto-key-input-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const pair = generateKeyPair();
const pubFile = join(directory, 'agent.pem.pub');
writeFileSync(pubFile, publicKeyToPem(pair.publicKey));

/** The exit code and message a key argument is refused with, or undefined when it is taken. */
function refusal(read: () => unknown): [number, string] | undefined {
  try {
    read();
  } catch (error) {
    return [(error as CliError).exitCode, (error as Error).message];
  }
  return undefined;
}

describe('--key', () => {
  const privateFile = join(directory, 'agent.pem');
  writeFileSync(privateFile, privateKeyToPem(pair.privateKey));
  const privatePem = privateKeyToPem(pair.privateKey);
  const privateSecret = privatePem.split('\n')[1]!;

  it('takes a PEM file or the hex string facto keygen prints, with or without AGENT=', () => {
    for (const value of [pubFile, toHex(pair.publicKey), publicKeyToPem(pair.publicKey)]) expect(readKeyFlag(value)).toEqual({ agentId: undefined, publicKey: pair.publicKey, keyId: keyId(pair.publicKey) });
    expect(readKeyFlag(`support-bot=${pubFile}`).agentId).toBe('support-bot');
    expect(readKeyFlag(`support-bot=${toHex(pair.publicKey)}`).agentId).toBe('support-bot');
  });

  it('says a key file it was meant to read cannot be read (exit 7), as --log-key does', () => {
    for (const missing of ['./nofile.pub', join(directory, 'agent.pem.pub.missing'), 'nofile']) {
      expect(refusal(() => readKeyFlag(missing))).toEqual([EXIT_FILE, `--key ${missing}: cannot read it (ENOENT: no such file), and it is not an Ed25519 public key (PEM, or the 64 hex digits facto keygen prints) either`]);
    }
    expect(refusal(() => readKeyFlag('support-bot=keys/nofile.pub'))).toEqual([EXIT_FILE, '--key support-bot=keys/nofile.pub: cannot read keys/nofile.pub (ENOENT: no such file), and it is not an Ed25519 public key (PEM, or the 64 hex digits facto keygen prints) either']);
    expect(refusal(() => readKeyFlag(directory))).toEqual([EXIT_FILE, `--key ${directory}: cannot read it (EISDIR)`]);
  });

  it('refuses a private key, a file that holds no key, and a key string that does not parse, as usage errors (exit 2)', () => {
    expect(refusal(() => readKeyFlag(privateFile))).toEqual([EXIT_USAGE, `--key ${privateFile}: that is a private key; give the public key (the .pub file facto keygen wrote)`]);
    const junk = join(directory, 'junk.txt');
    writeFileSync(junk, 'hello');
    expect(refusal(() => readKeyFlag(junk))).toEqual([EXIT_USAGE, expect.stringMatching(/^--key .*junk\.txt: not an Ed25519 public key: /)]);
    for (const malformed of ['deadbeef', `support-bot=${toHex(pair.publicKey).slice(1)}`, 'AAAA=']) {
      expect(refusal(() => readKeyFlag(malformed))).toEqual([EXIT_USAGE, expect.stringMatching(/^--key \(the key string given\): not an Ed25519 public key: public key must be/)]);
    }
    // A private seed in hex that is no usable public key: the message says what it may be, and never repeats it.
    const seeds = Array.from({ length: 40 }, () => toHex(generateKeyPair().privateKey));
    const refusedSeed = seeds.map((seed) => refusal(() => readKeyFlag(seed))).find((refused) => refused !== undefined);
    expect(refusedSeed).toEqual([EXIT_USAGE, expect.stringMatching(/^--key \(the key string given\): not an Ed25519 public key: .*\(if that is a private key, give the public key instead: the \.pub file facto keygen wrote\)$/)]);
    expect(seeds.some((seed) => refusedSeed![1].includes(seed))).toBe(false);
    expect(refusal(() => readKeyFlag(`=${toHex(pair.publicKey)}`))).toEqual([EXIT_USAGE, '--key: the agent before "=" is empty']);
    expect(refusal(() => readKeyFlag('support-bot='))).toEqual([EXIT_USAGE, '--key support-bot=: the key after "=" is empty']);
    expect(refusal(() => readKeyFlag(''))).toEqual([EXIT_USAGE, '--key: empty; give a key file or the key string facto keygen prints']);
  });

  it('never repeats a key string in its message: it may be a private key given by mistake', () => {
    const privateHex = toHex(pair.privateKey);
    for (const value of [privatePem, `support-bot=${privatePem}`, privateHex.slice(1), `support-bot=${privateHex.slice(1)}`, `=${privateHex}`]) {
      const [code, message] = refusal(() => readKeyFlag(value))!;
      expect(code).toBe(EXIT_USAGE);
      expect(message).not.toContain(privateSecret);
      expect(message).not.toContain(privateHex.slice(1, 20));
    }
  });

  it('reads a KEY argument of facto keys as --key: one that is neither a file nor a key is a file that cannot be read', () => {
    expect(refusal(() => readAgentKey('nothing-here', 'KEY'))).toEqual([EXIT_FILE, 'KEY nothing-here: cannot read it (ENOENT: no such file), and it is not an Ed25519 public key (PEM, or the 64 hex digits facto keygen prints) either']);
    expect(readAgentKey(pubFile, 'KEY').publicKey).toEqual(pair.publicKey);
  });

  it('gives a key without an agent to the default agent, and refuses it when there is none', () => {
    const keys = [readKeyFlag(pubFile), readKeyFlag(`other=${toHex(generateKeyPair().publicKey)}`)];
    expect(Object.keys(agentKeysByAgent(keys, 'support-bot', ''))).toEqual(['support-bot', 'other']);
    expect(() => agentKeysByAgent(keys, undefined, 'the bundle covers several agents')).toThrow(/as --key AGENT=KEY \(the bundle covers several agents\)/);
  });
});

describe('a mistyped --key file, in each command that takes --key', () => {
  // Nothing listens on the discard port: a command that asked the collector first would exit 3.
  const nowhere = 'http://127.0.0.1:9';
  const logKey = encodeVerifierKey('facto.local/abcd', generateKeyPair().publicKey);

  it.each([
    ['verify BUNDLE', ['verify', join(directory, 'bundle.json'), '--log-key', logKey]],
    ['verify, auditing a collector', ['verify', '--endpoint', nowhere]],
    ['explain', ['explain', 'ft-00000000-0000-4000-8000-000000000000', '--endpoint', nowhere]],
  ])('is exit 7 for %s, naming the flag, before the bundle or the collector is read', async (_name, args) => {
    expect(await runMain([...args, '--key', 'keys/nofile.pub'])).toEqual({
      code: EXIT_FILE,
      stdout: '',
      stderr: `facto ${args[0]}: --key keys/nofile.pub: cannot read it (ENOENT: no such file), and it is not an Ed25519 public key (PEM, or the 64 hex digits facto keygen prints) either\n`,
    });
  });
});

describe('a PEM block given as the argument after --key (--key "$(cat agent.pem.pub)")', () => {
  it('is the key, not an ambiguous flag, as with --key=PEM', async () => {
    const missingBundle = join(directory, 'no-bundle.json');
    const logKey = encodeVerifierKey('facto.local/abcd', generateKeyPair().publicKey);
    for (const keyArgs of [['--key', publicKeyToPem(pair.publicKey)], [`--key=${publicKeyToPem(pair.publicKey)}`]]) {
      const result = await runMain(['verify', missingBundle, '--log-key', logKey, ...keyArgs]);
      expect(result.stderr).not.toMatch(/ambiguous/);
      expect(result.stderr).toMatch(/no-bundle\.json/);
      expect(result.code).toBe(EXIT_FILE);
    }
    const privatePem = privateKeyToPem(pair.privateKey);
    const refused = await runMain(['verify', missingBundle, '--log-key', logKey, '--key', privatePem]);
    expect(refused.code).toBe(EXIT_USAGE);
    expect(refused.stderr).toMatch(/that is a private key/);
    expect(refused.stderr).not.toContain(privatePem.split('\n')[1]!);
  });
});

describe('--log-key', () => {
  it('takes the verifier key or a file holding it, and refuses anything else', () => {
    const key = encodeVerifierKey('facto.local/abcd', generateKeyPair().publicKey);
    const file = join(directory, 'log.vkey');
    writeFileSync(file, `${key}\n`);
    expect(readLogKey(key)).toBe(key);
    expect(readLogKey(file)).toBe(key);
    expect(() => readLogKey('facto.local/abcd+1234+nope')).toThrow(/--log-key: not a C2SP verifier key/);
  });

  it('says a file it was meant to read cannot be read (exit 7), and a malformed key or key file is a usage error (exit 2)', () => {
    const exitOf = (value: string) => refusal(() => readLogKey(value));
    for (const missing of ['./nofile', join(directory, 'log.vkey.missing'), 'nofile']) {
      expect(exitOf(missing)).toEqual([EXIT_FILE, `--log-key ${missing}: cannot read it (ENOENT: no such file), and it is not a verifier key (name+keyid+base64, as GET /v1/log gives it) either`]);
    }
    expect(exitOf(directory)).toEqual([EXIT_FILE, `--log-key ${directory}: cannot read it (EISDIR)`]);
    const junk = join(directory, 'junk.vkey');
    writeFileSync(junk, 'not a key\n');
    expect(exitOf(junk)).toEqual([EXIT_USAGE, expect.stringMatching(/^--log-key .*junk\.vkey: the file holds no C2SP verifier key/)]);
    expect(exitOf('facto.local/abcd+1234+nope')).toEqual([EXIT_USAGE, expect.stringMatching(/^--log-key: not a C2SP verifier key/)]);
  });
});

describe('times', () => {
  it('turns a duration into the time that long ago, and passes anything else to the collector to judge', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(readTime('90s', now)).toBe('2026-01-01T11:58:30.000Z');
    expect(readTime('2h', now)).toBe('2026-01-01T10:00:00.000Z');
    expect(readTime('7d', now)).toBe('2025-12-25T12:00:00.000Z');
    expect(readTime('2026-01-01T00:00:00Z', now)).toBe('2026-01-01T00:00:00Z');
  });
});
