import type http from 'node:http';
import zlib from 'node:zlib';
import type { Counter } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Forwarder } from '../context.js';
import type { IngestOutcome } from '../ingest/ingest-service.js';
import type { DecodedTraceRequest } from '../otlp/decoded-trace-request.js';
import { decodeFailureStatus } from '../otlp/encode-status.js';
import { exportTraceServiceResponseType } from '../otlp/proto-schema.js';
import { StoreUnavailableError } from '../store/errors.js';
import { closeServer, fakeContext, listen, parseRawAnswer, stallingClient, traceRequest, type FakeContextOptions } from '../test-helpers/http-test-context.js';
import { ingestRoutes } from './ingest-route.js';
import { createHttpServer } from './server.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

/** An outcome that rejects the spans named in `rejected` ("resource/scope/index", for a bad signature) and forwards the rest. */
function outcomeFor(request: DecodedTraceRequest, rejected: readonly string[] = [], errorMessage = ''): IngestOutcome {
  const forward = request.resourceSpans.map((resource, r) => resource.scopeSpans.map((scope, s) => scope.spans.map((_, i) => !rejected.includes(`${r}/${s}/${i}`))));
  const total = forward.flat(2).length;
  const rejectedByReason = rejected.length === 0 ? {} : { bad_signature: rejected.length };
  return { received: total, accepted: total - rejected.length, duplicates: 0, rejected: rejected.length, unverified: 0, rejectedByReason, errorMessage, forward, forwarding: 'none' };
}

async function start(options: FakeContextOptions) {
  const context = fakeContext(options);
  const server = createHttpServer({ routes: ingestRoutes(context), context });
  servers.push(server);
  return { url: `${await listen(server)}/v1/traces`, context };
}

/** The google.rpc.Status of a failure, read in the encoding the answer names; and that encoding. */
async function failureOf(response: Response): Promise<{ mediaType: string | null; code: number; message: string }> {
  const mediaType = response.headers.get('content-type');
  const body = new Uint8Array(await response.arrayBuffer());
  const status = mediaType === 'application/x-protobuf' ? decodeFailureStatus(body) : (JSON.parse(Buffer.from(body).toString('utf8')) as { code: number; message: string });
  return { mediaType, ...status };
}

const decodeProtobufResponse = async (response: Response) =>
  exportTraceServiceResponseType.toObject(exportTraceServiceResponseType.decode(new Uint8Array(await response.arrayBuffer())), { longs: String });

const request = traceRequest([[2, 1], [1]]);

/** A counter's values by one label (under '' for an unlabelled counter, which starts at 0). */
async function valuesOf(metric: Counter, label = ''): Promise<Record<string, number>> {
  return Object.fromEntries((await metric.get()).values.map((value) => [value.labels[label] ?? '', value.value]));
}

