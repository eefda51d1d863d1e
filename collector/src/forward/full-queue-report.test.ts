import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../ops/logger.js';
import { createMetrics } from '../ops/metrics.js';
import { FullQueueReport } from './full-queue-report.js';

afterEach(() => vi.useRealTimers());

describe('FullQueueReport', () => {
  it('says refusals at once, then at most once per 10 s with the counts since, and what an interval left when it ends', async () => {
    vi.useFakeTimers();
    const lines: Record<string, unknown>[] = [];
    const metrics = createMetrics({ defaultMetrics: false });
    const report = new FullQueueReport({ logger: createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)), metrics, now: () => Date.now(), queueSize: 5, queueBytes: 100 });
    const said = () => lines.map(({ dropped, answered503 }) => [dropped, answered503]);
    report.refused(1, 0);
    expect(said()).toEqual([[1, 0]]);
    for (let second = 0; second < 5; second++) {
      vi.advanceTimersByTime(1_000);
      report.refused(2, 1);
    }
    expect(said()).toEqual([[1, 0]]);
    // The interval ends with nothing more refused: what it held is said then, not at the next refusal.
    vi.advanceTimersByTime(5_000);
    expect(said()).toEqual([[1, 0], [10, 5]]);
    vi.advanceTimersByTime(60_000);
    expect(said()).toHaveLength(2);
    report.refused(0, 1);
    report.flush();
    expect(said()).toEqual([[1, 0], [10, 5], [0, 1]]);
    // Only drops count as dropped: a request answered 503 is still the sender's.
    expect((await metrics.forwardDropped.get()).values[0]?.value).toBe(11);
  });
});
