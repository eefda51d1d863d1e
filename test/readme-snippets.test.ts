/**
 * Each package README's first ```js block is runnable documentation: this test runs it as a user
 * would, in a child Node process against the built packages, and checks that it did its job.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, keyId, parsePublicKey, privateKeyToPem } from '@facto/core';
import { startOtlpSink, type OtlpSink } from './support/otlp-sink.js';
import { verifySpans } from './support/verify-spans.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

function firstJsBlock(readmePath: string): string {
  const text = readFileSync(join(root, readmePath), 'utf8');
  const match = /```js\n([\s\S]*?)```/.exec(text);
  if (!match) throw new Error(`${readmePath} has no js snippet`);
  return match[1]!;
}

let directory: string;
let sink: OtlpSink;
beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'facto-readme-'));
  sink = await startOtlpSink();
});
afterAll(async () => {
  await sink.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('README snippets', () => {
  it('@facto/otel: the one-line setup signs what the agent records', async () => {
    const keys = generateKeyPair();
    const keyFile = join(directory, 'agent.pem');
    writeFileSync(keyFile, privateKeyToPem(keys.privateKey), { mode: 0o600 });
    const script = join(root, 'packages/otel/.readme-snippet.mjs');
    writeFileSync(script, firstJsBlock('packages/otel/README.md'));
    try {
      const { stdout } = await run(process.execPath, [script], { cwd: root, env: { ...process.env, FACTO_ENDPOINT: sink.url, FACTO_KEY_FILE: keyFile } });
      expect(stdout).toMatch(/^ft-[0-9a-f-]{36} refunded\n$/);
    } finally {
      rmSync(script, { force: true });
    }
    const { chains, failures } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(chains[0]).toMatchObject({ agentId: 'billing-agent', length: 2, intact: true });
  });

  it('@facto/core: seal, verify, prove inclusion', async () => {
    expect(await runSnippet('packages/core')).toBe('true true\n');
  });

  it('@facto/collector: embedded start, log endpoint, clean close', async () => {
    expect(await runSnippet('collector', { DEMO_DIR: directory })).toBe('0 true\n');
  });

  it('@facto/cli: the keygen line writes a 0600 key and a matching public key', async () => {
    const text = readFileSync(join(root, 'packages/cli/README.md'), 'utf8');
    const line = /^npx facto keygen (.*?)\s+#/m.exec(text)![1]!.split(/\s+/);
    const folder = mkdtempSync(join(directory, 'cli-'));
    const { stdout } = await run(process.execPath, [join(root, 'packages/cli/bin/facto.mjs'), 'keygen', ...line], { cwd: folder });
    expect(statSync(join(folder, 'agent.pem')).mode & 0o777).toBe(0o600);
    const publicKey = parsePublicKey(readFileSync(join(folder, 'agent.pem.pub'), 'utf8'));
    expect(stdout).toContain(keyId(publicKey));
    expect(stdout).toContain('billing-agent');
    expect(stdout).not.toContain('PRIVATE KEY');
  });
});

async function runSnippet(packageDirectory: string, env: Record<string, string> = {}): Promise<string> {
  const script = join(root, packageDirectory, '.readme-snippet.mjs');
  writeFileSync(script, firstJsBlock(`${packageDirectory}/README.md`));
  try {
    const { stdout } = await run(process.execPath, [script], { cwd: root, env: { ...process.env, ...env } });
    return stdout;
  } finally {
    rmSync(script, { force: true });
  }
}
