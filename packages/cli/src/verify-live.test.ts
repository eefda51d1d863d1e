/**
 * A live audit against a stand-in collector, for what its summary says when it checked nothing: an
 * agent the collector holds no events of (a mistyped id must not pass for a verified audit), and a
 * checkpoint that does not open with the log key given (no counts of nothing). The real collector end
 * to end is test/cli/verify-live.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeVerifierKey, generateKeyPair, signCheckpoint, toHex } from '@facto/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_NOT_VERIFIED, EXIT_OK } from './cli-io.js';
import { runMain } from './test-helpers/run-main.js';

const origin = 'facto.test/log';
const log = generateKeyPair();
const logKey = encodeVerifierKey(origin, log.publicKey);
const checkpoint = signCheckpoint({ origin, treeSize: 3, rootHash: new Uint8Array(32).fill(7) }, { name: origin, privateKey: log.privateKey });

let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const path = request.url!.split('?')[0];
    // The log has events, none of them the asked-for agent's.
    const answers: Record<string, [string, string]> = {
      '/v1/log': ['application/json', JSON.stringify({ origin, verifier_key: logKey })],
      '/v1/checkpoints/latest': ['text/plain', checkpoint],
      '/v1/events': ['application/json', JSON.stringify({ events: [], next_cursor: null })],
    };
    const [type, body] = answers[path!] ?? ['application/json', '{"error":"not here"}'];
    response.writeHead(path! in answers ? 200 : 404, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('facto verify --agent, for an agent the collector has no events of', () => {
  it('warns that nothing was checked, in the text and in --json', async () => {
    const args = ['verify', '--endpoint', url, '--agent', 'suport-bot', '--key', toHex(generateKeyPair().publicKey), '--log-key', logKey];
    const warning = 'the collector serves no events of agent "suport-bot" up to tree size 3: the audit checked nothing of it (is the agent id right?)';
    const text = await runMain(args);
    expect(text.code).toBe(EXIT_OK);
    expect(text.stdout).toContain('0 events checked');
    expect(text.stderr).toBe(`warning: ${warning}\n`);
    expect(JSON.parse((await runMain([...args, '--json'])).stdout).warnings).toEqual([warning]);
  });
});

describe('facto verify, when the checkpoint does not open with the log key given', () => {
  it('names the key the collector presents and the one given, and counts nothing as checked', async () => {
    const given = encodeVerifierKey(origin, generateKeyPair().publicKey);
    for (const agent of [[], ['--agent', 'support-bot']]) {
      const result = await runMain(['verify', '--endpoint', url, ...agent, '--key', `support-bot=${toHex(generateKeyPair().publicKey)}`, '--log-key', given]);
      expect(result.code).toBe(EXIT_NOT_VERIFIED);
      expect(result.stdout).toContain(`x log key: the collector presents ${logKey}, not the log key given (${given})\n`);
      const summary = result.stdout.slice(result.stdout.indexOf('\n\n'));
      for (const row of ['events      ', agent.length === 0 ? 'leaves      ' : 'inclusion   ', 'chains      ']) {
        expect(summary).toContain(`  ${row} not checked: no checkpoint opened with the log key\n`);
      }
    }
  });
});
