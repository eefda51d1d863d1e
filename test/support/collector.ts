/**
 * Starts a real collector in this process on an ephemeral port, with its SQLite database and log key
 * in a fresh temporary folder, and removes everything afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, startCollector, type CollectorConfig, type RunningCollector } from '@facto/collector';
import { createMetrics } from '../../collector/src/ops/metrics.js';
import { silentLogger, type Logger } from '../../collector/src/ops/logger.js';

export interface TestCollector extends RunningCollector {
  readonly directory: string;
  readonly config: CollectorConfig;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  json<T = any>(path: string, headers?: Record<string, string>): Promise<T>;
  post(path: string, body: string | Uint8Array, contentType?: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

export async function startTestCollector(
  overrides: Partial<CollectorConfig> = {},
  options: { gapGraceMillis?: number; gapIntervalMillis?: number; shutdownGraceMillis?: number; logger?: Logger } = {},
  directory = mkdtempSync(join(tmpdir(), 'facto-collector-')),
): Promise<TestCollector> {
  const config: CollectorConfig = {
    ...DEFAULT_CONFIG,
    port: 0,
    db: join(directory, 'facto.db'),
    logKey: join(directory, 'log-key.pem'),
    checkpointInterval: 3600,
    logLevel: 'error',
    ...overrides,
  };
  const running = await startCollector(config, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }), gapIntervalMillis: 3_600_000, ...options });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(running.url + path, { headers });
  return {
    ...running,
    directory,
    config,
    get,
    async json<T = any>(path: string, headers?: Record<string, string>): Promise<T> {
      const response = await get(path, headers);
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return response.json();
    },
    post: (path, body, contentType = 'application/json', headers = {}) => fetch(running.url + path, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body }),
    async stop() {
      await running.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
