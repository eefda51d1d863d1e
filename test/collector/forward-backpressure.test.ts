/**
 * A full forward queue, seen from outside a real collector: under --unsigned forward a request whose
 * unsigned spans cannot be queued gets 503 + Retry-After and nothing of it is committed (the
 * exporter's retry commits and delivers all of it), while signed spans alone, which the log holds,
 * still get their 200.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SpanFields } from '@facto/core';
import { createLogger } from '../../collector/src/ops/logger.js';
import { startTestCollector } from '../support/collector.js';
import { startOtlpSink } from '../support/otlp-sink.js';
import { otlpJson, TestAgent, withAttribute } from '../support/signed-spans.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function unsignedSpan(name: string, spanId: string): SpanFields {
  return { traceId: '0af7651916cd43dd8448eb211c80319c', spanId, parentSpanId: '', name, kind: 2, startTimeUnixNano: '1732280000000000000', endTimeUnixNano: '1732280000000000100', status: { code: 0, message: '' }, attributes: [], events: [], links: [] };
}

function metric(text: string, name: string): number {
  const found = text.split('\n').find((line) => line.startsWith(name + ' '));
  return found === undefined ? 0 : Number(found.slice(name.length + 1));
}

/** A collector that forwards unsigned spans to a local sink, through a forward queue of one request. */
async function forwardingCollector() {
  const downstream = await startOtlpSink();
  cleanups.push(() => downstream.close());
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  const collector = await startTestCollector({ unsigned: 'forward', forward: `${downstream.url}/v1/traces`, forwardQueueSize: 1 }, { logger });
  cleanups.push(() => collector.stop());
  return { downstream, collector, logs };
}

describe('--unsigned forward with a full forward queue', () => {
  it('answers 503 + Retry-After for unsigned spans it cannot queue, 200 for signed ones, and delivers the retry', async () => {
    const { downstream, collector, logs } = await forwardingCollector();
    // The downstream holds its answers: the first request stays in the queue while it is delivered.
    downstream.hold();

    expect((await collector.post('/v1/traces', otlpJson([unsignedSpan('first', '00000000000000a1')]))).status).toBe(200);
    const refused = await collector.post('/v1/traces', otlpJson([unsignedSpan('second', '00000000000000a2')]));
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, '5']);
    const agent = new TestAgent();
    expect((await collector.post('/v1/traces', otlpJson([agent.next('signed')]))).status).toBe(200);
    expect((await collector.json('/v1/log')).tree_size).toBe(1);

    downstream.release();
    await expect.poll(() => collector.context.forwarder!.depth, { timeout: 5_000 }).toBe(0);
    expect((await collector.post('/v1/traces', otlpJson([unsignedSpan('second', '00000000000000a2')]))).status).toBe(200);
    await expect.poll(() => downstream.acceptedSpans().map((span) => span.name), { timeout: 5_000 }).toEqual(['first', 'second']);

    const metrics = await (await collector.get('/metrics')).text();
    // Dropped: the signed request's downstream copy only. The unsigned one answered 503 was sent again and delivered.
    expect(metric(metrics, 'facto_forward_dropped_total')).toBe(1);
    expect(metric(metrics, 'facto_ingest_requests_total{status="503"}')).toBe(1);
    // Said at once for the first refusal; the drop right after it waits for the interval's end or the stop.
    const full = () => logs.filter((line) => line.message === 'forward queue full: newer requests were not queued for downstream').map(({ dropped, answered503 }) => [dropped, answered503]);
    expect(full()).toEqual([[0, 1]]);
    await collector.stop();
    expect(full()).toEqual([[0, 1], [1, 0]]);
  });

  it('commits nothing of a request answered 503, so its retry commits and forwards every span, counted once', async () => {
    const { downstream, collector } = await forwardingCollector();
    downstream.hold();
    expect((await collector.post('/v1/traces', otlpJson([unsignedSpan('first', '00000000000000a1')]))).status).toBe(200);

    // One signed span, one altered, one unsigned. Answered 503, none of it is committed: the signed
    // one, committed then, came back as a duplicate, which is not forwarded, and never went downstream.
    const agent = new TestAgent();
    const body = otlpJson([agent.next('signed'), withAttribute(agent.next('altered'), 'facto.action_type', { s: 'something else' }), unsignedSpan('second', '00000000000000a2')]);
    expect((await collector.post('/v1/traces', body)).status).toBe(503);
    expect((await collector.json('/v1/log')).tree_size).toBe(0);
    downstream.release();
    await expect.poll(() => collector.context.forwarder!.depth, { timeout: 5_000 }).toBe(0);
    const retry = await collector.post('/v1/traces', body);
    expect([retry.status, (await retry.json()).partialSuccess.rejectedSpans]).toEqual([200, '1']);
    await expect.poll(() => downstream.acceptedSpans().map((span) => span.name).sort(), { timeout: 5_000 }).toEqual(['first', 'second', 'signed']);

    const metrics = await (await collector.get('/metrics')).text();
    expect(metric(metrics, 'facto_ingest_requests_total{status="503"}')).toBe(1);
    // The unsigned spans of the two acknowledged requests: 'first' and 'second', once each.
    expect(metric(metrics, 'facto_spans_unverified_total')).toBe(2);
    expect(metric(metrics, 'facto_spans_received_total{encoding="json"}')).toBe(4);
    expect(metric(metrics, 'facto_spans_rejected_total{reason="hash_mismatch"}')).toBe(1);
    // Appended by the retry's commit, the first.
    expect(metric(metrics, 'facto_spans_accepted_total')).toBe(1);
    expect(metric(metrics, 'facto_spans_duplicate_total')).toBe(0);
    expect((await collector.json('/v1/log')).tree_size).toBe(1);
  });
});