describe('POST /v1/traces', () => {
  it('answers protobuf with protobuf, partial_success naming the rejected spans', async () => {
    const ingest = vi.fn(async (decoded: DecodedTraceRequest) => outcomeFor(decoded, ['0/0/1'], '1 rejected: bad_signature'));
    const { url } = await start({ ingest });
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: request.protobuf });
    expect([response.status, response.headers.get('content-type')]).toEqual([200, 'application/x-protobuf']);
    expect(await decodeProtobufResponse(response)).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: '1 rejected: bad_signature' } });
    expect(ingest.mock.calls[0]![0].resourceSpans.map((resource) => resource.scopeSpans.map((scope) => scope.spans.length))).toEqual([[2, 1], [1]]);
  });

  it('answers JSON with JSON, and a full success with the empty message', async () => {
    const { url } = await start({ ingest: async (decoded) => outcomeFor(decoded, ['1/0/0'], '1 rejected: unsigned span') });
    const partial = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: request.json });
    expect([partial.status, partial.headers.get('content-type')]).toEqual([200, 'application/json']);
    expect(await partial.json()).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: '1 rejected: unsigned span' } });

    const { url: fullUrl } = await start({ ingest: async (decoded) => outcomeFor(decoded) });
    expect(await (await fetch(fullUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.json })).json()).toEqual({});
    const full = await fetch(fullUrl, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: request.protobuf });
    expect((await full.arrayBuffer()).byteLength).toBe(0);
  });

  it('reads gzip-compressed bodies', async () => {
    const { url } = await start({ ingest: async (decoded) => outcomeFor(decoded) });
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, body: zlib.gzipSync(request.protobuf) });
    expect(response.status).toBe(200);
  });

  it('answers 415 to other content types, naming the accepted ones', async () => {
    const ingest = vi.fn();
    const { url } = await start({ ingest });
    const headerSets: [Record<string, string>, string][] = [
      [{ 'content-type': 'text/plain' }, 'unsupported Content-Type "text/plain"'],
      [{ 'content-type': 'application/protobuf' }, 'unsupported Content-Type "application/protobuf"'],
      [{}, 'the request has no Content-Type'],
    ];
    for (const [headers, why] of headerSets) {
      const response = await fetch(url, { method: 'POST', headers, body: new Uint8Array(request.protobuf) });
      expect(response.status).toBe(415);
      expect(await failureOf(response)).toEqual({ mediaType: 'application/json', code: 3, message: `${why}; send application/x-protobuf or application/json` });
    }
    expect(ingest).not.toHaveBeenCalled();
  });

  it('answers 400 with the decoder reason to malformed bodies, and stores nothing', async () => {
    const ingest = vi.fn();
    const { url } = await start({ ingest });
    const protobuf = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: request.protobuf.subarray(0, 40) });
    // OTLP/HTTP: a failure carries a google.rpc.Status in the request's encoding.
    expect(protobuf.status).toBe(400);
    expect(await failureOf(protobuf)).toEqual({ mediaType: 'application/x-protobuf', code: 3, message: expect.stringMatching(/^malformed protobuf body/) });
    const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans": [' });
    expect(json.status).toBe(400);
    expect(await failureOf(json)).toEqual({ mediaType: 'application/json', code: 3, message: expect.stringMatching(/^body is not valid JSON/) });
    const badField = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}' });
    expect((await failureOf(badField)).message).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId: /);
    expect(ingest).not.toHaveBeenCalled();
  });

  it('writes every failure the same way, whoever finds it: the token check, the body limit, the ingest slots, the store', async () => {
    const protobufHeaders = { 'content-type': 'application/x-protobuf' };
    const guarded = await start({ config: { ingestToken: 'secret-token' }, ingest: async (decoded) => outcomeFor(decoded) });
    const unauthorized = await fetch(guarded.url, { method: 'POST', headers: protobufHeaders, body: request.protobuf });
    expect([unauthorized.status, unauthorized.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    expect(await failureOf(unauthorized)).toEqual({ mediaType: 'application/x-protobuf', code: 16, message: 'missing bearer token' });

    const small = await start({ config: { maxBodyBytes: 16 }, ingest: async (decoded) => outcomeFor(decoded) });
    const tooLarge = await fetch(small.url, { method: 'POST', headers: protobufHeaders, body: request.protobuf });
    expect(tooLarge.status).toBe(413);
    expect(await failureOf(tooLarge)).toMatchObject({ mediaType: 'application/x-protobuf', code: 3 });

    const busy = await start({ config: { maxConcurrentIngest: 0 }, ingest: async (decoded) => outcomeFor(decoded) });
    const refused = await fetch(busy.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.json });
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, '1']);
    expect(await failureOf(refused)).toEqual({ mediaType: 'application/json', code: 14, message: 'too many ingest requests in flight; retry later' });

    const down = await start({ ingest: async () => Promise.reject(new StoreUnavailableError('PostgreSQL at /var/lib/secret is unreachable')) });
    const unavailable = await fetch(down.url, { method: 'POST', headers: protobufHeaders, body: request.protobuf });
    expect([unavailable.status, unavailable.headers.get('retry-after')]).toEqual([503, '5']);
    expect(await failureOf(unavailable)).toEqual({ mediaType: 'application/x-protobuf', code: 14, message: 'storage is temporarily unavailable; retry later' });
  });

  it('answers a body slower than --read-timeout with 408 and a Status in its encoding, counts it, and closes the connection', async () => {
    const ingest = vi.fn(async (decoded: DecodedTraceRequest) => outcomeFor(decoded));
    const { url, context } = await start({ config: { readTimeout: 1 }, ingest });
    const { pathname } = new URL(url);
    const slow = await Promise.all(['application/x-protobuf', 'application/json'].map((contentType) => stallingClient(url, pathname, 'x', 1000, { 'content-type': contentType })));
    // The client sent nothing after its first byte of body, so the answer is the whole of what it read, then the close.
    const [protobuf, json] = (await Promise.all(slow.map((client) => client.ended))).map(parseRawAnswer);
    const message = 'the request body did not arrive within 1 s of its headers';
    expect(protobuf).toMatchObject({ statusLine: 'HTTP/1.1 408 Request Timeout', headers: { 'content-type': 'application/x-protobuf', connection: 'close' } });
    expect(decodeFailureStatus(protobuf!.body)).toEqual({ code: 4, message });
    expect(json).toMatchObject({ statusLine: 'HTTP/1.1 408 Request Timeout', headers: { 'content-type': 'application/json', connection: 'close' } });
    expect(JSON.parse(Buffer.from(json!.body).toString('utf8'))).toEqual({ code: 4, message });
    expect(await valuesOf(context.metrics.requests, 'status')).toEqual({ '408': 2 });
    expect(ingest).not.toHaveBeenCalled();
  });

  it('takes an empty body as a request without spans', async () => {
    const ingest = vi.fn();
    const { url } = await start({ ingest });
    const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect([json.status, await json.json()]).toEqual([200, {}]);
    const protobuf = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' } });
    expect([protobuf.status, (await protobuf.arrayBuffer()).byteLength]).toEqual([200, 0]);
    expect(ingest).not.toHaveBeenCalled();
  });

  it('answers 503 with Retry-After when the store is down, says so once, and says when it works again', async () => {
    let down = true;
    const { url, context } = await start({ ingest: async (decoded) => (down ? Promise.reject(new StoreUnavailableError('disk full')) : outcomeFor(decoded)) });
    const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: request.protobuf });
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await post();
      expect([response.status, response.headers.get('retry-after')]).toEqual([503, '5']);
    }
    down = false;
    expect((await post()).status).toBe(200);
    const said = context.logEntries.filter((entry) => entry.level !== 'debug');
    expect(said.map((entry) => [entry.message, entry.fields.error ?? entry.fields.refused])).toEqual([
      ['store unavailable; answering 503 until it works again', 'disk full'],
      ['store available again', 5],
    ]);
  });

  it('counts spans by encoding and requests by status', async () => {
    const { url, context } = await start({ ingest: async (decoded) => outcomeFor(decoded) });
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: request.protobuf });
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.json });
    await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(await valuesOf(context.metrics.spansReceived, 'encoding')).toEqual({ protobuf: 4, json: 4 });
    expect(await valuesOf(context.metrics.requests, 'status')).toEqual({ '200': 2, '415': 1 });
  });

  it('counts what the answer says of the spans, by rejection reason, once it answers 200', async () => {
    const ingest = async (decoded: DecodedTraceRequest) => ({ ...outcomeFor(decoded, ['0/0/0']), accepted: 1, duplicates: 1, unverified: 1 });
    const { url, context } = await start({ config: { unsigned: 'store' }, ingest });
    expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.json })).status).toBe(200);
    expect(await valuesOf(context.metrics.spansRejected, 'reason')).toEqual({ bad_signature: 1 });
    expect([await valuesOf(context.metrics.spansDuplicate), await valuesOf(context.metrics.spansUnverified)]).toEqual([{ '': 1 }, { '': 1 }]);
  });
});

