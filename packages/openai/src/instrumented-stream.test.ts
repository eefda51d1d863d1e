import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { instrumentStream, type ClientStream } from './instrumented-stream.js';
import type { StreamRecorder } from './operation.js';
import { captureDiagErrors, recording } from './test-helpers/recording.js';

/** The shape of openai's Stream: an iterator factory, its AbortController, a client. */
class FakeStream implements ClientStream {
  constructor(
    readonly iterator: () => AsyncIterator<unknown>,
    readonly controller: AbortController,
    readonly client: unknown,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return this.iterator();
  }
}

/** A source that, like openai's, ends quietly when its controller aborts, and notes when it is closed. */
function source(items: unknown[], options: { failAt?: number } = {}): FakeStream & { closed: boolean } {
  const controller = new AbortController();
  const stream = new FakeStream(
    async function* () {
      try {
        for (const [index, item] of items.entries()) {
          if (controller.signal.aborted) return;
          if (index === options.failAt) throw new TypeError('connection reset');
          yield item;
        }
      } finally {
        stream.closed = true;
      }
    },
    controller,
    'original-client',
  ) as FakeStream & { closed: boolean };
  stream.closed = false;
  return stream;
}

function setup(items: unknown[], options: { failAt?: number; recorder?: StreamRecorder } = {}) {
  const record = recording();
  const span = record.inference();
  const added: unknown[] = [];
  const finished = vi.fn();
  const recorder = options.recorder ?? { add: (item: unknown) => void added.push(item), finish: finished };
  const original = source(items, options);
  const stream = instrumentStream(original, 'wrapped-client', span, recorder, () => undefined);
  return { record, stream: stream as FakeStream, original, added, finished };
}

afterEach(() => vi.restoreAllMocks());

describe('instrumentStream', () => {
  it('returns a stream of the client’s own class over the same controller, with the wrapped client', () => {
    const { stream, original } = setup([1]);
    expect(stream).toBeInstanceOf(FakeStream);
    expect(stream).not.toBe(original);
    expect(stream.controller).toBe(original.controller);
    expect(stream.client).toBe('wrapped-client');
  });

  it('passes every item through unchanged and ends the span once as completed', async () => {
    const { record, stream, added, finished } = setup(['a', 'b', 'c']);
    const seen: unknown[] = [];
    for await (const item of stream) seen.push(item);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(added).toEqual(['a', 'b', 'c']);
    expect(finished).toHaveBeenCalledTimes(1);
    expect(record.finished().attributes['facto.stream.outcome']).toBe('completed');
    expect(record.finished().attributes['gen_ai.response.time_to_first_chunk']).toBeTypeOf('number');
  });

  it('records a caller who breaks out as stopped, closing the source', async () => {
    const { record, stream, original } = setup(['a', 'b', 'c']);
    for await (const item of stream) if (item === 'a') break;
    expect(record.finished().attributes['facto.stream.outcome']).toBe('stopped');
    expect(record.finished().status.code).toBe(SpanStatusCode.UNSET);
    expect(original.closed).toBe(true);
  });

  it('records an abort while nobody reads, and does not end again when reading resumes', async () => {
    const { record, stream, finished } = setup(['a', 'b']);
    stream.controller.abort();
    expect(record.finished().attributes).toMatchObject({ 'facto.stream.outcome': 'aborted', 'error.type': 'APIUserAbortError' });
    for await (const _ of stream) throw new Error('an aborted source yields nothing');
    expect(finished).toHaveBeenCalledTimes(1);
  });

  it('records a failure mid-stream with the error, and re-throws that same error', async () => {
    const { record, stream, added } = setup(['a', 'b'], { failAt: 1 });
    const error = await (async () => {
      for await (const _ of stream);
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('connection reset');
    expect(added).toEqual(['a']);
    expect(record.finished().status).toEqual({ code: SpanStatusCode.ERROR, message: 'connection reset' });
    expect(record.finished().attributes).toMatchObject({ 'facto.stream.outcome': 'failed', 'error.type': 'TypeError' });
  });

  it('keeps streaming when the recorder throws', async () => {
    captureDiagErrors();
    const reported: string[] = [];
    const record = recording();
    const span = record.inference();
    const broken: StreamRecorder = {
      add: () => {
        throw new Error('bad chunk');
      },
      finish: () => {
        throw new Error('bad finish');
      },
    };
    const stream = instrumentStream(source(['a', 'b']), undefined, span, broken, (where) => reported.push(where)) as FakeStream;
    const seen: unknown[] = [];
    for await (const item of stream) seen.push(item);
    expect(seen).toEqual(['a', 'b']);
    expect(reported).toEqual(['reading a streamed chunk', 'reading a streamed chunk', 'recording a streamed response']);
    expect(record.finished().attributes['facto.stream.outcome']).toBe('completed');
  });
});
