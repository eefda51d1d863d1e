/**
 * How the forwarder words a failure for its log: what went wrong underneath fetch's bare "fetch
 * failed" (the error's cause: ECONNREFUSED, ENOTFOUND, a reset socket), and URLs never with their
 * user:password, whichever message carries them.
 */

/** `text` with the user:password@ of every URL in it replaced by ***@. */
export function withoutUserinfo(text: string): string {
  return text.replace(/\/\/[^/?#\s]*@/g, '//***@');
}

/**
 * The forward URL as logs show it: without user:password@ and with each query value as ***, since a
 * receiver's token often travels there (?api_key=...). The keys stay, so the URL is still recognisable.
 */
export function shownUrl(text: string): string {
  if (!URL.canParse(text)) return withoutUserinfo(text);
  const url = new URL(text);
  const query = [...url.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=***`).join('&');
  url.search = '';
  url.hash = '';
  return `${withoutUserinfo(url.href)}${query === '' ? '' : `?${query}`}`;
}

/** An error thrown by fetch, with its cause's code and message when it has one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return withoutUserinfo(String(error));
  const cause = error.cause instanceof Error ? causeText(error.cause) : '';
  return withoutUserinfo(cause === '' || cause === error.message ? error.message : `${error.message}: ${cause}`);
}

function causeText(cause: Error): string {
  const code = (cause as NodeJS.ErrnoException).code;
  // A connection to several addresses fails as one AggregateError, often with an empty message.
  const message = cause.message || (cause instanceof AggregateError ? cause.errors.map((inner) => (inner instanceof Error ? inner.message : String(inner))).join('; ') : '');
  if (typeof code !== 'string' || message.includes(code)) return message;
  return message === '' ? code : `${code} ${message}`;
}
