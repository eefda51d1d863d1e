/**
 * What the span processor costs the agent: the same GenAI chat spans through a provider with a plain
 * BatchSpanProcessor (the baseline) and through FactoSpanProcessor, inline and deferred, each
 * exporting to an exporter that discards, so only in-process cost is measured. Three views: the
 * agent's call path (span start to end, wall time), the CPU of the agent's own thread per span with
 * the export's share included (what competes with the agent's work), and the CPU of every thread of
 * the process (deferred signing runs on libuv's thread pool, which the agent's thread does not pay).
 */
import { readFileSync } from 'node:fs';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { generateKeyPair, useCryptoBackend } from '@facto/core';
import { FactoSpanProcessor } from '@facto/otel';
import { row } from '../harness.mjs';

const discard = { export: (spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: async () => {}, forceFlush: async () => {} };
const messages = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Summarise the refund policy for order 1042 in two sentences.' }] }]);
const output = JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Refunds are issued within 14 days. Shipping is not refunded.' }] }]);

function spanLoop(provider) {
  const tracer = provider.getTracer('bench');
  return () => {
    const span = tracer.startSpan('chat gpt-4o', {
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.request.temperature': 0.2, 'gen_ai.usage.input_tokens': 420, 'gen_ai.usage.output_tokens': 96, 'server.address': 'api.openai.com' },
    });
    span.setAttribute('gen_ai.input.messages', messages);
    span.setAttribute('gen_ai.output.messages', output);
    span.end();
  };
}

/** Microseconds per span of the call path, over rounds of 256 spans, each round flushed untimed. */
async function callPathPerSpan(provider, seconds) {
  const loop = spanLoop(provider);
  for (let index = 0; index < 512; index++) loop();
  await provider.forceFlush();
  let timed = 0;
  let count = 0;
  const wall = performance.now();
  while (performance.now() - wall < seconds * 1000) {
    const start = performance.now();
    for (let index = 0; index < 256; index++) loop();
    timed += performance.now() - start;
    await provider.forceFlush();
    count += 256;
  }
  return (timed * 1000) / count;
}

/** CPU µs of this thread, from /proc (Linux); undefined where there is no /proc. */
function ownThreadMicros() {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** CPU µs per span, export included: of the agent's thread, and of the whole process. */
async function cpuPerSpan(provider, seconds) {
  const loop = spanLoop(provider);
  for (let index = 0; index < 512; index++) loop();
  await provider.forceFlush();
  const threadBefore = ownThreadMicros();
  const processBefore = process.cpuUsage();
  let count = 0;
  const wall = performance.now();
  while (performance.now() - wall < seconds * 1000) {
    for (let index = 0; index < 256; index++) loop();
    await provider.forceFlush();
    count += 256;
  }
  const processCpu = process.cpuUsage(processBefore);
  const threadAfter = ownThreadMicros();
  const thread = threadBefore === undefined || threadAfter === undefined ? Number.NaN : (threadAfter - threadBefore) / count;
  return { thread, total: (processCpu.user + processCpu.system) / count };
}

export async function run({ smoke }) {
  const seconds = smoke ? 0.05 : 2;
  const { privateKey } = generateKeyPair();
  const queue = { maxQueueSize: 1_000_000, maxExportBatchSize: 512, scheduledDelayMillis: 100 };
  const make = (processor) => new BasicTracerProvider({ spanProcessors: [processor] });
  const baseline = make(new BatchSpanProcessor(discard, queue));
  const inline = make(new FactoSpanProcessor({ agentId: 'bench', privateKey, exporter: discard, signing: 'inline', ...queue }));
  const deferred = make(new FactoSpanProcessor({ agentId: 'bench', privateKey, exporter: discard, signing: 'deferred', ...queue }));
  const rows = [];
  useCryptoBackend('node');
  const compare = (view, base, value) => row(`${view}: Facto, signing ${value.label}`, value.value, 'µs/span', `+${(value.value - base).toFixed(1)} µs, ${(value.value / base).toFixed(1)}x the baseline`);
  const base = await callPathPerSpan(baseline, seconds);
  rows.push(row('call path: BatchSpanProcessor (baseline)', base, 'µs/span'));
  for (const [label, provider] of [['inline', inline], ['deferred', deferred]]) rows.push(compare('call path', base, { label, value: await callPathPerSpan(provider, seconds) }));
  // The /proc clock ticks every 10 ms: runs of several seconds keep that under a percent.
  const cpuSeconds = smoke ? seconds : 3 * seconds;
  const cpu = { base: await cpuPerSpan(baseline, cpuSeconds), inline: await cpuPerSpan(inline, cpuSeconds), deferred: await cpuPerSpan(deferred, cpuSeconds) };
  for (const [view, key] of [["agent's thread CPU", 'thread'], ['total CPU, all threads', 'total']]) {
    rows.push(row(`${view}: BatchSpanProcessor (baseline)`, cpu.base[key], 'µs/span'));
    for (const label of ['inline', 'deferred']) rows.push(compare(view, cpu.base[key], { label, value: cpu[label][key] }));
  }
  useCryptoBackend('noble');
  const portableBase = await callPathPerSpan(baseline, seconds / 2);
  const portable = await callPathPerSpan(inline, seconds / 2);
  rows.push(row('call path, @noble path: Facto inline', portable, 'µs/span', `+${(portable - portableBase).toFixed(1)} µs over the baseline`));
  useCryptoBackend('auto');
  await Promise.all([baseline.shutdown(), inline.shutdown(), deferred.shutdown()]);
  return { title: 'per-span cost of signing in the agent (GenAI chat span)', rows };
}
