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
import { measure, report } from '../../../bench/harness.mjs';

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

// Queues large enough that nothing is dropped and export cost stays out of the loop.
const queue = { maxQueueSize: 1_000_000, maxExportBatchSize: 512, scheduledDelayMillis: 100 };
const baseline = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard, queue)] });
const facto = new BasicTracerProvider({ spanProcessors: [new FactoSpanProcessor({ agentId: 'bench', privateKey, exporter: discard, ...queue })] });

const rows = [];
const plain = measure('BatchSpanProcessor (baseline)', spanLoop(baseline), { seconds: 2 });
rows.push(plain);
for (const backend of ['node', 'noble']) {
  useCryptoBackend(backend);
  const row = measure(`FactoSpanProcessor (${backend === 'node' ? 'node:crypto' : '@noble'})`, spanLoop(facto), { seconds: backend === 'node' ? 2 : 1 });
  row.ratio = `+${(row.microseconds - plain.microseconds).toFixed(1)} µs/span added, ${(row.microseconds / plain.microseconds).toFixed(1)}x the baseline`;
  rows.push(row);
}
report('per-span cost, same spans, same run', rows);
await baseline.shutdown();
await facto.shutdown();
