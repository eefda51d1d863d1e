import type { StreamOutcome } from '@facto/genai';
import { describe, expect, it } from 'vitest';
import { observeStream } from './observed-stream.js';

function watcher() {
  const seen: unknown[] = [];
  const ends: { outcome: StreamOutcome; error?: unknown }[] = [];
  return { seen, ends, part: (part: unknown) => void seen.push(part), end: (outcome: StreamOutcome, error?: unknown) => void ends.push({ outcome, error }) };
}

function source(parts: readonly unknown[]): ReadableStream<unknown> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}

async function readAll(stream: ReadableStream<unknown>): Promise<unknown[]> {
  const parts: unknown[] = [];
  for await (const part of stream as unknown as AsyncIterable<unknown>) parts.push(part);
  return parts;
}

describe('observeStream', () => {
  it('hears the end once, as completed, after the watcher saw every part', async () => {
    const watching = watcher();
    expect(await readAll(observeStream(source(['a', 'b']), watching))).toEqual(['a', 'b']);
    expect(watching.seen).toEqual(['a', 'b']);
    expect(watching.ends).toEqual([{ outcome: 'completed', error: undefined }]);
  });

  it('hears an abort when it happens, even while nobody reads, and still passes later parts on unwatched', async () => {
    const watching = watcher();
    const abort = new AbortController();
    const stream = observeStream(source(['a', 'b']), watching, abort.signal);
    abort.abort();
    expect(watching.ends.map((end) => end.outcome)).toEqual(['aborted']);
    expect(await readAll(stream)).toEqual(['a', 'b']);
    expect(watching.seen).toEqual([]);
    expect(watching.ends).toHaveLength(1);
  });

  it('takes a signal aborted before the stream began as aborted', () => {
    const watching = watcher();
    observeStream(source([]), watching, AbortSignal.abort());
    expect(watching.ends.map((end) => end.outcome)).toEqual(['aborted']);
  });

  it('passes the reader’s cancel on to the source, with its reason', async () => {
    const watching = watcher();
    let cancelled: unknown;
    const stream = observeStream(new ReadableStream({ pull: (controller) => controller.enqueue('x'), cancel: (reason) => void (cancelled = reason) }), watching);
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel('enough');
    expect(cancelled).toBe('enough');
    expect(watching.ends.map((end) => end.outcome)).toEqual(['stopped']);
  });
});
