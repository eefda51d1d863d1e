import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OtlpContentType } from './decoded-trace-request.js';
import { decodeTraceRequest } from './decode-trace-request.js';
import { OtlpDecodeError } from './errors.js';
import { exportTraceServiceRequestType } from './proto-schema.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const SPAN_PATH = 'resourceSpans[0].scopeSpans[0].spans[0]';

function protobufBody(span: Record<string, unknown>): Uint8Array {
  const request = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(TRACE_ID, 'hex'), spanId: Buffer.from(SPAN_ID, 'hex'), ...span }] }] }] };
  return exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(request)).finish();
}

function jsonBody(span: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, ...span }] }] }] }));
}

function decodeError(body: Uint8Array | string, contentType: OtlpContentType): OtlpDecodeError {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  try {
    decodeTraceRequest(bytes, contentType);
  } catch (error) {
    expect(error).toBeInstanceOf(OtlpDecodeError);
    return error as OtlpDecodeError;
  }
  throw new Error('expected an OtlpDecodeError');
}

const varint = (value: number) => {
  const bytes: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 0x80)) bytes.push((value % 0x80) | 0x80);
  return [...bytes, value];
};
const lengthDelimited = (fieldNumber: number, inner: Uint8Array) => Buffer.concat([Buffer.from([(fieldNumber << 3) | 2, ...varint(inner.length)]), inner]);

/** A request whose one attribute is an array inside an array, `depth` times; built without recursion. */
function deeplyNestedRequest(depth: number): Uint8Array {
  const prefixes: number[][] = [];
  let length = 0;
  for (let level = 0; level < depth; level++) {
    const arrayLength = 1 + varint(length).length + length;
    prefixes.push([0x2a, ...varint(arrayLength), 0x0a, ...varint(length)]);
    length = 1 + varint(arrayLength).length + arrayLength;
  }
  const value = Uint8Array.from(prefixes.reverse().flat());
  const keyValue = Buffer.concat([lengthDelimited(1, Buffer.from('k')), lengthDelimited(2, value)]);
  const span = Buffer.concat([lengthDelimited(1, Buffer.from(TRACE_ID, 'hex')), lengthDelimited(2, Buffer.from(SPAN_ID, 'hex')), lengthDelimited(9, keyValue)]);
  return lengthDelimited(1, lengthDelimited(2, lengthDelimited(2, span)));
}

const firstSpan = (body: Uint8Array, contentType: OtlpContentType) => decodeTraceRequest(body, contentType).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
const onlyAttribute = (body: Uint8Array, contentType: OtlpContentType) => firstSpan(body, contentType).attributes[0]![1];
const jsonValue = (value: unknown) => jsonBody({ attributes: [{ key: 'k', value }] });

