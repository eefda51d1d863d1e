/**
 * What `facto verify BUNDLE`'s summary says about the checkpoint of a file that is not a well-formed
 * bundle: a file refused before its checkpoint was read did not have it opened, and a bundle
 * malformed only in its events did have it opened; neither is a checkpoint that failed the log key.
 * The bundles are written by hand around a checkpoint signed here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeVerifierKey, generateKeyPair, signCheckpoint, toHex } from '@facto/core';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_NOT_VERIFIED } from './cli-io.js';
import { runMain } from './test-helpers/run-main.js';

const directory = mkdtempSync(join(tmpdir(), 'facto-verify-bundle-file-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const origin = 'facto.test/log';
const log = generateKeyPair();
const logKey = encodeVerifierKey(origin, log.publicKey);
const rootHash = new Uint8Array(32).fill(7);
const checkpoint = signCheckpoint({ origin, treeSize: 1, rootHash }, { name: origin, privateKey: log.privateKey });
const agentKey = toHex(generateKeyPair().publicKey);

/** Writes a bundle whose events array is `events`, verbatim. */
function bundleWith(name: string, events: string): string {
  const path = join(directory, name);
  writeFileSync(path, `{"format":"facto.bundle.v1","log_key":${JSON.stringify(logKey)},"query":{"agent_id":"support-bot"},"checkpoint":${JSON.stringify(checkpoint)},"keys":[],"chains":[],"events":${events},"manifest":""}`);
  return path;
}

async function verify(path: string, options: { logKey?: string; json?: boolean } = {}) {
  return runMain(['verify', path, '--key', agentKey, '--log-key', options.logKey ?? logKey, ...(options.json ? ['--json'] : [])]);
}

describe('facto verify BUNDLE, on a file that is not a well-formed bundle', () => {
  it('shows the checkpoint a bundle malformed in its events opened with, rather than blaming the log key', async () => {
    const path = bundleWith('bad-event.json', '[{"leaf_index":01}]');
    const result = await verify(path);
    expect(result.code).toBe(EXIT_NOT_VERIFIED);
    expect(result.stdout).toMatch(/x bundle: malformed bundle: invalid JSON at byte \d+, in events\[0\]: /);
    expect(result.stdout).toContain(`  checkpoint  ${origin}, tree size 1, root ${toHex(rootHash)}\n`);
    expect(result.stdout).not.toContain('could not be opened with the log key');
    expect(JSON.parse((await verify(path, { json: true })).stdout).checkpoint).toEqual({ ok: true, origin, treeSize: 1, rootHash: toHex(rootHash) });
  });

  it('says the checkpoint was not read when the file broke off before it', async () => {
    const path = join(directory, 'truncated.json');
    writeFileSync(path, '{"format":"facto.bundle.v1","query":{"agent_id":"support-bot"},"checkp');
    const result = await verify(path);
    expect(result.code).toBe(EXIT_NOT_VERIFIED);
    expect(result.stdout).toMatch(/x bundle: malformed bundle: invalid JSON at byte \d+/);
    expect(result.stdout).toContain('  checkpoint  not read: the file is not a well-formed bundle\n');
  });

  it('says a checkpoint that does not open was not opened with the log key, once, in a bundle malformed in its events too', async () => {
    const result = await verify(bundleWith('other-log-bad-event.json', '[{"leaf_index":01}]'), { logKey: encodeVerifierKey(origin, generateKeyPair().publicKey) });
    expect(result.code).toBe(EXIT_NOT_VERIFIED);
    expect(result.stdout.match(/x bundle: /g)).toHaveLength(2);
    expect(result.stdout).toMatch(/x bundle: checkpoint: did not open with the log key[^\n]*\n {2}x bundle: malformed bundle: /);
    expect(result.stdout).toContain('  checkpoint  could not be opened with the log key\n');
  });

  it('still says a checkpoint that does not open was not opened with the log key', async () => {
    const result = await verify(bundleWith('other-log.json', '[]'), { logKey: encodeVerifierKey(origin, generateKeyPair().publicKey) });
    expect(result.code).toBe(EXIT_NOT_VERIFIED);
    expect(result.stdout).toContain('  checkpoint  could not be opened with the log key\n');
  });
});
