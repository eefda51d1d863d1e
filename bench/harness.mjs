/**
 * A tiny benchmark harness shared by the packages' bench scripts: runs a function repeatedly for a
 * fixed time after a warm-up, five rounds, and reports the median rate. Figures are for comparison
 * within one run on one machine (ratios against a baseline measured alongside), never absolute.
 */
export function measure(name, fn, { seconds = 0.6, rounds = 5, batch = 1 } = {}) {
  const warmupEnd = performance.now() + 150;
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
  const opsPerSecond = rates[Math.floor(rates.length / 2)];
  return { name, opsPerSecond, microseconds: 1e6 / opsPerSecond };
}

export async function measureAsync(name, fn, { iterations = 200 } = {}) {
  for (let index = 0; index < Math.min(20, iterations); index++) await fn(index);
  const start = performance.now();
  for (let index = 0; index < iterations; index++) await fn(index);
  const seconds = (performance.now() - start) / 1000;
  return { name, opsPerSecond: iterations / seconds, microseconds: (seconds * 1e6) / iterations };
}

export function report(title, rows) {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((row) => row.name.length));
  for (const row of rows) {
    const ratio = row.ratio === undefined ? '' : `  ${row.ratio}`;
    console.log(`  ${row.name.padEnd(width)}  ${Math.round(row.opsPerSecond).toLocaleString('en-US').padStart(12)} ops/s  ${row.microseconds.toFixed(2).padStart(10)} µs/op${ratio}`);
  }
}
