/**
 * What docs/spec.md sections 3, 4 and 13 say a bundle's records and members are, held against both
 * readers (verifyBundle and verifyBundleStream): a record that is not exactly a section 4 record with
 * section 3 values fails, however well it is signed, logged and proven, with a verdict naming what is
 * wrong, while the rest of the bundle verifies; a member section 13 does not define is refused
 * wherever it is, as are a missing `disclosures` and a key disclosed twice; a byte order mark is
 * refused; a chains entry that does not match its statement says so.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { generateKeyPair } from '../crypto/index.js';
import { TestLog } from '../test-helpers/bundle-fixture.js';
import type { EvidenceBundle } from './types.js';
import { parseEvidenceBundle, verifyBundle, type BundleReport } from './verify-bundle.js';
import { verifyBundleStream, type StreamedBundleReport } from './verify-bundle-stream.js';

type Alter = (record: Record<string, unknown>) => void;
const attributes = (record: Record<string, unknown>) => record.attributes as Record<string, unknown>;
const status = (record: Record<string, unknown>) => record.status as Record<string, unknown>;

/** A chain of three records, the middle one altered (then signed, logged and proven) by `alter`. */
async function exportWith(alter?: Alter): Promise<{ bundle: EvidenceBundle; trustedKeys: { log: string; agents: Record<string, Uint8Array[]> } }> {
  const log = new TestLog();
  for (let seq = 0; seq < 3; seq++) log.sign('c', { alter: seq === 1 ? alter : undefined });
  return { bundle: await log.export(), trustedKeys: { log: log.logKey, agents: { 'agent-1': [log.agent.publicKey] } } };
}

async function both(text: string, trustedKeys: { log: string; agents: Record<string, Uint8Array[]> }): Promise<{ whole: BundleReport | undefined; wholeRefusal?: string; streamed: StreamedBundleReport }> {
  const bytes = new TextEncoder().encode(text);
  const streamed = await verifyBundleStream({ open: async function* () { yield* [bytes.subarray(0, 2), bytes.subarray(2)]; } }, { trustedKeys });
  try {
    return { whole: verifyBundle(parseEvidenceBundle(bytes), { trustedKeys }), streamed };
  } catch (error) {
    return { whole: undefined, wholeRefusal: (error as Error).message, streamed };
  }
}

/** Both readers' verdict on `bundle`: the whole report, checked to agree with the streamed one. */
async function verifyBoth(bundle: unknown, trustedKeys: { log: string; agents: Record<string, Uint8Array[]> }): Promise<BundleReport> {
  const { whole, streamed } = await both(JSON.stringify(bundle), trustedKeys);
  expect(streamed.ok).toBe(whole!.ok);
  expect(streamed.errors).toEqual(whole!.errors);
  expect(streamed.failedEvents).toEqual(whole!.events.filter((event) => !event.ok));
  expect(streamed.chains).toEqual(whole!.chains);
  return whole!;
}

