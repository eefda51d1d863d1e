/**
 * A local stand-in for the OpenAI API that speaks its wire format to the real `openai` client: JSON
 * responses, server-sent event streams (`data: {...}` records, `event:` names for the Responses API,
 * the `data: [DONE]` end marker of Chat Completions), and error responses with OpenAI's error JSON.
 * A test queues the replies in the order the client will ask; each request is recorded with its
 * parsed body. A `hang` stream sends its first events and then holds the connection open until the
 * client goes away, which is how a slow stream aborted midway looks from the server; a `cut` stream
 * sends its first events and then drops the connection. Binds
 * 127.0.0.1 on an ephemeral port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export type FakeReply =
  | { readonly json: unknown; readonly status?: number }
  | { readonly sse: readonly unknown[]; readonly named?: boolean; readonly done?: boolean; readonly hang?: boolean; readonly cut?: boolean }
  | { readonly error: { readonly status: number; readonly message: string; readonly type: string; readonly code?: string | null } };

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly body: any;
}

export interface FakeOpenAI {
  /** The base URL to give the client: `http://127.0.0.1:<port>/v1`. */
  readonly url: string;
  readonly requests: FakeRequest[];
  /** Queues replies, answered in order. A request with nothing queued gets a 500. */
  reply(...replies: FakeReply[]): void;
  /** Drops replies a previous test queued but never asked for. */
  reset(): void;
  /** Resolves once the client has closed a `hang` stream. */
  hungUp(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: FakeReply[] = [];
  const requests: FakeRequest[] = [];
  let notifyHangUp: () => void = () => undefined;
  let hangUp = new Promise<void>((resolve) => (notifyHangUp = resolve));

  const answer = (reply: FakeReply, request: IncomingMessage, response: ServerResponse) => {
    if ('json' in reply) {
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'x-request-id': `req_${requests.length}` });
      response.end(JSON.stringify(reply.json));
      return;
    }
    if ('error' in reply) {
      const { status, message, type, code = null } = reply.error;
      response.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${requests.length}` });
      response.end(JSON.stringify({ error: { message, type, param: null, code } }));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_${requests.length}` });
    for (const event of reply.sse) {
      const name = reply.named ? `event: ${(event as { type: string }).type}\n` : '';
      response.write(`${name}data: ${JSON.stringify(event)}\n\n`);
    }
    if (reply.hang) {
      request.socket.once('close', () => notifyHangUp());
      return;
    }
    if (reply.cut) {
      // The connection drops mid-stream, as a proxy or a crashed upstream leaves it: closed once what was written has left.
      response.write('', () => request.socket.destroy());
      return;
    }
    if (reply.done ?? true) response.write('data: [DONE]\n\n');
    response.end();
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: request.method ?? '', path: request.url ?? '', body: text ? JSON.parse(text) : undefined });
      const reply = queue.shift();
      if (!reply) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `fake-openai: no reply queued for ${request.method} ${request.url}`, type: 'server_error', param: null, code: null } }));
        return;
      }
      answer(reply, request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    reply: (...replies) => queue.push(...replies),
    reset: () => queue.splice(0),
    async hungUp() {
      await hangUp;
      hangUp = new Promise<void>((resolve) => (notifyHangUp = resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fake server for a whole test file: started before its tests, reset before each, closed after. */
export function useFakeOpenAI(): { readonly fake: FakeOpenAI } {
  let fake: FakeOpenAI | undefined;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  beforeEach(() => fake?.reset());
  afterAll(async () => {
    await fake?.close();
  });
  return {
    get fake() {
      if (fake === undefined) throw new Error('the fake server starts in beforeAll: read it inside a test or hook');
      return fake;
    },
  };
}
