/**
 * One attempt to pass a request on: a POST of the OTLP body to the downstream, classified the way
 * OTLP/HTTP asks (2xx delivered; 429, 502, 503, 504 and network errors retryable; anything else
 * refused, as the same request would be refused again). The forwarder (forwarder.ts) decides what
 * to do with the outcome: retry on its schedule, or give the request up, counting and logging it.
 */
import type { OtlpContentType } from '../otlp/decoded-trace-request.js';
import { describeError, shownUrl } from './failure-reason.js';
import { RETRYABLE_STATUSES, retryAfterMillisOf } from './retry-schedule.js';

const MEDIA_TYPES: Readonly<Record<OtlpContentType, string>> = { protobuf: 'application/x-protobuf', json: 'application/json' };

export type PostOutcome =
  | { readonly outcome: 'delivered' }
  | { readonly outcome: 'failed'; readonly retryAfterMillis: number | undefined; readonly reason: string }
  /** Why, as a log line says it; `fields` never carry a secret (locations go through shownUrl). */
  | { readonly outcome: 'refused'; readonly message: string; readonly fields: Readonly<Record<string, unknown>> };

export interface PostOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly body: Uint8Array;
  readonly contentType: OtlpContentType;
  /** The attempt's limit, for the answer's status line and headers (and for its body, read behind). */
  readonly timeoutMillis: number;
  /** Aborts the attempt (shutdown, an erasure of the request under way). */
  readonly signal: AbortSignal;
  readonly now: () => number;
}

export async function postOnce(options: PostOptions): Promise<PostOutcome> {
  const { url, headers, body, contentType, timeoutMillis, signal } = options;
  // A controller and a timer of our own: on Node 20 a timeout signal inside AbortSignal.any() can be
  // collected before it fires (nodejs/node#57736), and an attempt to a downstream that never answers
  // then waits forever, stalling the queue behind it.
  const attempt = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    attempt.abort();
  }, timeoutMillis);
  // A slow answer body read behind a 2xx must not keep a stopping process alive.
  timer.unref();
  const stop = () => attempt.abort();
  signal.addEventListener('abort', stop);
  if (signal.aborted) attempt.abort();
  const settle = () => {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  };
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': MEDIA_TYPES[contentType] },
      body,
      signal: attempt.signal,
      // Followed, a 301 or 302 would turn the POST into a GET without its body and count as
      // delivered; a 307 or 308 would send the headers (a key) to another origin.
      redirect: 'manual',
    });
  } catch (error) {
    settle();
    // fetch refuses some ports outright (blocked-ports.ts), on every attempt alike.
    if (error instanceof Error && error.cause instanceof Error && error.cause.message === 'bad port') {
      return { outcome: 'refused', message: "fetch refuses to connect to the forward URL's port (a bad port of the Fetch standard); dropped the request: choose another port", fields: {} };
    }
    return { outcome: 'failed', retryAfterMillis: undefined, reason: timedOut ? `no answer within ${timeoutMillis} ms` : describeError(error) };
  }
  const { status } = response;
  const retryAfter = response.headers.get('retry-after');
  const location = response.headers.get('location');
  // The status decides the outcome. The (small) OTLP answer is read to its end behind it, which lets
  // the connection be reused; one that drags is cut by the same limit, and a 200 whose body is slow
  // still counts as delivered (sending it again would duplicate it).
  void response.arrayBuffer().then(settle, settle);
  if (status >= 200 && status < 300) return { outcome: 'delivered' };
  if (RETRYABLE_STATUSES.has(status)) return { outcome: 'failed', retryAfterMillis: retryAfterMillisOf(retryAfter, options.now()), reason: `HTTP ${status}` };
  if (status >= 300 && status < 400) {
    return {
      outcome: 'refused',
      message: 'downstream answered with a redirect, which forwarding does not follow; dropped the request: set --forward to the URL it redirects to',
      fields: { status, ...(location !== null && URL.canParse(location, url) ? { location: shownUrl(new URL(location, url).href) } : {}) },
    };
  }
  return { outcome: 'refused', message: 'downstream refused a forwarded request; dropped it', fields: { status } };
}
