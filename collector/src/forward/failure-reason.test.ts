import { describe, expect, it } from 'vitest';
import { describeError, shownUrl, withoutUserinfo } from './failure-reason.js';

describe('withoutUserinfo', () => {
  it('hides the user:password of every URL in a message, and leaves other text alone', () => {
    expect(withoutUserinfo('Request cannot be constructed from a URL that includes credentials: http://alice:hunter2@otelcol:4318/v1/traces')).toBe(
      'Request cannot be constructed from a URL that includes credentials: http://***@otelcol:4318/v1/traces',
    );
    expect(withoutUserinfo('from https://a:b@one/x to https://c@two/y?mail=d@e')).toBe('from https://***@one/x to https://***@two/y?mail=d@e');
    expect(withoutUserinfo('connect ECONNREFUSED 127.0.0.1:4318')).toBe('connect ECONNREFUSED 127.0.0.1:4318');
  });
});

describe('shownUrl', () => {
  it('hides query values (a token often travels there) and userinfo, keeping the rest', () => {
    expect(shownUrl('https://otel.example:4318/v1/traces?api_key=SUPERSECRET123&tenant=acme#frag')).toBe('https://otel.example:4318/v1/traces?api_key=***&tenant=***');
    expect(shownUrl('http://alice:hunter2@otelcol:4318/v1/traces?k=v')).toBe('http://***@otelcol:4318/v1/traces?k=***');
    expect(shownUrl('http://127.0.0.1:4318/v1/traces')).toBe('http://127.0.0.1:4318/v1/traces');
    expect(shownUrl('not a url, user:pw@host')).toBe('not a url, user:pw@host');
  });
});

describe('describeError', () => {
  const errno = (message: string, code: string) => Object.assign(new Error(message), { code });

  it("adds the cause's code and message to fetch's bare message", () => {
    expect(describeError(new TypeError('fetch failed', { cause: errno('connect ECONNREFUSED 127.0.0.1:4318', 'ECONNREFUSED') }))).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:4318');
    expect(describeError(new TypeError('fetch failed', { cause: errno('other side closed', 'UND_ERR_SOCKET') }))).toBe('fetch failed: UND_ERR_SOCKET other side closed');
    expect(describeError(new TypeError('fetch failed', { cause: errno('', 'ENOTFOUND') }))).toBe('fetch failed: ENOTFOUND');
  });

  it('reads a connection that failed on every address (an AggregateError without a message)', () => {
    const cause = Object.assign(new AggregateError([errno('connect ECONNREFUSED ::1:4318', 'ECONNREFUSED'), errno('connect ECONNREFUSED 127.0.0.1:4318', 'ECONNREFUSED')]), { code: 'ECONNREFUSED' });
    expect(describeError(new TypeError('fetch failed', { cause }))).toBe('fetch failed: connect ECONNREFUSED ::1:4318; connect ECONNREFUSED 127.0.0.1:4318');
  });

  it('says what it has when there is no cause, and never a password', () => {
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('a string')).toBe('a string');
    expect(describeError(new TypeError('fetch failed', { cause: new Error('redirected to http://bob:secret@elsewhere/') }))).toBe('fetch failed: redirected to http://***@elsewhere/');
  });
});
