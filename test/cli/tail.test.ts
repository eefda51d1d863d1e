/**
 * `facto tail`, the built command following a real collector: events committed after it started,
 * one line each in commit order with their verdict; a span the collector refused as "rejected"; a
 * backlog caught up from the store; a collector that goes away and comes back continued from the
 * last line printed, nothing lost and nothing twice; Ctrl-C; a refused token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@facto/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';
import { expectNoColour, facto, factoWithClosedStdout, record, startFacto } from './facto-process.js';

let collector: TestCollector;
let agent: TestAgent;

beforeEach(async () => {
  collector = await startTestCollector();
  agent = new TestAgent('support-bot', 'session-1');
});
afterEach(async () => {
  await collector.stop();
});

const LINE = /^(\S+Z) {2}(.{18}) {2}(.{14}) {2}(.{26}) {2}(verified|rejected|incident) {2}(\S+)$/;

describe('facto tail', () => {
  it('prints each event committed after it started, in order, one line each, then stops at -n', async () => {
    await record(collector, agent, 2);
    const tail = startFacto(['tail', '--endpoint', collector.url, '-n', '3']);
    await tail.waitFor(`facto tail: following ${collector.url} from now; Ctrl-C to stop`, 'stderr');
    const spans = await record(collector, agent, 3, 'chat');
    const result = await tail.exited;
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.map((line) => LINE.exec(line)?.slice(2, 6).map((cell) => cell.trim()))).toEqual(spans.map(() => ['support-bot', 'chat', 'chat', 'verified']));
    expect(lines.map((line) => LINE.exec(line)![6])).toEqual(spans.map((span) => span.factoId));
    expectNoColour(result);
  });

  it('stops, exit 0, when the reader of its output has gone (facto tail | head)', async () => {
    await record(collector, agent, 3);
    const result = await factoWithClosedStdout(['tail', '--endpoint', collector.url, '--since', '1h']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^facto tail: following \S+ from \S+Z; Ctrl-C to stop\n$/);
  });

  it('says it cannot follow yet, not that a connection was lost, when the collector was never reached', async () => {
    const url = collector.url;
    await collector.stop();
    const tail = startFacto(['tail', '--endpoint', url]);
    await tail.waitFor(`facto tail: cannot follow ${url} yet (`, 'stderr');
    tail.child.kill('SIGINT');
    expect((await tail.exited).stderr).not.toContain('connection lost');
    collector = await startTestCollector();
  });

  it('shows a span the collector refused as "rejected", and prints JSON lines with --json', async () => {
    await record(collector, agent, 1);
    const tail = startFacto(['tail', '--endpoint', collector.url, '-n', '2', '--json']);
    await tail.waitFor('following', 'stderr');
    const forged = agent.next('tool.call', {}, { signWith: generateKeyPair() });
    await collector.post('/v1/traces', otlpJson([agent.next('tool.call'), forged]));
    const result = await tail.exited;
    const [event, incident] = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(event).toMatchObject({ type: 'event', agent_id: 'support-bot', leaf_index: 1, verdict: 'verified' });
    expect(incident).toMatchObject({ type: 'incident', kind: 'bad_signature', facto_id: forged.factoId, verdict: 'rejected' });
  });

  it('catches up a backlog from the store, from --since, in commit order', async () => {
    const spans = await record(collector, agent, 240);
    const result = await facto(['tail', '--endpoint', collector.url, '--since', '1h', '-n', '240', '--no-incidents']);
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n').map((line) => LINE.exec(line)![6])).toEqual(spans.map((span) => span.factoId));
  });

  it('continues after the last line it printed when the collector goes away and comes back', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'facto-cli-tail-'));
    const first = await startTestCollector({}, {}, directory);
    const port = Number(new URL(first.url).port);
    let second: TestCollector | undefined;
    try {
      const tail = startFacto(['tail', '--endpoint', first.url, '-n', '4']);
      await tail.waitFor('following', 'stderr');
      const before = await record(first, agent, 2);
      await tail.waitFor(before[1]!.factoId);
      await first.close();
      await tail.waitFor('facto tail: connection lost', 'stderr');
      // The same store and log, the same address, as after a restart.
      second = await startTestCollector({ port }, {}, directory);
      await tail.waitFor('facto tail: reconnected, continuing after 1:0', 'stderr');
      const after = await record(second, agent, 2);
      const result = await tail.exited;
      expect(result.code).toBe(0);
      expect(result.stdout.trimEnd().split('\n').map((line) => LINE.exec(line)![6])).toEqual([...before, ...after].map((span) => span.factoId));
    } finally {
      await second?.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('stops on SIGINT with exit 0', async () => {
    const tail = startFacto(['tail', '--endpoint', collector.url]);
    await tail.waitFor('following', 'stderr');
    tail.child.kill('SIGINT');
    expect((await tail.exited).code).toBe(0);
  });

  it('exits 4 at once when the token is refused, rather than retrying', async () => {
    const guarded = await startTestCollector({ queryToken: 'query-secret' });
    try {
      const result = await facto(['tail', '--endpoint', guarded.url, '--token', 'wrong']);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('the collector refused access (401: invalid bearer token)');
    } finally {
      await guarded.stop();
    }
  });

  it('exits 2 for --since with --after, or a --limit that is not a number', async () => {
    expect((await facto(['tail', '--since', '1h', '--after', '3'])).stderr).toContain('give --since or --after, not both');
    const limit = await facto(['tail', '-n', 'lots']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('--limit: expected a number of lines, got "lots"');
  });
});
