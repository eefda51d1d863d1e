import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../canonicalize.js';
import { createRecord, type FactoRecord } from './record.js';
import { spanFixture } from '../test-helpers/span-fixture.js';
import { knownShapeText, recordText } from './record-text.js';
import type { TypedValue } from './types.js';

/** What a canonicalizer made of a value: its text, or the message of what it threw. */
function outcome(write: (value: unknown) => string, value: unknown): { text: string } | { error: string } {
  try {
    return { text: write(value) };
  } catch (error) {
    return { error: String(error) };
  }
}

// Strings of single UTF-16 code units, so lone surrogates (which canonicalize refuses) turn up too.
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 12 });
const wellFormed = fc.string({ unit: 'binary', maxLength: 12 });
const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((array) => Buffer.from(array).toString('hex'));

function typedValue(text: fc.Arbitrary<string>): fc.Arbitrary<TypedValue> {
  return fc.letrec<{ value: TypedValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      text.map((s) => ({ s })),
      fc.boolean().map((b) => ({ b })),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((i) => ({ i: i.toString() })),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => ({ d })),
      hex(4).map((x) => ({ x })),
      fc.array(tie('value'), { maxLength: 3 }).map((a) => ({ a })),
      fc.array(fc.tuple(text, tie('value')), { maxLength: 3 }).map((m) => ({ m })),
    ),
  })).value;
}

function attributes(text: fc.Arbitrary<string>) {
  const value = fc.oneof(typedValue(text), hex(32).map((c) => ({ c })));
  return fc.uniqueArray(fc.tuple(fc.oneof(text, fc.constant('__proto__')), value), { selector: ([key]) => key, maxLength: 6 }).map((pairs) => Object.fromEntries(pairs));
}

/** Records of the facto.v1 shape with arbitrary contents (not necessarily valid records: the writer does not validate). */
function record(text: fc.Arbitrary<string>): fc.Arbitrary<FactoRecord> {
  const nanos = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
  return fc.record({
    format: fc.constant('facto.v1' as const),
    facto_id: text,
    agent_id: text,
    chain_id: text,
    seq: fc.nat(),
    prev_hash: hex(32),
    key_id: hex(16),
    dropped: fc.nat(),
    trace_id: hex(16),
    span_id: hex(8),
    parent_span_id: fc.oneof(fc.constant(''), hex(8)),
    name: text,
    kind: fc.integer({ min: 0, max: 5 }),
    start_time_unix_nano: nanos,
    end_time_unix_nano: nanos,
    status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: text }),
    attributes: attributes(text),
    events: fc.array(fc.record({ name: text, time_unix_nano: nanos, attributes: attributes(text) }), { maxLength: 2 }),
    links: fc.array(fc.record({ trace_id: hex(16), span_id: hex(8), attributes: attributes(text) }), { maxLength: 2 }),
  });
}

// The shared fixture, with an array value and a link added so that every part of the shape is written.
const base = spanFixture();
const span = spanFixture({
  attributes: [...base.attributes, ['gen_ai.response.finish_reasons', { a: [{ s: 'stop' }] }]],
  links: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', attributes: [['why', { s: 'follows' }]] }],
});
const chain = { factoId: 'ft-0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b', agentId: 'refund-agent', chainId: 'main', seq: 7, prevHash: 'ab'.repeat(32), keyId: 'cd'.repeat(16), dropped: 0 };
const commitments = new Map([['gen_ai.input.messages', 'ef'.repeat(32)]]);
const built = () => createRecord(span, chain, commitments) as unknown as Record<string, unknown>;

