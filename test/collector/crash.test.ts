/**
 * kill -9 during ingest, then restart: the real `facto collector` process (built CLI) is killed while
 * requests are in flight. After a restart on the same database, every acknowledged span is present,
 * the log before the crash is a prefix of the log after it (a consistency proof between the two
 * heads verifies), and the agent's chain continues intact once it resends what was not acknowledged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, verifyConsistency } from '@facto/core';
import { otlpJson, TestAgent } from '../support/signed-spans.js';

const cli = new URL('../../packages/cli/bin/facto.mjs', import.meta.url).pathname;
const children: ChildProcess[] = [];
let directory: string | undefined;

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  if (directory) rmSync(directory, { recursive: true, force: true });
});

async function startCli(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [cli, 'collector', '--port', '0', '--db', join(dir, 'facto.db'), '--log-key', join(dir, 'log-key.pem'), '--checkpoint-interval', '3600', '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}: ${stderr}`)));
  });
  return { url, child };
}

describe('kill -9 during ingest', () => {
  it('keeps every acknowledged span, the same history, and a chain that continues', async () => {
    directory = mkdtempSync(join(tmpdir(), 'facto-crash-'));
    const agent = new TestAgent('agent-crash', 'chain-crash');
    const batches = Array.from({ length: 40 }, () => Array.from({ length: 25 }, () => agent.next()));
    const acknowledged = new Set<string>();

    const first = await startCli(directory);
    const post = (url: string, index: number) => fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson(batches[index]!) });

    let sent = 0;
    for (; sent < 10; sent++) {
      const response = await post(first.url, sent);
      expect(response.status).toBe(200);
      batches[sent]!.forEach((span) => acknowledged.add(span.factoId));
    }
    const before = await (await fetch(`${first.url}/v1/log`)).json();
    expect(before.tree_size).toBe(250);

    // Several requests in flight at once; kill while they are being committed.
    const inFlight = [10, 11, 12, 13].map((index) =>
      post(first.url, index).then(
        (response) => (response.status === 200 ? batches[index]!.forEach((span) => acknowledged.add(span.factoId)) : undefined),
        () => undefined,
      ),
    );
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    // Killed the moment the first of them is acknowledged: the others are then still being read,
    // sequenced or committed, whatever the machine's speed.
    await Promise.race(inFlight);
    first.child.kill('SIGKILL');
    await Promise.all(inFlight);
    await exited;

    const second = await startCli(directory);
    const after = await (await fetch(`${second.url}/v1/log`)).json();
    expect(after.tree_size).toBeGreaterThanOrEqual(acknowledged.size);
    expect(after.tree_size % 25).toBe(0); // whole batches or nothing: one transaction per request
    for (const factoId of acknowledged) expect((await fetch(`${second.url}/v1/events/${factoId}`)).status).toBe(200);

    const proof = await (await fetch(`${second.url}/v1/proofs/consistency?from=${before.tree_size}&to=${after.tree_size}`)).json();
    expect(verifyConsistency({ size1: before.tree_size, size2: after.tree_size, proof: proof.hashes.map((hash: string) => fromHex(hash)), root1: fromHex(before.root_hash), root2: fromHex(after.root_hash) })).toBe(true);

    // The agent resends what was not acknowledged (duplicates are idempotent), then carries on.
    for (sent = 10; sent < batches.length; sent++) expect((await post(second.url, sent)).status).toBe(200);
    const chain = await (await fetch(`${second.url}/v1/chains/agent-crash/chain-crash`)).json();
    expect(chain).toMatchObject({ length: 1000, intact: true });
    const final = await (await fetch(`${second.url}/v1/log`)).json();
    expect(final.tree_size).toBe(1000);
  }, 60_000);
});
