import { describe, expect, it } from 'vitest';
import { decodeTraceRequest } from '../otlp/decode-trace-request.js';
import { spanName, spanNamesOf, traceRequest } from '../test-helpers/http-test-context.js';
import { selectsAny } from '../otlp/decoded-trace-request.js';
import { filterRequest } from './filter-request.js';

const request = traceRequest([[2, 1], [1]]);

describe('filterRequest', () => {
  it('passes the body on byte for byte when every span is kept', () => {
    const keep = [[[true, true], [true]], [[true]]];
    expect(filterRequest(request.protobuf, 'protobuf', keep)).toBe(request.protobuf);
    expect(filterRequest(request.json, 'json', keep)).toBe(request.json);
  });

  for (const contentType of ['protobuf', 'json'] as const) {
    it(`re-encodes ${contentType} with only the kept spans, dropping emptied groups`, () => {
      const filtered = filterRequest(request[contentType], contentType, [[[false, true], [false]], [[true]]]);
      expect(spanNamesOf(filtered, contentType)).toEqual([[[spanName(0, 0, 1)]], [[spanName(1, 0, 0)]]]);
      // Still a valid request, with everything else about the kept spans unchanged.
      const decoded = decodeTraceRequest(filtered, contentType);
      const original = decodeTraceRequest(request[contentType], contentType);
      expect(decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]).toEqual(original.resourceSpans[0]!.scopeSpans[0]!.spans[1]);
      expect(decoded.resourceSpans[1]!.resource).toEqual(original.resourceSpans[1]!.resource);
    });
  }

  it('keeps keys it does not know in JSON', () => {
    const filtered = filterRequest(request.json, 'json', [[[true, false], [true]], [[false]]]);
    expect(JSON.parse(new TextDecoder().decode(filtered)).unknownExtension).toEqual({ kept: true });
    expect(spanNamesOf(filtered, 'json')).toEqual([[[spanName(0, 0, 0)], [spanName(0, 1, 0)]]]);
  });

  it('refuses a selection of another shape', () => {
    expect(() => filterRequest(request.protobuf, 'protobuf', [[[true, false]]])).toThrow(RangeError);
  });

  it('tells whether anything is kept at all', () => {
    expect(selectsAny([[[false, false], []], [[false]]])).toBe(false);
    expect(selectsAny([[[false, true]]])).toBe(true);
    expect(selectsAny([])).toBe(false);
  });
});
