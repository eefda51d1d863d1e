/**
 * Flushing while the collector is down. A flush (facto.flush(), provider.forceFlush(), an
 * integration's flush) waits for one attempt of its own, not for the outage to end: a serverless
 * function that awaits it must not be held for the whole flush timeout on every invocation. The
 * spans stay queued, counted undelivered, and go out once the collector is back.
 *
 * The sink answers 500, which the OTLP transport does not retry and the queue treats as an outage.
 * Timeouts and backoffs are set far beyond the test's own timeout, so a flush that waited for them
 * fails the test instead of passing slowly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair } from '@facto/core';
import { createFacto, type Facto } from '@facto/otel';
import { startOtlpSink, type OtlpSink } from '../support/otlp-sink.js';

const HOUR = 3_600_000;
const sinks: OtlpSink[] = [];
const agents: Facto[] = [];

afterEach(async () => {
  for (const sink of sinks) sink.reply = () => ({ status: 200 });
  await Promise.all(agents.splice(0).map((agent) => agent.shutdown()));
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
});

async function setUp(): Promise<{ sink: OtlpSink; facto: Facto }> {
  const sink = await startOtlpSink();
  sinks.push(sink);
  sink.reply = () => ({ status: 500 });
  const facto = createFacto({ agentId: 'outage-agent', endpoint: sink.url, privateKey: generateKeyPair().privateKey, flushTimeoutMillis: HOUR, retryDelayMillis: HOUR, scheduledDelayMillis: HOUR });
  agents.push(facto);
  return { sink, facto };
}

describe('a flush while the collector is down', () => {
  it('returns after its own attempt fails, with the spans undelivered and still queued; they go out once it is back', async () => {
    const { sink, facto } = await setUp();
    for (let index = 0; index < 3; index++) facto.record('chat', { question: index }, { answer: index });
    expect(await facto.flush()).toEqual({ delivered: 0, undelivered: 3, dropped: 0, refused: 0, rejected: 0 });
    expect(sink.requests).toHaveLength(1);
    // Each flush makes one attempt, even inside the queue's (hour-long) backoff.
    expect(await facto.flush()).toMatchObject({ delivered: 0, undelivered: 3 });
    expect(sink.requests).toHaveLength(2);

    sink.reply = () => ({ status: 200 });
    expect(await facto.flush()).toEqual({ delivered: 3, undelivered: 0, dropped: 0, refused: 0, rejected: 0 });
    expect(sink.acceptedSpans().map((span) => span.name)).toEqual(['chat', 'chat', 'chat']);
  });

  it("resolves the tracer provider's forceFlush instead of letting the provider's own timeout reject it", async () => {
    const { sink, facto } = await setUp();
    facto.record('chat', { question: 1 }, { answer: 1 });
    await expect(facto.provider.forceFlush()).resolves.toBeUndefined();
    expect(sink.requests).toHaveLength(1);
    expect(facto.processor.stats).toMatchObject({ queued: 1, delivered: 0, dropped: 0 });
  });

  it('gets an attempt of its own when it comes while an export is out, and that export fails', async () => {
    const { sink, facto } = await setUp();
    sink.hold();
    for (let index = 0; index < 512; index++) facto.record('chat', { question: index }, { answer: index });
    // A full batch goes out on its own; wait until its request is held at the sink.
    await expect.poll(() => sink.heldCount(), { interval: 5 }).toBe(1);
    const flushed = facto.flush();
    sink.release();
    expect(await flushed).toMatchObject({ delivered: 0, undelivered: 512 });
    expect(sink.requests).toHaveLength(2);
  });

  it('still waits, at shutdown, for delivery until its time is up', async () => {
    const sink = await startOtlpSink();
    sinks.push(sink);
    let answered = 0;
    sink.reply = () => (++answered <= 2 ? { status: 500 } : { status: 200 });
    const facto = createFacto({ agentId: 'outage-agent', endpoint: sink.url, privateKey: generateKeyPair().privateKey, retryDelayMillis: 10, scheduledDelayMillis: HOUR });
    facto.record('chat', { question: 1 }, { answer: 1 });
    expect(await facto.shutdown()).toMatchObject({ delivered: 1, undelivered: 0, dropped: 0 });
    expect(sink.requests).toHaveLength(3);
  });
});
