import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FactoError } from '@facto/core';
import { startCollector } from './collector.js';
import { DEFAULT_CONFIG } from './config.js';
import { silentLogger } from './ops/logger.js';
import { createMetrics } from './ops/metrics.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('startCollector', () => {
  it('says what to do when the port is taken, instead of failing with a stack trace, and leaves the store closed', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const directory = mkdtempSync(join(tmpdir(), 'facto-port-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const config = { ...DEFAULT_CONFIG, port, db: join(directory, 'facto.db'), logKey: join(directory, 'log.pem') };
    const failure = await startCollector(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) }).then(
      () => expect.fail('started on a taken port'),
      (error: unknown) => error,
    );
    expect(FactoError.isInstance(failure)).toBe(true);
    expect((failure as Error).message).toBe(
      `cannot listen on 127.0.0.1:${port}: the port is already in use (an OpenTelemetry Collector or Jaeger often listens on 4318). Pick another with --port or FACTO_PORT (0 picks a free one), or stop the other process.`,
    );
    // The store was closed: the same database opens again at once.
    const running = await startCollector({ ...config, port: 0 }, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
    await running.close();
  });
});