describe('malformed OTLP protobuf', () => {
  it('names the exact place of a problem however deep it is, in resources, scopes, spans, events, links and nested values', () => {
    const ids = { traceId: Buffer.from(TRACE_ID, 'hex'), spanId: Buffer.from(SPAN_ID, 'hex') };
    const encode = (request: Record<string, unknown>) => exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(request)).finish();
    const twoValues = { stringValue: 'a', boolValue: true };
    // The problem sits in the last of several resources, scopes and spans, so a path built from the wrong indices shows.
    const deep = (span: Record<string, unknown>, resource: Record<string, unknown> = {}) =>
      encode({ resourceSpans: [{ scopeSpans: [{ spans: [ids] }] }, { resource, scopeSpans: [{ spans: [ids] }, { spans: [ids, ids, { ...ids, ...span }] }] }] });
    const at = 'resourceSpans[1].scopeSpans[1].spans[2]';
    expect(decodeError(deep({ events: [{ name: 'e' }, { name: 'e', attributes: [{ key: 'a', value: {} }, { key: 'b', value: twoValues }] }] }), 'protobuf').message)
      .toBe(`${at}.events[1].attributes[1].value: AnyValue has more than one value set (stringValue, boolValue)`);
    expect(decodeError(deep({ links: [{ ...ids }, { traceId: ids.traceId, spanId: Buffer.from('ab', 'hex') }] }), 'protobuf').message).toBe(`${at}.links[1].spanId: expected 8 bytes, got 1`);
    expect(decodeError(deep({ attributes: [{ key: 'k', value: { arrayValue: { values: [{ intValue: 1 }, { kvlistValue: { values: [{ key: 'x', value: {} }, { key: 'y', value: twoValues }] } }] } } }] }), 'protobuf').message)
      .toBe(`${at}.attributes[0].value.arrayValue.values[1].kvlistValue.values[1].value: AnyValue has more than one value set (stringValue, boolValue)`);
    expect(decodeError(deep({}, { attributes: [{ key: 'r', value: twoValues }] }), 'protobuf').message).toBe('resourceSpans[1].resource.attributes[0].value: AnyValue has more than one value set (stringValue, boolValue)');
    expect(decodeError(deep({}, { attributes: [{ key: 'r', value: twoValues }] }), 'protobuf').path).toBe('resourceSpans[1].resource.attributes[0].value');
  });

  it('names the field and the problem', () => {
    expect(decodeError(protobufBody({ traceId: Buffer.from('abc') }), 'protobuf').message).toBe(`${SPAN_PATH}.traceId: expected 16 bytes, got 3`);
    expect(decodeError(protobufBody({ parentSpanId: Buffer.alloc(8) }), 'protobuf').message).toBe(`${SPAN_PATH}.parentSpanId: must not be all zeros (an invalid id in OTLP)`);
    expect(decodeError(protobufBody({ attributes: [{ key: 'k', value: { stringValue: 'a', boolValue: true } }] }), 'protobuf').message)
      .toBe(`${SPAN_PATH}.attributes[0].value: AnyValue has more than one value set (stringValue, boolValue)`);
  });

  it('reads every string exactly, ASCII or not, and refuses one that runs past the end', () => {
    const texts = ['', 'plain ascii', 'caf\u00e9', '\u6f22\u5b57 and \u{1F600}', '\u007f\u0080', 'x'.repeat(300)];
    const body = protobufBody({ name: texts.at(-2), attributes: texts.map((text, index) => ({ key: `k${index}\u00e9`, value: { stringValue: text } })) });
    const span = firstSpan(body, 'protobuf');
    expect(span.name).toBe('\u007f\u0080');
    expect(span.attributes).toEqual(texts.map((text, index) => [`k${index}\u00e9`, { s: text }]));
    // The name is the body's last field; its length byte, raised, claims more bytes than are left.
    const named = Buffer.from(protobufBody({ name: 'tail' }));
    expect(named.subarray(-5).toString('latin1')).toBe('\u0004tail');
    named[named.length - 5] = 16;
    expect(decodeError(named, 'protobuf').message).toMatch(/^malformed protobuf body .*: index out of range: \d+ \+ 16 > \d+$/);
  });

  it('refuses truncated bodies, bad wire types and invalid UTF-8', () => {
    const body = protobufBody({ name: 'a span name' });
    expect(decodeError(body.subarray(0, body.length - 3), 'protobuf').message).toMatch(/^malformed protobuf body/);
    expect(decodeError(Uint8Array.of(0x0f), 'protobuf').message).toMatch(/^malformed protobuf body/);
    const name = Buffer.from('a span name');
    const index = Buffer.from(body).indexOf(name);
    const invalidUtf8 = body.slice();
    invalidUtf8[index] = 0xff;
    expect(decodeError(invalidUtf8, 'protobuf').message).toBe('malformed protobuf body: a string field is not valid UTF-8');
  });

  it('refuses values nested beyond the limit', () => {
    let value: Record<string, unknown> = { intValue: 1 };
    for (let level = 0; level < 40; level++) value = { arrayValue: { values: [value] } };
    expect(decodeError(protobufBody({ attributes: [{ key: 'deep', value }] }), 'protobuf').message).toMatch(/nest deeper than 32 levels/);
  });

  it('turns nesting too deep for the decoder itself into an OtlpDecodeError', () => {
    expect(decodeError(deeplyNestedRequest(100_000), 'protobuf').message).toMatch(/^malformed protobuf body/);
  });

  it('accepts an empty body as an empty request', () => {
    expect(decodeTraceRequest(new Uint8Array(), 'protobuf')).toEqual({ resourceSpans: [] });
  });

  it('throws nothing but OtlpDecodeError for random or corrupted bytes', () => {
    const valid = protobufBody({ name: 'n', attributes: [{ key: 'k', value: { arrayValue: { values: [{ intValue: -5 }, { bytesValue: Buffer.from([1]) }] } } }] });
    const corrupted = fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((changes) => {
      const body = valid.slice();
      for (const [index, byte] of changes) body[index] = byte;
      return body;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), corrupted), (body) => {
        try {
          decodeTraceRequest(body, 'protobuf');
        } catch (error) {
          if (!(error instanceof OtlpDecodeError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('malformed OTLP JSON', () => {
  it('refuses what is not a JSON object', () => {
    expect(decodeError('{"resourceSpans": [', 'json').message).toMatch(/^body is not valid JSON: /);
    expect(decodeError(Uint8Array.of(0x7b, 0xff, 0x7d), 'json').message).toBe('body is not valid JSON: not valid UTF-8');
    expect(decodeError('[]', 'json').message).toBe('body: expected a JSON object, got an array');
    expect(decodeError('{"resourceSpans": {}}', 'json').message).toBe('resourceSpans: expected an array, got an object');
    expect(decodeError('{"resourceSpans": [{"scopeSpans": [{"spans": [7]}]}]}', 'json').message).toBe(`${SPAN_PATH}: expected a JSON object, got number 7`);
  });

  it('refuses a member named twice in one object, which JSON.parse would resolve by dropping the first', () => {
    const span = (id: string) => `{"traceId":"${TRACE_ID}","spanId":"${id}"}`;
    const twice = `{"resourceSpans":[{"scopeSpans":[{"spans":[${span(SPAN_ID)}],"spans":[${span('c7ad6b7169203331')}]}]}]}`;
    expect(decodeError(twice, 'json').message).toMatch(/^body is not valid JSON: .*duplicate/);
    const escapedTwice = `{"resourceSpans":[],"resource\u0053pans":[]}`;
    expect(decodeError(escapedTwice, 'json').message).toMatch(/duplicate/);
    // The same name in different objects is fine.
    expect(decodeTraceRequest(new TextEncoder().encode(`{"resourceSpans":[{"scopeSpans":[{"spans":[${span(SPAN_ID)}]},{"spans":[${span('c7ad6b7169203331')}]}]}]}`), 'json').resourceSpans[0]!.scopeSpans).toHaveLength(2);
  });

  it('wants ids in hex, as OTLP/JSON specifies, not base64', () => {
    expect(decodeError(jsonBody({ traceId: Buffer.from(TRACE_ID, 'hex').toString('base64') }), 'json').message).toBe(`${SPAN_PATH}.traceId: expected 32 hex digits, got "CvdlGRbNQ92ESOshHIAxnA=="`);
    expect(decodeError(jsonBody({ spanId: SPAN_ID.slice(2) }), 'json').message).toBe(`${SPAN_PATH}.spanId: expected 16 hex digits, got "ad6b7169203331"`);
    expect(decodeError(jsonBody({ links: [{ traceId: TRACE_ID, spanId: 5 }] }), 'json').message).toBe(`${SPAN_PATH}.links[0].spanId: expected a string, got number 5`);
    expect(firstSpan(jsonBody({ traceId: TRACE_ID.toUpperCase(), parentSpanId: '' }), 'json')).toMatchObject({ traceId: TRACE_ID, parentSpanId: '' });
  });

  it('reads 64-bit integers exactly from strings and range-checks them', () => {
    expect(firstSpan(jsonBody({ startTimeUnixNano: '18446744073709551615', endTimeUnixNano: 1700000000000000000 }), 'json'))
      .toMatchObject({ startTimeUnixNano: '18446744073709551615', endTimeUnixNano: '1700000000000000000' });
    expect(decodeError(jsonBody({ startTimeUnixNano: '18446744073709551616' }), 'json').message).toMatch(/startTimeUnixNano: out of range for an unsigned 64-bit integer/);
    expect(decodeError(jsonBody({ endTimeUnixNano: '-1' }), 'json').message).toMatch(/endTimeUnixNano: expected an unsigned 64-bit integer/);
    expect(decodeError(jsonBody({ endTimeUnixNano: 1.5 }), 'json').message).toMatch(/endTimeUnixNano: expected an unsigned 64-bit integer/);
    expect(onlyAttribute(jsonValue({ intValue: '-9223372036854775808' }), 'json')).toEqual({ i: '-9223372036854775808' });
    expect(onlyAttribute(jsonValue({ intValue: '007' }), 'json')).toEqual({ i: '7' });
    expect(decodeError(jsonValue({ intValue: '9223372036854775808' }), 'json').message).toBe(`${SPAN_PATH}.attributes[0].value.intValue: out of range for a signed 64-bit integer: "9223372036854775808"`);
    expect(decodeError(jsonValue({ intValue: 1.5 }), 'json').message).toMatch(/intValue: expected a signed 64-bit integer/);
  });

  it('reads doubles, including proto3 JSON spellings of non-finite values', () => {
    expect(onlyAttribute(jsonValue({ doubleValue: 'NaN' }), 'json')).toEqual({ d: Number.NaN });
    expect(onlyAttribute(jsonValue({ doubleValue: '-Infinity' }), 'json')).toEqual({ d: Number.NEGATIVE_INFINITY });
    expect(onlyAttribute(jsonValue({ doubleValue: '2.5e3' }), 'json')).toEqual({ d: 2500 });
    expect(decodeError(jsonValue({ doubleValue: 'many' }), 'json').message).toMatch(/doubleValue: expected a number, "NaN"/);
  });

  it('reads bytes from base64 and refuses anything else', () => {
    expect(onlyAttribute(jsonValue({ bytesValue: 'AP8=' }), 'json')).toEqual({ x: '00ff' });
    expect(onlyAttribute(jsonValue({ bytesValue: '_-8' }), 'json')).toEqual({ x: 'ffef' });
    expect(decodeError(jsonValue({ bytesValue: 'AP8' + '=' + 'x' }), 'json').message).toMatch(/bytesValue: expected base64/);
  });

  it('accepts enum names but never inherited keys', () => {
    expect(firstSpan(jsonBody({ kind: 'SPAN_KIND_SERVER', status: { code: 'STATUS_CODE_ERROR' } }), 'json')).toMatchObject({ kind: 2, status: { code: 2, message: '' } });
    expect(decodeError(jsonBody({ kind: 'toString' }), 'json').message).toMatch(/kind: expected an integer or one of SPAN_KIND_UNSPECIFIED/);
    expect(decodeError(jsonBody({ kind: 2 ** 31 }), 'json').message).toMatch(/kind: expected a 32-bit integer/);
  });

  it('keeps "__proto__" as data, never as a prototype', () => {
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"__proto__":{"traceId":"${TRACE_ID}"},"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}",`
      + `"attributes":[{"key":"__proto__","value":{"kvlistValue":{"values":[{"key":"__proto__","value":{"stringValue":"x"}}]}}}]}]}]}]}`;
    expect(firstSpan(new TextEncoder().encode(body), 'json').attributes).toEqual([['__proto__', { m: [['__proto__', { s: 'x' }]] }]]);
    expect(({} as Record<string, unknown>).traceId).toBeUndefined();
    expect(decodeError(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"__proto__":{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}"}}]}]}]}`, 'json').message)
      .toBe(`${SPAN_PATH}.traceId: expected 32 hex digits, got ""`);
  });

  it('treats null as unset and an empty value as null', () => {
    expect(firstSpan(jsonBody({ parentSpanId: null, name: null, attributes: [{ key: 'k' }, { key: 'e', value: {} }] }), 'json'))
      .toMatchObject({ parentSpanId: '', name: '', attributes: [['k', null], ['e', null]] });
  });

  it('throws nothing but OtlpDecodeError for arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const body of [value, { resourceSpans: [value] }, { resourceSpans: [{ scopeSpans: [{ spans: [value] }] }] }]) {
          try {
            decodeTraceRequest(new TextEncoder().encode(JSON.stringify(body)), 'json');
          } catch (error) {
            if (!(error instanceof OtlpDecodeError)) throw error;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
