/**
 * When the forwarder tries a failed request again: exponential backoff with jitter, a downstream's
 * Retry-After honoured only within the same bounds, and a budget that ends when it says it ends.
 */

/** What OTLP/HTTP calls retryable, besides network errors. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export interface RetrySchedule {
  /** The first retry delay, doubled per attempt up to maxBackoffMillis. */
  readonly initialBackoffMillis: number;
  readonly maxBackoffMillis: number;
  /** How long after its first attempt a request may still be tried. */
  readonly maxElapsedMillis: number;
}

/**
 * The wait before the attempt after `attempt` (0 for the first) failed, or undefined when the budget
 * is spent. `random` is in [0, 1): the jitter keeps collectors that failed together from retrying
 * in lockstep.
 */
export function retryDelayMillis(schedule: RetrySchedule, attempt: number, elapsedMillis: number, retryAfterMillis: number | undefined, random: number): number | undefined {
  const remainingMillis = schedule.maxElapsedMillis - elapsedMillis;
  if (remainingMillis <= 0) return undefined;
  const backoffMillis = schedule.initialBackoffMillis * 2 ** attempt * (0.8 + random * 0.4);
  // Retry-After may lengthen the wait, never shorten it (Retry-After: 0 would be a retry storm), and
  // never past the longest backoff (Retry-After: 600 would spend the whole budget on one wait).
  const wantedMillis = Math.min(Math.max(retryAfterMillis ?? 0, backoffMillis), schedule.maxBackoffMillis);
  // The last attempt comes when the budget ends, not one backoff before it.
  return Math.min(wantedMillis, remainingMillis);
}

const HTTP_DATE_MONTH = /\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/;

/** Retry-After as delay-seconds or an HTTP date (RFC 9110, 10.2.3); undefined when absent or unreadable. */
export function retryAfterMillisOf(value: string | null, nowMillis: number): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  // Every HTTP-date form names the month; Date.parse alone would read "-5" as a year.
  if (!HTTP_DATE_MONTH.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMillis);
}
