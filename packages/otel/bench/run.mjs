/**
 * npm run bench -w @facto/otel: what Facto adds per span. The same spans (a GenAI chat span with
 * realistic attributes) go through a provider with a plain BatchSpanProcessor, and through one with
 * FactoSpanProcessor, both exporting to an exporter that discards, so only in-process cost is timed.
 * Reported: µs per span for each, the difference, and the ratio. Target: at most 60 µs added on the
 * node:crypto path.
 */
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ExportResultCode } from '@opentelemetry/core';
import { generateKeyPair, useCryptoBackend } from '@facto/core';
import { FactoSpanProcessor } from '../dist/index.js';
import { report } from '../../../bench/harness.mjs';

const discard = { export: (spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: async () => {}, forceFlush: async () => {} };
const { privateKey } = generateKeyPair();
const messages = JSON.stringify([{ role: 'user', content: 'Summarise the refund policy for order 1042 in two sentences.' }]);
const output = JSON.stringify([{ role: 'assistant', content: 'Refunds are issued within 14 days. Shipping is not refunded.' }]);

function spanLoop(provider) {
  const tracer = provider.getTracer('bench');
  return () => {
    const span = tracer.startSpan('chat gpt-4o', {
      attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.request.temperature': 0.2,
        'gen_ai.usage.input_tokens': 420, 'gen_ai.usage.output_tokens': 96, 'server.address': 'api.openai.com',
      },
    });
    span.setAttribute('gen_ai.input.messages', messages);
    span.setAttribute('gen_ai.output.messages', output);
    span.end();
  };
}

// Queues large enough that nothing is dropped. Like the baseline's serialisation, Facto's export
// work runs on a later tick; the "with export" rows add it back by flushing inside the timed loop.
const queue = { maxQueueSize: 1_000_000, maxExportBatchSize: 512, scheduledDelayMillis: 100 };
const provider = (processor) => new BasicTracerProvider({ spanProcessors: [processor] });
const baseline = provider(new BatchSpanProcessor(discard, queue));
const inline = provider(new FactoSpanProcessor({ agentId: 'bench', privateKey, exporter: discard, ...queue }));
const deferred = provider(new FactoSpanProcessor({ agentId: 'bench', privateKey, exporter: discard, signing: 'deferred', ...queue }));

/**
 * Rounds of 256 spans, each followed by a flush so the queue never grows. `includeExport` decides
 * whether the flush (the export worker's share: deferred signatures, the discard exporter) is timed.
 */
async function rounds(name, target, includeExport, seconds = 2) {
  const loop = spanLoop(target);
  for (let index = 0; index < 512; index++) loop();
  await target.forceFlush();
  let timed = 0;
  let count = 0;
  const wall = performance.now();
  while (performance.now() - wall < seconds * 1000) {
    const start = performance.now();
    for (let index = 0; index < 256; index++) loop();
    if (includeExport) await target.forceFlush();
    timed += performance.now() - start;
    if (!includeExport) await target.forceFlush();
    count += 256;
  }
  return { name, opsPerSecond: count / (timed / 1000), microseconds: (timed * 1000) / count };
}

const added = (row, base) => {
  row.ratio = `+${(row.microseconds - base.microseconds).toFixed(1)} µs/span added, ${(row.microseconds / base.microseconds).toFixed(1)}x the baseline`;
  return row;
};

useCryptoBackend('node');
const plain = await rounds('BatchSpanProcessor (baseline)', baseline, false);
report("in the agent's call path (span start to end), node:crypto", [
  plain,
  added(await rounds('FactoSpanProcessor, signing inline', inline, false), plain),
  added(await rounds('FactoSpanProcessor, signing deferred', deferred, false), plain),
]);
const plainTotal = await rounds('BatchSpanProcessor (baseline)', baseline, true);
report('total CPU per span, export worker included, node:crypto', [
  plainTotal,
  added(await rounds('FactoSpanProcessor, signing inline', inline, true), plainTotal),
  added(await rounds('FactoSpanProcessor, signing deferred', deferred, true), plainTotal),
]);
useCryptoBackend('noble');
report('portable path (@noble, no node:crypto), in the call path', [plain, added(await rounds('FactoSpanProcessor, signing inline', inline, false, 1), plain)]);
await Promise.all([baseline.shutdown(), inline.shutdown(), deferred.shutdown()]);
