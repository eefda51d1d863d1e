import { describe, expect, it } from 'vitest';
import { parseForwardHeaders } from './forward-headers.js';

describe('parseForwardHeaders', () => {
  it('reads comma-separated name=value pairs as OTEL_EXPORTER_OTLP_HEADERS writes them', () => {
    expect(parseForwardHeaders('Authorization=Basic%20dXNlcjpwdw%3D%3D, x-tenant = acme ,X-Honeycomb-Team=abc=def')).toEqual({
      headers: { authorization: 'Basic dXNlcjpwdw==', 'x-tenant': 'acme', 'x-honeycomb-team': 'abc=def' },
    });
    // A header may be called anything a token allows, "problem" and "__proto__" included; an empty item is skipped.
    expect(parseForwardHeaders('problem=none,')).toEqual({ headers: Object.assign(Object.create(null), { problem: 'none' }) });
    expect(Object.keys((parseForwardHeaders('__proto__=x,,b=2') as { headers: object }).headers)).toEqual(['__proto__', 'b']);
  });

  it.each([
    ['authorization', /pair 1 has no "="/],
    ['a=1,b', /pair 2 has no "="/],
    [' , ', /no name=value pair/],
    ['x-a=%20%20', /the value of x-a is empty/],
    ['bad name=x', /pair 1: the name is not an HTTP header name/],
    ['Content-Type=text/plain', /content-type is set by the collector/],
    ['host=evil.example', /host is set by the collector/],
    ['Expect=100-continue', /expect is set by the collector/],
    ['x-key=one,X-Key=two', /x-key is given twice/],
    ['x-key=%E0%A4%A', /the value of x-key is not valid percent-encoding/],
    ['x-key=SECRET%0D%0Ainjected: yes', /the value of x-key is empty or holds a character/],
    ['x-key=', /the value of x-key is empty/],
  ])('refuses %j, saying why without quoting a value', (text, reason) => {
    const parsed = parseForwardHeaders(text);
    expect(parsed).toEqual({ problem: expect.stringMatching(reason) });
    expect((parsed as { problem: string }).problem).not.toMatch(/SECRET|one|two|evil|text\/plain/);
  });
});
