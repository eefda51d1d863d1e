/**
 * The per-attempt limit holds while the garbage collector runs: on Node 20 a timeout signal inside
 * AbortSignal.any() can be collected before it fires (nodejs/node#57736), and a downstream that
 * accepts the connection but never answers then stalled forwarding for good. A child process with
 * --expose-gc runs the built forwarder against such a downstream, collecting every 20 ms.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const forwarderModule = new URL('../../dist/forward/forwarder.js', import.meta.url).href;
const memoryStoreModule = new URL('../../dist/store/memory/memory-store.js', import.meta.url).href;
const metricsModule = new URL('../../dist/ops/metrics.js', import.meta.url).href;

const script = `
import http from 'node:http';
import { createForwarder } from ${JSON.stringify(forwarderModule)};
import { MemoryStore } from ${JSON.stringify(memoryStoreModule)};
import { createMetrics } from ${JSON.stringify(metricsModule)};
let attempts = 0;
const server = http.createServer(() => { attempts++; }); // accepts, never answers
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const store = new MemoryStore();
await store.init();
const logger = { debug() {}, info() {}, warn() {}, error() {} };
const forwarder = createForwarder({ url: 'http://127.0.0.1:' + server.address().port + '/v1/traces', queueSize: 10, queueBytes: 1 << 20, logger, metrics: createMetrics({ defaultMetrics: false }), store, durable: false, attemptTimeoutMillis: 200, initialBackoffMillis: 10, maxBackoffMillis: 10 });
await forwarder.open();
forwarder.startDelivering();
const admitted = forwarder.admit(new TextEncoder().encode('{}'), 'json', [[[true]]]);
await store.commitBatch({ expectedTreeSize: 0, newTreeSize: 0, events: [], logEntries: [], nodes: [], linkUpdates: [], incidents: [], keys: [], unverified: [], erasures: [], forwards: [admitted] });
forwarder.committed([admitted]);
const collecting = setInterval(() => globalThis.gc(), 20);
// Three attempts come within a second when each is cut at 200 ms; a limit that never fires leaves
// the first one hanging, so the 15 s bound only ends a run that failed.
const deadline = Date.now() + 15_000;
while (attempts < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
clearInterval(collecting);
process.stdout.write(String(attempts));
process.exit(0);
`;

describe('the per-attempt time limit', () => {
  it('cuts an attempt the downstream never answers, and tries again, while the garbage collector runs', () => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(child.stderr).toBe('');
    expect(Number(child.stdout)).toBe(3);
  }, 40_000);
});
