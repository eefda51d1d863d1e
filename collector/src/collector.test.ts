import { chmodSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FactoError } from '@facto/core';
import Database from 'better-sqlite3';
import { startCollector } from './collector.js';
import { DEFAULT_CONFIG, type CollectorConfig } from './config.js';
import { silentLogger, type Logger } from './ops/logger.js';
import { ingestSpans, TestAgent } from './test-helpers/api-fixture.js';
import { createMetrics } from './ops/metrics.js';
import { createSqliteStore } from './store/sqlite/index.js';
import { recordingLogger } from './test-helpers/http-test-context.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const quiet = () => ({ logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });

/** A configuration whose database and log key live in a new temporary folder, removed after the test. */
function freshConfig(prefix: string): CollectorConfig & { directory: string } {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  return { ...DEFAULT_CONFIG, port: 0, db: join(directory, 'facto.db'), logKey: join(directory, 'log.pem'), directory };
}

/** What startCollector failed with; a collector that started after all is closed and fails the test. */
async function failureToStart(config: CollectorConfig, why: string): Promise<FactoError> {
  return startCollector(config, quiet()).then(
    async (running) => {
      await running.close();
      return expect.fail(why);
    },
    (error: unknown) => error as FactoError,
  );
}

describe('startCollector', () => {
  it('warns when the store holds a forward queue an earlier run left and --forward is not set, keeping it', async () => {
    const config = freshConfig('facto-stranded-');
    const store = createSqliteStore({ path: config.db });
    await store.init();
    const body = new TextEncoder().encode('{"resourceSpans":[]}');
    await store.commitBatch({ expectedTreeSize: 0, newTreeSize: 0, events: [], logEntries: [], nodes: [], linkUpdates: [], incidents: [], keys: [], unverified: [], erasures: [], forwards: [{ encoding: 'json', body, keepJson: null, queuedAt: 1, factoIds: [] }] });
    await store.close();
    const { logger, entries } = recordingLogger();
    const running = await startCollector(config, { logger, metrics: createMetrics({ defaultMetrics: false }) });
    cleanups.push(() => running.close());
    expect(entries.filter((entry) => entry.level === 'warn' && entry.message.startsWith('the forward queue holds'))).toEqual([
      expect.objectContaining({ fields: { requests: 1, bytes: body.byteLength } }),
    ]);
    expect(await running.context.store.forwardBacklog()).toEqual({ requests: 1, bytes: body.byteLength });
  });

  it('says what to do when the port is taken, instead of failing with a stack trace, and leaves the store closed', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const directory = mkdtempSync(join(tmpdir(), 'facto-port-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const config = { ...DEFAULT_CONFIG, port, db: join(directory, 'facto.db'), logKey: join(directory, 'log.pem') };
    const failure = await failureToStart(config, 'started on a taken port');
    expect(FactoError.isInstance(failure)).toBe(true);
    expect(failure.message).toBe(
      `cannot listen on 127.0.0.1:${port}: the port is already in use (an OpenTelemetry Collector or Jaeger often listens on 4318). Pick another with --port or FACTO_PORT (0 picks a free one), or stop the other process.`,
    );
    // The store was closed: the same database opens again at once.
    const running = await startCollector({ ...config, port: 0 }, { logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
    await running.close();
  });

  it('keeps a log with the key that signed it: a missing key file is not replaced, another key or origin is refused', async () => {
    const options = quiet();
    const config = freshConfig('facto-key-');
    const { directory } = config;
    const first = await startCollector(config, options);
    await first.context.log.checkpoint();
    const verifierKey = first.context.log.key.verifierKey;
    await first.close();

    const refused = async (changed: typeof config) => (await failureToStart(changed, 'started with a key that did not sign the log')).message;
    renameSync(config.logKey, join(directory, 'moved.pem'));
    expect(await refused(config)).toMatch(/^the log key \S+log\.pem does not exist, but the database already holds a log signed by a key \(checkpoint at tree size 0, origin "facto\.local\/[0-9a-f]{8}"\); start with that key/);
    expect(existsSync(config.logKey)).toBe(false);
    expect(await refused({ ...config, logKey: join(directory, 'other.pem') })).toMatch(/^the log key \S+other\.pem does not exist/);
    renameSync(join(directory, 'moved.pem'), config.logKey);
    expect(await refused({ ...config, origin: 'facto.example/renamed' })).toMatch(/with origin facto\.example\/renamed did not sign this database's log/);
    const stranger = await startCollector({ ...config, db: join(directory, 'other.db'), logKey: join(directory, 'stranger.pem') }, options);
    await stranger.close();
    expect(await refused({ ...config, logKey: join(directory, 'stranger.pem') })).toMatch(/^the log key \S+stranger\.pem with origin facto\.local\/[0-9a-f]{8} did not sign this database's log/);
    // The key that signed it still opens the log, and the store was closed after each refusal.
    const again = await startCollector(config, options);
    expect(again.context.log.key.verifierKey).toBe(verifierKey);
    await again.close();
  });

  it('reads --keys before it opens or creates anything: a missing registry leaves no database and no key behind', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'facto-keys-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const config = { ...DEFAULT_CONFIG, port: 0, db: join(directory, 'facto.db'), logKey: join(directory, 'log.pem'), keys: join(directory, 'missing.json') };
    const failure = await failureToStart(config, 'started without its key registry');
    expect(failure.code).toBe('invalid_argument');
    expect(failure.message).toMatch(/^key registry \S+missing\.json: ENOENT/);
    expect(existsSync(config.db)).toBe(false);
    expect(existsSync(config.logKey)).toBe(false);
  });

  it('warns when the log key can be read by other users, or the database is only in memory', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'facto-warn-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const options = { logger, metrics: createMetrics({ defaultMetrics: false }) };
    const config = { ...DEFAULT_CONFIG, trust: 'strict' as const, port: 0, db: join(directory, 'facto.db'), logKey: join(directory, 'log.pem') };
    await (await startCollector(config, options)).close();
    expect(warnings).toEqual([]);
    chmodSync(config.logKey, 0o644);
    await (await startCollector({ ...config, db: ':memory:' }, options)).close();
    expect(warnings).toEqual([
      'the database is in memory (--db :memory:): everything acknowledged is lost when the process ends',
      'the log key file is open to users other than its owner: whoever reads it can sign checkpoints as this log; chmod 600 it',
    ]);
  });

  it('does not make a new key for a log that holds entries but no checkpoint yet (a crash before the first one)', async () => {
    const options = quiet();
    const config = freshConfig('facto-crash-key-');
    const { directory } = config;
    const first = await startCollector(config, options);
    const alice = new TestAgent('alice');
    await alice.register(first.context);
    const outcome = await ingestSpans(first.context, [alice.seal('c')]);
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ accepted: 1 });
    await first.close();
    // As if the process had died before it signed a checkpoint, and the key file were lost.
    const database = new Database(config.db);
    database.prepare('DELETE FROM checkpoints').run();
    database.close();
    renameSync(config.logKey, join(directory, 'moved.pem'));
    const failure = await failureToStart(config, 'made a new key for a log that has entries');
    expect(failure.message).toMatch(/^the log key \S+log\.pem does not exist, but the database already holds a log; start with that key/);
    expect(existsSync(config.logKey)).toBe(false);
  });
});
