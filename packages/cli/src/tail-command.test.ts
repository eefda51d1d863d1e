/**
 * `facto tail`'s silence timer, on a fake clock: a collector that sends nothing, not even a
 * keep-alive, for 45 s is taken for gone and the stream is opened again after the last line printed;
 * time spent waiting for a slow reader of tail's own output is not the collector's silence. A
 * node:http server stands in for the collector's event stream and says only what a test tells it to;
 * only setTimeout is faked, so the sockets run as usual and the clock moves only when a test moves it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { tailCommand } from './tail-command.js';

const SILENCE_MILLIS = 45_000;
// Taken before the clock is faked, only to stop waiting for output that will never come, so a broken
// tail fails on what it printed rather than on a test timeout.
const realSetTimeout = globalThis.setTimeout;
const GIVE_UP_MILLIS = 5_000;

let server: http.Server;
let url: string;
/** Each stream tail opened: the Last-Event-ID it sent, and the answer the test writes messages to. */
let streams: { lastEventId: string | undefined; response: http.ServerResponse }[];
const stopTails = new Set<() => void>();

const event = (leaf: number) =>
  `id: ${leaf}\nevent: event\ndata: ${JSON.stringify({
    facto_id: `ft-00000000-0000-4000-8000-00000000000${leaf}`,
    leaf_index: leaf,
    agent_id: 'support-bot',
    chain_id: 'session-1',
    seq: leaf,
    name: 'chat gpt-4o',
    action_type: 'chat',
    received_at: '2026-11-30T12:00:00.000Z',
    verdict: 'verified',
    record: { attributes: {} },
  })}\n\n`;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
    streams.push({ lastEventId: request.headers['last-event-id'] as string | undefined, response });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  streams = [];
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  for (const stop of stopTails) stop();
  stopTails.clear();
  vi.useRealTimers();
  server.closeAllConnections();
});

/** Runs `facto tail` in-process; `reader` stands for the reader of its stdout, which has taken what was written when it resolves. */
function startTail(args: readonly string[], reader: () => Promise<void> = () => Promise.resolve()) {
  const stop = new AbortController();
  stopTails.add(() => stop.abort());
  const output = { stdout: '', stderr: '' };
  const waiting = new Set<() => void>();
  const changed = () => {
    for (const check of waiting) check();
  };
  const io: CliIo = {
    stdout: {
      write: (text: string) => ((output.stdout += text), changed()),
      whenWritable: () => {
        const taken = reader();
        changed();
        return taken;
      },
    },
    stderr: { write: (text: string) => ((output.stderr += text), changed()) },
    env: {},
    signal: stop.signal,
  };
  let done = false;
  const exited = tailCommand.run(['--endpoint', url, ...args], io).finally(() => {
    done = true;
    changed();
  });
  return {
    output,
    exited,
    lines: () => output.stdout.split('\n').filter(Boolean),
    stop: () => stop.abort(),
    /**
     * Resolves once `condition` holds (checked on every write and every wait for the reader, not on
     * the fake clock), once tail has stopped, or after 5 s of real time if neither happens.
     */
    until: (condition: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!condition() && !done) return;
          waiting.delete(check);
          resolve();
        };
        waiting.add(check);
        realSetTimeout(() => waiting.delete(check) && resolve(), GIVE_UP_MILLIS);
        check();
      }),
  };
}

describe('facto tail, when the collector goes quiet', () => {
  it('takes 45 s without a word from the collector for a lost connection, and continues after the last line printed', async () => {
    const tail = startTail([]);
    await tail.until(() => streams.length === 1);
    streams[0]!.response.write(event(0));
    await tail.until(() => tail.lines().length === 1);
    await vi.advanceTimersByTimeAsync(SILENCE_MILLIS - 1);
    expect(tail.output.stderr).not.toContain('connection lost');
    await vi.advanceTimersByTimeAsync(1);
    await tail.until(() => tail.output.stderr.includes('connection lost'));
    expect(tail.output.stderr).toContain('facto tail: connection lost (no word from the collector for 45 s); reconnecting after 0\n');
    // The first retry is half a second later, asking for what follows leaf 0.
    await vi.advanceTimersByTimeAsync(500);
    await tail.until(() => tail.output.stderr.includes('reconnected'));
    expect(streams.map((stream) => stream.lastEventId)).toEqual([undefined, '0']);
    tail.stop();
    expect(await tail.exited).toBe(0);
  });

  it('resumes from where the collector started the stream when the connection is lost before any line was printed', async () => {
    const tail = startTail(['--agent', 'quiet-bot']);
    await tail.until(() => streams.length === 1);
    // The collector says where "from now" is (an id without an event), then the connection drops.
    streams[0]!.response.write('retry: 2000\nid: 41:7\n\n');
    await vi.advanceTimersByTimeAsync(0);
    streams[0]!.response.destroy();
    await tail.until(() => tail.output.stderr.includes('connection lost'));
    expect(tail.output.stderr).toContain('reconnecting after 41:7\n');
    await vi.advanceTimersByTimeAsync(500);
    await tail.until(() => streams.length === 2);
    // Before, it asked "from now" again, and what was committed while it was away was skipped.
    expect(streams.map((stream) => stream.lastEventId)).toEqual([undefined, '41:7']);
    expect(tail.lines()).toEqual([]);
    tail.stop();
    expect(await tail.exited).toBe(0);
  });

  it("does not count the time its own reader takes (facto tail | less) as the collector's silence", async () => {
    let readerTookIt = () => {};
    let readerCalls = 0;
    // The reader takes the first line ten silence limits late; the rest at once.
    const reader = () => (++readerCalls === 1 ? new Promise<void>((resolve) => (readerTookIt = resolve)) : Promise.resolve());
    const tail = startTail(['-n', '2'], reader);
    await tail.until(() => streams.length === 1);
    streams[0]!.response.write(event(0));
    await tail.until(() => readerCalls === 1);
    await vi.advanceTimersByTimeAsync(10 * SILENCE_MILLIS);
    readerTookIt();
    // The collector speaks again once the reader is back, within the silence limit.
    streams[0]!.response.write(event(1));
    await tail.until(() => tail.lines().length === 2 || tail.output.stderr.includes('connection lost'));
    expect(tail.output.stderr).not.toContain('connection lost');
    expect(tail.lines()).toHaveLength(2);
    expect(streams).toHaveLength(1);
    expect(await tail.exited).toBe(0);
  });
});