describe('recordText', () => {
  it('writes a record built by createRecord by its shape, as canonicalize does', () => {
    const record = built();
    expect(knownShapeText(record)).toBeDefined();
    expect(recordText(record)).toBe(canonicalize(record));
  });

  it('writes every well-formed record of the facto.v1 shape by its shape, exactly as canonicalize', () => {
    fc.assert(
      fc.property(record(wellFormed), (value) => {
        expect(knownShapeText(value)).toBe(canonicalize(value));
      }),
      { numRuns: 400 },
    );
  });

  it('gives canonicalize\'s text or error for records holding any UTF-16, lone surrogates included', () => {
    fc.assert(
      fc.property(record(anyUnits), (value) => {
        expect(outcome(recordText, value)).toEqual(outcome(canonicalize, value));
      }),
      { numRuns: 400 },
    );
  });

  it('gives canonicalize\'s text or error for any JSON value at all', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        expect(outcome(recordText, value)).toEqual(outcome(canonicalize, value));
      }),
      { numRuns: 300 },
    );
  });

  class Opaque {
    s = 'x';
  }
  const cyclic: { a: unknown[] } = { a: [] };
  cyclic.a.push(cyclic);
  let deep: TypedValue = { s: 'bottom' };
  for (let level = 0; level < 100; level++) deep = { a: [deep] };

  // Each leaves the shape the writer knows: it must hand the record to canonicalize, which then
  // writes it (for shapes JSON allows) or refuses it with the path (for values it does not).
  it.each<[string, (record: Record<string, unknown>) => void]>([
    ['an extra member', (record) => void (record.extra = 1)],
    ['a missing member', (record) => void delete record.dropped],
    ['a string where the spec has a number', (record) => void (record.seq = '7')],
    ['a number where the spec has a string', (record) => void (record.name = 7)],
    ['NaN', (record) => void (record.kind = Number.NaN)],
    ['a lone surrogate in the name', (record) => void (record.name = 'a\ud800b')],
    ['a lone surrogate in an attribute name', (record) => void ((record.attributes as Record<string, unknown>)['k\udc00'] = { s: 'v' })],
    ['an attribute value of an unknown tag', (record) => void ((record.attributes as Record<string, unknown>).odd = { z: 1 })],
    ['an attribute value with two tags', (record) => void ((record.attributes as Record<string, unknown>).odd = { s: 'a', b: true })],
    ['a class instance as an attribute value', (record) => void ((record.attributes as Record<string, unknown>).odd = new Opaque())],
    ['a symbol-keyed member on a typed value', (record) => void ((record.attributes as Record<string, unknown>).odd = { s: 'a', [Symbol('hidden')]: 1 })],
    ['a symbol-keyed member on the record', (record) => void (record[Symbol('hidden') as unknown as string] = 1)],
    ['a key-value pair of three', (record) => void ((record.attributes as Record<string, unknown>).odd = { m: [['k', { s: 'v' }, 'extra']] })],
    ['a hole in an array value', (record) => void ((record.attributes as Record<string, unknown>).odd = { a: [, { s: 'v' }] })], // eslint-disable-line no-sparse-arrays
    ['a cycle through an array value', (record) => void ((record.attributes as Record<string, unknown>).odd = cyclic)],
    ['array values nested 100 deep', (record) => void ((record.attributes as Record<string, unknown>).odd = deep)],
    ['a status with another member', (record) => void (record.status = { code: 0, message: '', extra: true })],
    ['events that are not an array', (record) => void (record.events = {})],
    ['a record with a class prototype', (record) => void Object.setPrototypeOf(record, Opaque.prototype)],
  ])('hands %s to canonicalize', (_, change) => {
    const record = built();
    change(record);
    expect(knownShapeText(record)).toBeUndefined();
    expect(outcome(recordText, record)).toEqual(outcome(canonicalize, record));
  });

  it('keeps an own "__proto__" attribute, as canonicalize does', () => {
    const record = built();
    Object.defineProperty(record.attributes, '__proto__', { value: { s: 'own' }, enumerable: true });
    expect(knownShapeText(record)).toContain('"__proto__":{"s":"own"}');
    expect(recordText(record)).toBe(canonicalize(record));
  });
});
