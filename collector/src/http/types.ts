/**
 * The collector's HTTP seam: a handler gets the parsed request and returns a response value; the
 * server (http/server.ts) does the socket work (bodies, gzip, limits, errors). Keeping handlers free
 * of node:http makes them easy to test and to reuse behind another server.
 */
import { FactoError } from '@facto/core';
export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Path parameters from the route pattern, decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The body, decompressed, within the size limit (empty for GET). */
  readonly body: Uint8Array;
  readonly remoteAddress: string;
  /**
   * Aborted when the client goes away before the answer is complete. A handler whose response is a
   * stream ends it on abort; optional, since tests and other adapters may have no connection.
   */
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** An object is sent as JSON; a string as text/plain unless a content-type header says otherwise. */
  readonly body?: unknown;
  /**
   * A body produced while it is sent (server-sent events, a large export), instead of `body`. The
   * server pulls the next chunk only once the socket has taken the previous ones, so a slow reader
   * holds the producer back rather than making the collector buffer. Headers go out before the
   * first chunk: a failure midway can only cut the connection, so a handler checks what it can first.
   */
  readonly stream?: AsyncIterable<Uint8Array>;
}

export type Handler = (request: HttpRequest) => Promise<HttpResponse> | HttpResponse;

export type Access = 'ingest' | 'query' | 'admin' | 'public';

/** A failure as the client is told it: the status, a sentence about the request, extra headers. */
export interface Failure {
  readonly status: number;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  /** A path with `{name}` segments, e.g. /v1/events/{facto_id}. */
  readonly path: string;
  readonly access: Access;
  readonly handler: Handler;
  /** Answers with a stream: counted against --max-streams (only routes that say so are), refused at the limit before the handler runs. */
  readonly streams?: true;
  /**
   * How this route's failures are written, when not as `{"error": message}` JSON (OTLP ingest answers
   * with a google.rpc.Status in the request's encoding). Given the request's headers.
   */
  readonly failureBody?: (failure: Failure, headers: Readonly<Record<string, string | undefined>>) => HttpResponse;
}

const httpErrorMarker = Symbol.for('facto.http.error');

/**
 * Thrown by handlers for a client error; the server turns it into the status with a JSON reason. Its
 * message is written for the client: it says what was wrong with the request, never what is inside
 * the collector.
 */
export class HttpError extends FactoError {
  readonly [httpErrorMarker] = true;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super('invalid_argument', message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }

  static override isInstance(error: unknown): error is HttpError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[httpErrorMarker] === true;
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, body, headers: { 'content-type': 'application/json', ...headers } };
}
