/**
 * What the span processor costs the agent: the same GenAI chat spans through a provider with a plain
 * BatchSpanProcessor (the baseline) and through FactoSpanProcessor, inline and deferred, each
 * exporting to an exporter that discards, so only in-process cost is timed. Two views: the agent's
 * call path (span start to end), and total CPU per span with the export worker's share included.
 */
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

/** Microseconds per span over rounds of 256 spans, each round flushed; `includeExport` times the flush too. */
async function microsecondsPerSpan(provider, includeExport, seconds) {
  const loop = spanLoop(provider);
  for (let index = 0; index < 512; index++) loop();
  await provider.forceFlush();
  let timed = 0;
  let count = 0;
  const wall = performance.now();
  while (performance.now() - wall < seconds * 1000) {
    const start = performance.now();
    for (let index = 0; index < 256; index++) loop();
    if (includeExport) await provider.forceFlush();
    timed += performance.now() - start;
    if (!includeExport) await provider.forceFlush();
    count += 256;
  }
  return (timed * 1000) / count;
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
  for (const [view, includeExport] of [['call path', false], ['total CPU', true]]) {
    const base = await microsecondsPerSpan(baseline, includeExport, seconds);
    rows.push(row(`${view}: BatchSpanProcessor (baseline)`, base, 'µs/span'));
    for (const [label, provider] of [['inline', inline], ['deferred', deferred]]) {
      const value = await microsecondsPerSpan(provider, includeExport, seconds);
      rows.push(row(`${view}: Facto, signing ${label}`, value, 'µs/span', `+${(value - base).toFixed(1)} µs, ${(value / base).toFixed(1)}x the baseline`));
    }
  }
  useCryptoBackend('noble');
  const portableBase = await microsecondsPerSpan(baseline, false, seconds / 2);
  const portable = await microsecondsPerSpan(inline, false, seconds / 2);
  rows.push(row('call path, @noble path: Facto inline', portable, 'µs/span', `+${(portable - portableBase).toFixed(1)} µs over the baseline`));
  useCryptoBackend('auto');
  await Promise.all([baseline.shutdown(), inline.shutdown(), deferred.shutdown()]);
  return { title: 'per-span cost of signing in the agent (GenAI chat span)', rows };
}
