/**
 * A local OTLP/HTTP endpoint for tests: records every request body (gunzipped), answers with a
 * status the test chooses per request, and can hold requests to simulate a slow collector. Binds
 * 127.0.0.1 on an ephemeral port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequest } from '../../collector/src/otlp/decode-trace-request.js';
import type { SpanFields } from '@facto/core';

export interface SinkReply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** The answer's body (default '{}' for a 200, an error object otherwise). */
  readonly body?: string | Uint8Array;
}

export interface OtlpSink {
  readonly url: string;
  readonly requests: { readonly contentType: string; readonly body: Uint8Array; readonly status: number; readonly headers: IncomingMessage['headers'] }[];
  /** Decide the reply for the n-th request (0-based). Default: 200. */
  reply: (index: number) => SinkReply;
  /** While set, requests wait until release() is called. */
  hold(): void;
  release(): void;
  /** Requests waiting for release(). */
  heldCount(): number;
  /** Every span of every request answered 200, decoded with the collector's OTLP decoder. */
  acceptedSpans(): SpanFields[];
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const requests: OtlpSink['requests'] = [];
  let held: (() => void)[] | undefined;
  const sink = {
    requests,
    reply: (_index: number): SinkReply => ({ status: 200 }),
    hold() {
      held ??= [];
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const resume of waiting) resume();
    },
    heldCount: () => held?.length ?? 0,
    acceptedSpans(): SpanFields[] {
      return requests
        .filter((request) => request.status === 200)
        .flatMap((request) => {
          const decoded = decodeTraceRequest(request.body, request.contentType.includes('json') ? 'json' : 'protobuf');
          return decoded.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => [...scope.spans]));
        });
    },
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const respond = () => {
        let body: Uint8Array = Buffer.concat(chunks);
        if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const reply = sink.reply(requests.length);
        requests.push({ contentType: String(request.headers['content-type'] ?? ''), body, status: reply.status, headers: request.headers });
        response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        response.end(reply.body ?? (reply.status === 200 ? '{}' : '{"error":"unavailable"}'));
      };
      if (held) held.push(respond);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(sink, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        sink.release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
