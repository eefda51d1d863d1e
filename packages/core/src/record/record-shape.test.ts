/**
 * One definition of a facto.v1 record (docs/spec.md sections 3 and 4): the builder and every
 * verifier use assertRecord, so what createRecord builds is never refused, and what it refuses to
 * build is refused with the same words when it arrives signed from elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { spanFixture } from '../test-helpers/span-fixture.js';
import { createRecord } from './record.js';
import { assertRecord, recordProblem } from './record-shape.js';

const chain = { factoId: 'ft-00000000-0000-4000-8000-000000000001', agentId: 'agent', chainId: 'c', seq: 0, prevHash: '0'.repeat(64), keyId: 'ab'.repeat(16), dropped: 0 };

describe('assertRecord', () => {
  it('accepts what createRecord builds, commitments, null values and a "__proto__" key included', () => {
    const record = createRecord(spanFixture({ attributes: [['n', null], ['__proto__', { s: 'p' }], ['a', { a: [null, { m: [['k', { d: 1.5 }]] }] }]] }), chain, new Map([['facto.input', 'cd'.repeat(32)]]));
    expect(recordProblem(record)).toBeUndefined();
    expect(recordProblem(JSON.parse(JSON.stringify(record)))).toBeUndefined();
  });

  it('refuses in createRecord what it refuses in a record read from outside, in the same words', () => {
    const built = () => createRecord(spanFixture({ attributes: [['x', { i: '007' }]] }), chain);
    expect(built).toThrow('attributes["x"]: {"i":"007"} is not a canonical int64');
    const record = JSON.parse(JSON.stringify(createRecord(spanFixture(), chain)));
    record.attributes.x = { i: '007' };
    expect(recordProblem(record)).toBe((() => { try { built(); } catch (error) { return (error as Error).message; } return undefined; })());
  });

  it('names the first problem of anything else', () => {
    const record = JSON.parse(JSON.stringify(createRecord(spanFixture(), chain)));
    expect(recordProblem(undefined)).toBe('nothing is not a facto.v1 record (section 4: an object)');
    expect(recordProblem([])).toBe('[] is not a facto.v1 record (section 4: an object)');
    const { seq: _seq, ...withoutSeq } = record;
    expect(recordProblem(withoutSeq)).toBe('member "seq" is missing from a facto.v1 record (section 4)');
    expect(recordProblem({ ...record, seq: 1.5 })).toBe('seq: 1.5 is not an integer 0 ... 2^53-1 (section 4)');
    expect(recordProblem({ ...record, agent_id: 'a'.repeat(257) })).toMatch(/^agent_id: "a+\.\.\. is not a string of 1 to 256 UTF-16 code units \(section 4\)$/);
    expect(recordProblem({ ...record, parent_span_id: '00F067AA0BA902B7' })).toBe('parent_span_id: "00F067AA0BA902B7" is not 16 lowercase hex digits or "" (section 4)');
    expect(recordProblem({ ...record, status: { code: 0 } })).toBe('status: member "message" is missing from the status (section 4)');
    expect(() => assertRecord({ ...record, format: 'facto.v2' })).toThrow('format: "facto.v2" is not "facto.v1" (section 4)');
  });
});
