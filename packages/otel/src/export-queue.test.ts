import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExportQueue, type DropReason, type ExportQueueOptions } from './export-queue.js';

/** The error the official OTLP exporters hand back for an HTTP failure (OTLPExporterError: code = status). */
function httpFailure(status: number, data = ''): ExportResult {
  return { code: ExportResultCode.FAILED, error: Object.assign(new Error(`Status ${status}`), { code: status, data }) };
}
const delivered: ExportResult = { code: ExportResultCode.SUCCESS };

/** A stand-in collector: decides each request from the span names in it, answers on a later microtask. */
class MemoryExporter implements SpanExporter {
  readonly requests: string[][] = [];
  readonly accepted: string[] = [];
  answer: (names: string[]) => ExportResult = () => delivered;

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const names = spans.map((span) => span.name);
    this.requests.push(names);
    const result = this.answer(names);
    if (result.code === ExportResultCode.SUCCESS) this.accepted.push(...names);
    queueMicrotask(() => done(result));
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const span = (name: string) => ({ name }) as ReadableSpan;

let exporter: MemoryExporter;
let drops: { names: string[]; reason: DropReason }[];
let messages: { level: 'warn' | 'error'; message: string }[];

function queue(options: Partial<ExportQueueOptions> = {}): ExportQueue {
  return new ExportQueue({
    exporter,
    scheduledDelayMillis: 100,
    retryDelayMillis: 1000,
    onDrop: (spans, reason) => drops.push({ names: spans.map((item) => item.name), reason }),
    report: { warn: (message) => messages.push({ level: 'warn', message }), error: (message) => messages.push({ level: 'error', message }) },
    ...options,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  exporter = new MemoryExporter();
  drops = [];
  messages = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ExportQueue', () => {
  it('sends a full batch on the next tick and a partial one after the scheduled delay', async () => {
    const subject = queue({ maxExportBatchSize: 3 });
    for (const name of ['a', 'b', 'c', 'd']) subject.enqueue(span(name));
    expect(exporter.requests).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(exporter.requests).toEqual([['a', 'b', 'c']]);
    await vi.advanceTimersByTimeAsync(99);
    expect(exporter.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(exporter.requests).toEqual([['a', 'b', 'c'], ['d']]);
    expect(subject.stats).toMatchObject({ queued: 0, delivered: 4, dropped: 0 });
  });

  it('splits a batch the collector finds too large (413) until the parts go through, losing nothing', async () => {
    // The collector takes at most 2 spans per request.
    exporter.answer = (names) => (names.length > 2 ? httpFailure(413) : delivered);
    const subject = queue({ maxExportBatchSize: 8 });
    const names = Array.from({ length: 8 }, (_, index) => `s${index}`);
    for (const name of names) subject.enqueue(span(name));
    const report = await flushed(subject);
    expect(exporter.accepted).toEqual(names);
    expect(exporter.requests.map((request) => request.length)).toEqual([8, 4, 2, 2, 2, 2]);
    expect(report).toEqual({ delivered: 8, undelivered: 0, dropped: 0, refused: 0, rejected: 0 });
    expect(drops).toEqual([]);
  });

  it('drops and declares a span refused even alone, and delivers every span behind it', async () => {
    exporter.answer = (names) => (names.includes('poison') ? httpFailure(413, 'request body exceeds 100 bytes') : delivered);
    const subject = queue({ maxExportBatchSize: 8 });
    const names = ['a', 'b', 'c', 'poison', 'd', 'e', 'f', 'g', 'h', 'i'];
    for (const name of names) subject.enqueue(span(name));
    const report = await flushed(subject);
    expect(exporter.accepted).toEqual(names.filter((name) => name !== 'poison'));
    expect(drops).toEqual([{ names: ['poison'], reason: 'refused' }]);
    expect(report).toEqual({ delivered: 9, undelivered: 0, dropped: 1, refused: 1, rejected: 0 });
    expect(messages.filter((item) => item.level === 'error').map((item) => item.message)).toEqual([
      'the collector refused a span permanently (HTTP 413: request body exceeds 100 bytes); it is dropped and declared in the chain',
    ]);
    // Finding one bad span among 8 costs log2(8) + 1 refused requests, not one per span.
    expect(exporter.requests.filter((request) => request.includes('poison')).map((request) => request.length)).toEqual([8, 4, 2, 1]);
  });

  it('treats any other 4xx for the batch (400) the same way', async () => {
    exporter.answer = (names) => (names.includes('bad') ? httpFailure(400) : delivered);
    const subject = queue({ maxExportBatchSize: 4 });
    for (const name of ['bad', 'ok']) subject.enqueue(span(name));
    const report = await flushed(subject);
    expect(exporter.accepted).toEqual(['ok']);
    expect(report).toMatchObject({ dropped: 1, refused: 1 });
  });

  it('keeps spans through an outage (5xx, network) and retries with a doubling backoff', async () => {
    let failing = true;
    exporter.answer = () => (failing ? httpFailure(500) : delivered);
    const subject = queue({ maxExportBatchSize: 2 });
    subject.enqueue(span('a'));
    subject.enqueue(span('b'));
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(exporter.requests).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(3999);
    expect(exporter.requests).toHaveLength(3);
    failing = false;
    await vi.advanceTimersByTimeAsync(1);
    expect(exporter.accepted).toEqual(['a', 'b']);
    expect(drops).toEqual([]);
    expect(subject.stats).toMatchObject({ delivered: 2, failedExports: 3 });
  });

  it('does not drop spans when the collector refuses every request (401): backs off and says so once', async () => {
    exporter.answer = () => httpFailure(401, 'invalid bearer token');
    const subject = queue({ maxExportBatchSize: 1 });
    subject.enqueue(span('a'));
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 4000);
    expect(exporter.requests.length).toBe(4);
    expect(drops).toEqual([]);
    expect(subject.stats.queued).toBe(1);
    expect(messages.filter((item) => item.level === 'error')).toEqual([
      { level: 'error', message: 'the collector refuses every export (HTTP 401: invalid bearer token): check the endpoint and the token; retrying with backoff' },
    ]);
  });

  it('warns once when it starts dropping a full queue, once when it recovers, and reports the drops', async () => {
    exporter.answer = () => httpFailure(503);
    const subject = queue({ maxQueueSize: 3, maxExportBatchSize: 10 });
    for (let index = 0; index < 10; index++) subject.enqueue(span(`s${index}`));
    expect(drops.map((drop) => drop.reason)).toEqual(Array(7).fill('queue_full'));
    expect(messages).toEqual([{ level: 'warn', message: expect.stringMatching(/^the export queue is full \(3 spans\)/) }]);
    exporter.answer = () => delivered;
    const report = await flushed(subject);
    expect(report).toEqual({ delivered: 3, undelivered: 0, dropped: 7, refused: 0, rejected: 0 });
    subject.enqueue(span('after'));
    expect(messages.at(-1)).toEqual({ level: 'warn', message: 'the export queue has room again; 7 spans were dropped while it was full' });
    // Each report covers what happened since the previous one.
    expect(await flushed(subject)).toEqual({ delivered: 1, undelivered: 0, dropped: 0, refused: 0, rejected: 0 });
  });

  it('gives up on what is left at shutdown, declares it dropped and counts it in the same report', async () => {
    exporter.answer = (names) => (names.includes('stuck') ? httpFailure(503) : delivered);
    const subject = queue({ maxExportBatchSize: 1 });
    subject.enqueue(span('ok'));
    await vi.advanceTimersByTimeAsync(0);
    subject.enqueue(span('stuck'));
    const shutdown = subject.shutdown(5000);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await shutdown).toEqual({ delivered: 1, undelivered: 1, dropped: 1, refused: 0, rejected: 0 });
    expect(drops).toEqual([{ names: ['stuck'], reason: 'shutdown' }]);
    expect(subject.enqueue(span('late'))).toBe(false);
    expect(drops.at(-1)).toEqual({ names: ['late'], reason: 'shutdown' });
  });

  it('exports a batch only once a beforeExport promise settles, and counts its rejection as a failed export', async () => {
    const gates: { resolve: () => void; reject: (error: Error) => void }[] = [];
    const beforeExport = () => new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
    const subject = queue({ maxExportBatchSize: 2, retryDelayMillis: 10, beforeExport });
    for (const name of ['a', 'b']) subject.enqueue(span(name));
    await vi.advanceTimersByTimeAsync(0);
    expect(gates).toHaveLength(1);
    expect(exporter.requests).toEqual([]);
    gates[0]!.reject(new Error('signatures failed'));
    await vi.advanceTimersByTimeAsync(0);
    expect(exporter.requests).toEqual([]);
    expect(messages).toEqual([{ level: 'warn', message: 'export of 2 spans failed (signatures failed); retrying in 10 ms' }]);
    await vi.advanceTimersByTimeAsync(10);
    expect(gates).toHaveLength(2);
    gates[1]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(exporter.requests).toEqual([['a', 'b']]);
    expect(subject.stats).toMatchObject({ queued: 0, delivered: 2, dropped: 0, failedExports: 1 });
  });

  it('never exports a batch whose beforeExport settles after shutdown: shutdown declared it dropped', async () => {
    let release = () => {};
    const subject = queue({ maxExportBatchSize: 2, beforeExport: () => new Promise<void>((resolve) => (release = resolve)) });
    for (const name of ['a', 'b']) subject.enqueue(span(name));
    await vi.advanceTimersByTimeAsync(0);
    const shutdown = subject.shutdown(50);
    // 50 ms for the queue, then 50 more for the export under way.
    await vi.advanceTimersByTimeAsync(100);
    expect(await shutdown).toMatchObject({ delivered: 0, dropped: 2 });
    expect(drops).toEqual([{ names: ['a', 'b'], reason: 'shutdown' }]);
    release();
    await vi.advanceTimersByTimeAsync(100);
    expect(exporter.requests).toEqual([]);
    expect(subject.stats).toMatchObject({ delivered: 0, dropped: 2 });
  });

  it('lets an export under way at shutdown finish, and declares dropped only what it did not deliver', async () => {
    const answers: ((result: ExportResult) => void)[] = [];
    const slow: SpanExporter = { export: (_spans, done) => void answers.push(done), shutdown: () => Promise.resolve() };
    for (const outcome of ['delivered', 'failed'] as const) {
      drops = [];
      answers.length = 0;
      const subject = queue({ exporter: slow, maxExportBatchSize: 2 });
      for (const name of ['a', 'b', 'c']) subject.enqueue(span(name));
      await vi.advanceTimersByTimeAsync(0);
      expect(answers).toHaveLength(1);
      const shutdown = subject.shutdown(50);
      await vi.advanceTimersByTimeAsync(70);
      answers[0]!(outcome === 'delivered' ? delivered : httpFailure(503));
      await vi.advanceTimersByTimeAsync(0);
      const report = await shutdown;
      // 'c' never started; the batch under way counts as what it turned out to be, and nothing else was sent.
      expect(answers, outcome).toHaveLength(1);
      if (outcome === 'delivered') {
        expect(report).toMatchObject({ delivered: 2, dropped: 1 });
        expect(drops).toEqual([{ names: ['c'], reason: 'shutdown' }]);
      } else {
        expect(report).toMatchObject({ delivered: 0, dropped: 3 });
        expect(drops).toEqual([{ names: ['a', 'b', 'c'], reason: 'shutdown' }]);
      }
    }
  });

  it('counts a request still out after the extra wait by its answer, which the exporter\'s shutdown waits for', async () => {
    for (const answer of [delivered, httpFailure(400)]) {
      drops = [];
      let reply: (result: ExportResult) => void = () => {};
      // Like the OTLP exporters: shutdown() waits for the requests still out.
      const slow: SpanExporter = {
        export: (_spans, done) => void (reply = done),
        shutdown: async () => {
          await vi.advanceTimersByTimeAsync(0);
          reply(answer);
        },
      };
      const subject = queue({ exporter: slow, maxExportBatchSize: 2 });
      for (const name of ['a', 'b', 'c']) subject.enqueue(span(name));
      await vi.advanceTimersByTimeAsync(0);
      const shutdown = subject.shutdown(50);
      await vi.advanceTimersByTimeAsync(100);
      const report = await shutdown;
      if (answer === delivered) {
        expect(report).toEqual({ delivered: 2, undelivered: 1, dropped: 1, refused: 0, rejected: 0 });
        expect(drops).toEqual([{ names: ['c'], reason: 'shutdown' }]);
      } else {
        // Refused: declared once, as refused, not split and sent again.
        expect(report).toEqual({ delivered: 0, undelivered: 3, dropped: 3, refused: 2, rejected: 0 });
        expect(drops).toEqual([{ names: ['c'], reason: 'shutdown' }, { names: ['a', 'b'], reason: 'refused' }]);
      }
    }
  });

  it('declares a request that never answered dropped, ignores a late answer, and releases a flush waiting on it', async () => {
    let reply: (result: ExportResult) => void = () => {};
    const silent: SpanExporter = { export: (_spans, done) => void (reply = done), shutdown: () => Promise.resolve() };
    const subject = queue({ exporter: silent, maxExportBatchSize: 2 });
    for (const name of ['a', 'b']) subject.enqueue(span(name));
    await vi.advanceTimersByTimeAsync(0);
    let flushed = false;
    void subject.flush(60_000).then(() => (flushed = true));
    const shutdown = subject.shutdown(50);
    await vi.advanceTimersByTimeAsync(100);
    expect(await shutdown).toEqual({ delivered: 0, undelivered: 2, dropped: 2, refused: 0, rejected: 0 });
    expect(drops).toEqual([{ names: ['a', 'b'], reason: 'shutdown' }]);
    expect(flushed).toBe(true);
    reply(delivered);
    expect(subject.stats).toMatchObject({ delivered: 0, dropped: 2 });
  });

  it('says once, as an error, when an export goes unanswered, and carries on when the answer comes', async () => {
    let calls = 0;
    let lateReply: (result: ExportResult) => void = () => {};
    const slowOnce: SpanExporter = {
      export(spans, done) {
        exporter.requests.push(spans.map((item) => item.name));
        if (++calls === 1) lateReply = done;
        else queueMicrotask(() => done(delivered));
      },
      shutdown: () => Promise.resolve(),
    };
    const subject = queue({ exporter: slowOnce, maxExportBatchSize: 2, exportTimeoutMillis: 5_000 });
    for (const name of ['a', 'b', 'c']) subject.enqueue(span(name));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(messages).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(messages).toEqual([{ level: 'error', message: 'the exporter has not answered an export of 2 spans for 5000 ms; nothing more is sent until it does (an exporter must call back; the OTLP exporters time out by themselves)' }]);
    // Not given up: nothing is sent again while it is out.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(exporter.requests).toEqual([['a', 'b']]);
    expect(messages).toHaveLength(1);
    lateReply(delivered);
    await vi.advanceTimersByTimeAsync(100);
    expect(exporter.requests).toEqual([['a', 'b'], ['c']]);
    expect(subject.stats).toMatchObject({ queued: 0, delivered: 3, dropped: 0, failedExports: 0 });
    expect(drops).toEqual([]);
  });

  it('reports an unanswered export at shutdown only, not again once shutdown has taken stock', async () => {
    const silent: SpanExporter = { export: (spans) => void exporter.requests.push(spans.map((item) => item.name)), shutdown: () => Promise.resolve() };
    const subject = queue({ exporter: silent, exportTimeoutMillis: 5_000 });
    subject.enqueue(span('a'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(exporter.requests).toEqual([['a']]);
    const shutdown = subject.shutdown(100);
    await vi.advanceTimersByTimeAsync(200);
    expect(await shutdown).toMatchObject({ delivered: 0, undelivered: 1 });
    expect(messages.map((message) => message.message)).toEqual(['1 signed spans could not be delivered before shutdown; they are declared dropped']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(messages).toHaveLength(1);
  });

  it('grows the batch back after a split, so one oversized batch does not slow every later one', async () => {
    let limit = 2;
    exporter.answer = (names) => (names.length > limit ? httpFailure(413) : delivered);
    const subject = queue({ maxExportBatchSize: 8 });
    for (let index = 0; index < 8; index++) subject.enqueue(span(`first${index}`));
    await flushed(subject);
    limit = 8;
    exporter.requests.length = 0;
    for (let index = 0; index < 24; index++) subject.enqueue(span(`second${index}`));
    await flushed(subject);
    expect(exporter.requests.map((request) => request.length)).toEqual([4, 4, 4, 4, 8]);
  });
});

async function flushed(subject: ExportQueue) {
  const flush = subject.flush(60_000);
  await vi.runAllTimersAsync();
  return flush;
}
