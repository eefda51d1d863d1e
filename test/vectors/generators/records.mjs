/**
 * Record vectors: complete facto.v1 cases with a fixed key, salt and ids, and for each the two OTLP
 * request bodies a verifier receives (as the official exporters serialise them), so a verifier's
 * section 3.1 decoding is tested end to end, not only its record building.
 */
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { canonicalize, getPublicKey, keyId, sealSpan, toHex, fromHex, DEFAULT_CONTENT_KEYS, toTypedValue, ZERO_HASH_HEX } from '@facto/core';

// RFC 8032 section 7.1, TEST 1 secret key: a published key, so anyone can re-derive every signature.
export const AGENT_PRIVATE_KEY = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const publicKey = getPublicKey(AGENT_PRIVATE_KEY);
const salt = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');

const base = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  parentSpanId: '',
  name: 'chat gpt-4o',
  kind: 3,
  startTimeUnixNano: '1732280000000000000',
  endTimeUnixNano: '1732280000250000001',
  status: { code: 0, message: '' },
  events: [],
  links: [],
};

/** Attribute values as a JS signer holds them; typed with the exporters' rule. */
const cases = [
  {
    name: 'genesis record with content commitments (capture full)',
    seq: 0, prevHash: ZERO_HASH_HEX, dropped: 0, capture: 'full',
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 42, 'gen_ai.request.temperature': 0.2, 'gen_ai.input.messages': '[{"role":"user","content":"Refund order 1042"}]', 'gen_ai.output.messages': '[{"role":"assistant","content":"Refunded 40 EUR."}]' },
  },
  {
    name: 'second record: every attribute type, an event, a link, error status',
    seq: 1, dropped: 0, capture: 'full',
    overrides: { spanId: '00f067aa0ba902b8', parentSpanId: '00f067aa0ba902b7', name: 'tool bank.refund', kind: 1, status: { code: 2, message: 'declined' },
      events: [{ name: 'retry', timeUnixNano: '1732280000100000000', attributes: [['attempt', { i: '2' }]] }],
      links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: [] }] },
    eventValues: [{ attempt: 2 }],
    attributes: { text: 'grüße 😀 "q"\n', empty: '', int: -7, big: 2 ** 60, double: 123.456, small: 1e-7, tiny: 5e-324, flag: true, strings: ['a', ''], ints: [1, 2], bools: [false], doubles: [0.5, -0], 'gen_ai.tool.call.arguments': '{"order":1042}' },
  },
  {
    name: 'declared drop of 3 records, content sent as hashes only',
    seq: 5, dropped: 3, capture: 'hashes',
    overrides: { spanId: '00f067aa0ba902b9', name: 'record', kind: 1 },
    attributes: { 'facto.action_type': 'tool.call', 'facto.input': '{"tool":"search"}', 'facto.output': '{"results":3}' },
  },
];

const hrTime = (nanos) => [Number(BigInt(nanos) / 1_000_000_000n), Number(BigInt(nanos) % 1_000_000_000n)];

/** The span as an SDK ReadableSpan, after sealing: what the official exporters serialise. */
function readableSpan(span, values, eventValues, sealed) {
  const removed = new Set(sealed.removeKeys);
  const attributes = Object.fromEntries(Object.entries(values).filter(([key]) => !removed.has(key)));
  Object.assign(attributes, sealed.attributes);
  return {
    name: span.name,
    kind: span.kind - 1,
    spanContext: () => ({ traceId: span.traceId, spanId: span.spanId, traceFlags: 1 }),
    parentSpanContext: span.parentSpanId ? { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: 1 } : undefined,
    startTime: hrTime(span.startTimeUnixNano),
    endTime: hrTime(span.endTimeUnixNano),
    status: span.status.message === '' ? { code: span.status.code } : span.status,
    attributes,
    links: span.links.map((link) => ({ context: { traceId: link.traceId, spanId: link.spanId, traceFlags: 1 }, attributes: {} })),
    events: span.events.map((event, index) => ({ name: event.name, time: hrTime(event.timeUnixNano), attributes: eventValues?.[index] ?? {} })),
    duration: [0, 0],
    ended: true,
    resource: { attributes: { 'service.name': 'facto-vectors' }, asyncAttributesPending: false, merge: () => undefined },
    instrumentationScope: { name: '@facto/otel', version: '0.1.0' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

export function generateRecords() {
  let prevHash = ZERO_HASH_HEX;
  const out = [];
  for (const item of cases) {
    const span = { ...base, ...item.overrides, attributes: Object.entries(item.attributes).map(([key, value]) => [key, toTypedValue(value)]) };
    const chain = { factoId: `ft-6f0e1c2d-3b4a-4c5d-8e6f-${String(item.seq).padStart(12, '0')}`, agentId: 'agent-vectors', chainId: 'chain-vectors', seq: item.seq, prevHash: item.prevHash ?? prevHash, keyId: keyId(publicKey), dropped: item.dropped };
    const sealed = sealSpan({ span, chain, privateKey: AGENT_PRIVATE_KEY, publicKey: toHex(publicKey), contentKeys: new Set(DEFAULT_CONTENT_KEYS), capture: item.capture, salt });
    prevHash = toHex(sealed.hash);
    const removed = new Set(sealed.removeKeys);
    const readable = readableSpan(span, item.attributes, item.eventValues, sealed);
    out.push({
      name: item.name,
      input: { span, chain, capture: item.capture, salt: toHex(salt) },
      expected: {
        record: sealed.record,
        canonical: canonicalize(sealed.record),
        hash: toHex(sealed.hash),
        signature: toHex(sealed.signature),
        transport_attributes: sealed.attributes,
        received_attributes: [...span.attributes.filter(([key]) => !removed.has(key)), ...Object.entries(sealed.attributes).map(([key, value]) => [key, toTypedValue(value)])],
        otlp_json: JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest([readable]))),
        otlp_protobuf_hex: toHex(ProtobufTraceSerializer.serializeRequest([readable])),
      },
    });
  }
  return {
    description:
      'facto.v1 record vectors: see docs/spec.md. input.span is the span as the signer saw it (typed values, section 3); expected.received_attributes is what a verifier decodes from OTLP; expected.otlp_json and expected.otlp_protobuf_hex are the ExportTraceServiceRequest bodies (OTLP/HTTP JSON and protobuf) the official OpenTelemetry JS exporters send for it.',
    generator: 'test/vectors/generate.mjs',
    checked_by: 'test/vectors/vectors.test.ts',
    key: { source: 'RFC 8032 section 7.1 TEST 1', private_key: toHex(AGENT_PRIVATE_KEY), public_key: toHex(publicKey), key_id: keyId(publicKey) },
    cases: out,
  };
}
