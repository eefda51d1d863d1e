/**
 * Collector ingest as a fleet of agents drives it: the real `facto collector` process (SQLite, WAL,
 * synchronous=FULL, every signature verified, every chain checked, every request committed before
 * its 200), fed by a load generator in another process sending pre-signed OTLP/protobuf requests of
 * realistic GenAI spans over several connections and many chains for a fixed time. The baseline is
 * the machine's own ceiling: Ed25519 verification under the facto.v1 rule on all cores at once,
 * measured in the same run. Then the same collector under overload (four times as many connections
 * as it works on at once): what it answers, its latency, its memory, and that every acknowledged span
 * is stored.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { cpuByRole, processUsage, startCollector, threadUsage } from '../collector-process.mjs';
import { examinationStages } from '../examination-stages.mjs';
import { percentile, row } from '../harness.mjs';

const root = new URL('../../', import.meta.url).pathname;

async function verifyCeiling(seconds) {
  const rates = await Promise.all(
    Array.from({ length: availableParallelism() }, () => new Promise((resolve, reject) => {
      const worker = new Worker(new URL('../verify-worker.mjs', import.meta.url), { workerData: { seconds } });
      worker.once('message', resolve);
      worker.once('error', reject);
    })),
  );
  return rates.reduce((sum, rate) => sum + rate, 0);
}

/**
 * Runs the load generator against `url`: signs first, then sends for `warmupSeconds` (not counted)
 * and `seconds` more; `onStart` runs as the measured window opens. Resolves with its report.
 */
async function load(url, { connections, seconds, warmupSeconds, agents, chainsPerAgent, spansPerChain, spansPerRequest }, onStart) {
  const child = spawn(process.execPath, [join(root, 'bench/load-generator.mjs'), url, connections, seconds, agents, chainsPerAgent, spansPerChain, spansPerRequest, warmupSeconds], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const report = await new Promise((resolve, reject) => {
    child.once('error', reject);
    lines.on('line', (line) => {
      if (line === 'ready') child.stdin.write('go\n');
      else if (line === 'measuring') onStart();
      else resolve(JSON.parse(line));
    });
  });
  child.stdin.end();
  return report;
}

/**
 * Where the collector's CPU went, per acknowledged span, by thread role: what bounds the rate. The
 * examination workers' share is set against what Ed25519 verification alone costs (one verify per
 * span, at the ceiling's per-core rate).
 */
function cpuRows(prefix, byRole, acknowledged, ceiling) {
  if (byRole.main === 0) return [];
  const perSpan = (seconds) => (seconds * 1e6) / Math.max(1, acknowledged);
  const verify = (1e6 * availableParallelism()) / ceiling;
  return [
    row(`${prefix}: CPU per span, examination workers`, perSpan(byRole.examination), 'µs', `decode, rebuild, hash, verify, compress; Ed25519 alone is ${verify.toFixed(0)} µs`),
    row(`${prefix}: CPU per span, main thread`, perSpan(byRole.main), 'µs', 'HTTP, ingest decision, Merkle hashing, SQLite'),
    row(`${prefix}: CPU per span, other threads`, perSpan(byRole.rest), 'µs', "V8's GC and compiler threads, libuv"),
  ];
}

async function treeSize(url) {
  return (await (await fetch(`${url}/v1/log`)).json()).tree_size;
}

export async function run({ smoke }) {
  const seconds = smoke ? 1 : 10;
  // Not counted: the collector's first seconds under load (JIT, heap growth) are not its steady state.
  // 8 s, not 3: a profile found V8's optimising compiler still at work after 3 s, 44% of the
  // measured window's "other threads" CPU (about 35 µs per span there, about 19 after 12 s).
  const warmupSeconds = smoke ? 0 : 8;
  const workload = smoke ? { agents: 2, chainsPerAgent: 2, spansPerChain: 40, spansPerRequest: 20 } : { agents: 16, chainsPerAgent: 8, spansPerChain: 1_200, spansPerRequest: 100 };
  const ceiling = await verifyCeiling(smoke ? 0.2 : 3);
  const rows = [row(`Ed25519 verify ceiling, ${availableParallelism()} cores (baseline)`, ceiling, 'verifies/s'), ...examinationStages({ smoke })];

  for (const scenario of [
    { name: 'steady', connections: 8, maxConcurrent: 8 },
    { name: 'overload', connections: 32, maxConcurrent: 8 },
  ]) {
    const directory = mkdtempSync(join(tmpdir(), 'facto-bench-ingest-'));
    const { url, child } = await startCollector(directory, ['--max-concurrent-ingest', String(scenario.maxConcurrent)]);
    let before;
    let threadsBefore;
    const report = await load(url, { ...workload, connections: scenario.connections, seconds, warmupSeconds }, () => {
      before = processUsage(child.pid);
      threadsBefore = threadUsage(child.pid);
    });
    const after = processUsage(child.pid);
    const byRole = cpuByRole(child.pid, threadsBefore, threadUsage(child.pid), availableParallelism());
    const stored = await treeSize(url);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(directory, { recursive: true, force: true });
    const rate = report.seconds > 0 ? report.acknowledged / report.seconds : 0;
    const cpu = after.cpuSeconds - before.cpuSeconds;
    const prefix = `${scenario.name} (${scenario.connections} connections)`;
    rows.push(
      row(`${prefix}: spans acknowledged`, rate, 'spans/s', `${(rate / ceiling).toFixed(2)} of the verify ceiling${report.exhausted ? ' (workload ran out)' : ''}`),
      row(`${prefix}: request latency p50`, percentile(report.latencies, 50), 'ms', `${workload.spansPerRequest} spans per request`),
      row(`${prefix}: request latency p99`, percentile(report.latencies, 99), 'ms'),
      row(`${prefix}: collector CPU`, cpu / Math.max(report.seconds, 1e-9), 'cores', `${((cpu * 1e6) / Math.max(1, report.acknowledged)).toFixed(0)} µs per span`),
      ...(scenario.name === 'steady' ? cpuRows(prefix, byRole, report.acknowledged, ceiling) : []),
      row(`${prefix}: collector peak memory`, after.peakMiB, 'MiB'),
      row(`${prefix}: answers 503 (asked to retry)`, report.statuses['503'] ?? 0, 'requests', `of ${Object.values(report.statuses).reduce((sum, count) => sum + count, 0)}`),
      row(`${prefix}: acknowledged but not stored`, Math.max(0, report.acknowledgedSinceGo - stored), 'spans', `tree size ${stored}, warm-up included`),
    );
  }
  return { title: 'collector ingest: signed GenAI spans over OTLP/protobuf into SQLite (FULL), every signature verified', rows, workload, seconds, warmupSeconds };
}
