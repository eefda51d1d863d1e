/**
 * `facto export`, the built command: a bundle streamed from a real collector to a file that appears
 * only once complete; stdout with -o -; an existing file kept unless --force; and an export that
 * breaks off midway leaving nothing behind that could pass for a bundle.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { TestAgent } from '../support/signed-spans.js';
import { expectNoColour, facto, factoWithClosedStdout, logKeyOf, record } from './facto-process.js';

let collector: TestCollector;
let directory: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'facto-cli-export-'));
  collector = await startTestCollector();
  await record(collector, new TestAgent('support-bot', 'session-1'), 5);
  await record(collector, new TestAgent('other-bot', 'session-9'), 2);
});
afterAll(async () => {
  await collector.stop();
  rmSync(directory, { recursive: true, force: true });
});

describe('facto export', () => {
  it("writes one agent's bundle to a file, with no progress bar off a terminal, and a JSON summary", async () => {
    const out = join(directory, 'support-bot.json');
    const result = await facto(['export', '--endpoint', collector.url, '--agent', 'support-bot', '-o', out, '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ file: out, bytes: readFileSync(out).length, events: 5, tree_size: 7, log_key: await logKeyOf(collector) });
    const bundle = JSON.parse(readFileSync(out, 'utf8'));
    expect(bundle).toMatchObject({ format: 'facto.bundle.v1', query: { agent_id: 'support-bot' } });
    expect(bundle.events.map((event: any) => event.record.agent_id)).toEqual(Array(5).fill('support-bot'));
    expect(readdirSync(directory).filter((name) => name.endsWith('.partial'))).toEqual([]);
    expectNoColour(result);
  });

  it('writes through no link planted beside FILE in a shared folder: the partial file has a name nobody can guess', async () => {
    const victim = join(directory, 'victim.txt');
    writeFileSync(victim, 'precious');
    const out = join(directory, 'shared-bundle.json');
    // What the earlier FILE.partial made possible: a link there turned the export into a write to the victim.
    symlinkSync(victim, `${out}.partial`);
    const result = await facto(['export', '--endpoint', collector.url, '--agent', 'support-bot', '-o', out]);
    expect(result.code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(out).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(out, 'utf8')).format).toBe('facto.bundle.v1');
  });

  it('warns when the bundle holds no event of the agent (a mistyped id), and still writes it', async () => {
    const out = join(directory, 'nobody.json');
    const result = await facto(['export', '--endpoint', collector.url, '--agent', 'suport-bot', '-o', out, '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('warning: the collector has no events of agent "suport-bot" for this query: the bundle holds none (is the agent id right?)\n');
    expect(JSON.parse(result.stdout)).toMatchObject({ events: 0 });
    expect(JSON.parse(readFileSync(out, 'utf8')).events).toEqual([]);
  });

  it('writes to stdout with -o -, and narrows by chain and time', async () => {
    const result = await facto(['export', '--endpoint', collector.url, '--agent', 'support-bot', '--chain', 'session-1', '--since', '1h', '-o', '-']);
    expect(result.code).toBe(0);
    const bundle = JSON.parse(result.stdout);
    expect(Object.keys(bundle.query).sort()).toEqual(['agent_id', 'chain_id', 'since']);
    expect(bundle.events).toHaveLength(5);
  });

  it('says the bundle on stdout is incomplete, exit 7, when the reader of stdout has gone', async () => {
    const result = await factoWithClosedStdout(['export', '--endpoint', collector.url, '--agent', 'support-bot', '-o', '-']);
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/^facto export: stdout was closed after [\d.]+ [KM]?B: what was written there is not a complete bundle\n$/);
  });

  it('keeps an existing file unless --force', async () => {
    const out = join(directory, 'kept.json');
    writeFileSync(out, 'evidence from last week');
    const refused = await facto(['export', '--endpoint', collector.url, '--agent', 'support-bot', '-o', out]);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain(`${out} exists; choose another -o, or pass --force to replace it`);
    expect(readFileSync(out, 'utf8')).toBe('evidence from last week');
    expect((await facto(['export', '--endpoint', collector.url, '--agent', 'support-bot', '-o', out, '--force'])).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).events).toHaveLength(5);
  });

  it('exits 3 and leaves no file when the export breaks off midway', async () => {
    // What a collector whose store fails mid-export sends: a 200, part of the bundle, then a cut connection.
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'facto-export-estimate': '1000' });
      response.write('{"format":"facto.bundle.v1","events":[\n{"leaf_index":0}');
      setImmediate(() => response.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const out = join(directory, 'broken.json');
      const result = await facto(['export', '--endpoint', `http://127.0.0.1:${(server.address() as AddressInfo).port}`, '--agent', 'a', '-o', out]);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/facto export: the export broke off after \d+ B/);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(directory).filter((name) => name.startsWith('broken.json.') && name.endsWith('.partial'))).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it.each([
    [['export', '-o', 'x.json'], /--agent ID is required/],
    [['export', '--agent', 'a'], /-o FILE is required/],
    [['export', '--agent', 'a', '-o', 'x.json', '--since', 'yesterday'], /the collector refused the request: since must be an RFC 3339 time/],
  ])('exits 2 for %j', async (args, message) => {
    const result = await facto([...args, '--endpoint', collector.url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