describe('forwarding from POST /v1/traces', () => {
  // The ingest service queues a request's downstream copy in the batch that commits its spans
  // (ingest-service.test.ts); the route only refuses spans kept nowhere but that queue when it could
  // not take them. Any forwarder will do here: the route does not call it.
  const forwarder = {} as Forwarder;

  it('refuses spans kept nowhere but downstream when there is no forwarder, and still takes signed ones', async () => {
    const forwardOnly = async (decoded: DecodedTraceRequest) => ({ ...outcomeFor(decoded), accepted: 3, unverified: 1 });
    const { url, context } = await start({ config: { unsigned: 'forward' }, ingest: forwardOnly });
    const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: request.protobuf });
    expect(refused.status).toBe(500);
    expect(await failureOf(refused)).toEqual({ mediaType: 'application/x-protobuf', code: 13, message: 'the unsigned spans in this request could not be passed on downstream, so they were not accepted' });
    expect(context.logEntries.some((entry) => entry.level === 'error')).toBe(true);

    const { url: signedOnly } = await start({ config: { unsigned: 'forward' }, ingest: async (decoded) => outcomeFor(decoded) });
    expect((await fetch(signedOnly, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.json })).status).toBe(200);
  });

  it('acknowledges forward-only spans the queue took', async () => {
    const { url } = await start({ config: { unsigned: 'forward' }, ingest: async (decoded) => ({ ...outcomeFor(decoded), unverified: 1, forwarding: 'queued' as const }), forwarder });
    expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.json })).status).toBe(200);
  });

  describe('when the forward queue is full', () => {
    const refused = (outcome: IngestOutcome): IngestOutcome => ({ ...outcome, forwarding: 'refused' });

    it('answers 503 + Retry-After to a request with spans kept nowhere else, so the exporter sends it again', async () => {
      const { url, context } = await start({ config: { unsigned: 'forward' }, ingest: async (decoded) => refused({ ...outcomeFor(decoded), accepted: 3, unverified: 1 }), forwarder });
      for (const [mediaType, body] of [['application/x-protobuf', request.protobuf], ['application/json', request.json]] as const) {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': mediaType }, body });
        expect([response.status, response.headers.get('retry-after')]).toEqual([503, '5']);
        expect(await failureOf(response)).toEqual({ mediaType, code: 14, message: "the collector cannot pass on this request's unsigned spans right now; retry later" });
      }
      expect(context.logEntries.filter((entry) => entry.level === 'error')).toEqual([]);
      // Not acknowledged, so not counted: the retry will be.
      expect([await valuesOf(context.metrics.spansReceived, 'encoding'), await valuesOf(context.metrics.spansUnverified)]).toEqual([{}, { '': 0 }]);
    });

    it('still answers 200 to spans the log holds, under any policy', async () => {
      for (const unsigned of ['forward', 'store', 'reject'] as const) {
        // Under store, unverified spans are kept in the store: their downstream copy is best effort too.
        const { url, context } = await start({ config: { unsigned }, ingest: async (decoded) => refused({ ...outcomeFor(decoded), unverified: unsigned === 'store' ? 1 : 0 }), forwarder });
        expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.json })).status).toBe(200);
        expect(context.logEntries.filter((entry) => entry.level === 'error')).toEqual([]);
      }
    });
  });
});
