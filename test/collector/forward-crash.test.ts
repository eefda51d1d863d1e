/**
 * The forward queue across a crash, from outside: a real `facto collector` process (built CLI) on
 * SQLite acknowledges requests whose downstream copy it has not delivered yet (the downstream holds
 * its answers), and is killed with SIGKILL. Restarted on the same database, it delivers every one of
 * them (in order when it sends one at a time) to the downstream it is now given: a 200 stands for
 * the downstream copy too. Under
 * --unsigned forward that copy is the only one of the unsigned spans.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SpanFields } from '@facto/core';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-processes.js';
import { startOtlpSink } from '../support/otlp-sink.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function unsignedSpan(name: string, spanId: string): SpanFields {
  return { traceId: '0af7651916cd43dd8448eb211c80319c', spanId, parentSpanId: '', name, kind: 2, startTimeUnixNano: '1732280000000000000', endTimeUnixNano: '1732280000000000100', status: { code: 0, message: '' }, attributes: [], events: [], links: [] };
}

async function collectorOn(directory: string, forward: string, args: readonly string[] = []): Promise<CollectorProcess> {
  const collector = await startCollectorProcess({ db: join(directory, 'facto.db'), logKey: join(directory, 'log-key.pem'), args: ['--unsigned', 'forward', '--forward', forward, ...args] });
  cleanups.push(async () => {
    collector.child.kill('SIGKILL');
    await collector.exited;
  });
  return collector;
}

describe('the forward queue across kill -9', () => {
  it.each([
    { concurrency: 1, inFlight: 1, order: 'in order' },
    { concurrency: 4, inFlight: 3, order: 'in any order' },
  ])('delivers, after the restart, every request acknowledged before the crash (--forward-concurrency $concurrency: $order)', async ({ concurrency, inFlight }) => {
    const directory = mkdtempSync(join(tmpdir(), 'facto-forward-crash-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const stalled = await startOtlpSink();
    cleanups.push(() => stalled.close());
    stalled.hold();
    const concurrencyArgs = ['--forward-concurrency', String(concurrency)];
    const first = await collectorOn(directory, `${stalled.url}/v1/traces`, concurrencyArgs);

    const agent = new TestAgent('agent-forward', 'chain-forward');
    const bodies = [
      otlpJson([agent.next('signed-1'), agent.next('signed-2')]),
      otlpJson([unsignedSpan('unsigned-1', '00000000000000b1')]),
      otlpJson([agent.next('signed-3'), unsignedSpan('unsigned-2', '00000000000000b2')]),
    ];
    for (const body of bodies) {
      const response = await fetch(`${first.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(200);
    }
    // One at a time: the first request is being delivered (its answer held), the others wait behind
    // it. Four at once: all three are being delivered.
    await expect.poll(() => stalled.heldCount(), { timeout: 5_000 }).toBe(inFlight);
    first.child.kill('SIGKILL');
    await first.exited;

    const downstream = await startOtlpSink();
    cleanups.push(() => downstream.close());
    const second = await collectorOn(directory, `${downstream.url}/v1/traces`, concurrencyArgs);
    await second.waitForLog(/the forward queue holds requests from before this start/);
    const names = ['signed-1', 'signed-2', 'unsigned-1', 'signed-3', 'unsigned-2'];
    const delivered = () => downstream.acceptedSpans().map((span) => span.name);
    await expect.poll(() => delivered().length, { timeout: 10_000 }).toBe(names.length);
    // Requests sent at once may arrive in any order; one at a time, they arrive in the order acknowledged.
    expect(concurrency === 1 ? delivered() : delivered().sort()).toEqual(concurrency === 1 ? names : [...names].sort());
    await expect.poll(async () => /^facto_forward_queue_depth 0$/m.test(await (await fetch(`${second.url}/metrics`)).text()), { timeout: 5_000 }).toBe(true);
    expect(downstream.requests.map((request) => request.contentType)).toEqual(['application/json', 'application/json', 'application/json']);
  }, 30_000);
});
