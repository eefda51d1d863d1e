import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../ops/logger.js';
import { createMetrics } from '../ops/metrics.js';
import type { Checkpoint } from '../store/types.js';
import { startCheckpointPublisher, type CheckpointedLog, type CheckpointPublisherOptions } from './checkpoint-publisher.js';
import { LogKeyMismatchError } from './log-key.js';

/**
 * A stand-in for LogService with the same checkpoint contract: signs the current size unless the
 * latest checkpoint covers it. `failNext` makes the next calls fail; `gate` holds a call open;
 * `refusal` makes every call fail with it (a log another key signs).
 */
class FakeLog implements CheckpointedLog {
  treeSize = 0;
  signed: Checkpoint[] = [];
  calls = 0;
  failNext = 0;
  gate: Promise<void> | undefined;
  refusal: Error | undefined;

  async checkpoint(): Promise<Checkpoint> {
    this.calls++;
    const size = this.treeSize;
    if (this.gate) await this.gate;
    if (this.refusal) throw this.refusal;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('disk I/O error');
    }
    const latest = this.signed.at(-1);
    if (latest && latest.treeSize === size) return latest;
    const checkpoint = { treeSize: size, rootHash: '00', note: `size ${size}`, createdAt: Date.now() };
    this.signed.push(checkpoint);
    return checkpoint;
  }
}

function setup(intervalSeconds = 10, extra: Partial<CheckpointPublisherOptions> = {}) {
  const log = new FakeLog();
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('debug', (line) => lines.push(JSON.parse(line)));
  const metrics = createMetrics({ defaultMetrics: false });
  const errors: unknown[] = [];
  const publisher = startCheckpointPublisher({ log, intervalSeconds, logger, metrics, onError: (error) => errors.push(error), ...extra });
  const gauge = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values[0]?.value;
  return { log, lines, metrics, errors, publisher, gauge };
}

describe('startCheckpointPublisher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('checkpoints once per interval, only when the tree grew', async () => {
    const { log, publisher, gauge } = setup(10);
    log.treeSize = 3;
    await vi.advanceTimersByTimeAsync(9_999);
    expect(log.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(log.signed.map((checkpoint) => checkpoint.treeSize)).toEqual([3]);
    expect(await gauge('facto_log_tree_size')).toBe(3);

    await vi.advanceTimersByTimeAsync(30_000);
    expect(log.calls).toBe(1);

    log.treeSize = 5;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(log.signed.map((checkpoint) => checkpoint.treeSize)).toEqual([3, 5]);
    expect(await gauge('facto_log_tree_size')).toBe(5);
    await publisher.stop();
  });

  it('asks the log on the first tick even if nothing was appended in this run', async () => {
    const { log, publisher } = setup(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log.calls).toBe(1);
    await publisher.stop();
  });

  it('logs a failing checkpoint and retries at the next tick', async () => {
    const { log, lines, errors, publisher } = setup(5);
    log.treeSize = 2;
    log.failNext = 1;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(log.signed).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'checkpoint failed; retrying at the next interval', treeSize: 2, error: 'disk I/O error' }));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(log.signed.map((checkpoint) => checkpoint.treeSize)).toEqual([2]);
    await publisher.stop();
  });

  it('survives an onError hook that throws', async () => {
    const log = new FakeLog();
    log.treeSize = 1;
    log.failNext = 1;
    const publisher = startCheckpointPublisher({
      log, intervalSeconds: 1, logger: createLogger('error', () => undefined), metrics: createMetrics({ defaultMetrics: false }),
      onError: () => {
        throw new Error('hook broke');
      },
    });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(log.signed).toHaveLength(1);
    await expect(publisher.stop()).resolves.toBeUndefined();
  });

  it('signs a final checkpoint on stop, and stops ticking', async () => {
    const { log, publisher } = setup(10);
    log.treeSize = 4;
    await publisher.stop();
    expect(log.signed.map((checkpoint) => checkpoint.treeSize)).toEqual([4]);
    log.treeSize = 9;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log.calls).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits for a tick in flight before the final checkpoint, and stop is idempotent', async () => {
    const { log, publisher } = setup(1);
    log.treeSize = 1;
    let release!: () => void;
    log.gate = new Promise((resolve) => (release = resolve));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log.calls).toBe(1);

    log.treeSize = 2;
    const stopped = publisher.stop();
    expect(publisher.stop()).toBe(stopped);
    let done = false;
    void stopped.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    expect(log.calls).toBe(1);

    log.gate = undefined;
    release();
    await stopped;
    expect(log.signed.map((checkpoint) => checkpoint.treeSize)).toEqual([1, 2]);
  });

  it('does not reject stop when the final checkpoint fails; it logs that the next start will sign it', async () => {
    const { log, lines, publisher } = setup(10);
    log.treeSize = 7;
    log.failNext = 1;
    await expect(publisher.stop()).resolves.toBeUndefined();
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'checkpoint failed; the next start will sign it' }));
  });

  it('names who signs next on a shared log, where that need not be a start', async () => {
    const { log, lines, publisher } = setup(10, { nextSigner: 'the process that leads this log next' });
    log.treeSize = 7;
    log.failNext = 1;
    await publisher.stop();
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'checkpoint failed; the process that leads this log next will sign it', treeSize: 7 }));
  });

  it('stops for good when another key signs the log: no retry, no final checkpoint, and no line of its own (the collector says why)', async () => {
    const { log, lines, errors, publisher } = setup(5);
    log.treeSize = 2;
    const refusal = new LogKeyMismatchError("the log key ./log.pem with origin facto.local/0a1b2c3d did not sign this database's log");
    log.refusal = refusal;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(errors).toEqual([refusal]);
    log.refusal = undefined;
    log.treeSize = 3;
    await vi.advanceTimersByTimeAsync(60_000);
    await publisher.stop();
    expect(log.calls).toBe(1);
    expect(log.signed).toEqual([]);
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never holds the event loop open', () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const { publisher } = setup(10);
    const handle = setTimeoutSpy.mock.results.at(-1)!.value as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    setTimeoutSpy.mockRestore();
    return publisher.stop();
  });

  it('rejects a non-positive interval', () => {
    const options = { log: new FakeLog(), logger: createLogger('error', () => undefined), metrics: createMetrics({ defaultMetrics: false }) };
    expect(() => startCheckpointPublisher({ ...options, intervalSeconds: 0 })).toThrow(RangeError);
    expect(() => startCheckpointPublisher({ ...options, intervalSeconds: Number.NaN })).toThrow(RangeError);
  });
});