const RECORDS: [string, Alter, string][] = [
  ['a name that is a number', (record) => (record.name = 5), 'record: name: 5 is not a string (section 4)'],
  ['events that are an object', (record) => (record.events = {}), 'record: events: {} is not an array (section 4)'],
  ['attributes that are an array', (record) => (record.attributes = []), 'record: attributes: [] is not an attributes object (section 4.1)'],
  ['a start time that is a number', (record) => (record.start_time_unix_nano = 1), 'record: start_time_unix_nano: 1 is not the canonical decimal string of a uint64 (section 4)'],
  ['a start time with a leading zero', (record) => (record.start_time_unix_nano = '01'), 'record: start_time_unix_nano: "01" is not the canonical decimal string of a uint64 (section 4)'],
  ['an end time above 2^64-1', (record) => (record.end_time_unix_nano = '18446744073709551616'), 'record: end_time_unix_nano: "18446744073709551616" is not the canonical decimal string of a uint64 (section 4)'],
  ['kind 9', (record) => (record.kind = 9), 'record: kind: 9 is not an OTLP SpanKind 0 ... 5 (section 4)'],
  ['status code 7', (record) => (status(record).code = 7), 'record: status.code: 7 is not an OTLP StatusCode 0 ... 2 (section 4)'],
  ['dropped -1', (record) => (record.dropped = -1), 'record: dropped: -1 is not an integer 0 ... 2^53-1 (section 4)'],
  ['a member in status', (record) => (status(record).note = 'x'), 'record: status: unknown member "note": the status has exactly the members code, message (section 4)'],
  ['a member in an event', (record) => (record.events = [{ name: 'e', time_unix_nano: '1', attributes: {}, extra: 1 }]), 'record: events[0]: unknown member "extra": an event has exactly the members attributes, name, time_unix_nano (section 4)'],
  ['a member in a link', (record) => (record.links = [{ trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', attributes: {}, x: 1 }]), 'record: links[0]: unknown member "x": a link has exactly the members attributes, span_id, trace_id (section 4)'],
  ['an unknown type tag', (record) => (attributes(record).z = { z: 1 }), 'record: attributes["z"]: {"z":1} is not a typed value: unknown type tag "z" (section 3)'],
  ['a typed value with two members', (record) => (attributes(record).z = { s: 'a', i: '1' }), 'record: attributes["z"]: {"s":"a","i":"1"} is not a typed value: a typed value has exactly one member (section 3)'],
  ['a string that is a number', (record) => (attributes(record).z = { s: 1 }), 'record: attributes["z"]: {"s":1} is not a typed string ({"s": <string>}) (section 3)'],
  ['an int that is a number', (record) => (attributes(record).z = { i: 5 }), 'record: attributes["z"]: {"i":5} is not a canonical int64'],
  ['an int with leading zeros', (record) => (attributes(record).x = { i: '007' }), 'record: attributes["x"]: {"i":"007"} is not a canonical int64'],
  ['an int "-0"', (record) => (attributes(record).z = { i: '-0' }), 'record: attributes["z"]: {"i":"-0"} is not a canonical int64'],
  ['an int above int64', (record) => (attributes(record).z = { i: '9223372036854775808' }), 'record: attributes["z"]: {"i":"9223372036854775808"} is not a canonical int64'],
  ['a bool that is a string', (record) => (attributes(record).z = { b: 'true' }), 'record: attributes["z"]: {"b":"true"} is not a typed bool ({"b": true or false}) (section 3)'],
  ['bytes in uppercase hex', (record) => (attributes(record).z = { x: 'ABCD' }), 'record: attributes["z"]: {"x":"ABCD"} is not typed bytes ({"x": "<lowercase hex>"}) (section 3)'],
  ['a double that is the string "NaN"', (record) => (attributes(record).z = { d: 'NaN' }), 'record: attributes["z"]: {"d":"NaN"} is not a finite double ({"d": <number>}) (section 3)'],
  ['a kvlist pair without a value', (record) => (attributes(record).z = { m: [['k']] }), 'record: attributes["z"].m[0]: ["k"] is not a kvlist pair: expected [key, value] (section 3)'],
  ['a commitment in an event attribute', (record) => (record.events = [{ name: 'e', time_unix_nano: '1', attributes: { k: { c: 'ab'.repeat(32) } } }]), `record: events[0].attributes["k"]: {"c":"${'ab'.repeat(32)}"}: a commitment stands only in the span's own attributes (section 4.1)`],
  ['a commitment that is not hex', (record) => (attributes(record).z = { c: 'xyz' }), 'record: attributes["z"]: {"c":"xyz"} is not a commitment {"c": <64 lowercase hex digits>} (section 6)'],
  ['a transport attribute in the record', (record) => (attributes(record)['facto.hash'] = { s: 'ab' }), 'record: attributes["facto.hash"]: a transport attribute (section 7) is never part of the record (section 4.1)'],
  ['facto_id "ft-x"', (record) => (record.facto_id = 'ft-x'), 'record: facto_id: "ft-x" is not "ft-" and a lowercase UUID (section 4)'],
  ['an uppercase trace_id', (record) => (record.trace_id = '4BF92F3577B34DA6A3CE929D0E0E4736'), 'record: trace_id: "4BF92F3577B34DA6A3CE929D0E0E4736" is not 32 lowercase hex digits (section 4)'],
  ['a 3-digit span_id', (record) => (record.span_id = 'abc'), 'record: span_id: "abc" is not 16 lowercase hex digits (section 4)'],
];

describe('a signed, logged and proven record that is not a section 4 record with section 3 values', () => {
  it.each(RECORDS)('fails, naming it, in both readers: %s', async (_name, alter, expected) => {
    const { bundle, trustedKeys } = await exportWith(alter);
    const report = await verifyBoth(bundle, trustedKeys);
    expect(report.ok).toBe(false);
    const [first, altered, last] = report.events;
    expect(altered!.ok).toBe(false);
    // The record's problem first (a record without its commitments fails its disclosures too).
    expect(altered!.errors[0]!.startsWith(expected), altered!.errors[0]).toBe(true);
    // Only the record fails: it is the agent's signature over the logged hash, and the rest holds.
    expect([altered!.hash, altered!.signature, altered!.inclusion]).toEqual([true, true, true]);
    expect([first!.ok, last!.ok]).toEqual([true, true]);
    expect(report.chains.every((chain) => chain.ok)).toBe(true);
    expect(report.errors).toEqual([]);
  });

  it('keeps what section 3 allows: a null (empty AnyValue) attribute, a "__proto__" key, a double that is integral, nested values', async () => {
    const { bundle, trustedKeys } = await exportWith((record) => {
      Object.defineProperty(attributes(record), '__proto__', { value: { s: 'p' }, enumerable: true, configurable: true, writable: true });
      Object.assign(attributes(record), { n: null, d: { d: 1 }, nested: { a: [null, { m: [['k', { i: '-7' }], ['k', null]] }] } });
    });
    const report = await verifyBoth(bundle, trustedKeys);
    expect(report.errors).toEqual([]);
    expect(report.events.map((event) => event.errors)).toEqual([[], [], []]);
    expect(report.ok).toBe(true);
  });
});

describe('members section 13 does not define, in both readers', () => {
  const cases: [string, (bundle: Record<string, any>) => void, { event?: string; bundle?: string }][] = [
    ['an event member', (bundle) => (bundle.events[1].comment = 'approved by auditor'), { event: 'event: unknown member "comment": an event has only the members leaf_index, record, hash, signature, inclusion_proof, disclosures (section 13)' }],
    ['a disclosure member', (bundle) => (bundle.events[1].disclosures[0].note = 'x'), { event: 'disclosure 0: unknown member "note": a disclosure has only the members key, value, salt (section 13)' }],
    ['a disclosure listed twice', (bundle) => bundle.events[1].disclosures.push(bundle.events[1].disclosures[0]), { event: 'disclosure 2: discloses "gen_ai.input.messages" again, as disclosure 0 does: an event discloses a key once (section 13)' }],
    ['a disclosure whose value is not a typed value', (bundle) => (bundle.events[1].disclosures[0].value = { s: 1 }), { event: 'disclosure 0: value: {"s":1} is not a typed string ({"s": <string>}) (section 3)' }],
    ['disclosures absent', (bundle) => delete bundle.events[1].disclosures, { event: 'event: member "disclosures" is missing (section 13)' }],
    ['a top-level member', (bundle) => (bundle.note = 'x'), { bundle: 'top level: unknown member "note": a facto.bundle.v1 document has only the members format, log_key, checkpoint, keys, events, chains, erasures, manifest, query (section 13)' }],
    ['log_key absent', (bundle) => delete bundle.log_key, { bundle: 'top level: member "log_key" is missing (section 13)' }],
    ['a keys entry member', (bundle) => (bundle.keys[0].note = 'x'), { bundle: 'keys[0]: unknown member "note": a keys entry has only the members agent_id, key_id, public_key (section 13)' }],
    ['a chains entry member', (bundle) => (bundle.chains[0].note = 'x'), { bundle: 'chains[0]: unknown member "note": a chains entry has only the members agent_id, chain_id, statement (section 13)' }],
  ];
  it.each(cases)('refuses %s', async (_name, change, expected) => {
    const { bundle, trustedKeys } = await exportWith();
    const copy = JSON.parse(JSON.stringify(bundle)) as Record<string, any>;
    change(copy);
    const report = await verifyBoth(copy, trustedKeys);
    expect(report.ok).toBe(false);
    if (expected.event !== undefined) {
      expect(report.events[1]!.errors[0]).toEqual(expected.event);
      expect(report.errors).toEqual([]);
    } else expect(report.errors).toEqual([expected.bundle]);
  });

  it('refuses log_key and keys members that say something false, though they are information only', async () => {
    const { bundle, trustedKeys } = await exportWith();
    const otherLog = new TestLog();
    const wrongLog = JSON.parse(JSON.stringify(bundle)) as Record<string, any>;
    wrongLog.log_key = otherLog.logKey;
    expect((await verifyBoth(wrongLog, trustedKeys)).errors).toEqual([`log_key: names the key ${JSON.stringify(otherLog.logKey)}, not the trusted log key the checkpoint is signed with: the member is information only, and here it is false`]);
    const garbage = JSON.parse(JSON.stringify(bundle)) as Record<string, any>;
    garbage.log_key = 'not a key';
    expect((await verifyBoth(garbage, trustedKeys)).errors).toEqual([expect.stringMatching(/^log_key: not a C2SP verifier key: /)]);
    const wrongKey = JSON.parse(JSON.stringify(bundle)) as Record<string, any>;
    const realId = wrongKey.keys[0].key_id as string;
    wrongKey.keys[0].public_key = toHex(generateKeyPair().publicKey);
    const report = await verifyBoth(wrongKey, trustedKeys);
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([expect.stringMatching(new RegExp(`^bundle key "${realId}": not the key id of its public_key, which is [0-9a-f]{32} \\(section 8\\)$`))]);
  });

  it('reports a keys entry that is not an object once', async () => {
    const { bundle, trustedKeys } = await exportWith();
    const copy = JSON.parse(JSON.stringify(bundle)) as Record<string, any>;
    copy.keys.push(null);
    expect((await verifyBoth(copy, trustedKeys)).errors).toEqual([`keys[${copy.keys.length - 1}]: not an object (section 13)`]);
  });

  it('refuses an erasures entry member', async () => {
    const log = new TestLog();
    for (let seq = 0; seq < 2; seq++) log.sign('c');
    log.erase([log.factoIds[0]!]);
    const bundle = JSON.parse(JSON.stringify(await log.export())) as Record<string, any>;
    const trustedKeys = { log: log.logKey, agents: { 'agent-1': [log.agent.publicKey] } };
    expect((await verifyBoth(bundle, trustedKeys)).ok).toBe(true);
    bundle.erasures[0].note = 'x';
    expect((await verifyBoth(bundle, trustedKeys)).errors).toEqual(['erasure 0: unknown member "note": an erasures entry has only the members leaf_index, entry, hash, signature, inclusion_proof (section 13)']);
  });

  it('refuses a "__proto__" member of the bundle, which JSON.parse keeps as an own member', async () => {
    const { bundle, trustedKeys } = await exportWith();
    const text = JSON.stringify(bundle).replace('"format":"facto.bundle.v1"', '"format":"facto.bundle.v1","__proto__":{"ok":true}');
    const { whole, streamed } = await both(text, trustedKeys);
    expect(whole!.errors).toEqual(['top level: unknown member "__proto__": a facto.bundle.v1 document has only the members format, log_key, checkpoint, keys, events, chains, erasures, manifest, query (section 13)']);
    expect(streamed.errors).toEqual(whole!.errors);
  });
});

describe('the bundle text and its chains entries', () => {
  it('refuses a byte order mark, in both readers, saying so', async () => {
    const { bundle, trustedKeys } = await exportWith();
    const { wholeRefusal, streamed } = await both(`\uFEFF${JSON.stringify(bundle)}`, trustedKeys);
    const reason = 'invalid JSON at byte 0: a byte order mark (U+FEFF) begins the text: a bundle must not begin with one, and it is refused, not skipped (section 13)';
    expect(wholeRefusal).toBe(reason);
    expect(streamed.ok).toBe(false);
    expect(streamed.errors).toEqual([`malformed bundle: ${reason}`]);
  });

  it('says a chains entry whose chain_id was edited does not match its statement (the statement is there)', async () => {
    const { bundle, trustedKeys } = await exportWith();
    const copy = JSON.parse(JSON.stringify(bundle)) as Record<string, any>;
    copy.chains[0].chain_id = 'other';
    const report = await verifyBoth(copy, trustedKeys);
    expect(report.ok).toBe(false);
    expect(report.chains.map((chain) => [chain.chainId, chain.errors])).toEqual([['c', ['the chains entry (agent "agent-1", chain "other") does not match its signed statement (agent "agent-1", chain "c")']]]);
  });
});
