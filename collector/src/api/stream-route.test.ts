/**
 * GET /v1/stream against a real store: committed events as server-sent events in log order, from the
 * point the client chose, resumable by id, filtered, with incidents on request, catching up from the
 * store however far behind the reader is, and ending when the client leaves or the collector stops.
 */
import { describe, expect, it, vi } from 'vitest';
import type { HttpResponse } from '../http/types.js';
import { ingestSpans, TestAgent, useApiFixture, type ApiFixture } from '../test-helpers/api-fixture.js';
import { streamRoutes, type StreamTiming } from './stream-route.js';
import { StreamWatch } from './stream-watch.js';

let fixture: ApiFixture;
let alice: TestAgent;
let bob: TestAgent;
const T0 = Date.parse('2025-06-01T10:00:00Z');

useApiFixture({ agents: ['alice', 'bob'], now: T0 }, (ready, [first, second]) => {
  fixture = ready;
  alice = first!;
  bob = second!;
});

interface Message {
  readonly id?: string;
  readonly event?: string;
  readonly data?: any;
  readonly comment?: string;
  readonly retry?: string;
}

/** Opens the stream as a client would, and reads its messages one at a time. */
async function open(query = '', headers: Record<string, string> = {}, timing: StreamTiming = { pollMillis: 10, heartbeatMillis: 60_000 }, watch?: StreamWatch) {
  const abort = new AbortController();
  const [route] = streamRoutes(fixture.context, timing, watch);
  const url = new URL(`http://collector/v1/stream${query}`);
  const response = (await route!.handler({ method: 'GET', url, headers, params: {}, body: new Uint8Array(0), remoteAddress: '127.0.0.1', signal: abort.signal })) as HttpResponse;
  const iterator = response.stream![Symbol.asyncIterator]();
  let buffered = '';
  const next = async (): Promise<Message> => {
    while (!buffered.includes('\n\n')) {
      const chunk = await iterator.next();
      if (chunk.done === true) throw new Error('the stream ended');
      buffered += new TextDecoder().decode(chunk.value);
    }
    const block = buffered.slice(0, buffered.indexOf('\n\n'));
    buffered = buffered.slice(block.length + 2);
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) fields.comment = line.slice(1).trim();
      else fields[line.slice(0, line.indexOf(':'))] = line.slice(line.indexOf(':') + 2);
    }
    return { ...fields, data: fields.data === undefined ? undefined : JSON.parse(fields.data) };
  };
  // The first block: the reconnection delay, and the position the stream starts from (an id without an event).
  const first = await next();
  expect(first).toEqual({ retry: '2000', id: expect.stringMatching(/^-?\d+(:\d+)?$/), data: undefined });
  return { response, next, abort, start: first.id, ended: async () => (await iterator.next()).done === true };
}

const seal = (agent: TestAgent, chainId: string, count: number, actionType = 'chat') => Array.from({ length: count }, () => agent.seal(chainId, { actionType }));

