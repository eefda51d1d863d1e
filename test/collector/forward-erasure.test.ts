/**
 * An erasure reaches the forward queue: content erased from the log (POST /v1/admin/erase) is taken
 * out of the requests still waiting to go downstream, on disk, and is never delivered afterwards,
 * whether those requests were only queued or already read ahead by the delivery loop.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCollector } from '../support/collector.js';
import { startOtlpSink } from '../support/otlp-sink.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('erasure and the forward queue', () => {
  it('rewrites queued requests without the erased spans, and delivers none of the erased content', async () => {
    const downstream = await startOtlpSink();
    cleanups.push(() => downstream.close());
    downstream.hold();
    // One request at a time, so the later ones wait in the queue while the first is held: content
    // already sent downstream is beyond any erasure's reach.
    const collector = await startTestCollector({ forward: `${downstream.url}/v1/traces`, forwardConcurrency: 1 });
    cleanups.push(() => collector.stop());
    const agent = new TestAgent();
    const post = async (body: string) => expect((await collector.post('/v1/traces', body)).status).toBe(200);

    // The first request is being delivered (its answer held); the next two wait, read ahead in memory.
    await post(otlpJson([agent.next('first', { 'facto.input': 'nothing to erase' })]));
    await expect.poll(() => downstream.heldCount(), { timeout: 5_000 }).toBe(1);
    const erasedA = agent.next('erased-a', { 'facto.input': 'SECRET-A' });
    const kept = agent.next('kept', { 'facto.input': 'not erased' });
    const erasedB = agent.next('erased-b', { 'facto.input': 'SECRET-B' });
    await post(otlpJson([erasedA, kept]));
    await post(otlpJson([erasedB]));

    const erase = await collector.post('/v1/admin/erase', JSON.stringify({ facto_ids: [erasedA.factoId, erasedB.factoId], reason: 'GDPR art. 17' }));
    expect(erase.status).toBe(200);
    // On disk: the request of erased-b alone is gone, the other holds only `kept`.
    const database = new Database(collector.config.db, { readonly: true });
    const rows = database.prepare('SELECT body FROM forward_queue').all() as { body: Buffer }[];
    database.close();
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.body.toString('latin1')).not.toMatch(/SECRET-[AB]/);

    downstream.release();
    await expect.poll(() => downstream.acceptedSpans().map((span) => span.name), { timeout: 10_000 }).toEqual(['first', 'kept']);
    for (const request of downstream.requests) expect(Buffer.from(request.body).toString('latin1')).not.toMatch(/SECRET-[AB]/);
    // The sink counts a request as it arrives; the forwarder takes it off once the answer is back.
    await expect.poll(() => collector.context.forwarder!.depth, { timeout: 5_000 }).toBe(0);
  });

  it("reaches a retry's copy too, whose body still holds the span the first request stored", async () => {
    const downstream = await startOtlpSink();
    cleanups.push(() => downstream.close());
    // Unavailable for now: every attempt fails and both requests wait in the queue.
    downstream.reply = () => ({ status: 503, headers: { 'retry-after': '1' } });
    // One request at a time, so the later ones wait in the queue while the first is held: content
    // already sent downstream is beyond any erasure's reach.
    const collector = await startTestCollector({ forward: `${downstream.url}/v1/traces`, forwardConcurrency: 1 });
    cleanups.push(() => collector.stop());
    const agent = new TestAgent();
    const secret = agent.next('secret', { 'facto.input': 'SECRET-RETRY' });
    const later = agent.next('later', { 'facto.input': 'not erased' });
    expect((await collector.post('/v1/traces', otlpJson([secret]))).status).toBe(200);
    // An exporter's retry: the stored span again (a duplicate, not forwarded) with a new one.
    expect((await collector.post('/v1/traces', otlpJson([secret, later]))).status).toBe(200);
    expect((await collector.post('/v1/admin/erase', JSON.stringify({ facto_ids: [secret.factoId], reason: 'GDPR art. 17' }))).status).toBe(200);
    const database = new Database(collector.config.db, { readonly: true });
    const bodies = (database.prepare('SELECT body FROM forward_queue').all() as { body: Buffer }[]).map((row) => row.body.toString('latin1'));
    database.close();
    // The first request held only the erased span: gone. The retry's copy holds only the new one.
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('not erased');
    expect(bodies[0]).not.toContain('SECRET-RETRY');
    downstream.reply = () => ({ status: 200 });
    await expect.poll(() => collector.context.forwarder!.depth, { timeout: 10_000 }).toBe(0);
    expect(downstream.acceptedSpans().map((span) => span.name)).toEqual(['later']);
  });
});
