#!/usr/bin/env node
/**
 * The ingest benchmark's load generator, in its own process so its CPU is not the collector's: it
 * signs a workload of realistic GenAI spans (many agents and chains) on all cores first, says
 * `ready`, waits for `go` on stdin, then sends the pre-signed OTLP/protobuf requests over several
 * connections (each connection sends whole chains, in seq order, as one agent's exporter would):
 * first for WARMUP_SECONDS, not counted, so the collector's JIT and heap reach their steady state;
 * then it says `measuring` and sends for SECONDS more. It prints one JSON line: the measured window's
 * acknowledged spans, answers by status and request latencies (requests sent in it), and every span
 * acknowledged since `go` (the count the collector's log must hold).
 *
 *   node bench/load-generator.mjs URL CONNECTIONS SECONDS AGENTS CHAINS_PER_AGENT SPANS_PER_CHAIN SPANS_PER_REQUEST [WARMUP_SECONDS]
 */
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';

const [url, connectionsText, secondsText, agentsText, chainsText, spansText, perRequestText, warmupText = '0'] = process.argv.slice(2);
const connections = Number(connectionsText);
const seconds = Number(secondsText);
const warmupSeconds = Number(warmupText);
const agents = Number(agentsText);
const parameters = { chainsPerAgent: Number(chainsText), spansPerChain: Number(spansText), spansPerRequest: Number(perRequestText) };

// Sign on every core: agents are split between workers.
const workers = Math.max(1, Math.min(availableParallelism(), agents));
const shares = await Promise.all(
  Array.from({ length: workers }, (_, index) => {
    const first = Math.floor((index * agents) / workers);
    const count = Math.floor(((index + 1) * agents) / workers) - first;
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./workload-worker.mjs', import.meta.url), { workerData: { ...parameters, agents: count, firstAgent: first } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  }),
);
// Chains in order; a request holds one chain's spans, so consecutive requests of a chain stay in order per connection.
const chains = [];
for (const share of shares) {
  const perChain = Math.ceil(parameters.spansPerChain / parameters.spansPerRequest);
  for (let index = 0; index < share.requests.length; index += perChain) chains.push(share.requests.slice(index, index + perChain));
}
const spansPerRequest = parameters.spansPerRequest;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const target = new URL('/v1/traces', url);

function post(body) {
  return new Promise((resolve) => {
    const started = performance.now();
    const request = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (response) => {
      response.resume();
      const retryAfter = Number(response.headers['retry-after']);
      response.on('end', () => resolve({ status: response.statusCode, millis: performance.now() - started, retryAfterMillis: Number.isFinite(retryAfter) ? retryAfter * 1000 : 1000 }));
    });
    request.on('error', () => resolve({ status: 0, millis: performance.now() - started }));
    request.end(body);
  });
}

process.stdout.write('ready\n');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));

const latencies = [];
const statuses = {};
let acknowledged = 0;
let acknowledgedSinceGo = 0;
let nextChain = 0;
const warmupEnds = performance.now() + warmupSeconds * 1000;
const deadline = warmupEnds + seconds * 1000;
let started;
const startMeasuring = () => {
  started = performance.now();
  process.stdout.write('measuring\n');
};
// Without a warm-up the window opens before the first request, so that one counts too.
if (warmupSeconds === 0) startMeasuring();
const measuring = warmupSeconds === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(() => resolve(startMeasuring()), warmupSeconds * 1000));
/** Whether a request sent at `sentAt` counts: it was sent in the measured window. */
const counted = (sentAt) => started !== undefined && sentAt >= started;
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (performance.now() < deadline && nextChain < chains.length) {
      const chain = chains[nextChain++];
      for (const body of chain) {
        if (performance.now() >= deadline) return;
        let sentAt = performance.now();
        let answer = await post(body);
        // A 503 or 429 is the collector asking to come back later: wait what its Retry-After says,
        // then send again, as an OTLP exporter does.
        while ((answer.status === 503 || answer.status === 429) && performance.now() < deadline) {
          if (counted(sentAt)) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          await new Promise((resolve) => setTimeout(resolve, Math.min(answer.retryAfterMillis, Math.max(0, deadline - performance.now()))));
          if (performance.now() >= deadline) return;
          sentAt = performance.now();
          answer = await post(body);
        }
        if (answer.status === 200) acknowledgedSinceGo += spansPerRequest;
        if (!counted(sentAt)) continue;
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        if (answer.status === 200) {
          acknowledged += spansPerRequest;
          latencies.push(answer.millis);
        }
      }
    }
  }),
);
// The workload may run out during the warm-up: then the window is empty.
const ranOutEarly = started === undefined;
await measuring;
const elapsed = ranOutEarly ? 0 : (performance.now() - started) / 1000;
agent.destroy();
process.stdout.write(`${JSON.stringify({ seconds: elapsed, acknowledged, acknowledgedSinceGo, statuses, latencies, exhausted: nextChain >= chains.length })}\n`);