describe('GET /v1/stream', () => {
  it('sends events committed from now on, in log order, each with its leaf index as id and its verdict', async () => {
    await ingestSpans(fixture.context, seal(alice, 'a', 2));
    const stream = await open();
    expect(stream.response.headers).toMatchObject({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    // From now: after the two leaves committed before it opened, which a reconnect resumes from.
    expect(stream.start).toBe('1');
    await ingestSpans(fixture.context, seal(alice, 'a', 2));
    const first = await stream.next();
    const second = await stream.next();
    expect([first.id, second.id]).toEqual(['2', '3']);
    expect(first.event).toBe('event');
    expect(first.data).toMatchObject({ leaf_index: 2, agent_id: 'alice', chain_id: 'a', seq: 2, action_type: 'chat', link_status: 'linked', verdict: 'verified' });
    expect(first.data.record.format).toBe('facto.v1');
    // Content stays out of a live feed.
    expect(first.data).not.toHaveProperty('disclosures');
    expect(first.data).not.toHaveProperty('context');
    stream.abort.abort();
    expect(await stream.ended()).toBe(true);
  });

  it('resumes after the Last-Event-ID, or after=, and starts at `since` from the store', async () => {
    await ingestSpans(fixture.context, seal(alice, 'a', 3));
    vi.setSystemTime(T0 + 60_000);
    await ingestSpans(fixture.context, seal(alice, 'a', 2));
    const resumed = await open('', { 'last-event-id': '1' });
    expect([(await resumed.next()).id, (await resumed.next()).id, (await resumed.next()).id]).toEqual(['2', '3', '4']);
    const after = await open('?after=3');
    expect((await after.next()).data.leaf_index).toBe(4);
    const since = await open(`?since=${T0 + 60_000}`);
    expect([(await since.next()).id, (await since.next()).id]).toEqual(['3', '4']);
    for (const stream of [resumed, after, since]) stream.abort.abort();
  });

  it('filters by agent, chain and action type', async () => {
    const stream = await open('?agent_id=alice&chain_id=a&action_type=execute_tool');
    await ingestSpans(fixture.context, [...seal(bob, 'a', 1, 'execute_tool'), ...seal(alice, 'b', 1, 'execute_tool'), ...seal(alice, 'a', 1, 'chat'), ...seal(alice, 'a', 1, 'execute_tool')]);
    const only = await stream.next();
    expect(only.data).toMatchObject({ agent_id: 'alice', chain_id: 'a', action_type: 'execute_tool', leaf_index: 3 });
    stream.abort.abort();
  });

  it('catches a reader far behind up from the store, page after page, without a gap', async () => {
    await ingestSpans(fixture.context, seal(alice, 'long', 450));
    const stream = await open('?after=-1');
    const ids: number[] = [];
    for (let index = 0; index < 450; index++) ids.push(Number((await stream.next()).id));
    expect(ids).toEqual(Array.from({ length: 450 }, (_, index) => index));
    stream.abort.abort();
  });

  it('carries incidents with incidents=true: a refused span is "rejected", and the id holds both positions', async () => {
    const stream = await open('?incidents=true');
    const mallory = new TestAgent('mallory');
    await ingestSpans(fixture.context, [...seal(alice, 'a', 1), ...seal(mallory, 'm', 1)]);
    const event = await stream.next();
    expect(event).toMatchObject({ id: '0:0', event: 'event' });
    const incident = await stream.next();
    expect(incident).toMatchObject({ id: '0:1', event: 'incident', data: { id: 1, kind: 'unknown_key', agent_id: 'mallory', verdict: 'rejected' } });
    stream.abort.abort();

    await ingestSpans(fixture.context, seal(mallory, 'm', 1));
    const resumed = await open('?incidents=true', { 'last-event-id': '0:1' });
    expect(await resumed.next()).toMatchObject({ id: '0:2', event: 'incident', data: { id: 2 } });
    resumed.abort.abort();
  });

  it('polls the store once per interval for all caught-up clients, however many wait', async () => {
    const timing = { pollMillis: 5, heartbeatMillis: 60_000 };
    const watch = new StreamWatch(fixture.context, timing.pollMillis);
    const streams = await Promise.all(Array.from({ length: 20 }, (_, index) => open(index % 2 === 0 ? '' : '?incidents=true', {}, timing, watch)));
    const pending = streams.map((stream) => stream.next());
    while (watch.waiting < 20) await new Promise((resolve) => setTimeout(resolve, 1));
    const treeSize = vi.spyOn(fixture.context.store, 'treeSize');
    const listIncidents = vi.spyOn(fixture.context.store, 'listIncidents');
    const readsBefore = watch.reads;
    while (watch.reads < readsBefore + 5) await new Promise((resolve) => setTimeout(resolve, 1));
    const ticks = watch.reads - readsBefore;
    expect(treeSize.mock.calls.length).toBeLessThanOrEqual(ticks + 1);
    expect(listIncidents.mock.calls.length).toBeLessThanOrEqual(ticks + 1);
    await ingestSpans(fixture.context, seal(alice, 'a', 1));
    for (const message of await Promise.all(pending)) expect(message).toMatchObject({ id: expect.stringMatching(/^0(:0)?$/), event: 'event' });
    for (const stream of streams) stream.abort.abort();
    for (const stream of streams) expect(await stream.ended()).toBe(true);
    expect(watch.waiting).toBe(0);
  });

  it('says it is alive when idle, and ends when the collector shuts down', async () => {
    const stream = await open('', {}, { pollMillis: 5, heartbeatMillis: 1_000 });
    vi.setSystemTime(T0 + 5_000);
    expect(await stream.next()).toEqual({ comment: 'keep-alive', data: undefined });
    fixture.context.ready = false;
    expect(await stream.ended()).toBe(true);
  });

  it.each([
    ['?after=abc', {}, /after must be a leaf index/],
    ['', { 'last-event-id': '4:x' }, /Last-Event-ID must be a leaf index/],
    ['?incidents=yes', {}, /incidents must be true or false/],
    ['?until=1000', {}, /unknown query parameter "until"/],
  ])('answers 400 for %s %j', async (query, headers, message) => {
    const response = await fixture.call('GET', `/v1/stream${query}`, { headers });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(message);
  });
});
