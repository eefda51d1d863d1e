/**
 * `facto export -o -` passes the collector's bytes to stdout as text: bytes that are not UTF-8 stop
 * it (exit 3) instead of reaching stdout as U+FFFD. An -o that is a directory is refused before the
 * collector is asked. A node:http server stands in for the collector.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FILE, EXIT_OK, EXIT_UNAVAILABLE } from './cli-io.js';
import { runMain } from './test-helpers/run-main.js';

let server: http.Server;
let url: string;
let requests = 0;
const bundle = Buffer.from('{"format":"facto.bundle.v1","query":{"agent_id":"agent-é"}}');

beforeAll(async () => {
  server = http.createServer((request, response) => {
    requests++;
    const body = request.url!.includes('agent_id=latin1') ? Buffer.from(bundle.toString('utf8'), 'latin1') : bundle;
    response.writeHead(200, { 'content-type': 'application/json' });
    // The 'é' cut between two chunks, as a stream may deliver it.
    const cut = body.indexOf(0xc3) + 1 || body.length - 3;
    response.write(body.subarray(0, cut));
    response.end(body.subarray(cut));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('facto export -o -', () => {
  it('writes the UTF-8 it receives, a character cut between chunks included', async () => {
    const result = await runMain(['export', '--endpoint', url, '--agent', 'utf8', '-o', '-']);
    expect(result).toEqual({ code: EXIT_OK, stdout: bundle.toString('utf8'), stderr: '' });
  });

  it('stops with exit 3 at bytes that are not UTF-8, rather than writing replacement characters', async () => {
    const result = await runMain(['export', '--endpoint', url, '--agent', 'latin1', '-o', '-']);
    expect(result.code).toBe(EXIT_UNAVAILABLE);
    expect(result.stdout).not.toContain('\uFFFD');
    expect(result.stderr).toMatch(/^facto export: the collector's answer is not UTF-8 \(within the \d+ B received\): it is not a bundle/);
  });
});

describe('facto export -o FILE in a folder that is not there', () => {
  it('is exit 7 naming the folder, before the collector is asked for the bundle, and creates nothing', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'facto-export-'));
    try {
      writeFileSync(join(directory, 'plain'), 'x');
      const cases = [
        [join(directory, 'missing', 'bundle.json'), `the folder ${join(directory, 'missing')} does not exist`],
        [join(directory, 'plain', 'bundle.json'), `${join(directory, 'plain')} is a file, not a folder`],
      ];
      for (const [out, why] of cases) {
        const before = requests;
        const result = await runMain(['export', '--endpoint', url, '--agent', 'utf8', '-o', out!]);
        expect(result).toEqual({ code: EXIT_FILE, stdout: '', stderr: `facto export: cannot write ${out}: ${why}\n` });
        expect(requests).toBe(before);
      }
      expect(readdirSync(directory)).toEqual(['plain']);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('facto export -o DIRECTORY', () => {
  it('is exit 7, with or without --force, before the collector is asked for the bundle', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'facto-export-'));
    try {
      for (const force of [[], ['--force']]) {
        const before = requests;
        const result = await runMain(['export', '--endpoint', url, '--agent', 'utf8', '-o', directory, ...force]);
        expect(result).toEqual({ code: EXIT_FILE, stdout: '', stderr: `facto export: cannot write ${directory}: it is a directory; give -o a file name\n` });
        expect(requests).toBe(before);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
