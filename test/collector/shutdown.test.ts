/**
 * Graceful shutdown. Under steady traffic on keep-alive connections, close() stops taking requests
 * at once and ends as soon as the ones in flight are answered, long before the grace, losing nothing
 * it acknowledged. Against readers that stop reading: a streamed answer (an export, a live stream)
 * blocked on a full socket must not hold the collector open forever. After the grace, close() cuts
 * such connections and finishes its work (final checkpoint, store closed).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordingLogger } from '../../collector/src/test-helpers/http-test-context.js';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-processes.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';

let collector: TestCollector | undefined;
let processDirectory: string | undefined;
let running: CollectorProcess | undefined;
afterEach(() => {
  if (collector !== undefined) rmSync(collector.directory, { recursive: true, force: true });
  collector = undefined;
  running?.child.kill('SIGKILL');
  running = undefined;
  if (processDirectory !== undefined) rmSync(processDirectory, { recursive: true, force: true });
  processDirectory = undefined;
});

describe('collector shutdown', () => {
  it('stops taking requests on busy keep-alive connections, ends with the ones in flight, and keeps all it acknowledged', async () => {
    const { logger, entries } = recordingLogger();
    // A grace far beyond what the test takes: close() that waited for it would fail the test's timeout.
    collector = await startTestCollector({ maxConcurrentIngest: 64 }, { shutdownGraceMillis: 600_000, logger });
    const target = collector;
    const agents = Array.from({ length: 8 }, (_, index) => new TestAgent(`keep-alive-${index}`, `chain-${index}`));
    const lastAcknowledged = new Map<string, string>();
    const acknowledgedBatches = new Map<string, number>();
    const answersToRequestsSentAfterClose: (number | 'network error')[] = [];
    let closeBegan = false;
    // Each agent exports as an OTLP exporter does: one request at a time on fetch's keep-alive
    // connections, a batch again until it is acknowledged; after close() began, three tries more.
    const exporting = agents.map(async (agent) => {
      let pending: ReturnType<TestAgent['next']>[] | undefined;
      for (let triesAfterClose = 0; triesAfterClose < 3; ) {
        const spans = pending ?? Array.from({ length: 10 }, () => agent.next());
        const sentAfterClose = closeBegan;
        const status = await target.post('/v1/traces', otlpJson(spans)).then(
          async (response) => (await response.arrayBuffer(), response.status),
          () => 'network error' as const,
        );
        if (sentAfterClose) {
          triesAfterClose++;
          answersToRequestsSentAfterClose.push(status);
        }
        pending = status === 200 ? undefined : spans;
        if (status === 200) {
          lastAcknowledged.set(agent.agentId, spans.at(-1)!.factoId);
          acknowledgedBatches.set(agent.agentId, (acknowledgedBatches.get(agent.agentId) ?? 0) + 1);
        }
      }
    });
    await vi.waitFor(() => expect(agents.every((agent) => (acknowledgedBatches.get(agent.agentId) ?? 0) >= 3)).toBe(true), { timeout: 60_000, interval: 20 });
    closeBegan = true;
    await collector.close('SIGTERM');
    await Promise.all(exporting);

    expect(answersToRequestsSentAfterClose).toHaveLength(24);
    expect(answersToRequestsSentAfterClose.filter((status) => status === 200)).toEqual([]);
    const messages = entries.map((entry) => entry.message);
    expect(entries.find((entry) => entry.message.startsWith('shutting down'))?.fields).toMatchObject({ reason: 'SIGTERM' });
    expect(messages).not.toContain('cutting connections still open after the shutdown grace');
    expect(messages.at(-1)).toBe('collector stopped');

    // Every acknowledged span was committed: each chain is intact through its last acknowledged span.
    const restarted = await startTestCollector({}, {}, collector.directory);
    try {
      for (const agent of agents) {
        expect((await restarted.get(`/v1/events/${lastAcknowledged.get(agent.agentId)}`)).status).toBe(200);
        expect(await restarted.json(`/v1/chains/${agent.agentId}/${agent.chainId}`)).toMatchObject({ intact: true });
      }
    } finally {
      await restarted.close();
    }
  }, 120_000);

  it('finishes when a reader stopped reading an export: its connection is cut after the grace', async () => {
    collector = await startTestCollector({}, { shutdownGraceMillis: 200 });
    const agent = new TestAgent('support-bot', 'session-1');
    // About 12 MB of bundle: far more than the socket buffers of a client that reads nothing.
    for (let batch = 0; batch < 8; batch++) {
      const spans = Array.from({ length: 50 }, () => agent.next('chat', { 'facto.input': 'x'.repeat(30_000) }));
      expect((await collector.post('/v1/traces', otlpJson(spans))).status).toBe(200);
    }
    const { port, hostname } = new URL(collector.url);
    const reader = net.connect(Number(port), hostname);
    await once(reader, 'connect');
    reader.pause();
    reader.write(`GET /v1/export HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
    // The answer has begun, and nobody reads it.
    await once(reader, 'readable');
    // Resolves only if the blocked export was cut: without that, close() waits for its reader forever.
    await collector.close();
    expect(collector.context.ready).toBe(false);
    reader.destroy();
  });

  it('facto collector logs the signal that starts its shutdown, and a second signal stops it at once, logged, with 128 + its number', async () => {
    processDirectory = mkdtempSync(join(tmpdir(), 'facto-signals-'));
    running = await startCollectorProcess({ db: join(processDirectory, 'facto.db'), logKey: join(processDirectory, 'log-key.pem') });
    const { port, hostname } = new URL(running.url);
    // A request whose body never ends keeps the shutdown waiting (for the read timeout, or the grace).
    const stalled = net.connect(Number(port), hostname);
    stalled.on('error', () => undefined);
    stalled.write(`POST /v1/traces HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    const buffered = async () => /^facto_http_body_bytes_buffered (\d+)$/m.exec(await (await fetch(`${running!.url}/metrics`)).text())?.[1];
    await vi.waitFor(async () => expect(await buffered()).toBe('1'), { timeout: 30_000, interval: 50 });

    running.child.kill('SIGTERM');
    expect(await running.waitForLog(/^shutting down/)).toMatchObject({ level: 'info', reason: 'SIGTERM' });
    running.child.kill('SIGTERM');
    await running.exited;
    expect([running.child.exitCode, running.child.signalCode]).toEqual([143, null]);
    const messages = running.logs.map((line) => String(line.message));
    expect(running.logs.at(-1)).toMatchObject({ level: 'warn', signal: 'SIGTERM', message: expect.stringMatching(/^SIGTERM during the shutdown: exiting now/) });
    expect(messages).not.toContain('cutting connections still open after the shutdown grace');
    expect(messages).not.toContain('collector stopped');
    stalled.destroy();
  }, 60_000);
});
