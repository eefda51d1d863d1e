/**
 * Timing helpers shared by the suites: run a function repeatedly for a fixed time after a warm-up, in
 * rounds, and keep the median rate; percentiles of a latency sample; a row of the report.
 */
export function measure(fn, { seconds = 0.6, rounds = 5, batch = 1 } = {}) {
  const warmupEnd = performance.now() + Math.min(150, seconds * 250);
  while (performance.now() < warmupEnd) fn();
  const rates = [];
  for (let round = 0; round < rounds; round++) {
    let count = 0;
    const start = performance.now();
    const end = start + (seconds * 1000) / rounds;
    while (performance.now() < end) {
      fn();
      count += batch;
    }
    rates.push(count / ((performance.now() - start) / 1000));
  }
  rates.sort((left, right) => left - right);
  return rates[Math.floor(rates.length / 2)];
}

/** The p-th percentile (0..100) of a sample, nearest rank. */
export function percentile(sample, p) {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const row = (name, value, unit, note) => ({ name, value, unit, ...(note ? { note } : {}) });
export const ratio = (value, base) => `${(value / base).toFixed(2)}x ${base === 0 ? '' : ''}`.trim();
