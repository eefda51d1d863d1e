/**
 * Deferred sealing signs off the agent's thread: the export path links a batch's records in seq
 * order, then has their signatures computed by signOffThread (libuv's thread pool) while the batch
 * waits. What must hold: every record still arrives signed and chained, a failing thread pool costs
 * no record (it signs in-thread instead), and a record that cannot be signed at all goes out marked,
 * with the break visible to a verifier.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ATTR, generateKeyPair } from '@facto/core';
import { createFacto, type Facto } from '@facto/otel';
import { startOtlpSink, type OtlpSink } from '../support/otlp-sink.js';
import { verifySpans } from '../support/verify-spans.js';

// The processor's view of @facto/core, with its two ways to sign counted and breakable on cue.
const signing = vi.hoisted(() => ({ offThread: 0, inThread: 0, failOffThread: false, throwOffThread: false, failInThread: false, delayMillis: 0, inFlight: 0, mostInFlight: 0 }));
vi.mock('@facto/core', async (importOriginal) => {
  const core = await importOriginal<typeof import('@facto/core')>();
  return {
    ...core,
    signOffThread: (message: Uint8Array, privateKey: Uint8Array) => {
      signing.offThread++;
      if (signing.throwOffThread) throw new Error('thrown before any promise');
      signing.mostInFlight = Math.max(signing.mostInFlight, ++signing.inFlight);
      const signature = signing.failOffThread ? Promise.reject(new Error('the thread pool is gone')) : core.signOffThread(message, privateKey);
      const delayed = signing.delayMillis === 0 ? signature : signature.then((value) => new Promise<Uint8Array>((resolve) => setTimeout(() => resolve(value), signing.delayMillis)));
      return delayed.finally(() => signing.inFlight--);
    },
    sign: (message: Uint8Array, privateKey: Uint8Array) => {
      signing.inThread++;
      if (signing.failInThread) throw new Error('no signature today');
      return core.sign(message, privateKey);
    },
  };
});

const keys = generateKeyPair();
let sink: OtlpSink;
let agent: Facto | undefined;

beforeEach(async () => {
  Object.assign(signing, { offThread: 0, inThread: 0, failOffThread: false, throwOffThread: false, failInThread: false, delayMillis: 0, inFlight: 0, mostInFlight: 0 });
  sink = await startOtlpSink();
});

afterEach(async () => {
  await agent?.shutdown();
  agent = undefined;
  await sink.close();
});

function start(signingMode: 'inline' | 'deferred'): Facto {
  agent = createFacto({ agentId: 'agent-off-thread', endpoint: sink.url, privateKey: keys.privateKey, signing: signingMode, scheduledDelayMillis: 20, retryDelayMillis: 50 });
  return agent;
}

function record(facto: Facto, count: number, from = 0): void {
  for (let index = from; index < from + count; index++) facto.record('tool.call', { tool: 'search', query: `question ${index}` }, { results: index });
}

describe('deferred sealing', () => {
  it('signs every record off the agent\'s thread, and they arrive signed and chained', async () => {
    const facto = start('deferred');
    record(facto, 300);
    await facto.flush();
    const { failures, chains } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(chains).toEqual([expect.objectContaining({ length: 300, intact: true, gaps: [], badLinks: [] })]);
    expect(signing.offThread).toBe(300);
    expect(signing.inThread).toBe(0);
    // Sixteen at a time: the thread pool is the agent's too, and a batch must not queue ahead of it.
    expect(signing.mostInFlight).toBe(16);
    expect(facto.processor.stats.signed).toBe(300);
  });

  it('signs in the agent\'s thread when the thread pool fails, and loses nothing', async () => {
    signing.failOffThread = true;
    const facto = start('deferred');
    record(facto, 50);
    await facto.flush();
    const { failures, chains } = verifySpans(sink.acceptedSpans(), keys.publicKey);
    expect(failures).toEqual([]);
    expect(chains).toEqual([expect.objectContaining({ length: 50, intact: true })]);
    expect(signing.inThread).toBe(50);
    expect(facto.processor.stats).toMatchObject({ signed: 50, sealFailures: 0 });
  });

  it('signs in the agent\'s thread when the thread-pool path throws instead of rejecting', async () => {
    signing.throwOffThread = true;
    const facto = start('deferred');
    record(facto, 20);
    await facto.flush();
    expect(verifySpans(sink.acceptedSpans(), keys.publicKey).failures).toEqual([]);
    expect(sink.acceptedSpans()).toHaveLength(20);
    expect(facto.processor.stats).toMatchObject({ signed: 20, sealFailures: 0 });
  });

  it('sends nothing after close() gave up on a batch whose signatures were still being computed', async () => {
    signing.delayMillis = 300;
    const facto = start('deferred');
    record(facto, 5);
    const report = await facto.processor.close(50);
    // Declared dropped in the chain and the report: then it must not arrive.
    expect(report.dropped).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sink.acceptedSpans()).toEqual([]);
    expect(facto.processor.stats.delivered).toBe(0);
  });

  it('sends a record it cannot sign at all marked facto.seal_error, and the next record shows the break', async () => {
    signing.failOffThread = true;
    signing.failInThread = true;
    const facto = start('deferred');
    record(facto, 3);
    await facto.flush();
    const unsigned = sink.acceptedSpans();
    expect(unsigned).toHaveLength(3);
    for (const span of unsigned) {
      const names = span.attributes.map(([key]) => key);
      expect(names).toContain('facto.seal_error');
      expect(names).not.toContain(ATTR.signature);
    }
    expect(facto.processor.stats.sealFailures).toBe(3);

    signing.failOffThread = false;
    signing.failInThread = false;
    record(facto, 2, 3);
    await facto.flush();
    const signed = sink.acceptedSpans().slice(3);
    const { failures, chains } = verifySpans(signed, keys.publicKey);
    expect(failures).toEqual([]);
    // Seqs 3 and 4 link to records that never arrived signed: a verifier sees the chain start late.
    expect(chains).toHaveLength(1);
    expect(chains[0]!.intact).toBe(false);
  });
});

describe('inline sealing', () => {
  it('signs in onEnding, never through the thread pool', async () => {
    const facto = start('inline');
    record(facto, 20);
    await facto.flush();
    expect(verifySpans(sink.acceptedSpans(), keys.publicKey).failures).toEqual([]);
    expect(signing.offThread).toBe(0);
  });
});
