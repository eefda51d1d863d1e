/**
 * Graceful shutdown against readers that stop reading: a streamed answer (an export, a live stream)
 * blocked on a full socket must not hold the collector open forever. After the grace, close() cuts
 * such connections and finishes its work (final checkpoint, store closed).
 */
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';

let collector: TestCollector | undefined;
afterEach(() => {
  if (collector !== undefined) rmSync(collector.directory, { recursive: true, force: true });
  collector = undefined;
});

describe('collector shutdown', () => {
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
});
