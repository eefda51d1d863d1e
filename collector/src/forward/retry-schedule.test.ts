import { describe, expect, it } from 'vitest';
import { retryAfterMillisOf, retryDelayMillis, type RetrySchedule } from './retry-schedule.js';

const schedule: RetrySchedule = { initialBackoffMillis: 1_000, maxBackoffMillis: 30_000, maxElapsedMillis: 300_000 };
const middle = 0.5; // no jitter: 0.8 + 0.5 * 0.4 = 1

describe('retryDelayMillis', () => {
  it('doubles from the initial backoff up to the maximum, with at most 20% jitter either way', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMillis(schedule, attempt, 0, undefined, middle))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(retryDelayMillis(schedule, 1, 0, undefined, 0)).toBe(1_600);
    expect(retryDelayMillis(schedule, 1, 0, undefined, 0.999_999)).toBeCloseTo(2_400);
    expect(retryDelayMillis(schedule, 60, 0, undefined, 0.999_999)).toBe(30_000);
  });

  it('takes a longer Retry-After, but no shorter one than the backoff and none beyond the maximum', () => {
    expect(retryDelayMillis(schedule, 0, 0, 5_000, middle)).toBe(5_000);
    expect(retryDelayMillis(schedule, 2, 0, 0, middle)).toBe(4_000);
    expect(retryDelayMillis(schedule, 0, 0, 600_000, middle)).toBe(30_000);
    expect(retryDelayMillis(schedule, 0, 0, Number.MAX_SAFE_INTEGER * 1000, middle)).toBe(30_000);
  });

  it('waits at most until the budget ends, for one last attempt then, and gives up only after it', () => {
    expect(retryDelayMillis(schedule, 9, 290_000, 600_000, middle)).toBe(10_000);
    expect(retryDelayMillis(schedule, 10, 300_000, undefined, middle)).toBeUndefined();
    expect(retryDelayMillis(schedule, 10, 300_001, undefined, middle)).toBeUndefined();
  });
});

describe('retryAfterMillisOf', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP dates, a past date as 0, and nothing else', () => {
    expect(retryAfterMillisOf('7', now)).toBe(7_000);
    expect(retryAfterMillisOf(' 0 ', now)).toBe(0);
    expect(retryAfterMillisOf('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMillisOf('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMillisOf(null, now)).toBeUndefined();
    expect(retryAfterMillisOf('soon', now)).toBeUndefined();
    expect(retryAfterMillisOf('-5', now)).toBeUndefined();
  });
});
