import { describe, expect, it } from 'vitest';
import { withoutUserinfo } from './failure-reason.js';

describe('withoutUserinfo', () => {
  it('hides the user:password of every URL in a message, and leaves other text alone', () => {
    expect(withoutUserinfo('Request cannot be constructed from a URL that includes credentials: http://alice:hunter2@otelcol:4318/v1/traces')).toBe(
      'Request cannot be constructed from a URL that includes credentials: http://***@otelcol:4318/v1/traces',
    );
    expect(withoutUserinfo('from https://a:b@one/x to https://c@two/y?mail=d@e')).toBe('from https://***@one/x to https://***@two/y?mail=d@e');
    expect(withoutUserinfo('connect ECONNREFUSED 127.0.0.1:4318')).toBe('connect ECONNREFUSED 127.0.0.1:4318');
  });
});
