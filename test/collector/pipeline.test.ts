/**
 * Facto as one stage of an OpenTelemetry pipeline: what it accepts goes on to a downstream OTLP
 * endpoint after the commit, what it rejects does not, and unsigned spans follow --unsigned.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { SpanFields } from '@facto/core';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { startOtlpSink, type OtlpSink } from '../support/otlp-sink.js';
import { otlpJson, TestAgent, withAttribute } from '../support/signed-spans.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function pipeline(unsigned: 'reject' | 'store' | 'forward'): Promise<{ collector: TestCollector; downstream: OtlpSink }> {
  const downstream = await startOtlpSink();
  cleanups.push(() => downstream.close());
  const collector = await startTestCollector({ unsigned, forward: `${downstream.url}/v1/traces` });
  cleanups.push(() => collector.stop());
  return { collector, downstream };
}

function unsignedSpan(name: string): SpanFields {
  return { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', parentSpanId: '', name, kind: 2, startTimeUnixNano: '1732280000000000000', endTimeUnixNano: '1732280000000000100', status: { code: 0, message: '' }, attributes: [['http.route', { s: '/checkout' }]], events: [], links: [] };
}

function metric(text: string, line: string): number {
  const found = text.split('\n').find((candidate) => candidate.startsWith(line + ' '));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

describe('forwarding and unsigned spans', () => {
  it.each([
    ['store', ['step', 'step', 'GET /checkout'], 1],
    ['forward', ['step', 'step', 'GET /checkout'], 0],
    ['reject', ['step', 'step'], 0],
  ] as const)('--unsigned %s: forwards the accepted spans only, after the commit', async (policy, forwarded, storedUnverified) => {
    const { collector, downstream } = await pipeline(policy);
    const agent = new TestAgent();
    const spans = [agent.next('step'), agent.next('step'), withAttribute(agent.next('step'), 'facto.action_type', { s: 'something else' }), unsignedSpan('GET /checkout')];
    const response = await (await collector.post('/v1/traces', otlpJson(spans))).json();
    expect(response.partialSuccess.rejectedSpans).toBe(policy === 'reject' ? '2' : '1');

    await expect.poll(() => downstream.acceptedSpans().length, { timeout: 5_000 }).toBe(forwarded.length);
    expect(downstream.acceptedSpans().map((span) => span.name)).toEqual(forwarded);
    expect((await collector.json('/v1/log')).tree_size).toBe(2);

    const metrics = await (await collector.get('/metrics')).text();
    expect(metric(metrics, 'facto_spans_accepted_total')).toBe(2);
    expect(metric(metrics, 'facto_spans_unverified_total')).toBe(policy === 'reject' ? 0 : 1);
    expect(metric(metrics, 'facto_spans_rejected_total{reason="hash_mismatch"}')).toBe(1);
    expect(await collector.context.store.countUnverified()).toBe(storedUnverified);
  });

  it('keeps acknowledging while the downstream is down, and delivers once it is back', async () => {
    const { collector, downstream } = await pipeline('reject');
    downstream.reply = (index) => (index < 2 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200 });
    // The downstream does not answer at all until released: the agent's 200 cannot be waiting for it.
    downstream.hold();
    const agent = new TestAgent();
    expect((await collector.post('/v1/traces', otlpJson([agent.next(), agent.next()]))).status).toBe(200);
    expect(downstream.acceptedSpans()).toHaveLength(0);
    downstream.release();
    await expect.poll(() => downstream.acceptedSpans().length, { timeout: 10_000 }).toBe(2);
    expect(downstream.requests.filter((request) => request.status === 503)).toHaveLength(2);
  }, 20_000);

  it('passes on a gzip request as the request itself, byte for byte, when every span goes on', async () => {
    const { collector, downstream } = await pipeline('reject');
    const agent = new TestAgent();
    const body = otlpJson([agent.next(), agent.next()]);
    expect((await collector.post('/v1/traces', gzipSync(body), 'application/json', { 'content-encoding': 'gzip' })).status).toBe(200);
    await expect.poll(() => downstream.requests.length, { timeout: 5_000 }).toBe(1);
    expect(Buffer.from(downstream.requests[0]!.body).toString()).toBe(body);
  });

  it('sends --forward-headers with every forwarded request', async () => {
    const downstream = await startOtlpSink();
    cleanups.push(() => downstream.close());
    const collector = await startTestCollector({ forward: `${downstream.url}/v1/traces`, forwardHeaders: 'authorization=Bearer%20downstream-key,x-tenant=acme' });
    cleanups.push(() => collector.stop());
    const agent = new TestAgent();
    expect((await collector.post('/v1/traces', otlpJson([agent.next()]))).status).toBe(200);
    await expect.poll(() => downstream.requests.length, { timeout: 5_000 }).toBe(1);
    expect(downstream.requests[0]!.headers).toMatchObject({ authorization: 'Bearer downstream-key', 'x-tenant': 'acme', 'content-type': 'application/json' });
  });
});
